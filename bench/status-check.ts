/**
 * bench/status-check: one hourly status check against the stand-ins, for 1,000, 3,000 and 5,000 sent
 * orders with 5 % of them delivered in this run. Prints, for each size: Ysell calls, Odoo calls (the
 * draft pickings of the delivered orders), wall time of the check plus its picking jobs, and the cost
 * per order, so that how the run grows with the number of open orders is visible.
 *
 * "Sent" orders are set up directly: confirmed in the Odoo stand-in, created in the Ysell stand-in over
 * its API, and bound as exported in our store — the export itself is measured by bench/export.
 *
 *   npx tsx bench/status-check.ts
 */
import { ensureBinding, markBindingExported } from '../src/store/bindings.js';
import { confirm, createSaleOrder, seedCatalog } from '../src/sandbox/odoo/seed.js';
import { ROUTE, startStack } from '../src/sandbox/stack.js';
import { settle } from '../test/helpers/settle.js';

async function run(size: number): Promise<string> {
  const stack = await startStack();
  const { odoo, ysell, app } = stack;
  try {
    odoo.setWebhook(null);
    const catalog = seedCatalog(odoo);
    const ysellIds: number[] = [];
    const now = Date.now();
    for (let i = 0; i < size; i++) {
      const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1 + (i % 3), price: 45 }] });
      confirm(odoo, id);
      const name = String(odoo.record('sale.order', id)?.['name']);
      const response = await fetch(`${ysell.url}/api/orders/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ysell.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ order_num: name, recipient: { name: 'A' }, address: { street: 'S', city: 'C', country: 'BE' }, items: [{ p_id: 10045, qty: 1 }] }),
      });
      const created = (await response.json()) as { id: number };
      ysellIds.push(created.id);
      await ensureBinding(app.db, { route: ROUTE, sourceId: String(id), sourceNumber: name }, now);
      await markBindingExported(app.db, ROUTE, String(id), { sourceNumber: name, destinationId: String(created.id), destinationStatus: 'New' }, now);
    }
    const delivered = ysellIds.filter((_, i) => i % 20 === 0);
    for (const id of delivered) ysell.deliver(id);

    const ysellBefore = ysell.requests.length;
    const odooBefore = odoo.calls.length;
    const started = performance.now();
    const summary = await app.checkStatusNow(ROUTE);
    await settle(app);
    const ms = performance.now() - started;
    const pickings = odoo.records('stock.picking').filter((p) => String(p['note'] ?? '').includes('order-bridge')).length;
    const ysellCalls = ysell.requests.length - ysellBefore;
    const odooCalls = odoo.calls.length - odooBefore;
    return [
      String(size).padStart(6),
      String(summary.checked).padStart(8),
      String(summary.delivered).padStart(10),
      String(pickings).padStart(9),
      String(ysellCalls).padStart(12),
      String(odooCalls).padStart(11),
      `${(ms / 1000).toFixed(2)} s`.padStart(10),
      `${(ms / size).toFixed(2)} ms`.padStart(13),
    ].join('  ');
  } finally {
    await stack.close();
  }
}

console.log('bench/status-check: one run, 5 % of the sent orders delivered (concurrency 4 status reads, SQLite)');
console.log(['orders', ' checked', ' delivered', ' pickings', ' Ysell calls', ' Odoo calls', ' wall time', ' per order'].join('  '));
for (const size of [1000, 3000, 5000]) console.log(await run(size));
