import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { Bizon365Client, type Bizon365ClientOptions, type OrdersPage } from '../../src/connectors/bizon365/client.js';
import { toFetchedOrder } from '../../src/connectors/bizon365/mapper.js';
import { type IntegrationError } from '../../src/core/errors.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { generateOrders, startBizonFake, type BizonFake, type BizonFakeOptions } from '../../src/sandbox/bizon365/server.js';

const token = 'bizon-secret-token-7f3a9c';
/** 13:00 in Moscow on 10 September 2025. */
const clock = new Date('2025-09-10T10:00:00Z');
const goods = [{ _id: 'kvadro5', price: 1000, cnt: 1 }];

interface Harness {
  fake: BizonFake;
  client: Bizon365Client;
  exchanges: ExchangeEntry[];
  /** Waits the client asked for before repeating a 429. */
  waits: number[];
}

async function setup(t: Test, options: { fake?: BizonFakeOptions; client?: Partial<Bizon365ClientOptions> } = {}): Promise<Harness> {
  const fake = await startBizonFake({ token, now: () => clock, ...options.fake });
  t.teardown(() => fake.close());
  const exchanges: ExchangeEntry[] = [];
  const waits: number[] = [];
  const client = new Bizon365Client({
    baseUrl: fake.url,
    projectId: fake.projectId,
    token,
    timeoutMs: 2_000,
    minIntervalMs: 0,
    // No repeats, so that each failure below is seen as it is; the repeats have their own tests.
    readRetries: 0,
    exchanges: (entry) => exchanges.push(entry),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options.client,
  });
  return { fake, client, exchanges, waits };
}

async function pages(iterable: AsyncIterable<OrdersPage>): Promise<OrdersPage[]> {
  const out: OrdersPage[] = [];
  for await (const page of iterable) out.push(page);
  return out;
}

const idsOf = (list: readonly unknown[]): number[] => list.map((o) => (o as { _id: number })._id);

t.test('one page: the documented arguments, the token header, one exchange entry', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.add({ _id: 1, created: new Date('2025-09-09T10:00:00Z'), goods, paid: true, firstname: 'Иван' });

  const page = await client.getOrders({
    dateBegin: new Date('2025-09-02T21:00:00Z'),
    dateEnd: new Date('2025-09-10T20:59:59Z'),
    paid: 1,
    free: true,
    search: 'Иван',
  });
  t.match(page, { skip: 0, limit: 100, total: 1, dateBegin: '03.09.2025', dateEnd: '10.09.2025', search: 'Иван' });
  t.same(idsOf(page.list), [1]);

  const sent = fake.requests[0];
  t.equal(sent?.path, '/api/v2/12345/orders/getorders');
  t.same(sent?.query, {
    limit: '100',
    dateBegin: '2025-09-03T00:00:00',
    dateEnd: '2025-09-10T23:59:59',
    paid: '1',
    free: '1',
    search: 'Иван',
  }, 'dates are sent as Moscow time');
  t.equal(sent?.headers['x-token'], token);
  t.equal(sent?.headers.accept, 'application/json');
  t.match(exchanges, [{ connector: 'bizon365', operation: 'GET /api/v2/12345/orders/getorders', httpStatus: 200, fault: null, error: null, requestBody: '' }]);
  t.match(exchanges[0]?.url, /\/orders\/getorders\?limit=100&dateBegin=2025-09-03T00%3A00%3A00&dateEnd=2025-09-10T23%3A59%3A59&paid=1&free=1&search=%D0%98/);

  await client.getOrders({ limit: 500, free: false });
  t.same(fake.requests[1]?.query, { limit: '100' }, 'limit never above 100; free=0 and empty filters are not sent');
  t.match(await failure(client.getOrders({ days: -1 })), { kind: 'permanent', code: 'BIZON_BAD_QUERY' });
  t.match(await failure(client.getOrders({ skip: 1.5 })), { code: 'BIZON_BAD_QUERY' });
  t.equal(fake.requests.length, 2, 'a bad query is refused before it is sent');
});

