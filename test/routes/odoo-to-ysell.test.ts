import t from 'tap';
import type { Test } from 'tap';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog, addDeliveredSerials, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';
import { listBindings, getBinding } from '../../src/store/bindings.js';
import { listExchanges } from '../../src/store/exchanges.js';
import { listJobs } from '../../src/store/jobs.js';
import { XmlRpcClient } from '../../src/xmlrpc/client.js';

async function stackFor(t: Test, options: StackOptions = {}): Promise<{ stack: Stack; catalog: Catalog; lines: string[] }> {
  const { logger, lines } = capturedLogger('debug');
  const stack = await startStack({ logger, ...options });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo), lines };
}

function postHook(stack: Stack, body: unknown, url = stack.hookUrl): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

t.test('a confirmed order goes to Ysell through the webhook, with everything a delivery needs', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, {
    partnerId: catalog.partners.berlin,
    lines: [
      { productId: catalog.products.serialized, qty: 2, price: 899.9, serials: ['TYPED-1'] },
      { productId: catalog.products.lamp, qty: 3, price: 45 },
      { productId: catalog.products.shipping, qty: 1, price: 12 },
    ],
    note: 'Ring twice & wait',
  });
  confirm(odoo, id);
  addDeliveredSerials(odoo, id, catalog.products.serialized, ['SN-A1', 'SN-A2']);
  await odoo.webhooksSettled();
  t.equal(odoo.webhookLog[0]?.status, 202, 'the hook answered 202');
  await settle(app);

  const [sent] = ysell.orders();
  t.equal(ysell.orders().length, 1);
  const so = odoo.record('sale.order', id)!;
  t.match(sent, {
    order_num: so['name'],
    comment: 'Ring twice & wait',
    recipient: { name: /.+/ },
    address: { street: /.+/, city: /.+/, country: /.+/, country_code: 'DE' },
  });
  t.same(
    sent!.items.map((i) => [i.p_id, i.odoo_product_id, i.qty, i.serial_num]),
    [
      [10099, catalog.products.serialized, 2, 'SN-A1,SN-A2,TYPED-1'],
      [10045, catalog.products.lamp, 3, undefined],
    ],
    'Ysell and Odoo product ids, quantities and serials; the shipping service is not a parcel line',
  );
  const binding = await getBinding(app.db, ROUTE, String(id));
  t.equal(binding?.stage, 'exported');
  t.equal(binding?.destinationId, String(sent!.id));
  t.equal(odoo.record('sale.order', id)?.['ysell_order_id'], String(sent!.id), 'the Ysell id is written back to Odoo');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported', 'and the sync state a person sees on the order');
  t.same(
    ysell.requests.map((r) => `${r.method} ${r.path}`),
    ['GET /api/v1/order', 'POST /api/orders/create'],
    'one look-up, one create',
  );
});

t.test('duplicate webhooks and the poll together still make one Ysell order', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.desk, qty: 1, price: 310 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  const again = await Promise.all([1, 2, 3].map(() => postHook(stack, { _id: id, _model: 'sale.order', _action: 'x(#1)', state: 'sale' })));
  t.ok(again.every((r) => r.status === 202));
  await app.pollNow(ROUTE);
  await settle(app);
  await app.pollNow(ROUTE);
  await postHook(stack, { _id: id, _model: 'sale.order', state: 'sale' });
  await settle(app);
  t.equal(ysell.orders().length, 1);
  t.equal(ysell.requests.filter((r) => r.path === '/api/orders/create').length, 1);
  t.equal((await listJobs(app.db, { route: ROUTE })).length, 1, 'one job for the order');
});

t.test('the poll catches what the webhook missed, and reads in batches', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  odoo.setWebhook(null);
  const ids = Array.from({ length: 12 }, (_, i) =>
    createSaleOrder(odoo, {
      partnerId: i % 2 === 0 ? catalog.partners.lyon : catalog.partners.moscow,
      lines: [{ productId: catalog.products.chair, qty: i + 1, price: 120 }, { productId: catalog.products.lamp, qty: 1, price: 45 }],
    }),
  );
  const draft = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.chair, qty: 1, price: 1 }] });
  for (const id of ids) confirm(odoo, id);
  const callsBefore = odoo.calls.length;
  const summary = await app.pollNow(ROUTE);
  const readCalls = odoo.calls.slice(callsBefore).filter((c) => c.modelMethod === 'read' || c.modelMethod === 'search_read');
  t.equal(summary.queued, 12);
  t.ok(readCalls.length <= 8, `one page read in ${readCalls.length} batched calls, not one per order or line`);
  await settle(app);
  t.same(ysell.orders().map((o) => o.order_num).sort(), ids.map((id) => String(odoo.record('sale.order', id)?.['name'])).sort());
  t.notOk(ysell.orders().some((o) => o.order_num === odoo.record('sale.order', draft)?.['name']), 'a quotation is not sent');

  const next = await app.pollNow(ROUTE);
  t.equal(next.queued, 0, 'the next poll queues nothing new (our write-back is seen as already exported)');
  t.equal(ysell.orders().length, 12);
});

