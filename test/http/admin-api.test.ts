import t from 'tap';
import type { Test } from 'tap';
import { getBinding } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';
import { ADMIN_TOKEN, admin } from '../helpers/admin.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack, type StackOptions } from '../../src/sandbox/stack.js';

interface RunView {
  outcome: string;
  summary: Record<string, number> | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}
interface JobView {
  id: number;
  kind: string;
  state: string;
  sourceId: string;
  sourceNumber: string | null;
  attempts: number;
  error: string | null;
  errorCode: string | null;
}

async function stackFor(t: Test, options: StackOptions = {}): Promise<{ stack: Stack; catalog: Catalog }> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN_TOKEN, ...options });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo) };
}

/** One order that goes through and one whose product has no Ysell id (its job dies at once). */
async function twoOrders(stack: Stack, catalog: Catalog): Promise<{ good: number; bad: number; goodName: string; badName: string }> {
  const { odoo, app } = stack;
  const good = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  const bad = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, good);
  confirm(odoo, bad);
  await odoo.webhooksSettled();
  await settle(app);
  const name = (id: number) => String(odoo.record('sale.order', id)?.['name']);
  return { good, bad, goodName: name(good), badName: name(bad) };
}

t.test('routes: schedules, job counts, and the last poll and status check run from the admin API', async (t) => {
  const { stack, catalog } = await stackFor(t);
  await twoOrders(stack, catalog);

  const before = await admin<{ routes: Record<string, unknown>[] }>(stack, 'GET', '/admin/routes');
  t.equal(before.status, 200);
  t.match(before.body.routes, [
    {
      name: ROUTE,
      from: { connection: 'odoo', type: 'odoo', protocol: 'xmlrpc', version: '17.0' },
      to: { connection: 'ysell', type: 'ysell' },
      webhook: true,
      poll: { everyMs: 3_600_000, pageSize: 100 },
      statusCheck: { everyMs: 3_600_000, cron: null },
      jobs: { pending: 0, running: 0, dead: 1 },
      lastPoll: null,
      lastStatusCheck: null,
      pollCursorAt: null,
    },
  ]);

  const poll = await admin<{ status: string; run: RunView }>(stack, 'POST', `/admin/routes/${ROUTE}/poll?wait=true`);
  t.equal(poll.status, 200);
  t.match(poll.body, { status: 'finished', run: { outcome: 'ok', error: null, summary: { seen: 2, alreadyExported: 1, unchanged: 1 } } });

  const started = await admin<{ status: string; run: RunView }>(stack, 'POST', `/admin/routes/${ROUTE}/status-check`);
  t.equal(started.status, 202);
  t.match(started.body, { status: 'started', run: { outcome: 'running', finishedAt: null } });
  const joined = await admin<{ status: string; run: RunView }>(stack, 'POST', `/admin/routes/${ROUTE}/status-check?wait=yes`);
  t.match(joined.body, { status: 'finished', run: { outcome: 'ok', summary: { checked: 1, changed: 0, delivered: 0, failed: 0 } } });
  t.equal(joined.body.run.startedAt, started.body.run.startedAt, 'the second call joined the run under way');

  const after = await admin<{ routes: { lastPoll: RunView; lastStatusCheck: RunView; pollCursorAt: string | null; to: Record<string, unknown> }[] }>(stack, 'GET', '/admin/routes');
  t.notOk('protocol' in after.body.routes[0]!.to, 'only Odoo says what it speaks');
  t.equal(after.body.routes[0]?.lastPoll.outcome, 'ok');
  t.equal(after.body.routes[0]?.lastStatusCheck.outcome, 'ok');
  t.ok(after.body.routes[0]?.pollCursorAt !== null, 'the poll cursor moved');

  stack.odoo.inject({ kind: 'http', status: 503 }, { times: 50 });
  const failed = await admin<{ run: RunView }>(stack, 'POST', `/admin/routes/${ROUTE}/poll?wait=true`);
  t.equal(failed.status, 200);
  t.match(failed.body.run, { outcome: 'failed', error: /503/ });

  t.equal((await admin(stack, 'POST', '/admin/routes/nope/poll')).status, 404);
  t.match((await admin(stack, 'POST', `/admin/routes/${ROUTE}/poll?wait=perhaps`)).body, { error: 'invalid_query', problems: [/wait/] });
});

t.test('a route without a status check says so instead of running nothing', async (t) => {
  const { stack } = await stackFor(t, { route: { statusCheck: false } });
  const answer = await admin(stack, 'POST', `/admin/routes/${ROUTE}/status-check`);
  t.equal(answer.status, 409);
  t.match(answer.body, { error: 'not_configured' });
  const routes = await admin<{ routes: { statusCheck: unknown }[] }>(stack, 'GET', '/admin/routes');
  t.equal(routes.body.routes[0]?.statusCheck, null);
});

