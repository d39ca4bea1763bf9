// What a new user of Odoo 17 → Ysell hit in the first hour (issue 14), each over real HTTP against the
// Odoo and Ysell stand-ins: the delivery location under the warehouse, notes for an integration user
// without an email address, a sync state that only moves forward, failure notices that are not replayed
// once the job went through, orders waiting for their serials, and the draft picking linked to its order.
import t from 'tap';
import type { Test } from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { checkAvailability, confirm, createSaleOrder, seedCatalog, stockLots, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';
import { getBinding } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';

const ADMIN = 'admin-token-for-tests-0123456789';

async function stackFor(t: Test, options: StackOptions = {}): Promise<{ stack: Stack; catalog: Catalog }> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN, ...options });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo) };
}

/** Confirms an order of lamps in Odoo and waits until it is in Ysell. */
async function exported(stack: Stack, catalog: Catalog): Promise<{ id: number; name: string; ysellId: number }> {
  const id = createSaleOrder(stack.odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 2, price: 45 }] });
  confirm(stack.odoo, id);
  await stack.odoo.webhooksSettled();
  await settle(stack.app);
  const name = String(stack.odoo.record('sale.order', id)?.['name']);
  return { id, name, ysellId: stack.ysell.ordersByNumber(name)[0]!.id };
}

const notesOn = (stack: Stack, id: number) =>
  stack.odoo.records('mail.message').filter((m) => m['model'] === 'sale.order' && m['res_id'] === id && String(m['body']).includes('order-bridge:'));

/** Moves the clock on and runs what is due then, until no job is due or running (waiting jobs stay). */
async function advance(app: Stack['app'], clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  for (let turn = 0; turn < 1000; turn++) {
    await app.engine.whenIdle();
    const busy = await app.db('jobs')
      .where({ state: 'running' })
      .orWhere((q) => q.where({ state: 'pending' }).andWhere('run_after', '<=', clock.now()))
      .first();
    if (busy === undefined) return;
  }
  throw new Error('jobs did not settle');
}

