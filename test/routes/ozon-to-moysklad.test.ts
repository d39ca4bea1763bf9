import t from 'tap';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/cli/logger.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import { pollCursorName } from '../../src/routes/poll.js';
import { listBindings } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';
import { listExchanges } from '../../src/store/exchanges.js';
import { OZON_ROUTE, startOzonMoySkladStack } from '../../src/sandbox/ozon-moysklad.js';
import { ADMIN_TOKEN, admin } from '../helpers/admin.js';

type Entity = Record<string, unknown>;

function attribute(document: Entity, attributeId: string): unknown {
  const attributes = (document['attributes'] ?? []) as { meta: { href: string }; value: unknown }[];
  return attributes.find((a) => a.meta.href.endsWith(`/${attributeId}`))?.value;
}

function metaId(value: unknown): string | undefined {
  const href = (value as { meta?: { href?: string } } | undefined)?.meta?.href;
  return href?.split('/').at(-1);
}

t.test('the retail shift: opened once, reused, closed with a closeDate, then a new one', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const first = await stack.app.openSession(OZON_ROUTE);
  t.match(first, { name: '00001', existing: false, closedAt: null });
  const again = await stack.app.openSession(OZON_ROUTE);
  t.match(again, { id: first.id, existing: true }, 'the open shift is reused');
  t.equal(stack.moysklad.shifts().length, 1);

  const closed = await stack.app.closeSession(OZON_ROUTE);
  t.equal(closed?.id, first.id);
  t.ok(stack.moysklad.shifts()[0]?.['closeDate'], 'MoySklad has the close date');
  t.equal(await stack.app.closeSession(OZON_ROUTE), null, 'nothing left to close');

  const next = await stack.app.openSession(OZON_ROUTE);
  t.match(next, { name: '00002', existing: false });
});

t.test('250 postings over several pages become 250 retail sales in the open shift; a second run creates nothing', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const numbers = stack.addPostings(250);
  const shift = await stack.app.openSession(OZON_ROUTE);

  const poll = await stack.app.pollNow(OZON_ROUTE);
  t.ok(poll.pages >= 3, `read in ${poll.pages} pages`);
  t.equal(poll.queued, 250);
  await stack.app.engine.drain();

  const demands = stack.moysklad.demands();
  t.equal(demands.length, 250, 'one retail sale per posting');
  t.same(new Set(demands.map((d) => d['externalCode'])), new Set(numbers), 'each keyed by its posting number');
  const { attributes } = stack.moysklad;
  const sample = stack.ozon.posting(numbers[0]!)!;
  const document = demands.find((d) => d['externalCode'] === sample.posting_number)!;
  t.equal(metaId(document['retailShift']), shift.id, 'written into the open shift');
  t.equal(document['name'], sample.posting_number);
  t.equal(attribute(document, attributes.ozonStatus), sample.status);
  t.equal(attribute(document, attributes.ozonNumber), sample.posting_number);
  const commission = sample.financial_data.products.reduce((sum, p) => sum + p.commission_amount, 0);
  t.equal(attribute(document, attributes.commission), Math.round(commission * 100), 'commission in kopecks');
  const positions = document['positions'] as { quantity: number; price: number }[];
  t.equal(positions.length, sample.products.length);
  t.equal(positions[0]?.price, Math.round(Number(sample.products[0]!.price) * 100), 'prices in kopecks');
  t.ok(String(document['moment']) > String(stack.moysklad.shifts()[0]?.['moment']), 'dated after the shift opened');

  t.equal(stack.moysklad.stats.rejected429, 0, 'never over the budget');
  const creates = stack.moysklad.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/entity/retaildemand'));
  t.ok(creates.length <= 25, `sales created in batches (${creates.length} POSTs for 250)`);

  const bindings = await listBindings(stack.app.db, { route: OZON_ROUTE, limit: 1000 });
  t.equal(bindings.filter((b) => b.stage === 'exported').length, 250);

  // Forget where the poll was, as after a restore from backup: the whole period is read again.
  await stack.app.db('cursors').where({ name: pollCursorName(OZON_ROUTE) }).del();
  const again = await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  t.equal(again.queued, 0, 'the second run queues nothing');
  t.equal(again.alreadyExported, 250);
  t.equal(stack.moysklad.demands().length, 250, 'and creates nothing');
});

t.test('a batch whose answer is lost after MoySklad saved it ends with exactly one sale per posting', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  stack.addPostings(60);
  stack.moysklad.inject({ kind: 'reset-after-create' }, { match: (req) => req.method === 'POST' && req.path.endsWith('/entity/retaildemand') });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  const demands = stack.moysklad.demands();
  t.equal(demands.length, 60, 'no duplicates');
  t.equal(new Set(demands.map((d) => d['externalCode'])).size, 60);
  const jobs = await listJobs(stack.app.db, { route: OZON_ROUTE, limit: 1000 });
  t.ok(jobs.every((j) => j.state === 'done'), 'every job done');
  t.ok(jobs.some((j) => j.attempts > 1), 'some jobs had to try again after the lost answer');
});

