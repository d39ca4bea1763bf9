import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';
import { saleAppDeliveryTypeSchema } from './schemas.js';

/** The host in the document's PHP example; `/Orders` is appended. */
export const defaultSaleAppBaseUrl = 'https://apps.conwix.com/server/api';

const saleAppId = z.union([z.string().regex(/^\d+$/, 'expected a SaleApp id (digits)'), z.number().int().positive()]).transform(String);
const ref = z.string().trim().min(1);
const isoCode = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as "UAH"');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const saleAppConfigSchema = z
  .strictObject({
    baseUrl: externalUrlSchema.default(defaultSaleAppBaseUrl),
    /** Sent as `?secret_key=` (SaleApp has no header auth); registered with the scrubber. */
    secretKey: z.string().trim().min(4, 'the SaleApp secret key is missing or too short'),
    /**
     * "organization": the organization's global key, with which every order names its client, currency and
     * warehouse. "counterparty": a counterparty's key, which carries all three itself.
     */
    keyType: z.enum(['organization', 'counterparty']).default('organization'),
    clientId: saleAppId.optional(),
    /** With an organization key: the SaleApp currency of orders that name no currency of their own. */
    currencyId: saleAppId.optional(),
    warehouseId: saleAppId.optional(),
    /**
     * The ISO 4217 code of the account's own currency: the currency of `currencyId`, or with a counterparty
     * key the one the key fixes. Orders in it go in as they are; a SaleApp order read as a source is in it.
     */
    currency: isoCode.optional(),
    /**
     * With an organization key: the SaleApp currency id (curency_id) for each order currency, e.g.
     * { "UAH": 6, "EUR": 7 }. An order in a currency not mapped here (and not `currency`) is refused.
     */
    currencies: z.record(isoCode, saleAppId).default({}),
    /**
     * The SKU of the SaleApp product that stands for shipping and service charges (e.g. "Доставка"); each charge
     * is sent as one such line. Without it an order with a charge is refused (SaleApp orders have no field for it).
     */
    surchargeSku: z.string().trim().min(1).optional(),
    timeout: durationSchema.default(15_000),
    /**
     * Used when an order's refs carry no `delivery_type` / `city_ref` / `branch_ref`. The REFs only make sense
     * as defaults when every order goes to the same place (e.g. one pick-up branch).
     */
    delivery: z
      .strictObject({
        type: saleAppDeliveryTypeSchema.optional(),
        cityRef: ref.optional(),
        branchRef: ref.optional(),
      })
      .prefault({}),
    /**
     * What a line's destination product id is in SaleApp: its nomenclature `id`, or its external id (sent as
     * `external_id` with an organization key, as `supplier_id` — the supplier code — with a counterparty key).
     * The SKU is sent as well, as SaleApp's last resort.
     */
    productIdKind: z.enum(['id', 'externalId']).default('id'),
    /** Order tags (OrdersTags ids) put on every created order. */
    tags: z.array(z.number().int().positive()).default([]),
    /** The funnel created orders enter. */
    funnel: saleAppId.optional(),
    /** The "API name" of an order custom field that receives the order's comment; none: the comment is not sent. */
    commentField: z.string().trim().min(1).optional(),
    /** SaleApp writes its dates as wall-clock time without a zone; this is the account's zone. */
    timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as "Europe/Kyiv"').default('Europe/Kyiv'),
    /** As a source: SaleApp status ids whose orders are not exported. */
    skipStatusIds: z.array(z.number().int().nonnegative()).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.keyType === 'counterparty' && Object.keys(config.currencies).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['currencies'], message: 'not used with a counterparty key (the key fixes the currency): set "currency" to its ISO code instead' });
    }
    const account = ['clientId', 'currencyId', 'warehouseId'] as const;
    for (const field of account) {
      if (config.keyType === 'organization' && config[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'required with an organization key: each order names its client, currency and warehouse' });
      }
      if (config.keyType === 'counterparty' && config[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'not used with a counterparty key (the key fixes the client, currency and warehouse): remove it' });
      }
    }
  });

export type SaleAppConfig = z.infer<typeof saleAppConfigSchema>;
