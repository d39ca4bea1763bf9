// Odoo → Ysell against a Ysell that answers with only what the project specification promises (an id
// and a status, no order_num), and against an account where someone else uses our order numbers.
import t from 'tap';
import type { Test } from 'tap';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';
import { getBinding } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';

async function stackFor(t: Test, options: StackOptions = {}): Promise<{ stack: Stack; catalog: Catalog }> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, ...options });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo) };
}

t.test('a Ysell answering only id and status gets each order once, and its delivery comes back to Odoo', async (t) => {
  const { stack, catalog } = await stackFor(t, { ysellOptions: { answers: 'minimal' } });
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 2, price: 45 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);

  const [created, ...more] = ysell.orders();
  t.equal(more.length, 0, 'one order in Ysell');
  t.equal(odoo.record('sale.order', id)?.['ysell_order_id'], String(created!.id), 'its id reached Odoo');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported');
  t.same((await listJobs(app.db, { route: ROUTE, state: 'dead' })).length, 0, 'nothing failed');

  // A fresh store: the look-up finds the order by its number although Ysell does not show the number.
  await app.db('jobs').del();
  await app.db('bindings').del();
  t.same(await app.queueExports(ROUTE, [String(id)]), ['queued']);
  await settle(app);
  t.equal(ysell.orders().length, 1, 'not created twice');
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.destinationId, String(created!.id), 'bound to the order already there');

  ysell.deliver(created!.id);
  const summary = await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(summary.delivered, 1, 'the status answer without order_num is read');
  t.equal(odoo.records('stock.picking').filter((p) => String(p['note'] ?? '').includes(`order-bridge:${ROUTE}:${created!.id}`)).length, 1, 'one draft picking');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'delivered');
});

t.test("someone else's order under our number stops the export with FOREIGN_ORDER and is never bound", async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  odoo.setWebhook(null);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 2, price: 45 }] });
  const number = String(odoo.record('sale.order', id)?.['name']);
  // Another shop feeding the same Ysell account numbers its orders the same way.
  const theirs = await fetch(`${ysell.url}/api/orders/create`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ysell.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ order_num: number, recipient: { name: 'Someone Else' }, address: { street: 'Elsewhere 1', city: 'Riga', country: 'LV' }, items: [{ p_id: 777, qty: 1 }] }),
  }).then((r) => r.json() as Promise<{ id: number }>);
  confirm(odoo, id);
  await app.queueExports(ROUTE, [String(id)]);
  await settle(app);

  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'export' });
  t.equal(job?.state, 'dead');
  t.equal(job?.lastErrorCode, 'FOREIGN_ORDER');
  t.match(job?.lastError, new RegExp(`Ysell order ${theirs.id} carries the number ${number} but is not the order order-bridge sent`));
  t.equal(ysell.ordersByNumber(number).length, 1, 'no second order created beside theirs');
  const binding = await getBinding(app.db, ROUTE, String(id));
  t.equal(binding?.destinationId, null, 'their order is not bound to ours');
  t.notOk(odoo.record('sale.order', id)?.['ysell_order_id'], 'nor written back to Odoo');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'error', 'the person in Odoo sees the error');
});