t.test('bad webhook calls are refused and store nothing', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.desk, qty: 1, price: 310 }] });
  const wrongToken = await postHook(stack, { _id: id, _model: 'sale.order' }, `${stack.baseUrl}/hooks/odoo/${ROUTE}?token=nope`);
  t.equal(wrongToken.status, 404, 'a wrong token is answered as an unknown route');
  const noToken = await postHook(stack, { _id: id, _model: 'sale.order' }, `${stack.baseUrl}/hooks/odoo/${ROUTE}`);
  t.equal(noToken.status, 404);
  const malformed = await postHook(stack, { _id: 'seven', _model: 'res.partner' });
  t.equal(malformed.status, 400);
  const body = (await malformed.json()) as { problems: string[] };
  t.match(body.problems.join('\n'), /_id: .*number/);
  t.match(body.problems.join('\n'), /_model: only sale.order/);
  const notJson = await fetch(stack.hookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"_id": 1,' });
  t.equal(notJson.status, 400);
  const unknownRoute = await postHook(stack, { _id: id, _model: 'sale.order' }, `${stack.baseUrl}/hooks/odoo/nope?token=x`);
  t.equal(unknownRoute.status, 404);
  t.same(await unknownRoute.json(), await wrongToken.json(), 'the same answer: route names cannot be probed without the token');
  const quotation = await postHook(stack, { _id: id, _model: 'sale.order', state: 'draft' });
  t.equal(quotation.status, 202);
  t.match(await quotation.json(), { status: 'ignored' });
  const huge = await postHook(stack, { _id: id, _model: 'sale.order', padding: 'x'.repeat(300 * 1024) });
  t.equal(huge.status, 413);
  t.equal((await listJobs(app.db)).length, 0);
  t.equal((await listBindings(app.db)).length, 0);
});

t.test('a product without a Ysell id kills the job at once with a message a person can act on', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);
  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'export' });
  t.equal(job?.state, 'dead');
  t.equal(job?.attempts, 1, 'not retried');
  t.match(job?.lastError, /has no Ysell product id: set it on the product \(field ysell_product_id\), then retry/);
  t.match(job?.lastError, /E-COM11/);
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.stage, 'failed');
  t.equal(ysell.requests.length, 0, 'nothing was sent to Ysell');

  // A person fixes it later (Odoo's write_date has one-second resolution on the wire).
  odoo.setNow(Date.now() + 5000);
  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
  odoo.transact((env) => env.write('sale.order', [id], { client_order_ref: 'fixed' }));
  await app.pollNow(ROUTE);
  await settle(app);
  t.equal(ysell.orders().length, 1, 'after the fix, a change to the order queues it again and it goes through');
});

t.test('lost answers, 429, 5xx and garbage are retried to exactly one order', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  ysell.inject({ kind: 'status', status: 429, retryAfter: 0 }, { times: 1, match: (r) => r.method === 'GET' });
  ysell.inject({ kind: 'reset-after-create' }, { times: 1 });
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await settle(app);
  t.equal(ysell.orders().length, 1, 'the create whose answer was lost is found by the look-up, not created again');
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.destinationId, String(ysell.orders()[0]!.id));

  const id2 = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.desk, qty: 1, price: 310 }] });
  ysell.inject({ kind: 'status', status: 500 }, { times: 1 });
  ysell.inject({ kind: 'garbage' }, { times: 1 });
  odoo.inject({ kind: 'fault', code: 1, message: 'psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update' }, { times: 1, match: (c) => c.modelMethod === 'search_read' });
  odoo.inject({ kind: 'garbage' }, { times: 1, match: (c) => c.modelMethod === 'read' });
  confirm(odoo, id2);
  await odoo.webhooksSettled();
  await settle(app);
  t.equal(ysell.orders().length, 2);
  const [job] = await listJobs(app.db, { route: ROUTE, sourceId: String(id2) });
  t.equal(job?.state, 'done');
  t.ok((job?.attempts ?? 0) >= 3, `retried (${job?.attempts} attempts)`);
  const exchanges = await listExchanges(app.db, { route: ROUTE, sourceId: String(id2) });
  t.ok(exchanges.some((e) => e.fault?.includes('concurrent update')), 'the Odoo fault is in the exchange log');
  t.ok(exchanges.some((e) => e.error?.match(/cannot read|not XML|malformed/i)), 'the unreadable answer is in the exchange log');
  t.ok(exchanges.some((e) => e.httpStatus === 500), 'the 500 is in the exchange log');
});

