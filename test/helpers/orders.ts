import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import type { OdooFake } from '../../src/sandbox/odoo/server.js';

/** `count` confirmed sale orders in the Odoo stand-in, one to three goods lines each; returns their ids. */
export function confirmedOrders(odoo: OdooFake, count: number): number[] {
  const catalog = seedCatalog(odoo);
  const partners = Object.values(catalog.partners);
  const goods = [catalog.products.lamp, catalog.products.chair, catalog.products.desk, catalog.products.serialized];
  return Array.from({ length: count }, (_, i) => {
    // The serialized product's serials are typed on the line, so that no order waits for a reservation.
    const lines = Array.from({ length: 1 + (i % 3) }, (_, k) => {
      const productId = goods[(i + k) % goods.length]!;
      const qty = 1 + (k % 2);
      const serials = productId === catalog.products.serialized ? Array.from({ length: qty }, (_, n) => `SN-${i}-${k}-${n}`) : undefined;
      return { productId, qty, price: 10 + k, ...(serials ? { serials } : {}) };
    });
    const id = createSaleOrder(odoo, { partnerId: partners[i % partners.length]!, lines });
    confirm(odoo, id);
    return id;
  });
}

/** The order number Odoo gave each order. */
export function orderNames(odoo: OdooFake, ids: number[]): Map<number, string> {
  return new Map(ids.map((id) => [id, String(odoo.record('sale.order', id)?.['name'])]));
}
