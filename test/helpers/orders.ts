import { confirm, createSaleOrder, seedCatalog, stockLots } from '../../src/sandbox/odoo/seed.js';
import type { OdooFake } from '../../src/sandbox/odoo/server.js';

/**
 * `count` confirmed sale orders in the Odoo stand-in, one to three goods lines each; returns their ids.
 * The serialized product is in stock with a lot per unit, so that each order's serials are reserved at
 * confirmation (as Odoo does with stock on hand) and no order waits for them.
 */
export function confirmedOrders(odoo: OdooFake, count: number): number[] {
  const catalog = seedCatalog(odoo);
  const partners = Object.values(catalog.partners);
  const goods = [catalog.products.lamp, catalog.products.chair, catalog.products.desk, catalog.products.serialized];
  const orders = Array.from({ length: count }, (_, i) =>
    Array.from({ length: 1 + (i % 3) }, (_, k) => ({ productId: goods[(i + k) % goods.length]!, qty: 1 + (k % 2), price: 10 + k })),
  );
  const units = orders.flat().filter((line) => line.productId === catalog.products.serialized).reduce((sum, line) => sum + line.qty, 0);
  stockLots(odoo, catalog.products.serialized, Array.from({ length: units }, (_, n) => `SN-${n + 1}`));
  return orders.map((lines, i) => {
    const id = createSaleOrder(odoo, { partnerId: partners[i % partners.length]!, lines });
    confirm(odoo, id);
    return id;
  });
}

/** The order number Odoo gave each order. */
export function orderNames(odoo: OdooFake, ids: number[]): Map<number, string> {
  return new Map(ids.map((id) => [id, String(odoo.record('sale.order', id)?.['name'])]));
}
