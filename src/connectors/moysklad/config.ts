import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';

// MoySklad ids look like UUIDs but are not RFC 4122 ones (e.g. 7944ef04-f831-11e5-7a69-971500188b19): z.guid, not z.uuid.
/** Orders sent together at most: as many look-ups of typical order numbers as fit in one URL. */
export const maxBatchSize = 200;

const id = z.guid({ error: 'expected a MoySklad object id (the last part of its href, e.g. 7944ef04-f831-11e5-7a69-971500188b19)' });

export const moyskladConfigSchema = z
  .strictObject({
    baseUrl: externalUrlSchema.default('https://api.moysklad.ru/api/remap/1.2'),
    /** A Bearer token: a solution token, or a user token from POST /security/token. */
    token: z.string().min(8),
    /**
     * What a request costs in MoySklad's budget (md/_restrictions.md, "Лимит запросов за 3-секундный период"):
     * solution tokens 1 unit; user tokens (and login/password) 2 units from 2026-05-12, 3 from 2026-09-01 and 4
     * from 2026-12-01.
     */
    tokenKind: z.enum(['user', 'solution']).default('user'),
    /** Overrides the weight from the schedule above, should MoySklad change it again. */
    requestWeight: z.number().int().min(1).max(45).optional(),
    budget: z
      .strictObject({
        units: z.number().int().min(1).default(45),
        window: durationSchema.default(3_000),
        maxParallel: z.number().int().min(1).max(20).default(5),
      })
      .prefault({}),
    organization: id,
    store: id,
    retailStore: id,
    /** The counterparty every retail sale is made to (e.g. "Ozon buyer" or "Розничный покупатель"). */
    agent: id,
    /** Custom attributes of retaildemand (their ids from entity/retaildemand/metadata/attributes). */
    attributes: z
      .strictObject({
        /** The source's status (Ozon's), kept current by the reconciliation. */
        sourceStatus: id.optional(),
        sourceNumber: id.optional(),
        /** Double attributes ("Число дробное"): the totals in rubles with two decimals, as people read them. */
        commission: id.optional(),
        serviceCharges: id.optional(),
        /** A text attribute for the charges per kind; without it the breakdown goes into the description. */
        chargesBreakdown: id.optional(),
      })
      .prefault({}),
    /** Where the commission and the marketplace's service charges are recorded. */
    chargesIn: z.enum(['description', 'attributes']).default('description'),
    /** The document name: the source order number, or MoySklad's own numbering. */
    name: z.enum(['order-number', 'moysklad']).default('order-number'),
    /** How the buyer paid: marketplaces pay the seller by transfer. */
    payment: z.enum(['noCash', 'cash']).default('noCash'),
    vat: z.number().int().min(0).max(100).default(0),
    /** The ISO 4217 code of the account's accounting currency: sales in it need no currency of their own. */
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as "RUB"').default('RUB'),
    /**
     * Other order currencies and the id of each in MoySklad (Справочники → Валюты, or GET /entity/currency):
     * a sale in such a currency is written in it (`rate.currency`). An order in a currency not listed is refused.
     */
    currencies: z.record(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as "USD"'), id).default({}),
    /**
     * A MoySklad service (Товары и услуги → Услуга, e.g. "Доставка") that stands for an order's shipping and
     * service charges, one position each. Without it an order with such a charge is refused.
     */
    surchargeService: id.optional(),
    retailShift: z
      .strictObject({
        /** Open a shift when an order needs one and none is open (otherwise the order waits for `shift open`). */
        autoOpen: z.boolean().default(true),
        /** Close the shift when a scheduled run of the route has exported everything it queued. */
        closeAfterRun: z.boolean().default(false),
      })
      .prefault({}),
    /**
     * Creates and look-ups wait this long to be sent together. A look-up puts every number in the URL, and
     * MoySklad takes at most 8 KB of request headers, URL included (md/_restrictions.md): 200 order numbers fit
     * in one; longer ones are split over several requests by length.
     */
    batch: z
      .strictObject({
        size: z
          .number()
          .int()
          .min(1)
          .max(maxBatchSize, `at most ${maxBatchSize}: a look-up carries every order number in its URL, and MoySklad takes at most 8 KB of request headers`)
          .default(100),
        wait: durationSchema.default(50),
      })
      .prefault({}),
    /** Products are looked up by article once and remembered this long. */
    productCacheTtl: durationSchema.default(600_000),
    timeout: durationSchema.default(30_000),
  })
  .superRefine((config, ctx) => {
    if (config.chargesIn === 'attributes' && (config.attributes.commission === undefined || config.attributes.serviceCharges === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'chargesIn "attributes" needs attributes.commission and attributes.serviceCharges' });
    }
  });

export type MoySkladConfig = z.infer<typeof moyskladConfigSchema>;

/** The request weight for this token on this date (md/_restrictions.md). */
export function requestWeight(config: Pick<MoySkladConfig, 'tokenKind' | 'requestWeight'>, now: Date): number {
  if (config.requestWeight !== undefined) return config.requestWeight;
  if (config.tokenKind === 'solution') return 1;
  const day = now.toISOString().slice(0, 10);
  if (day >= '2026-12-01') return 4;
  if (day >= '2026-09-01') return 3;
  if (day >= '2026-05-12') return 2;
  return 1;
}