t.test('a rotated Ysell key is read again from Odoo after a 401', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const first = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, first);
  await odoo.webhooksSettled();
  await settle(app);
  ysell.setApiKey('rotated-key-0123456789');
  odoo.setParam('ysell.api_key', 'rotated-key-0123456789');
  const second = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, second);
  await odoo.webhooksSettled();
  await settle(app);
  t.equal(ysell.orders().length, 2);
  t.equal((await listJobs(app.db, { route: ROUTE, sourceId: String(second) }))[0]?.attempts, 1, 'no retry needed: the 401 is handled inside the call');
});

t.test('no secret reaches the exchange log or the service log', async (t) => {
  const { stack, catalog, lines } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, id);
  await odoo.webhooksSettled();
  await postHook(stack, { _id: id, _model: 'sale.order' }, `${stack.baseUrl}/hooks/odoo/${ROUTE}?token=wrong-token-guess`);
  await settle(app);
  await app.recorder.flush();
  const exchanges = await listExchanges(app.db);
  t.ok(exchanges.length >= 5, `${exchanges.length} exchanges recorded`);
  t.ok(exchanges.some((e) => e.operation.includes('get_param')), 'reading the key was logged');
  const stored = JSON.stringify(exchanges);
  const secrets = [odoo.admin.apiKey, ysell.apiKey, stack.config.routes[0]!.webhook!.token];
  for (const secret of secrets) {
    t.notOk(stored.includes(secret), 'not in the exchange table');
    t.notOk(lines.join('\n').includes(secret), 'not in the log');
  }
  t.ok(stored.includes('[REDACTED]'));
  t.ok(lines.some((l) => l.includes('"url":"/hooks/odoo/odoo-to-ysell?token=[REDACTED]"')), 'request lines are logged, scrubbed');
});

t.test('an order confirmed over RPC, whose webhook arrives before Odoo commits, is still exported', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  const rpc = new XmlRpcClient({ baseUrl: odoo.url, connector: 'test', timeoutMs: 5000 });
  await rpc.call('/xmlrpc/2/object', 'execute_kw', [odoo.db, odoo.admin.uid, odoo.admin.apiKey, 'sale.order', 'action_confirm', [[id]]]);
  await odoo.webhooksSettled();
  await settle(app);
  t.equal(ysell.orders().length, 1);
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.stage, 'exported', 'not skipped as a quotation');
});

t.test('a webhook that calls a quotation confirmed is believed a few times, then the order is skipped', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  t.equal((await postHook(stack, { _id: id, _model: 'sale.order', state: 'sale' })).status, 202);
  await settle(app);
  const [job] = await listJobs(app.db, { route: ROUTE, kind: 'export' });
  t.equal(job?.state, 'done');
  t.equal(job?.attempts, 3, 're-read in case Odoo had not committed the confirmation yet');
  const binding = await getBinding(app.db, ROUTE, String(id));
  t.equal(binding?.stage, 'skipped');
  t.match(binding?.lastError, /in state "draft", not a confirmed sales order/);
  t.equal(ysell.requests.length, 0);
});

t.test('orders queued by hand are exported once; an order already exported is said so', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app } = stack;
  odoo.setWebhook(null);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, id);
  t.same(await app.queueExports(ROUTE, [String(id)]), ['queued']);
  await settle(app);
  t.equal(ysell.orders().length, 1);
  t.same(await app.queueExports(ROUTE, [String(id)]), ['already-exported']);
  await settle(app);
  t.equal(ysell.orders().length, 1, 'nothing sent twice');
});
