import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';

const parameterName = z.string().regex(/^[a-z_]+$/, 'expected a query parameter name like "orders"');

/** Statuses from the seed document's table that mean the sale is off; such orders are not exported. */
export const defaultSkipStatuses = ['canceled', 'cancelled', 'voided', 'refunded', 'failed', 'refused'];

export const marketsyncConfigSchema = z.strictObject({
  /** The server, without /api: https://web.marketsync.mx (production) or https://sandbox.marketsync.mx. */
  baseUrl: externalUrlSchema,
  /** The public key ("token"), sent with every request. */
  token: z.string().min(8),
  /** Signs every request; never sent. */
  privateKey: z.string().min(8),
  timeout: durationSchema.default(15_000),
  /** The documented pause between calls of GET /pedidos/totales/{id} (a quota of 1 call every 2 s). */
  totalsInterval: durationSchema.default(2_000),
  /**
   * Which list filter takes our ids and which takes order numbers. The notes call `orders` a filter "by
   * order identifier" and the seed document says the list filters "by No. de pedido" (= referencia); we
   * read `ids` as Marketsync ids and `orders` as referencias, and check every match ourselves.
   */
  filters: z
    .strictObject({
      byId: parameterName.default('ids'),
      byReference: parameterName.default('orders'),
    })
    .prefault({}),
  /** Source: the marketplaces (`market_id`) whose orders are read; null: all of the account's marketplaces. */
  markets: z.array(z.number().int().positive()).min(1).nullable().default(null),
  /** Source: orders in these statuses (case-insensitive) are skipped. */
  skipStatuses: z.array(z.string().min(1)).default(defaultSkipStatuses),
  /** Source: lines the marketplace ships itself (fulfillment "1") are left out, or kept. */
  marketplaceFulfilled: z.enum(['skip', 'include']).default('skip'),
  /**
   * Source: the seed document says kit components come "with quantities expanded along the bill of
   * materials", i.e. already for the whole line ("expanded"); "perKit" multiplies them by the line quantity.
   */
  kitQuantities: z.enum(['expanded', 'perKit']).default('expanded'),
  /** Source: read each order's charges (GET /pedidos/totales/{id}, 2 s apart) into its fees. */
  readCharges: z.boolean().default(false),
  /** Destination: the `estatus` a created order starts with (the E-Commerce list has paid, pending, …). */
  createStatus: z.string().min(1).max(30).default('paid'),
  /**
   * The currency of the account's amounts: Marketsync orders name none, and its marketplaces are Mexican.
   * As a source it is every order's currency; as a destination, orders in another one are refused.
   */
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as "MXN"').default('MXN'),
  /**
   * Destination: the SKU of a product standing for shipping and service charges, sent as one more line per
   * charge. Marketsync orders have no field for them, so without it an order with such a charge is refused.
   */
  surchargeSku: z.string().min(1).max(18).nullable().default(null),
  /** Tries of a page read (the first included) on a 5xx, 429, timeout or dropped connection, before the poll fails. */
  readAttempts: z.number().int().min(1).max(10).default(5),
});

export type MarketsyncConfig = z.infer<typeof marketsyncConfigSchema>;
