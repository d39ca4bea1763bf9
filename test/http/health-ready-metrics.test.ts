import t from 'tap';
import type { Test } from 'tap';
import { checkReadiness, type Readiness } from '../../src/http/ready.js';
import { enqueueJob } from '../../src/store/jobs.js';
import { metricValue } from '../helpers/admin.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';

async function stackFor(t: Test, options: StackOptions = {}): Promise<Stack> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, ...options });
  t.teardown(() => stack.close());
  return stack;
}

async function ready(stack: Stack): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${stack.baseUrl}/ready`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

t.test('/health says the process is up', async (t) => {
  const stack = await stackFor(t);
  const response = await fetch(`${stack.baseUrl}/health`);
  t.equal(response.status, 200);
  t.same(await response.json(), { status: 'ok' });
});

t.test('/ready: the database and the last contact of each connection, read off the exchange log', async (t) => {
  const stack = await stackFor(t);
  const { odoo, app } = stack;
  const before = await ready(stack);
  t.equal(before.status, 200);
  t.equal(before.body.status, 'ready');
  t.equal(before.body.database.status, 'ok');
  t.same(
    before.body.connections.map((c) => [c.connection, c.connector, c.status, c.lastContactAt]),
    [
      ['odoo', 'odoo', 'unknown', null],
      ['ysell', 'ysell', 'unknown', null],
    ],
    'no call since the start',
  );

  const catalog = seedCatalog(odoo);
  confirm(odoo, createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] }));
  await odoo.webhooksSettled();
  await settle(app);
  const after = await ready(stack);
  t.equal(after.body.status, 'ready');
  for (const c of after.body.connections) {
    t.equal(c.status, 'ok', `${c.connection} answered`);
    t.ok(c.lastContactAt !== null && c.lastSuccessAt !== null, `${c.connection} has a last contact`);
    t.equal(c.consecutiveFailures, 0);
  }

  odoo.inject({ kind: 'http', status: 503 }, { times: 50 });
  await t.rejects(app.pollNow(ROUTE), 'the poll fails while Odoo answers 503');
  const failing = await ready(stack);
  t.equal(failing.status, 200, 'a failing external system does not make the service unready: webhooks are still queued');
  t.equal(failing.body.status, 'degraded');
  const odooContact = failing.body.connections.find((c) => c.connection === 'odoo');
  t.match(odooContact, { status: 'failing', lastHttpStatus: 503 });
  t.ok((odooContact?.consecutiveFailures ?? 0) >= 1);
  t.equal(failing.body.connections.find((c) => c.connection === 'ysell')?.status, 'ok');
});

t.test('/ready: Odoo refusing our login (HTTP 200 with False) or our key (fault 3) is failing, not ok', async (t) => {
  const stack = await stackFor(t);
  const { odoo, app } = stack;
  await app.pollNow(ROUTE);
  t.equal((await ready(stack)).body.connections.find((c) => c.connection === 'odoo')?.status, 'ok', 'signed in and read');

  odoo.setApiKey(odoo.admin.login, 'a-new-key-nobody-told-order-bridge');
  await t.rejects(app.pollNow(ROUTE), { code: 'ODOO_ACCESS_DENIED' }, 'the remembered session is refused with fault 3');
  const refusedKey = await ready(stack);
  t.equal(refusedKey.body.status, 'degraded');
  t.match(refusedKey.body.connections.find((c) => c.connection === 'odoo'), { status: 'failing', lastHttpStatus: 200 });

  await t.rejects(app.pollNow(ROUTE), { code: 'ODOO_BAD_CREDENTIALS' }, 'signing in again is refused with False');
  const refusedLogin = await ready(stack);
  t.equal(refusedLogin.body.status, 'degraded', 'a login answered 200 False does not count as a working Odoo');
  // After refused credentials the server's version is asked again (it answers), then the login is refused.
  t.match(refusedLogin.body.connections.find((c) => c.connection === 'odoo'), { status: 'failing', lastHttpStatus: 200, consecutiveFailures: 1 });
  const [login] = await app.db('exchanges').where({ operation: 'authenticate' }).orderBy('id', 'desc').limit(1);
  t.match(login, { http_status: 200, fault: 'login refused: authenticate answered False' }, 'the exchange log says so too');
});

t.test('/ready answers 503 when the database does not answer in time', async (t) => {
  const stack = await stackFor(t);
  // SQLite has one connection: a transaction that stays open keeps every other query waiting.
  let release: () => void = () => undefined;
  const held = stack.app.db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
  const blocked = await ready(stack);
  release();
  await held;
  t.equal(blocked.status, 503);
  t.match(blocked.body, { status: 'unavailable', database: { status: 'unreachable' } });
  t.ok(blocked.body.database.ms >= 1900, `gave up after ${blocked.body.database.ms} ms`);
  t.equal((await ready(stack)).status, 200, 'ready again once the database answers');
});

t.test('checkReadiness: a failing or hanging probe is unavailable, and no error text is shown', async (t) => {
  const failed = await checkReadiness(() => Promise.reject(new Error('password authentication failed for user "bridge"')), [], 1000);
  t.match(failed, { status: 'unavailable', database: { status: 'unreachable' } });
  t.notOk(JSON.stringify(failed).includes('password'), 'the error stays in the log');
  const hanging = await checkReadiness(() => new Promise(() => undefined), [], 20);
  t.equal(hanging.status, 'unavailable');
  const contacts = [{ connection: 'shop', connector: 'x', status: 'failing' as const, lastContactAt: 1, lastSuccessAt: null, lastHttpStatus: 502, consecutiveFailures: 3 }];
  const degraded = await checkReadiness(() => Promise.resolve(), contacts, 1000);
  t.equal(degraded.status, 'degraded');
  t.equal(degraded.connections[0]?.lastContactAt, new Date(1).toISOString());
});

for (const backend of backends()) {
  t.test(`/metrics: jobs by state, orders per route, call latency per connection and operation, 429s, job runs (${backend.name})`, async (t) => {
    const stack = await stackFor(t, { database: (await backend.open(t)).config });
    const { odoo, ysell, app } = stack;
    const catalog = seedCatalog(odoo);
    ysell.inject({ kind: 'status', status: 429, retryAfter: 0 }, { times: 1, match: (r) => r.method === 'GET' });
    confirm(odoo, createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] }));
    confirm(odoo, createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] }));
    await odoo.webhooksSettled();
    await settle(app);
    await app.pollNow(ROUTE);

    const response = await fetch(`${stack.baseUrl}/metrics`);
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const route = ROUTE;
    t.equal(metricValue(text, 'order_bridge_jobs', { route, kind: 'export', state: 'done' }), 1);
    t.equal(metricValue(text, 'order_bridge_jobs', { route, kind: 'export', state: 'dead' }), 1);
    t.equal(metricValue(text, 'order_bridge_jobs', { route, kind: 'export', state: 'pending' }), 0, 'every state has its series');
    t.equal(metricValue(text, 'order_bridge_orders', { route, stage: 'exported' }), 1);
    t.equal(metricValue(text, 'order_bridge_orders', { route, stage: 'failed' }), 1);
    t.equal(metricValue(text, 'order_bridge_orders', { route, stage: 'delivered' }), 0);
    t.equal(metricValue(text, 'order_bridge_jobs_dead_total', { route, kind: 'export' }), 1);
    t.equal(metricValue(text, 'order_bridge_job_runs_total', { route, kind: 'export', outcome: 'ok' }), 1);
    t.equal(metricValue(text, 'order_bridge_job_runs_total', { route, kind: 'export', outcome: 'error' }), 2, 'the 429 run and the dead one');
    t.equal(metricValue(text, 'order_bridge_external_rate_limited_total', { connection: 'ysell', connector: 'ysell', operation: 'GET /api/v1/order' }), 1);
    t.equal(metricValue(text, 'order_bridge_external_calls_total', { connection: 'ysell', operation: 'GET /api/v1/order', status: '429', result: 'error' }), 1);
    t.equal(metricValue(text, 'order_bridge_external_calls_total', { connection: 'ysell', operation: 'POST /api/orders/create', status: '201', result: 'ok' }), 1);
    t.ok((metricValue(text, 'order_bridge_external_call_duration_seconds_count', { connection: 'odoo', connector: 'odoo' }) ?? 0) > 0, 'Odoo call latencies');
    t.match(text, /order_bridge_external_call_duration_seconds_bucket\{le="0\.1",connection="odoo",connector="odoo",operation="execute_kw [a-z._]+"\}/);
    t.equal(metricValue(text, 'order_bridge_route_runs_total', { route, task: 'poll', outcome: 'ok' }), 1);
    t.ok((metricValue(text, 'order_bridge_route_run_last_success_timestamp_seconds', { route, task: 'poll' }) ?? 0) > Date.now() / 1000 - 60);
    t.equal(metricValue(text, 'order_bridge_queue_lag_seconds', { route }), 0, 'nothing waits');
    t.equal(metricValue(text, 'order_bridge_database_up'), 1);
    t.ok(metricValue(text, 'process_resident_memory_bytes') !== undefined, 'process metrics too');
  });
}

for (const backend of backends()) {
  t.test(`/metrics: queue lag is how long the longest-waiting due job has waited (${backend.name})`, async (t) => {
    const stack = await stackFor(t, { start: false, database: (await backend.open(t)).config });
    const { app } = stack;
    const now = Date.now();
    const job = { kind: 'export', route: ROUTE, sourceId: '1', payload: {}, revision: null, maxAttempts: 3 };
    await enqueueJob(app.db, { ...job, key: 'a', runAfter: now - 90_000 }, now);
    await enqueueJob(app.db, { ...job, key: 'b', sourceId: '2', runAfter: now - 10_000 }, now);
    await enqueueJob(app.db, { ...job, key: 'c', sourceId: '3', runAfter: now + 60_000 }, now);
    const text = (await app.http.inject({ url: '/metrics' })).body;
    const lag = metricValue(text, 'order_bridge_queue_lag_seconds', { route: ROUTE }) ?? 0;
    t.ok(lag >= 90 && lag < 120, `lag ${lag} s: the oldest due job, not the one due later`);
    t.equal(metricValue(text, 'order_bridge_jobs', { route: ROUTE, kind: 'export', state: 'pending' }), 3);
  });
}
