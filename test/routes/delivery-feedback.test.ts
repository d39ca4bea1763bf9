import t from 'tap';
import type { Test } from 'tap';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog, addDeliveredSerials, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';
import { getBinding } from '../../src/store/bindings.js';
import { enqueueJob, listJobs } from '../../src/store/jobs.js';
import { deliveredJobKey } from '../../src/routes/status-check.js';

const ADMIN = 'admin-token-for-tests-0123456789';

async function stackFor(t: Test, options: StackOptions = {}): Promise<{ stack: Stack; catalog: Catalog }> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN, ...options });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo) };
}

/** Confirms an order in Odoo and waits until it is in Ysell; returns the Odoo and Ysell ids. */
async function exported(stack: Stack, catalog: Catalog, lines?: { productId: number; qty: number; price: number }[]): Promise<{ id: number; ysellId: number; name: string }> {
  const id = createSaleOrder(stack.odoo, {
    partnerId: catalog.partners.berlin,
    lines: lines ?? [
      { productId: catalog.products.serialized, qty: 2, price: 899, serials: ['SN-T1', 'SN-T2'] },
      { productId: catalog.products.lamp, qty: 3, price: 45 },
      { productId: catalog.products.shipping, qty: 1, price: 12 },
    ],
  });
  confirm(stack.odoo, id);
  await stack.odoo.webhooksSettled();
  await settle(stack.app);
  const name = String(stack.odoo.record('sale.order', id)?.['name']);
  const ysellId = stack.ysell.ordersByNumber(name)[0]!.id;
  return { id, ysellId, name };
}

const pickingsOf = (stack: Stack, name: string) => stack.odoo.records('stock.picking').filter((p) => p['origin'] === name && String(p['note'] ?? '').includes('order-bridge'));

t.test('a delivered order gets exactly one draft picking from ShemaxGlobal to the customer', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const order = await exported(stack, catalog);
  addDeliveredSerials(odoo, order.id, catalog.products.serialized, ['SN-1001', 'SN-1002']);
  const quiet = await exported(stack, catalog, [{ productId: catalog.products.desk, qty: 1, price: 310 }]);

  ysell.deliver(order.ysellId);
  ysell.setStatus(quiet.ysellId, 'Shipped');
  const summary = await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(summary.checked, 2);
  t.equal(summary.delivered, 1);

  const [picking, ...more] = pickingsOf(stack, order.name);
  t.equal(more.length, 0, 'one picking');
  t.match(picking, {
    state: 'draft',
    location_id: odoo.refs.shemaxLocation,
    location_dest_id: odoo.refs.customersLocation,
    picking_type_id: odoo.refs.outType,
    partner_id: catalog.partners.berlinWarehouse,
    origin: order.name,
  });
  t.match(String(picking!['note']), /Ysell: order \d+, status "Done"/);
  t.match(String(picking!['note']), /SN-1001, SN-1002/, 'the serial numbers are where a person will find them');
  const moves = odoo.records('stock.move').filter((m) => m['picking_id'] === picking!['id']);
  t.same(
    moves.map((m) => [m['product_id'], m['product_uom_qty'], m['product_uom'], m['location_id'], m['location_dest_id'], m['state']]).sort(),
    [
      [catalog.products.lamp, 3, odoo.refs.unitUom, odoo.refs.shemaxLocation, odoo.refs.customersLocation, 'draft'],
      [catalog.products.serialized, 2, odoo.refs.unitUom, odoo.refs.shemaxLocation, odoo.refs.customersLocation, 'draft'],
    ].sort(),
    'one move per goods line (the shipping service has none)',
  );
  const binding = await getBinding(app.db, ROUTE, String(order.id));
  t.equal(binding?.stage, 'finished');
  t.equal(binding?.feedbackRef, `stock.picking:${picking!['id']}`, 'the picking is linked to the binding');
  t.equal(odoo.record('sale.order', order.id)?.['ysell_sync_state'], 'delivered');

  t.equal(pickingsOf(stack, quiet.name).length, 0, 'not delivered: no picking');
  t.equal((await getBinding(app.db, ROUTE, String(quiet.id)))?.destinationStatus, 'Shipped', 'other statuses are recorded and left alone');

  const again = await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(again.checked, 1, 'a finished order is not asked about again');
  await enqueueJob(app.db, { key: deliveredJobKey(ROUTE, String(order.id)), kind: 'delivered', route: ROUTE, sourceId: String(order.id), payload: { destinationId: String(order.ysellId), status: 'Done' }, revision: null, maxAttempts: 3 }, Date.now());
  app.engine.wake();
  await settle(app);
  t.equal(pickingsOf(stack, order.name).length, 1, 'a duplicate job still makes one picking');
});

