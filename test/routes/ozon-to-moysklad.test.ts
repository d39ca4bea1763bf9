import t from 'tap';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/cli/logger.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import { pollCursorName } from '../../src/routes/poll.js';
import { listBindings } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';
import { listExchanges } from '../../src/store/exchanges.js';
import { OZON_ROUTE, startOzonMoySkladStack } from '../../src/sandbox/ozon-moysklad.js';
import { accrualTypeIds, ozonPaths } from '../../src/sandbox/ozon/server.js';
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
  t.equal(attribute(document, attributes.commission), Number(commission.toFixed(2)), 'commission in rubles, as people read it');
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

t.test('a poll reads FBS and FBO over several cursor pages of 100 each, and every posting becomes one sale', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const fbs = stack.addPostings(230);
  const fbo = stack.addPostings(240, { scheme: 'fbo' });
  const poll = await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();

  const lists = stack.ozon.requests.filter((r) => r.path === ozonPaths.fbsListV4 || r.path === ozonPaths.fboListV3);
  const pages = (path: string) => lists.filter((r) => r.path === path).map((r) => r.body as { limit: number; cursor: string });
  t.same(pages(ozonPaths.fbsListV4).map((b) => b.limit), [100, 100, 100], 'FBS: three pages of at most 100');
  t.same(pages(ozonPaths.fboListV3).map((b) => b.limit), [100, 100, 100], 'FBO: three pages of at most 100');
  for (const path of [ozonPaths.fbsListV4, ozonPaths.fboListV3]) {
    const cursors = pages(path).map((b) => b.cursor);
    t.equal(cursors[0], '', `${path} starts without a cursor`);
    t.ok(cursors.slice(1).every((c) => c !== ''), `${path} goes on with the cursor Ozon gave`);
  }
  t.equal(stack.ozon.count(ozonPaths.fbsListV3) + stack.ozon.count(ozonPaths.fboListV2), 0, 'the switched-off lists are never asked');
  t.equal(stack.ozon.count(ozonPaths.accrualPostings), 6, 'the accruals of each page in one read');
  t.equal(poll.seen, 470);
  t.equal(poll.queued, 470);
  const sales = stack.moysklad.demands();
  t.equal(sales.length, 470, 'one sale per posting');
  t.same(new Set(sales.map((d) => d['externalCode'])), new Set([...fbs, ...fbo]));
  t.equal(stack.moysklad.stats.rejected429, 0);
  t.equal(stack.moysklad.stats.rejected414, 0);
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

t.test('charges Ozon books after the sale are brought up to date by the reconciliation, and only those that changed', async (t) => {
  const stack = await startOzonMoySkladStack();
  t.teardown(stack.close);
  const numbers = stack.addPostings(30, { statuses: ['awaiting_packaging'] });
  const delivered = stack.addPostings(5, { statuses: ['delivered'] });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  const { attributes } = stack.moysklad;
  const sale = (number: string): Record<string, unknown> => stack.moysklad.demands().find((d) => d['externalCode'] === number)!;
  const first = numbers[0]!;
  const posting = stack.ozon.posting(first)!;
  const commission = Number(posting.financial_data.products.reduce((sum, p) => sum + p.commission_amount, 0).toFixed(2));
  t.equal(attribute(sale(first), attributes.services), 0, 'nothing charged yet when the sale was made');
  t.equal(attribute(sale(first), attributes.commission), commission);
  const deliveredSale = sale(delivered[0]!);
  t.ok(Number(attribute(deliveredSale, attributes.services)) > 0, 'a delivered posting comes with the charges accrued so far');
  t.match(attribute(deliveredSale, attributes.charges), /Последняя миля \d+\.\d{2}; Эквайринг \d+\.\d{2}; services in all/);
  t.notMatch(attribute(deliveredSale, attributes.charges), /Выручка|Вознаграждение/, 'the sale itself is no charge');

  // Ozon ships the posting, charges logistics on it and the last mile, and refunds part of the logistics.
  const day = '2026-11-25';
  stack.ozon.setStatus(first, 'delivering');
  stack.ozon.addAccrual(first, { type_id: accrualTypeIds.logistics, amount: '-120.40', accrual_date: day, sku: posting.products[0]!.sku, quantity: null, seller_price: null });
  stack.ozon.addAccrual(first, { type_id: accrualTypeIds.lastMile, amount: '-35.00', accrual_date: day, sku: null, quantity: null, seller_price: null });
  stack.ozon.addAccrual(first, { type_id: accrualTypeIds.logistics, amount: '20.40', accrual_date: day, sku: null, quantity: null, seller_price: null });
  // A delivered posting, no longer checked for its status, is charged for its return.
  stack.ozon.addAccrual(delivered[1]!, { type_id: accrualTypeIds.returnLogistics, amount: '-55.10', accrual_date: day, sku: null, quantity: null, seller_price: null });

  const before = stack.moysklad.requests.length;
  const summary = await stack.app.reconcileNow(OZON_ROUTE, { days: 45 });
  t.match(summary, { checked: 30, changed: 1, unchanged: 29, missing: 0, chargesChanged: 2 });
  t.equal(attribute(sale(first), attributes.ozonStatus), 'delivering');
  t.equal(attribute(sale(first), attributes.services), 135, '120.40 + 35.00 − 20.40, in rubles');
  t.equal(attribute(sale(first), attributes.commission), commission, 'the commission as Ozon reports it on the posting');
  t.equal(attribute(sale(first), attributes.charges), `Charges (RUB): commission ${commission.toFixed(2)}; Логистика 100.00; Последняя миля 35.00; services in all 135.00.`);
  t.match(attribute(sale(delivered[1]!), attributes.charges), /Обратная логистика 55\.10/);
  const writes = stack.moysklad.requests.slice(before).filter((r) => r.method !== 'GET');
  t.equal(writes.length, 1, 'one bulk update');
  t.same(
    (writes[0]?.body as { meta: { href: string } }[]).map((b) => b.meta.href.split('/').at(-1)).sort(),
    [String(sale(first)['id']), String(sale(delivered[1]!)['id'])].sort(),
    'holding only the two sales that changed',
  );

  const again = await stack.app.reconcileNow(OZON_ROUTE, { days: 45 });
  t.match(again, { changed: 0, chargesChanged: 0 }, 'nothing left to change');
  t.equal(stack.moysklad.requests.filter((r) => r.method !== 'GET').length, writes.length + stack.moysklad.requests.slice(0, before).filter((r) => r.method !== 'GET').length, 'and nothing written');
  t.equal(stack.ozon.count(ozonPaths.fbsGet), 0, 'commissions came from the reconciliation\'s own listing');
});

t.test('charges kept in the description: the reconciliation rewrites its charges line and leaves the rest', async (t) => {
  const stack = await startOzonMoySkladStack({ moyskladSettings: (fake) => ({ chargesIn: 'description', attributes: { sourceStatus: fake.attributes.ozonStatus } }) });
  t.teardown(stack.close);
  const [number] = stack.addPostings(1, { statuses: ['awaiting_deliver'] });
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  const description = (): string => String(stack.moysklad.demands()[0]?.['description']);
  t.match(description(), /^Ozon \d+-\d+-1, order \d+-\d+\.\nCharges \(RUB\): commission \d+\.\d{2}; Обработка отправления \d+\.\d{2}; services in all \d+\.\d{2}\.$/);
  t.same(stack.moysklad.demands()[0]?.['attributes'] && (stack.moysklad.demands()[0]?.['attributes'] as unknown[]).length, 1, 'only the status attribute');

  // A person adds a note to the sale in MoySklad.
  const id = String(stack.moysklad.demands()[0]?.['id']);
  const [headline, charges] = description().split('\n');
  const edited = await fetch(`${stack.moysklad.url}/entity/retaildemand/${id}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${stack.moysklad.token}`, 'Accept-Encoding': 'gzip', 'Content-Type': 'application/json' },
    body: JSON.stringify({ description: `${headline}\n${charges}\nCall the buyer before shipping.` }),
  });
  t.equal(edited.status, 200);

  stack.ozon.addAccrual(number!, { type_id: accrualTypeIds.logistics, amount: '-64.00', accrual_date: '2026-11-25', sku: null, quantity: null, seller_price: null });
  const summary = await stack.app.reconcileNow(OZON_ROUTE);
  t.match(summary, { checked: 1, changed: 0, chargesChanged: 1 });
  const [line1, line2, line3] = description().split('\n');
  t.equal(line1, headline);
  t.match(line2, /; Логистика 64\.00; services in all \d+\.\d{2}\.$/);
  t.equal(line3, 'Call the buyer before shipping.', "the person's note stays");
  t.match(await stack.app.reconcileNow(OZON_ROUTE), { chargesChanged: 0 });
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