t.test('a bad token and missing rights are permanent, with what to do', async (t) => {
  const { fake, client, exchanges } = await setup(t, { client: { token: 'not-the-token' } });
  const unauthorized = await failure(client.getOrders({}));
  t.match(unauthorized, { kind: 'permanent', code: 'BIZON_UNAUTHORIZED', context: { system: 'bizon365', httpStatus: 401 } });
  t.match(unauthorized.message, /HTTP 401: Invalid or missing X-Token.*X-Token of the Bizon ID account/);
  t.equal(exchanges.at(-1)?.fault, 'Invalid or missing X-Token');
  t.equal(fake.requests.length, 1, 'not repeated');

  const otherProject = new Bizon365Client({ baseUrl: fake.url, projectId: '999', token: fake.token, timeoutMs: 2_000, minIntervalMs: 0, readRetries: 2 });
  const forbidden = await failure(otherProject.getOrders({}));
  t.match(forbidden, { kind: 'permanent', code: 'BIZON_FORBIDDEN', context: { httpStatus: 403 } });
  t.match(forbidden.message, /No access to project 999.*project 999/);

  const rightful = new Bizon365Client({ baseUrl: fake.url, projectId: fake.projectId, token, timeoutMs: 2_000, minIntervalMs: 0, readRetries: 2 });
  fake.setOrdersAccess(false);
  t.match(await failure(rightful.getOrders({})), { code: 'BIZON_FORBIDDEN', message: /orders module/ });
  fake.setOrdersAccess(true);
  t.match(await rightful.getOrders({}), { total: 0 }, 'the right token on its project works');

  const wrongPath = new Bizon365Client({ baseUrl: `${fake.url}/proxy`, projectId: fake.projectId, token, timeoutMs: 2_000, minIntervalMs: 0, readRetries: 0 });
  t.match(await failure(wrongPath.getOrders({})), { kind: 'permanent', code: 'BIZON_NOT_FOUND', message: /check the connection's projectId \(12345\) and baseUrl/ });
});

t.test('a listing is followed to total: 250 orders in three pages', async (t) => {
  const { fake, client } = await setup(t);
  fake.addMany(generateOrders(250, { now: clock, days: 5, seed: 3 }));

  const all = await pages(client.listOrders({ paid: -1 }));
  t.same(
    all.map((p) => [p.skip, p.orders.length, p.total, p.last]),
    [
      [0, 100, 250, false],
      [100, 100, 250, false],
      [200, 50, 250, true],
    ],
  );
  t.equal(new Set(all.flatMap((p) => idsOf(p.orders))).size, 250, 'every order once');
  t.same(
    fake.requests.map((r) => r.query['skip']),
    ['0', '100', '200'],
  );

  const small = await pages(client.listOrders({ paid: -1, limit: 40 }));
  t.same(
    small.map((p) => p.orders.length),
    [40, 40, 40, 40, 40, 40, 10],
  );

  fake.reset();
  const none = await pages(client.listOrders({ paid: 1 }));
  t.same(
    none.map((p) => [p.orders.length, p.total, p.last]),
    [[0, 0, true]],
    'an empty listing is one empty last page',
  );
});

t.test('a server that serves fewer than asked is followed by what it served', async (t) => {
  const served: string[] = [];
  const body = (skip: number): unknown => ({ skip, limit: 2, total: 5, list: Array.from({ length: Math.min(2, 5 - skip) }, (_, i) => ({ _id: skip + i + 1 })) });
  const client = new Bizon365Client({
    baseUrl: 'http://127.0.0.1:1',
    projectId: '1',
    token,
    timeoutMs: 2_000,
    minIntervalMs: 0,
    readRetries: 0,
    fetch: async (input) => {
      const skip = new URL(String(input)).searchParams.get('skip') ?? '0';
      served.push(skip);
      return new Response(JSON.stringify(body(Number(skip))), { status: 200 });
    },
  });
  const all = await pages(client.listOrders({}));
  t.same(
    all.flatMap((p) => idsOf(p.orders)),
    [1, 2, 3, 4, 5],
  );
  t.same(served, ['0', '2', '4']);
});

t.test('days, a date range, and the default window', async (t) => {
  const { fake, client } = await setup(t);
  fake.add({ _id: 1, created: new Date('2025-09-10T09:00:00Z'), goods, paid: true });
  fake.add({ _id: 2, created: new Date('2025-09-03T21:00:00Z'), goods, paid: true });
  fake.add({ _id: 3, created: new Date('2025-08-30T12:00:00Z'), goods, paid: true });
  fake.add({ _id: 4, created: new Date('2025-08-01T12:00:00Z'), goods, paid: true });

  const week = await client.getOrders({ days: 6 });
  t.same(idsOf(week.list), [1, 2]);
  t.equal(week.dateBegin, '04.09.2025');
  t.same(fake.requests.at(-1)?.query, { limit: '100', days: '6' });

  const range = await client.getOrders({ dateBegin: new Date('2025-07-31T21:00:00Z'), dateEnd: new Date('2025-08-31T20:59:59Z') });
  t.same(idsOf(range.list), [3, 4], 'a date range in Moscow time');

  const both = await client.getOrders({ days: 6, dateBegin: new Date('2025-07-31T21:00:00Z'), dateEnd: new Date('2025-08-31T20:59:59Z') });
  t.same(idsOf(both.list), [1, 2], 'days wins when both are sent');

  const fallback = await client.getOrders({});
  t.same(idsOf(fallback.list), [1, 2, 3], 'neither: the last 14 days');
  t.equal(fallback.dateBegin, '27.08.2025');
  t.same(idsOf((await client.getOrders({ days: 0 })).list), [1, 2, 3], 'days=0 is the default too');
});

t.test('the paid filter', async (t) => {
  const { fake, client } = await setup(t);
  const created = new Date('2025-09-09T10:00:00Z');
  fake.add({ _id: 1, created, goods });
  fake.add({ _id: 2, created, goods, partialPaid: 300, payments: [{ date: created, amount: 300 }] });
  fake.add({ _id: 3, created, goods, paid: true });
  fake.add({ _id: 4, created, goods, amount: 0 });

  t.same(idsOf((await client.getOrders({ paid: 1 })).list), [3]);
  t.same(idsOf((await client.getOrders({ paid: 0 })).list), [1]);
  t.same(idsOf((await client.getOrders({ paid: 5 })).list), [2, 1]);
  t.same(idsOf((await client.getOrders({ paid: -1, free: true })).list), [4, 3, 2, 1]);
  t.same(fake.requests.at(-1)?.query, { limit: '100', paid: '-1', free: '1' });
});

t.test('a 429 is waited out on reads, then the read succeeds', async (t) => {
  const { fake, client, waits } = await setup(t, { client: { readRetries: 2 } });
  fake.add({ _id: 1, created: new Date('2025-09-09T10:00:00Z'), goods, paid: true });

  fake.inject({ kind: 'status', status: 429, retryAfter: 1 });
  t.same(idsOf((await client.getOrders({ paid: 1 })).list), [1]);
  t.same(waits, [1_000], 'as long as Retry-After says');
  t.same(
    fake.requests.map((r) => r.status),
    [429, 200],
  );

  waits.length = 0;
  fake.inject({ kind: 'status', status: 429 }, { times: 2 });
  t.same(idsOf((await client.getOrders({})).list), [1]);
  t.same(waits, [1_000, 2_000], 'without Retry-After: 1 s, then 2 s');

  waits.length = 0;
  fake.inject({ kind: 'status', status: 429, retryAfter: 3 }, { times: 3 });
  const exhausted = await failure(client.getOrders({}));
  t.match(exhausted, { kind: 'retryable', code: 'HTTP_429', retryAfterMs: 3_000 });
  t.same(waits, [3_000, 3_000], 'readRetries times, then the job engine takes over');

  waits.length = 0;
  fake.inject({ kind: 'status', status: 429, retryAfter: 120 });
  t.match(await failure(client.getOrders({})), { code: 'HTTP_429', retryAfterMs: 120_000 });
  t.same(waits, [], 'a long wait is left to the job engine');
});

t.test('the default wait before a repeat can be cancelled', async (t) => {
  const { fake } = await setup(t);
  const plain = new Bizon365Client({ baseUrl: fake.url, projectId: fake.projectId, token, timeoutMs: 2_000, minIntervalMs: 0, readRetries: 2 });
  fake.inject({ kind: 'status', status: 429, retryAfter: 5 });
  const controller = new AbortController();
  const started = Date.now();
  const call = plain.getOrders({}, controller.signal);
  setTimeout(() => controller.abort(), 50);
  t.match(await failure(call), { kind: 'retryable', code: 'ABORTED' });
  t.ok(Date.now() - started < 2_000, 'did not wait the 5 s');
});

t.test('a 5xx, a timeout or a dropped connection on a page is tried again with growing waits, then the page is read', async (t) => {
  const { fake, client, waits } = await setup(t, { client: { readRetries: 3, timeoutMs: 200 } });
  fake.addMany(generateOrders(3, { now: clock, days: 1, seed: 4 }));
  fake.inject({ kind: 'status', status: 500 });
  fake.inject({ kind: 'status', status: 502 });
  fake.inject({ kind: 'delay', ms: 1_000 });
  t.match(await client.getOrders({ paid: -1 }), { total: 3 });
  t.same(waits, [1_000, 2_000, 4_000]);
  t.equal(fake.requests.length, 4);
});

t.test('server failures are retryable, and with no repeats left they fail the read', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'status', status: 500 });
  const internal = await failure(client.getOrders({}));
  t.match(internal, { kind: 'retryable', code: 'HTTP_500', context: { httpStatus: 500 } });
  t.match(internal.message, /Internal server error/);
  t.equal(exchanges.at(-1)?.fault, 'Internal server error');

  fake.inject({ kind: 'status', status: 502 });
  const gateway = await failure(client.getOrders({}));
  t.match(gateway, { kind: 'retryable', code: 'HTTP_502' });
  t.equal(exchanges.at(-1)?.fault, 'HTTP 502');
  t.match(gateway.detail ?? '', /Bad Gateway/);
  t.equal(fake.requests.length, 2);

  fake.inject({ kind: 'reset' });
  t.match(await client.getOrders({}), { total: 0 }, 'a read survives one dropped connection');
  fake.inject({ kind: 'delay', ms: 1_000 });
  const slow = new Bizon365Client({ baseUrl: fake.url, projectId: fake.projectId, token, timeoutMs: 150, minIntervalMs: 0, readRetries: 0 });
  t.match(await failure(slow.getOrders({})), { kind: 'retryable', code: 'TIMEOUT' });
});

