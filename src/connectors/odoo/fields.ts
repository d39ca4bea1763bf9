/**
 * The Odoo field and parameter names order-bridge uses by default. The Odoo module in
 * odoo-addon-stub/ declares exactly these (a test checks it), and the Odoo fake declares them too.
 */
export const odooDefaults = {
  /** product.product, Char: the product's id in Ysell. */
  destinationProductIdField: 'ysell_product_id',
  /** sale.order, Char: the Ysell order id, written back after the export. */
  destinationOrderIdField: 'ysell_order_id',
  /** sale.order, Selection (see syncStates): where the order is in its life at Ysell. */
  syncStateField: 'ysell_sync_state',
  /** sale.order, Text: what went wrong, or empty. */
  syncMessageField: 'ysell_sync_message',
  /** ir.config_parameter holding the Ysell API key. */
  ysellApiKeyParameter: 'ysell.api_key',
  /** Fields the webhook server action sends besides _id, _model and _action. */
  webhookFields: ['name', 'state'],
} as const;

/**
 * Values order-bridge writes into the sync state field, in the order an export goes through them
 * (waiting for its serial numbers, exported, delivered); error stands apart.
 */
export const syncStates = ['waiting', 'exported', 'delivered', 'error'] as const;
export type SyncState = (typeof syncStates)[number];
