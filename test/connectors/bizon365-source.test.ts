import t, { type Test } from 'tap';
import { bizon365ConfigSchema } from '../../src/connectors/bizon365/config.js';
import { bizon365Connector, createBizon365Connector } from '../../src/connectors/bizon365/connector.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import type { ChangedPage, FetchedOrder, OrderSource, PollWindow } from '../../src/core/connector.js';
import { isIntegrationError, type IntegrationError } from '../../src/core/errors.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { SecretScrubber } from '../../src/core/redact.js';
import { generateOrders, startBizonFake, type BizonFake, type BizonFakeOptions, type FakeOrderInput } from '../../src/sandbox/bizon365/server.js';
import { connectorContext } from '../helpers/context.js';

const token = 'bizon-source-token-55aa';
const dayMs = 86_400_000;
const goods = [{ _id: 'kvadro5', price: 1000, cnt: 1 }];
const signal = new AbortController().signal;

interface Harness {
  fake: BizonFake;
  source: OrderSource;
  /** Moves the clock the fake and the source share. */
  advance(ms: number): void;
  now(): Date;
  scrubber: SecretScrubber;
  exchanges: ExchangeEntry[];
}

async function setup(
  t: Test,
  options: { start?: string; config?: Record<string, unknown>; fake?: BizonFakeOptions } = {},
): Promise<Harness> {
  let nowMs = Date.parse(options.start ?? '2025-09-10T10:00:00Z');
  const now = (): Date => new Date(nowMs);
  const fake = await startBizonFake({ token, now, ...options.fake });
  t.teardown(() => fake.close());
  const { context, exchanges, scrubber } = connectorContext('bizon');
  const config = bizon365ConfigSchema.parse({ baseUrl: fake.url, projectId: fake.projectId, token, minIntervalMs: 0, readRetries: 0, ...options.config });
  const connector = createBizon365Connector(config, context, { now });
  if (connector.source === undefined) throw new Error('the Bizon365 connector has no source');
  return {
    fake,
    source: connector.source,
    advance: (ms) => {
      nowMs += ms;
    },
    now,
    scrubber,
    exchanges,
  };
}

function window(h: Harness, overrides: Partial<PollWindow> = {}): PollWindow {
  return { since: new Date(h.now().getTime() - dayMs), pageSize: 100, overlapMs: 120_000, ...overrides };
}

async function poll(source: OrderSource, cursor: string | null, pollWindow: PollWindow): Promise<{ pages: ChangedPage[]; error: IntegrationError | null }> {
  const pages: ChangedPage[] = [];
  try {
    for await (const page of source.changedOrders(cursor, pollWindow, signal)) pages.push(page);
  } catch (err) {
    if (!isIntegrationError(err)) throw err;
    return { pages, error: err };
  }
  return { pages, error: null };
}

function kinds(orders: ReadonlyMap<string, FetchedOrder>): Record<string, string> {
  return Object.fromEntries([...orders].map(([id, fetched]) => [id, fetched.kind]));
}

function daysAgo(h: Harness, days: number): Date {
  return new Date(h.now().getTime() - days * dayMs);
}

function add(h: Harness, id: number, created: Date, extra: Partial<FakeOrderInput> = {}): void {
  h.fake.add({ _id: id, created, goods, paid: true, firstname: 'Анна', ...extra });
}

t.test('the first poll reads from `since` to the end of today, paid orders only', async (t) => {
  const h = await setup(t);
  add(h, 1, daysAgo(h, 0.1));
  add(h, 2, daysAgo(h, 0.5), { paid: false });
  add(h, 3, daysAgo(h, 3));

  const { pages, error } = await poll(h.source, null, window(h));
  t.equal(error, null);
  t.equal(pages.length, 1);
  t.same(kinds(pages[0]?.orders ?? new Map()), { '1': 'ready' }, 'unpaid and older orders are not listed');
  t.same(JSON.parse(pages[0]?.cursor ?? ''), { readUntil: '2025-09-10T10:00:00.000Z' });
  t.same(h.fake.requests[0]?.query, {
    skip: '0',
    limit: '100',
    dateBegin: '2025-09-09T00:00:00',
    dateEnd: '2025-09-10T23:59:59',
    paid: '1',
  }, 'whole Moscow days, the connection filter');

  const order = pages[0]?.orders.get('1');
  t.match(order, { kind: 'ready', number: '1', revision: /^paid:/ });
  t.equal(order?.kind === 'ready' ? order.order.createdAt : null, daysAgo(h, 0.1).toISOString(), 'Moscow time read back as the instant it was');
});