t.test('an unknown article dead-letters its order only, with a message that names it', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  stack.addPostings(20);
  const [stray] = stack.addPostings(1, { articles: ['NO-SUCH-ARTICLE'] });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  t.equal(stack.moysklad.demands().length, 20, 'the others went through');
  const dead = await listJobs(stack.app.db, { route: OZON_ROUTE, state: 'dead' });
  t.equal(dead.length, 1);
  t.equal(dead[0]?.sourceId, stray);
  t.equal(dead[0]?.lastErrorCode, 'UNKNOWN_ARTICLE');
  t.match(dead[0]?.lastError, /NO-SUCH-ARTICLE/);
  t.equal(dead[0]?.attempts, 1, 'a permanent error is not retried');
});

t.test('reconciliation updates only the sales whose Ozon status changed, and reports counts', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const numbers = stack.addPostings(40, { statuses: ['awaiting_packaging'] });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  t.equal(stack.moysklad.demands().length, 40);

  stack.ozon.setStatus(numbers[0]!, 'delivering');
  stack.ozon.setStatus(numbers[1]!, 'delivered');
  stack.ozon.setStatus(numbers[2]!, 'cancelled');
  const before = stack.moysklad.requests.length;
  const summary = await stack.app.reconcileNow(OZON_ROUTE, { days: 45 });
  t.match(summary, { checked: 40, changed: 3, unchanged: 37, missing: 0 });
  const { attributes } = stack.moysklad;
  const status = (number: string): unknown => attribute(stack.moysklad.demands().find((d) => d['externalCode'] === number)!, attributes.ozonStatus);
  t.equal(status(numbers[0]!), 'delivering');
  t.equal(status(numbers[1]!), 'delivered');
  t.equal(status(numbers[2]!), 'cancelled');
  t.equal(status(numbers[3]!), 'awaiting_packaging');
  const updates = stack.moysklad.requests.slice(before).filter((r) => r.method !== 'GET');
  t.equal(updates.length, 1, 'one bulk update');
  t.equal((updates[0]?.body as unknown[]).length, 3, 'holding only the changed sales');

  const second = await stack.app.reconcileNow(OZON_ROUTE, { days: 45 });
  t.match(second, { checked: 38, changed: 0 }, 'delivered and cancelled sales are no longer checked');
  const exchanges = await listExchanges(stack.app.db, { route: OZON_ROUTE, limit: 500 });
  t.ok(exchanges.some((e) => e.connector === 'ozon') && exchanges.some((e) => e.connector === 'moysklad'), 'both systems are in the exchange log');
  t.notOk(JSON.stringify(exchanges).includes(stack.moysklad.token), 'the MoySklad token never reaches the exchange log');
  t.notOk(JSON.stringify(exchanges).includes(stack.ozon.apiKey), 'nor the Ozon key');
});

t.test('the admin API runs a reconciliation now and shows it among the route runs', async (t) => {
  const stack = await startOzonMoySkladStack({ start: true, adminToken: ADMIN_TOKEN });
  t.teardown(stack.close);
  const [number] = stack.addPostings(5, { statuses: ['awaiting_deliver'] });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  stack.ozon.setStatus(number!, 'delivering');

  const run = await admin<{ status: string; run: { outcome: string; summary: Record<string, number> } }>(stack, 'POST', `/admin/routes/${OZON_ROUTE}/reconcile?wait=true`);
  t.equal(run.status, 200);
  t.match(run.body, { status: 'finished', run: { outcome: 'ok', summary: { checked: 5, changed: 1, unchanged: 4, missing: 0 } } });
  const routes = await admin<{ routes: { name: string; reconcile: unknown; lastReconcile: unknown }[] }>(stack, 'GET', '/admin/routes');
  t.match(routes.body.routes[0], { name: OZON_ROUTE, reconcile: { everyMs: 21_600_000, days: 45 }, lastReconcile: { outcome: 'ok' } });
  const refused = await admin(stack, 'POST', `/admin/routes/${OZON_ROUTE}/status-check`);
  t.equal(refused.status, 409, 'MoySklad has no delivery status to check on this route');
});

t.test('with closeAfterRun, a scheduled run closes the shift once its orders are exported', async (t) => {
  const stack = await startOzonMoySkladStack({ start: true, moyskladSettings: { retailShift: { autoOpen: true, closeAfterRun: true } } });
  t.teardown(stack.close);
  stack.addPostings(30);
  const summary = await stack.app.scheduledPoll(OZON_ROUTE);
  t.equal(summary.queued, 30);
  t.equal(stack.moysklad.demands().length, 30, 'every sale was saved before the close');
  const [shift] = stack.moysklad.shifts();
  t.ok(shift?.['closeDate'], 'and the shift was closed after them');
  t.equal(stack.moysklad.shifts().length, 1);
});

t.test('two replicas asking for a shift at once open one: the second waits its turn or finds it open', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const other = await createApp({ config: stack.app.config, registry: builtinConnectors(), logger: createLogger('silent') });
  t.teardown(() => other.stop(1000));
  const outcomes = await Promise.allSettled([stack.app.openSession(OZON_ROUTE), other.openSession(OZON_ROUTE)]);
  t.equal(stack.moysklad.shifts().length, 1, 'one shift in MoySklad');
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') t.match(outcome.reason, { code: 'RUN_LOCKED', kind: 'retryable' }, 'a refusal is retryable');
  }
  t.ok(outcomes.some((o) => o.status === 'fulfilled'));
  t.match(await other.openSession(OZON_ROUTE), { existing: true }, 'afterwards both see the same open shift');
});