t.test('a listing failing on page 3 has handed out pages 1 and 2', async (t) => {
  const { fake, client } = await setup(t);
  fake.addMany(generateOrders(250, { now: clock, days: 5, seed: 9 }));
  fake.inject({ kind: 'status', status: 503 }, { match: (req) => req.query['skip'] === '200' });
  const seen: OrdersPage[] = [];
  const err = await failure(
    (async () => {
      for await (const page of client.listOrders({ paid: -1 })) seen.push(page);
    })(),
  );
  t.match(err, { kind: 'retryable', code: 'HTTP_503' });
  t.same(
    seen.map((p) => [p.skip, p.orders.length, p.last]),
    [
      [0, 100, false],
      [100, 100, false],
    ],
  );
});

t.test('a page that is not the documented shape is a retryable MALFORMED_RESPONSE', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'garbage' });
  const garbage = await failure(client.getOrders({}));
  t.match(garbage, { kind: 'retryable', code: 'MALFORMED_RESPONSE', context: { httpStatus: 200 } });
  t.match(garbage.message, /not JSON/);
  t.match(garbage.detail ?? '', /^\{"skip":0/);
  t.match(exchanges.at(-1), { httpStatus: 200, error: /not JSON/ });

  fake.inject({ kind: 'body', body: '{"count":3,"orders":[]}' });
  const shape = await failure(client.getOrders({}));
  t.match(shape, { code: 'MALFORMED_RESPONSE' });
  t.match(shape.message, /expected shape \(total: .*list: /);

  fake.inject({ kind: 'body', body: '{"total":"3","list":[]}' });
  t.match(await failure(client.getOrders({})), { code: 'MALFORMED_RESPONSE' });
});