for (const backend of backends()) {
  t.test(`orders are searchable by route, order number and destination id (${backend.name})`, async (t) => {
    const { stack, catalog } = await stackFor(t, { database: (await backend.open(t)).config });
    const { goodName, badName, bad } = await twoOrders(stack, catalog);
    const destinationId = String(stack.ysell.orders()[0]?.id);

    const all = await admin<{ bindings: { sourceNumber: string; stage: string }[] }>(stack, 'GET', `/admin/bindings?route=${ROUTE}`);
    t.same(all.body.bindings.map((b) => [b.sourceNumber, b.stage]).sort(), [[goodName, 'exported'], [badName, 'failed']].sort());
    const byNumber = await admin<{ bindings: { destinationId: string }[] }>(stack, 'GET', `/admin/bindings?sourceNumber=${encodeURIComponent(goodName)}`);
    t.same(byNumber.body.bindings.map((b) => b.destinationId), [destinationId]);
    const byDestination = await admin<{ bindings: { sourceNumber: string }[] }>(stack, 'GET', `/admin/bindings?destinationId=${destinationId}`);
    t.same(byDestination.body.bindings.map((b) => b.sourceNumber), [goodName]);
    const failed = await admin<{ bindings: { sourceId: string; lastError: string }[] }>(stack, 'GET', '/admin/bindings?stage=failed');
    t.same(failed.body.bindings.map((b) => b.sourceId), [String(bad)]);
    t.match(failed.body.bindings[0]?.lastError, /no Ysell product id/);
    t.same((await admin<{ bindings: unknown[] }>(stack, 'GET', '/admin/bindings?route=other')).body.bindings, []);

    const invalid = await admin(stack, 'GET', '/admin/bindings?limit=0&stage=lost');
    t.equal(invalid.status, 400);
    t.match(invalid.body, { error: 'invalid_query' });
    t.match((invalid.body['problems'] as string[]).sort(), [/^limit: /, /^stage: /], 'every problem, by parameter');
  });
}

for (const backend of backends()) {
  t.test(`dead jobs with their message, an order history with every attempt and call, and retries (${backend.name})`, async (t) => {
    const { stack, catalog } = await stackFor(t, { database: (await backend.open(t)).config });
    const { odoo, app } = stack;
    const { good, bad, badName } = await twoOrders(stack, catalog);

    const dead = await admin<{ jobs: JobView[] }>(stack, 'GET', '/admin/jobs?state=dead');
    t.equal(dead.body.jobs.length, 1);
    const job = dead.body.jobs[0]!;
    t.match(job, { kind: 'export', state: 'dead', sourceId: String(bad), sourceNumber: badName, attempts: 1, errorCode: 'CANNOT_SEND_TO_YSELL' });
    t.match(job.error, /has no Ysell product id: set it on the product \(field ysell_product_id\), then retry/);

    const history = await admin<{
      binding: { stage: string; sourceNumber: string };
      jobs: (JobView & { history: { attempt: number; outcome: string; errorCode: string | null; error: string | null; durationMs: number }[] })[];
      exchanges: { connector: string; jobId: number | null; responseBody: string }[];
    }>(stack, 'GET', `/admin/orders/${ROUTE}/${bad}`);
    t.equal(history.status, 200);
    t.match(history.body.binding, { stage: 'failed', sourceNumber: badName });
    t.same(history.body.jobs.map((j) => j.kind).sort(), ['export', 'notify'], 'the export, and the note that told the people at the source');
    const exportJob = history.body.jobs.find((j) => j.kind === 'export');
    t.match(exportJob?.history, [{ attempt: 1, outcome: 'error', errorCode: 'CANNOT_SEND_TO_YSELL', error: /no Ysell product id/ }]);
    t.match(history.body.jobs.find((j) => j.kind === 'notify'), { state: 'done', history: [{ outcome: 'ok' }] });
    t.ok(history.body.exchanges.length > 0, 'the calls made for the order');
    t.ok(history.body.exchanges.every((e) => e.connector === 'odoo'), 'only Odoo was called: nothing went to Ysell');
    t.ok(history.body.exchanges.some((e) => e.jobId === job.id && e.responseBody.includes('Cabinet with Doors')), 'with the bodies');

    t.equal((await admin(stack, 'GET', `/admin/orders/${ROUTE}/424242`)).status, 404);
    const notDead = (await listJobs(app.db, { sourceId: String(good) }))[0]!;
    t.match(await admin(stack, 'POST', `/admin/jobs/${notDead.id}/retry`), { status: 409, body: { error: 'not_dead' } });
    t.match(await admin(stack, 'POST', '/admin/jobs/abc/retry'), { status: 400, body: { error: 'invalid_path' } });

    odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
    t.match(await admin(stack, 'POST', `/admin/jobs/${job.id}/retry`), { status: 202, body: { status: 'queued', job: job.id } });
    await settle(app);
    t.equal((await getBinding(app.db, ROUTE, String(bad)))?.stage, 'exported');
    const retried = await admin<{ jobs: { kind: string; history: { outcome: string }[] }[] }>(stack, 'GET', `/admin/orders/${ROUTE}/${bad}`);
    t.same(retried.body.jobs.find((j) => j.kind === 'export')?.history.map((a) => a.outcome), ['error', 'ok'], 'both attempts, in order');
  });
}

for (const backend of backends()) {
  t.test(`all dead jobs of a route are retried at once (${backend.name})`, async (t) => {
    const { stack, catalog } = await stackFor(t, { database: (await backend.open(t)).config });
    const { odoo, app, ysell } = stack;
    for (const partner of [catalog.partners.gemini, catalog.partners.lyon, catalog.partners.brussels]) {
      confirm(odoo, createSaleOrder(odoo, { partnerId: partner, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] }));
    }
    await odoo.webhooksSettled();
    await settle(app);
    t.equal((await listJobs(app.db, { state: 'dead', kind: 'export' })).length, 3);
    odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
    t.match(await admin(stack, 'POST', `/admin/routes/${ROUTE}/retry-dead?kind=export`), { status: 202, body: { status: 'queued', jobs: 3 } });
    await settle(app);
    t.equal(ysell.orders().length, 3);
    t.equal((await listJobs(app.db, { state: 'dead', kind: 'export' })).length, 0);
    t.match(await admin(stack, 'POST', `/admin/routes/${ROUTE}/retry-dead`), { status: 202, body: { jobs: 0 } });
    t.equal((await admin(stack, 'POST', '/admin/routes/nope/retry-dead')).status, 404);
  });
}