t.test('each poll re-reads a rolling window, so an order paid later is found', async (t) => {
  const h = await setup(t, { config: { rescanDays: 7 } });
  add(h, 1, daysAgo(h, 0.2));
  add(h, 2, daysAgo(h, 5), { paid: false, partialPaid: 300, payments: [{ date: daysAgo(h, 5), amount: 300 }] });
  add(h, 3, daysAgo(h, 9), { paid: false });

  const first = await poll(h.source, null, window(h));
  t.same(kinds(first.pages[0]?.orders ?? new Map()), { '1': 'ready' });
  const cursor = first.pages.at(-1)?.cursor ?? null;
  const paidBefore = first.pages[0]?.orders.get('1')?.revision;

  h.advance(10 * 60_000);
  h.fake.update(2, { paid: true });
  h.fake.update(3, { paid: true });
  const second = await poll(h.source, cursor, window(h));
  t.same(kinds(second.pages[0]?.orders ?? new Map()), { '1': 'ready', '2': 'ready' }, 'order 2, paid 5 days after its creation, is listed now');
  t.equal(second.pages[0]?.orders.get('1')?.revision, paidBefore, 'an unchanged order keeps its revision');
  t.match(second.pages[0]?.orders.get('2'), { kind: 'ready', revision: /^paid:/ });
  t.notOk(second.pages[0]?.orders.has('3'), 'created 9 days ago: older than rescanDays, not seen by the poll');
  t.equal(h.fake.requests.at(-1)?.query['dateBegin'], '2025-09-03T00:00:00', '7 days before the last complete poll, from the start of that Moscow day');
  t.same(JSON.parse(second.pages.at(-1)?.cursor ?? ''), { readUntil: '2025-09-10T10:10:00.000Z' });

  const third = await poll(h.source, null, window(h, { since: daysAgo(h, 30) }));
  t.ok(third.pages[0]?.orders.has('3'), 'a first poll from further back finds it');
});

t.test('a poll failing on page 3 keeps pages 1 and 2 and resumes from the same start', async (t) => {
  const h = await setup(t);
  h.fake.addMany(generateOrders(250, { now: h.now(), days: 15, seed: 5, paidShare: 1, partialShare: 0 }));
  h.fake.inject({ kind: 'status', status: 503 }, { match: (req) => req.query['skip'] === '200' });

  const since = daysAgo(h, 20);
  const failed = await poll(h.source, null, window(h, { since }));
  t.match(failed.error, { kind: 'retryable', code: 'HTTP_503' });
  t.same(
    failed.pages.map((p) => p.orders.size),
    [100, 100],
    'the pages read before the failure are handed out',
  );
  const resume = { resumeFrom: '2025-08-20T21:00:00.000Z' };
  t.same(
    failed.pages.map((p) => JSON.parse(p.cursor)),
    [resume, resume],
    'but the cursor stays at the start of the unfinished window',
  );

  h.advance(2 * dayMs);
  const again = await poll(h.source, failed.pages.at(-1)?.cursor ?? null, window(h));
  t.equal(again.error, null);
  t.same(
    again.pages.map((p) => p.orders.size),
    [100, 100, 50],
  );
  t.equal(h.fake.requests.at(-1)?.query['dateBegin'], '2025-08-21T00:00:00', 'the same start, not now minus rescanDays');
  t.same(
    again.pages.map((p) => Object.keys(JSON.parse(p.cursor))[0]),
    ['resumeFrom', 'resumeFrom', 'readUntil'],
  );
  t.equal(new Set(again.pages.flatMap((p) => [...p.orders.keys()])).size, 250);
});

