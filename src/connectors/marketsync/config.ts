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
});

export type MarketsyncConfig = z.infer<typeof marketsyncConfigSchema>;