t.test('a broken goods string spoils one order, not the page', async (t) => {
  const { fake, client } = await setup(t);
  const created = new Date('2025-09-09T10:00:00Z');
  fake.add({ _id: 1, created, goods, paid: true });
  fake.add({ _id: 2, created, goods: '[{"_id":"kvadro5","price":1000,', amount: 1000, paid: true });
  fake.add({ _id: 3, created, goods, paid: true });

  const page = await client.getOrders({ paid: 1 });
  t.equal(page.list.length, 3, 'the page is read whole');
  const mapped = page.list.map((raw) => toFetchedOrder(raw, { paid: 1, free: false, numberPrefix: '' }));
  t.same(
    mapped.map((m) => [m.sourceId, m.fetched.kind]),
    [
      ['3', 'ready'],
      ['2', 'invalid'],
      ['1', 'ready'],
    ],
  );
  const broken = mapped[1]?.fetched;
  t.match(broken, { kind: 'invalid', number: '2', error: { kind: 'permanent', code: 'BIZON_GOODS_UNREADABLE', context: { order: '2' } } });
  t.match(broken?.kind === 'invalid' ? broken.error.message : '', /^Bizon365 order 2 cannot be exported: its goods list is not valid JSON/);
});

t.test('requests are spaced by minIntervalMs, also when callers overlap', async (t) => {
  const sent: number[] = [];
  const { fake, client } = await setup(t, {
    client: {
      minIntervalMs: 120,
      fetch: (input, init) => {
        sent.push(Date.now());
        return fetch(input, init);
      },
    },
  });
  await client.getOrders({});
  await client.getOrders({});
  await Promise.all([client.getOrders({}), client.getOrders({}), client.getOrders({})]);
  t.equal(sent.length, 5);
  // Each request gets the next slot and leaves at or a little after it (timers and the event loop are late,
  // never early but for rounding), so the n-th request leaves n intervals after the first at the soonest.
  for (let i = 1; i < sent.length; i++) {
    const since = (sent[i] ?? 0) - (sent[0] ?? 0);
    t.ok(since >= i * 120 - 3, `request ${i + 1} left ${since} ms after the first`);
  }
  // Arrival adds the loopback's jitter to each request, hence the wider margin on the fake's clock.
  const arrived = fake.requests.map((r) => r.at).sort((a, b) => a - b);
  for (let i = 1; i < arrived.length; i++) {
    t.ok((arrived[i] ?? 0) - (arrived[0] ?? 0) >= i * 120 - 40, `request ${i + 1} arrived ${(arrived[i] ?? 0) - (arrived[0] ?? 0)} ms after the first`);
  }
});