t.test('one broken order in a page is one invalid order; the rest are ready', async (t) => {
  const h = await setup(t);
  add(h, 1, daysAgo(h, 0.1));
  add(h, 2, daysAgo(h, 0.2), { goods: '[{"_id":"kvadro5","price":', amount: 1000 });
  add(h, 3, daysAgo(h, 0.3));

  const { pages } = await poll(h.source, null, window(h));
  const orders = pages[0]?.orders ?? new Map<string, FetchedOrder>();
  t.same(kinds(orders), { '1': 'ready', '2': 'invalid', '3': 'ready' });
  t.match(orders.get('2'), { kind: 'invalid', number: '2', revision: /^paid:/, error: { kind: 'permanent', code: 'BIZON_GOODS_UNREADABLE', message: /^Bizon365 order 2 cannot be exported/ } });

  h.fake.inject({
    kind: 'body',
    body: JSON.stringify({ skip: 0, limit: 100, total: 2, list: [{ firstname: 'без _id', created: '2025-09-10T10:00:00' }, { _id: 9, created: 'x' }] }),
  });
  const odd = await poll(h.source, null, window(h));
  const oddOrders = [...(odd.pages[0]?.orders ?? new Map<string, FetchedOrder>())];
  t.match(oddOrders, [
    [/^unidentified:/, { kind: 'invalid', number: null }],
    ['9', { kind: 'invalid', number: '9' }],
  ]);
});

t.test('the window follows Moscow days and the page size, and survives a bad cursor', async (t) => {
  const h = await setup(t, { start: '2025-09-10T22:30:00Z' });
  add(h, 1, new Date('2025-09-10T21:10:00Z'));
  const { pages } = await poll(h.source, 'not a cursor', window(h, { since: new Date('2025-09-10T20:00:00Z'), pageSize: 500 }));
  t.same(kinds(pages[0]?.orders ?? new Map()), { '1': 'ready' });
  t.match(h.fake.requests[0]?.query, {
    limit: '100',
    dateBegin: '2025-09-10T00:00:00',
    dateEnd: '2025-09-11T23:59:59',
  }, 'at 01:30 Moscow time it is already the 11th; a page holds at most 100');

  await poll(h.source, JSON.stringify({ readUntil: 'yesterday' }), window(h, { since: new Date('2025-09-01T12:00:00Z') }));
  t.equal(h.fake.requests.at(-1)?.query['dateBegin'], '2025-09-01T00:00:00', 'an unreadable cursor starts at since');

  await poll(h.source, JSON.stringify({ readUntil: '2025-09-10T22:00:00.000Z' }), window(h, { overlapMs: 30 * dayMs }));
  t.equal(h.fake.requests.at(-1)?.query['dateBegin'], '2025-08-12T00:00:00', "the route's overlap wins when it is longer");
});

t.test('fetchOrders lists the recent window and picks the ids', async (t) => {
  const h = await setup(t);
  h.fake.addMany(generateOrders(150, { now: h.now(), days: 3, seed: 11, paidShare: 1, partialShare: 0, firstId: 200_001 }));
  add(h, 1, daysAgo(h, 1), { created: new Date(h.now().getTime() - 1_000) });

  const found = await h.source.fetchOrders(['1'], signal);
  t.same(kinds(found), { '1': 'ready' });
  t.equal(h.fake.requests.length, 1, 'found on the first page: no more pages are read');
  t.match(h.fake.requests[0]?.query, { paid: '1', dateBegin: '2025-08-27T00:00:00', dateEnd: '2025-09-10T23:59:59' });

  h.fake.requests.length = 0;
  const oldest = String([...h.fake.orders()].sort((a, b) => String(a['created']).localeCompare(String(b['created'])))[0]?._id);
  const several = await h.source.fetchOrders([oldest, '1', ' '], signal);
  t.same(Object.keys(kinds(several)).sort(), ['1', oldest].sort());
  t.same(await h.source.fetchOrders([], signal), new Map());
  t.equal(h.fake.requests.length, 2, 'the oldest order is on the second page; nothing is asked for no ids');
});

