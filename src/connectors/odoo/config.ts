import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';
import { odooDefaults } from './fields.js';
import { odooProtocols } from './transport.js';

const fieldName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected an Odoo field name');
const xmlId = z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'expected an XML id like "stock.picking_type_out"');
const recordId = z.number().int().positive();

export const odooConfigSchema = z.strictObject({
  url: externalUrlSchema,
  db: z.string().min(1),
  login: z.string().min(1),
  /** An API key (preferred, Odoo 14+) or the password of the integration user. */
  secret: z.string().min(1),
  timeout: durationSchema.default(15_000),
  /**
   * How to call Odoo: `auto` uses the JSON-2 API where the server has it (19.0+) and XML-RPC before;
   * `xmlrpc` and `json2` insist (json2 against a server older than 19.0 is refused with a message).
   */
  protocol: z.enum(['auto', ...odooProtocols]).default('auto'),
  fields: z
    .strictObject({
      /** product.product field holding the destination's product id. */
      destinationProductId: fieldName.default(odooDefaults.destinationProductIdField),
      /** sale.order field the destination's order id is written back to; null: do not write back. */
      destinationOrderId: fieldName.nullable().default(odooDefaults.destinationOrderIdField),
      /** sale.order fields showing the sync state and the last error to the person; null: do not write. */
      syncState: fieldName.nullable().default(odooDefaults.syncStateField),
      syncMessage: fieldName.nullable().default(odooDefaults.syncMessageField),
      /** sale.order.line field with serial numbers typed by hand (comma, semicolon or newline separated). */
      lineSerials: fieldName.nullable().default(null),
    })
    .prefault({}),
  /** Read serials from the lots on the order's outgoing stock move lines. */
  serialsFromDeliveries: z.boolean().default(true),
  /**
   * Orders with products tracked by serial or lot wait for their serials to be assigned in Odoo (by the
   * reservation of their delivery, or typed on the line), up to `wait` after confirmation, checked every
   * `every`; then they are sent without the missing ones, with a warning. `wait: false` sends at once.
   */
  serials: z
    .strictObject({
      wait: z.union([z.literal(false).transform(() => 0), durationSchema]).default(2 * 3_600_000),
      every: durationSchema.default(5 * 60_000),
    })
    .prefault({}),
  /** The draft delivery created when the destination reports an order delivered. */
  delivery: z
    .strictObject({
      /** Internal location the goods leave from: its name ("ShemaxGlobal"), its complete name ("WH/ShemaxGlobal"), or its id. */
      sourceLocation: z.union([z.string().min(1), recordId]).default('ShemaxGlobal'),
      destinationLocation: z.union([xmlId, recordId]).default('stock.stock_location_customers'),
      /** Default: the outgoing type whose default source is that location, else stock.picking_type_out. */
      pickingType: z.union([xmlId, recordId]).optional(),
      /** When Ysell delivered the order, cancel Odoo's own outgoing pickings of it that are not done. */
      cancelOdooPicking: z.boolean().default(false),
    })
    .prefault({}),
});

export type OdooConfig = z.infer<typeof odooConfigSchema>;