function admin(stack: Stack, method: string, path: string): Promise<Response> {
  return fetch(`${stack.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
}

t.test('the default delivery location finds ShemaxGlobal under the warehouse; two of them are named, not guessed', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const first = await exported(stack, catalog);
  ysell.deliver(first.ysellId);
  await app.checkStatusNow(ROUTE);
  await settle(app);
  const [picking] = odoo.records('stock.picking').filter((p) => String(p['note'] ?? '').includes(`order-bridge:${ROUTE}:${first.ysellId}`));
  t.equal(picking?.['location_id'], odoo.refs.shemaxLocation, 'from WH/ShemaxGlobal, found by its name');

  const { stack: second, catalog: secondCatalog } = await stackFor(t);
  const other = second.odoo.transact((env) => {
    const view = env.create('stock.location', { name: 'WH2', usage: 'view' });
    return env.create('stock.location', { name: 'ShemaxGlobal', usage: 'internal', location_id: view });
  });
  const order = await exported(second, secondCatalog);
  second.ysell.deliver(order.ysellId);
  await second.app.checkStatusNow(ROUTE);
  await settle(second.app);
  const [job] = await listJobs(second.app.db, { route: ROUTE, kind: 'delivered' });
  t.equal(job?.lastErrorCode, 'ODOO_LOCATION_AMBIGUOUS');
  t.match(
    job?.lastError,
    `delivery.sourceLocation "ShemaxGlobal" matches 2 internal locations: "WH/ShemaxGlobal" (id ${second.odoo.refs.shemaxLocation}), "WH2/ShemaxGlobal" (id ${other})`,
  );

  const { stack: third, catalog: thirdCatalog } = await stackFor(t, { odoo: { delivery: { sourceLocation: 'Shemax' } } });
  const missing = await exported(third, thirdCatalog);
  third.ysell.deliver(missing.ysellId);
  await third.app.checkStatusNow(ROUTE);
  await settle(third.app);
  const [dead] = await listJobs(third.app.db, { route: ROUTE, kind: 'delivered' });
  t.equal(dead?.lastErrorCode, 'ODOO_LOCATION_MISSING');
  t.match(dead?.lastError, /no internal stock location is named or completely named "Shemax" in Odoo; similar: "WH\/ShemaxGlobal"/);
});

t.test('an integration user without an email address: the state first, then a readable note, and the to-do', async (t) => {
  const { stack, catalog } = await stackFor(t, { route: { notify: { chatter: true, activity: true } } });
  const { odoo, app } = stack;
  odoo.transact((env) => env.write('res.partner', [odoo.refs.adminPartner], { email: false }));
  const id = createSaleOrder(odoo, {
    partnerId: catalog.partners.gemini,
    lines: [
      { productId: catalog.products.unlinked, qty: 1, price: 15 },
      { productId: catalog.products.lamp, qty: 1, price: 45 },
    ],
  });
  odoo.transact((env) => env.write('sale.order', [id], { user_id: odoo.user.uid }));
  odoo.transact((env) => env.write('res.partner', [catalog.partners.gemini], { city: false }));
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);

  const order = odoo.record('sale.order', id)!;
  t.equal(order['ysell_sync_state'], 'error');
  t.match(String(order['ysell_sync_message']), /has no Ysell product id.*; the delivery address has no city/);
  const [note, ...more] = notesOn(stack, id);
  t.equal(more.length, 0, 'one note');
  t.equal(note?.['author_id'], odoo.refs.adminPartner, "posted as the integration user's partner");
  t.equal(note?.['email_from'], 'Mitchell Admin', 'with a sender label instead of the missing address');
  t.match(String(note?.['body']), /^<p><b>order-bridge: sending this order to ysell failed<\/b><\/p><p>order S\d+ cannot be sent to Ysell:<\/p><ul><li>product .* has no Ysell product id: .*<\/li><li>the delivery address has no city: .*<\/li><\/ul><p>Fix it, then /);
  const messages = odoo.records('mail.message').filter((m) => m['res_id'] === id && m['model'] === 'sale.order');
  t.ok(messages.indexOf(note!) >= 0);
  const [todo] = odoo.records('mail.activity').filter((a) => a['res_id'] === id);
  t.equal(todo?.['user_id'], odoo.user.uid, "the salesperson's to-do is created, without Odoo's assignment mail");
  t.same(odoo.calls.filter((c) => c.model === 'mail.activity' && c.modelMethod === 'create').map((c) => c.fault?.faultCode ?? 'ok'), [2, 'ok']);
  const [notice] = await listJobs(app.db, { route: ROUTE, kind: 'notify' });
  t.equal(notice?.state, 'done');
  const writes = odoo.calls.filter((c) => c.model === 'sale.order' && ['write', 'message_post'].includes(c.modelMethod ?? ''));
  t.same(writes.map((c) => c.modelMethod), ['write', 'message_post'], 'the state is written before the note is posted');
});

t.test('a note Odoo refuses leaves the state written and says so in the dead notice', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, app } = stack;
  odoo.inject({ kind: 'fault', code: 2, message: 'You are not allowed to post here.' }, { match: (c) => c.modelMethod === 'message_post' });
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'error', 'the person sees the failure on the order');
  t.match(String(odoo.record('sale.order', id)?.['ysell_sync_message']), /no Ysell product id/);
  const [notice] = await listJobs(app.db, { route: ROUTE, kind: 'notify' });
  t.equal(notice?.state, 'dead');
  t.equal(notice?.lastErrorCode, 'ODOO_NOTICE_REFUSED');
  t.match(notice?.lastError, /the failure is shown on the order \(ysell_sync_state\), but Odoo refused the chatter note: .*not allowed to post here/);
});

t.test('the sync state only moves forward: delivered is never replaced by exported', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const order = await exported(stack, catalog);
  ysell.deliver(order.ysellId);
  await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(odoo.record('sale.order', order.id)?.['ysell_sync_state'], 'delivered');

  // The store is lost: the export finds the order already at the destination.
  await app.db('jobs').del();
  await app.db('bindings').del();
  await app.queueExports(ROUTE, [String(order.id)]);
  await settle(app);
  t.equal(ysell.orders().length, 1);
  t.equal(odoo.record('sale.order', order.id)?.['ysell_sync_state'], 'delivered', 'found again, still delivered');
  t.equal(odoo.record('sale.order', order.id)?.['ysell_order_id'], String(order.ysellId));
  t.same(
    odoo.calls.filter((c) => c.model === 'sale.order' && c.modelMethod === 'read' && JSON.stringify(c.args).includes('ysell_sync_state')),
    [],
    'the state came with the order: no read of its own before writing',
  );

  // A picking already made: the delivered job writes delivered again rather than leaving what it finds.
  odoo.transact((env) => env.write('sale.order', [order.id], { ysell_sync_state: 'exported' }));
  await app.checkStatusNow(ROUTE);
  await settle(app);
  t.equal(odoo.records('stock.picking').filter((p) => String(p['note'] ?? '').includes(`order-bridge:${ROUTE}:${order.ysellId}`)).length, 1, 'still one picking');
  t.equal(odoo.record('sale.order', order.id)?.['ysell_sync_state'], 'delivered', 'and the state says delivered');
});

t.test('retry-dead does not replay a failure notice for an order that went through since', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  odoo.inject({ kind: 'fault', code: 4, message: 'You are not allowed to modify this document.' }, { times: 1, match: (c) => c.modelMethod === 'message_post' });
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);
  t.same((await listJobs(app.db, { route: ROUTE, state: 'dead' })).map((j) => j.kind).sort(), ['export', 'notify'], 'the export and its notice both died');

  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
  const response = await admin(stack, 'POST', `/admin/routes/${ROUTE}/retry-dead`);
  t.equal(response.status, 202);
  await settle(app);
  t.equal(ysell.orders().length, 1, 'exported after the fix');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_message'], false);
  t.same(notesOn(stack, id), [], 'no "failed" note on an order that is in Ysell');
  t.equal((await listJobs(app.db, { route: ROUTE, kind: 'notify' }))[0]?.state, 'done', 'the stale notice finished without a word');
});

t.test('an order of serial-tracked products waits for its serials, visibly, and goes with them once assigned', async (t) => {
  const clock = new ManualClock(Date.now());
  const { stack, catalog } = await stackFor(t, { clock });
  const { odoo, ysell, app } = stack;
  const run = (ms: number): Promise<void> => advance(app, clock, ms);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 2, price: 899 }, { productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await run(1_000);

  t.equal(ysell.orders().length, 0, 'not sent without its serials');
  const order = odoo.record('sale.order', id)!;
  t.equal(order['ysell_sync_state'], 'waiting', 'the order shows that it waits');
  t.match(String(order['ysell_sync_message']), /waiting for the serial numbers of \[SN-PHONE-X\] Smartphone X \(2 of 2 missing\): reserve the order's delivery \(Check Availability\)/);
  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'export' });
  t.match(job, { state: 'pending', attempts: 0, lastErrorCode: 'WAITING_AT_SOURCE' }, 'waiting spends no attempt');
  t.equal(job?.runAfter, clock.now() + 5 * 60_000, 'it looks again in five minutes');

  await run(5 * 60_000);
  t.equal(ysell.orders().length, 0, 'still nothing assigned: still waiting');
  t.equal(odoo.calls.filter((c) => c.model === 'sale.order' && c.modelMethod === 'write').length, 1, 'the waiting state is written once, not at every look');

  stockLots(odoo, catalog.products.serialized, ['SN-77', 'SN-78']);
  checkAvailability(odoo, id);
  await run(5 * 60_000);
  const [sent] = ysell.orders();
  t.same(sent?.items.map((i) => [i.p_id, i.serial_num]), [[10099, 'SN-77,SN-78'], [10045, null]], 'sent with the serials Odoo assigned');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_message'], false, 'the waiting message is cleared');
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.lastError, null);
});

t.test('serials never assigned: the order goes when the wait is over, with a warning on it and in the chatter', async (t) => {
  const clock = new ManualClock(Date.now());
  const { stack, catalog } = await stackFor(t, { clock });
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 2, price: 899, serials: ['TYPED-1'] }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  for (let waited = 0; waited <= 2 * 3_600_000 && ysell.orders().length === 0; waited += 5 * 60_000) await advance(app, clock, 5 * 60_000);
  const [sent] = ysell.orders();
  t.equal(sent?.items[0]?.serial_num, 'TYPED-1', 'sent with what there is');
  const order = odoo.record('sale.order', id)!;
  t.equal(order['ysell_sync_state'], 'exported');
  t.match(String(order['ysell_sync_message']), /Sent to Ysell without the serial numbers of \[SN-PHONE-X\] Smartphone X \(1 of 2 missing\)/);
  const [note] = notesOn(stack, id);
  t.match(String(note?.['body']), /order-bridge: sent to Ysell with a warning.*Sent to Ysell without the serial numbers/);
  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'export' });
  t.equal(job?.state, 'done');
  t.ok(job!.attempts <= 1, 'two hours of waiting spent no attempts');
});

t.test('serials reserved at confirmation go at once; serials.wait false never waits', async (t) => {
  const { stack, catalog } = await stackFor(t, { odoo: { serials: { wait: false } } });
  const { odoo, ysell, app } = stack;
  stockLots(odoo, catalog.products.serialized, ['SN-1', 'SN-2']);
  const inStock = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 2, price: 899 }] });
  confirm(odoo, inStock);
  const without = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 1, price: 899 }] });
  confirm(odoo, without);
  await odoo.webhooksSettled();
  await settle(app);
  const byNumber = (id: number) => ysell.ordersByNumber(String(odoo.record('sale.order', id)?.['name']))[0];
  t.equal(byNumber(inStock)?.items[0]?.serial_num, 'SN-1,SN-2');
  t.equal(byNumber(without)?.items[0]?.serial_num, null, 'sent at once without');
  t.match(String(odoo.record('sale.order', without)?.['ysell_sync_message']), /without the serial numbers/);
});

t.test("the draft picking is the order's: under its Delivery button; Odoo's own is cancelled only when asked", async (t) => {
  for (const cancelOdooPicking of [false, true]) {
    const { stack, catalog } = await stackFor(t, { odoo: { delivery: { cancelOdooPicking } } });
    const { odoo, ysell, app } = stack;
    const order = await exported(stack, catalog);
    const [odoos] = odoo.records('stock.picking').filter((p) => p['sale_id'] === order.id);
    ysell.deliver(order.ysellId);
    await app.checkStatusNow(ROUTE);
    await settle(app);
    const ours = odoo.records('stock.picking').find((p) => String(p['note'] ?? '').includes(`order-bridge:${ROUTE}:${order.ysellId}`))!;
    const group = odoo.record('sale.order', order.id)?.['procurement_group_id'];
    t.match(ours, { state: 'draft', group_id: group, sale_id: order.id }, `${cancelOdooPicking}: in the order's procurement group`);
    t.same(
      odoo.records('stock.picking').filter((p) => p['sale_id'] === order.id).map((p) => p['id']),
      [odoos!['id'], ours['id']],
      'both show under the Delivery button (sale.order.picking_ids)',
    );
    t.equal(odoo.record('stock.picking', odoos!['id'] as number)?.['state'], cancelOdooPicking ? 'cancel' : 'confirmed', `cancelOdooPicking ${cancelOdooPicking}`);
  }
});