t.test('fetchOrders tells orders outside the filter from unknown ones', async (t) => {
  const h = await setup(t, { config: { paid: 3, rescanDays: 7, lookupDays: 60 } });
  add(h, 1, daysAgo(h, 1), { paid: false });
  add(h, 2, daysAgo(h, 1), { recurring: true });
  add(h, 3, daysAgo(h, 40));
  add(h, 4, daysAgo(h, 2), { goods: 'oops', amount: 10 });

  const found = await h.source.fetchOrders(['1', '2', '3', '4', '999'], signal);
  t.same(kinds(found), { '4': 'invalid', '1': 'skip', '2': 'skip', '3': 'ready' });
  t.match(found.get('1'), { reason: 'order 1 is unpaid; this connection exports fully paid, excluding recurring payments orders (paid=3)' });
  t.match(found.get('2'), {
    number: '2',
    revision: /^paid:/,
    reason: 'order 2 is not among the fully paid, excluding recurring payments orders Bizon365 lists for this connection (paid=3)',
  });
  t.notOk(found.has('999'), 'an order Bizon does not list at all is absent');
  t.same(
    h.fake.requests.map((r) => [r.query['paid'], r.query['free'] ?? '', r.query['dateBegin']]),
    [
      ['3', '', '2025-09-03T00:00:00'],
      ['-1', '1', '2025-09-03T00:00:00'],
      ['3', '', '2025-07-12T00:00:00'],
      ['-1', '1', '2025-07-12T00:00:00'],
    ],
    'the cost of a miss: the filtered and the whole listing of the recent days, then of the older ones',
  );
  t.equal(h.fake.requests[2]?.query['dateEnd'], '2025-09-02T23:59:59', 'the older window ends where the recent one begins');
});

t.test('fetchOrders with every order wanted needs no second listing', async (t) => {
  const h = await setup(t, { config: { paid: -1, free: true, lookupDays: 14 } });
  add(h, 1, daysAgo(h, 1), { paid: false });
  const found = await h.source.fetchOrders(['1', '2'], signal);
  t.same(kinds(found), { '1': 'ready' });
  t.equal(h.fake.requests.length, 1, 'one listing: nothing is outside the filter, and lookupDays is not beyond rescanDays');
});

t.test('dates written with an offset are read as such', async (t) => {
  const h = await setup(t, { fake: { createdFormat: 'utc' } });
  const created = new Date('2025-09-10T08:15:30.120Z');
  add(h, 1, created);
  const found = await h.source.fetchOrders(['1'], signal);
  const order = found.get('1');
  t.equal(order?.kind === 'ready' ? order.order.createdAt : null, created.toISOString());
});

t.test('the connector definition', async (t) => {
  t.equal(builtinConnectors().get('bizon365'), bizon365Connector, 'registered');
  t.same(bizon365Connector.roles, ['source']);
  const config = bizon365Connector.configSchema.parse({ projectId: 12345, token });
  t.match(config, { baseUrl: 'https://online.bizon365.ru', projectId: '12345', paid: 1, free: false, rescanDays: 14, lookupDays: 90, minIntervalMs: 350, readRetries: 3, timeout: 15_000, numberPrefix: '' });
  const bad = bizon365Connector.configSchema.safeParse({ projectId: '12/34', token: 'short', paid: 4, baseUrl: 'http://bizon.example.com' });
  t.same(bad.error?.issues.map((i) => i.path.join('.')).sort(), ['baseUrl', 'paid', 'projectId', 'token']);

  const h = await setup(t, { config: { numberPrefix: 'BZ-' } });
  t.equal(h.scrubber.scrub(`X-Token: ${token}`), 'X-Token: [REDACTED]', 'the token is registered as a secret');
  add(h, 7, daysAgo(h, 0.1));
  const found = await h.source.fetchOrders(['7'], signal);
  t.match(found.get('7'), { kind: 'ready', number: 'BZ-7', order: { number: 'BZ-7', source: { connector: 'bizon365', id: '7' } } });
  t.match(h.exchanges, [{ connector: 'bizon365', httpStatus: 200 }], 'calls reach the exchange log');
});