t.test('the default spacing stays under a 3-per-second limit that plain calls exceed', async (t) => {
  const limited = { fake: { maxPerSecond: 3 } };
  const eager = await setup(t, { ...limited, client: { minIntervalMs: 0, readRetries: 0 } });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push(await eager.client.getOrders({}).then(() => 200, (err: IntegrationError) => err.context.httpStatus as number));
  t.same(statuses, [200, 200, 200, 429], 'without spacing the 4th call in a second is refused');

  const spaced = await setup(t, { ...limited, client: { minIntervalMs: 350, readRetries: 0 } });
  for (let i = 0; i < 4; i++) await spaced.client.getOrders({});
  t.same(
    spaced.fake.requests.map((r) => r.status),
    [200, 200, 200, 200],
  );
});

t.test('the token appears in no message, detail or exchange entry', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  const errors: IntegrationError[] = [];
  fake.setToken('another-token-entirely');
  errors.push(await failure(client.getOrders({})));
  fake.setToken(token);
  fake.inject({ kind: 'status', status: 500 });
  errors.push(await failure(client.getOrders({})));
  fake.inject({ kind: 'reset' }, { times: 2 });
  errors.push(await failure(client.getOrders({})));
  await client.getOrders({});
  const text = JSON.stringify([exchanges, errors.map((e) => [e.message, e.detail, e.context])]);
  t.ok(exchanges.length >= 5);
  t.notOk(text.includes(token));
});