t.test('a crash after Odoo created the picking and before our commit still ends with one picking', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const order = await exported(stack, catalog);
  odoo.inject({ kind: 'reset-after-apply' }, { times: 1, match: (c) => c.model === 'stock.picking' && c.modelMethod === 'create' });
  ysell.deliver(order.ysellId);
  await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(odoo.calls.filter((c) => c.model === 'stock.picking' && c.modelMethod === 'create').length, 1, 'created once; the retry found it');
  t.equal(pickingsOf(stack, order.name).length, 1);
  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'delivered' });
  t.equal(job?.state, 'done');
  t.equal(job?.attempts, 2);
});

t.test('a dead job puts one note in the order chatter and shows in the admin API with the same message', async (t) => {
  const { stack, catalog } = await stackFor(t, { route: { notify: { chatter: true, activity: true } } });
  const { odoo, app, baseUrl } = stack;
  odoo.inject({ kind: 'reset-after-apply' }, { times: 1, match: (c) => c.modelMethod === 'message_post' });
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);
  odoo.setNow(Date.now() + 5000);
  await app.pollNow(ROUTE);
  await settle(app);

  const notes = odoo.records('mail.message').filter((m) => m['model'] === 'sale.order' && m['res_id'] === id && String(m['body']).includes('order-bridge'));
  t.equal(notes.length, 1, 'one message, though posting it was retried and a poll saw our own note change the order');
  t.match(String(notes[0]!['body']), /has no Ysell product id: set it on the product \(field ysell_product_id\), then retry/);
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'error');
  t.match(String(odoo.record('sale.order', id)?.['ysell_sync_message']), /no Ysell product id/);
  const activities = odoo.records('mail.activity').filter((a) => a['res_id'] === id);
  t.equal(activities.length, 1, 'a to-do for the salesperson');

  const unauthorized = await fetch(`${baseUrl}/admin/jobs?state=dead`);
  t.equal(unauthorized.status, 401);
  const wrong = await fetch(`${baseUrl}/admin/jobs?state=dead`, { headers: { authorization: 'Bearer nope' } });
  t.equal(wrong.status, 401);
  const listed = (await (await fetch(`${baseUrl}/admin/jobs?state=dead`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { jobs: { id: number; error: string }[] };
  t.equal(listed.jobs.length, 1);
  const body = String(notes[0]!['body']);
  t.match(body, /^<p><b>order-bridge: sending this order to ysell failed<\/b><\/p><p>order S\d+ cannot be sent to Ysell: .*<\/p><p>Fix it, then .*<\/p><p><small>order-bridge:export:\d+:\d+<\/small><\/p>$/, 'a title, a paragraph per line and the marker apart: not one run-on paragraph');
  const noteText = body.replace(/<[^>]+>/g, '\n').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  t.ok(noteText.includes(listed.jobs[0]!.error), 'the admin API shows the message the person got');

  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
  const retried = await fetch(`${baseUrl}/admin/jobs/${listed.jobs[0]!.id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.equal(retried.status, 202);
  await settle(app);
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.stage, 'exported', 'retried from the admin API after the fix');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported');
  const notFound = await fetch(`${baseUrl}/admin/jobs/99999/retry`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.equal(notFound.status, 404);
});
