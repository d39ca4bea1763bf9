import t, { type Test } from 'tap';
import { generateOrders, moscowLocal, ordersPath, startBizonFake, type BizonFake, type BizonFakeOptions } from '../../../src/sandbox/bizon365/server.js';

const token = 'bizon-test-token-0123';
/** 13:00 in Moscow on 10 September 2025. */
const clock = new Date('2025-09-10T10:00:00Z');

interface Listing {
  skip: number;
  limit: number;
  total: number;
  list: Array<Record<string, unknown> & { _id: number }>;
  dateBegin: string;
  dateEnd: string;
  search: string;
}

async function call(
  fake: BizonFake,
  query: Record<string, string> = {},
  options: { token?: string | null; path?: string; method?: string } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const headers: Record<string, string> = {};
  const sent = options.token === undefined ? fake.token : options.token;
  if (sent !== null) headers['X-Token'] = sent;
  const search = new URLSearchParams(query).toString();
  const response = await fetch(`${fake.url}${options.path ?? fake.ordersPath}${search === '' ? '' : `?${search}`}`, { method: options.method ?? 'GET', headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

async function list(fake: BizonFake, query: Record<string, string> = {}): Promise<Listing> {
  const answer = await call(fake, query);
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.text}`);
  return answer.json() as Listing;
}

const ids = (listing: Listing): number[] => listing.list.map((o) => o._id);

async function start(t: Test, options: BizonFakeOptions = {}): Promise<BizonFake> {
  const fake = await startBizonFake({ token, now: () => clock, ...options });
  t.teardown(() => fake.close());
  return fake;
}

t.test('authentication and routing', async (t) => {
  const fake = await start(t);

  const missing = await call(fake, {}, { token: null });
  t.equal(missing.status, 401);
  t.same(missing.json(), { message: 'Invalid or missing X-Token' });
  t.equal((await call(fake, {}, { token: 'wrong-token' })).status, 401);
  t.equal((await call(fake, {}, { token: null, path: '/nowhere' })).status, 401, 'authentication comes before routing');

  const otherProject = await call(fake, {}, { path: ordersPath('999') });
  t.equal(otherProject.status, 403);
  t.same(otherProject.json(), { message: 'No access to project 999' });
  t.equal((await call(fake, {}, { path: `/api/v2/${fake.projectId}/orders/getorder` })).status, 404);
  t.equal((await call(fake, {}, { path: '/api/v1/orders/getorders' })).status, 404);
  const post = await call(fake, {}, { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET');

  fake.setOrdersAccess(false);
  const denied = await call(fake);
  t.equal(denied.status, 403);
  t.match(denied.json(), { message: /orders module/ });
  fake.setOrdersAccess(true);

  fake.setToken('rotated-token-456');
  t.equal((await call(fake, {}, { token })).status, 401, 'the old token is refused');
  t.equal((await call(fake)).status, 200);

  const random = await startBizonFake();
  t.teardown(() => random.close());
  t.ok(random.token.length >= 16, 'a random token by default');
  t.equal(random.projectId, '12345');
});

t.test('the order as Bizon writes it', async (t) => {
  const fake = await start(t);
  const created = new Date('2025-09-09T21:30:00.250Z');
  const order = fake.add({
    created,
    firstname: 'Иван',
    lastname: 'Петров',
    email: 'ivan@example.com',
    phone: '+79998887766',
    goods: [{ _id: 'kvadro5', price: 1000, cnt: 2 }],
    title: 'Квадро 5',
    currency: 'EUR',
    partialPaid: 500,
    payments: [{ date: new Date('2025-09-09T21:31:00Z'), amount: 500 }],
  });
  t.match(order, {
    _id: 100001,
    goods: '[{"_id":"kvadro5","price":1000,"cnt":2}]',
    amount: 2000,
    currency: 'EUR',
    amount_RUR: 200000,
    created: '2025-09-10T00:30:00.250',
    paid: false,
    partialPaid: 500,
    partialPaid_RUR: 50000,
    payments: [{ date: '2025-09-10T00:31:00.000', amount: 500, cur: 'EUR', gate: 'yookassa' }],
    utm: {},
    hash: String,
  });
  t.equal(moscowLocal(created), '2025-09-10T00:30:00.250', 'Moscow time is UTC+3, without an offset');

  const paid = fake.add({ created, goods: [{ _id: 'x', price: 10, cnt: 1 }], paid: true, partialPaid: 5 });
  t.notOk('partialPaid' in paid, 'partial payment fields only on partly paid orders');
  t.notOk('payments' in paid);
  t.equal(paid['_id'], 100002, 'ids follow each other');

  const broken = fake.add({ created, goods: '[{"_id":"kvadro5",', amount: 100, extra: { amount_RUR: 'n/a' } });
  t.equal(broken['goods'], '[{"_id":"kvadro5",', 'a string is stored as it is');
  t.equal(broken['amount_RUR'], 'n/a', 'extra fields are written over');
  t.throws(() => fake.add({ _id: 100001, created }), /exists already/);

  const utc = await start(t, { createdFormat: 'utc' });
  t.equal(utc.add({ created, goods: [{ _id: 'x', price: 1, cnt: 1 }] })['created'], '2025-09-09T21:30:00.250Z', 'the seed example format on demand');

  t.same((await list(fake)).list, fake.orders().reverse(), 'the listing serves what orders() shows, newest id first at equal times');
});

t.test('paging with skip and limit', async (t) => {
  const fake = await start(t);
  fake.addMany(generateOrders(250, { now: clock, days: 5, seed: 7 }));

  const first = await list(fake, { paid: '-1' });
  t.equal(first.total, 250);
  t.equal(first.skip, 0);
  t.equal(first.limit, 100, 'limit defaults to 100');
  t.equal(first.list.length, 100);
  const created = first.list.map((o) => String(o['created']));
  t.same(created, [...created].sort().reverse(), 'newest first');

  const big = await list(fake, { paid: '-1', limit: '500', skip: '200' });
  t.equal(big.limit, 100, 'a limit above 100 is served as 100');
  t.equal(big.list.length, 50);
  const all = [...ids(first), ...ids(await list(fake, { paid: '-1', skip: '100' })), ...ids(big)];
  t.equal(new Set(all).size, 250, 'three pages hold every order once');

  t.same((await list(fake, { skip: '300' })).list, [], 'past the end is an empty page');
  t.equal((await list(fake, { limit: '10' })).list.length, 10);
  const bads: Array<Record<string, string>> = [{ limit: '0' }, { limit: 'ten' }, { skip: '-1' }, { days: 'x' }];
  for (const bad of bads) {
    const answer = await call(fake, bad);
    t.equal(answer.status, 400, JSON.stringify(bad));
    t.match(answer.json(), { message: String });
  }
});

t.test('the window: days, dates, and the 14-day default', async (t) => {
  const fake = await start(t);
  const at = (iso: string, id: number): void => {
    fake.add({ _id: id, created: new Date(iso), goods: [{ _id: 'x', price: 1, cnt: 1 }], paid: true });
  };
  at('2025-09-10T09:00:00Z', 1); // today
  at('2025-09-03T21:00:00Z', 2); // 7 days ago, 00:00 Moscow on 4 September
  at('2025-09-03T20:59:59Z', 3); // the last second of 3 September in Moscow
  at('2025-08-26T21:00:00Z', 4); // 00:00 Moscow on 27 August: 14 days back
  at('2025-08-26T20:00:00Z', 5); // 26 August in Moscow: 15 days back

  const fallback = await list(fake);
  t.same(ids(fallback).sort(), [1, 2, 3, 4], 'neither days nor dates: 14 days and today');
  t.equal(fallback.dateBegin, '27.08.2025');
  t.equal(fallback.dateEnd, '10.09.2025');
  t.same(ids(await list(fake, { days: '0' })).sort(), [1, 2, 3, 4], 'days=0 is not given');

  const week = await list(fake, { days: '6' });
  t.same(ids(week).sort(), [1, 2], 'days=6 is today and the 6 days before it, in Moscow days');
  t.equal(week.dateBegin, '04.09.2025');

  const range = await list(fake, { dateBegin: '2025-09-03T00:00:00', dateEnd: '2025-09-03T23:59:59' });
  t.same(ids(range), [3], 'dates are read in Moscow time, both ends included');
  t.equal(range.dateBegin, '03.09.2025');
  t.equal(range.dateEnd, '03.09.2025');
  t.same(ids(await list(fake, { dateBegin: '2025-09-03', dateEnd: '2025-09-03' })), [3], 'a date without a time is the whole day');
  t.same(ids(await list(fake, { dateBegin: '2025-09-04T00:00' })).sort(), [1, 2], 'open end');
  const openBegin = await list(fake, { dateEnd: '2025-08-26T23:00:00' });
  t.same(ids(openBegin), [5]);
  t.equal(openBegin.dateBegin, '', 'an open bound is echoed empty');

  t.same(ids(await list(fake, { days: '6', dateBegin: '2025-08-01T00:00:00', dateEnd: '2025-08-31T00:00:00' })).sort(), [1, 2], 'days wins over dates');

  for (const bad of ['2025-13-01', '2025-02-30T00:00:00', 'yesterday', '2025-09-01T25:00:00']) {
    const answer = await call(fake, { dateBegin: bad });
    t.equal(answer.status, 400, bad);
    t.match(answer.json(), { message: /is not a date/ });
  }
});

t.test('the paid and free filters, and search', async (t) => {
  const fake = await start(t);
  const created = new Date('2025-09-09T10:00:00Z');
  const goods = [{ _id: 'x', price: 100, cnt: 1 }];
  fake.add({ _id: 1, created, goods, firstname: 'Unpaid', email: 'one@example.com' });
  fake.add({ _id: 2, created, goods, partialPaid: 40, firstname: 'Partial', phone: '+79991112233' });
  fake.add({ _id: 3, created, goods, paid: true, firstname: 'Paid', lastname: 'Сидоров' });
  fake.add({ _id: 4, created, goods, paid: true, recurring: true, firstname: 'Recurring' });
  fake.add({ _id: 5, created, goods, amount: 0, firstname: 'Free' });

  const expected: Record<string, number[]> = { '-1': [1, 2, 3, 4], '0': [1], '1': [3, 4], '2': [4], '3': [3], '5': [1, 2] };
  for (const [paid, want] of Object.entries(expected)) {
    t.same(ids(await list(fake, { paid })).sort(), want, `paid=${paid}`);
  }
  t.same(ids(await list(fake)).sort(), [1, 2, 3, 4], 'no paid: all orders');
  t.same(ids(await list(fake, { paid: '1', free: '1' })).sort(), [3, 4, 5], 'free=1 adds free orders');
  t.same(ids(await list(fake, { free: '0' })).sort(), [1, 2, 3, 4]);
  const badPaid = await call(fake, { paid: '4' });
  t.equal(badPaid.status, 400);
  t.same(badPaid.json(), { message: 'paid must be one of -1, 0, 1, 2, 3, 5' });

  t.same(ids(await list(fake, { search: 'сидор' })), [3], 'search in the name, case-insensitive');
  t.same(ids(await list(fake, { search: '1112233' })), [2], 'in the phone');
  const byMail = await list(fake, { search: 'one@example' });
  t.same(ids(byMail), [1], 'in the e-mail');
  t.equal(byMail.search, 'one@example', 'the search is echoed');
});

t.test('rate limit', async (t) => {
  const fake = await start(t, { maxPerSecond: 2 });
  t.equal((await call(fake)).status, 200);
  t.equal((await call(fake, {}, { token: 'wrong-token' })).status, 401, 'every request counts');
  const limited = await call(fake);
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '1');
  t.same(limited.json(), { message: 'Too many requests, slow down' });

  const off = await start(t);
  for (let i = 0; i < 5; i++) t.equal((await call(off)).status, 200, 'off by default');
});

t.test('injected faults', async (t) => {
  const fake = await start(t);

  fake.inject({ kind: 'status', status: 500 });
  const failed = await call(fake, {}, { token: null });
  t.equal(failed.status, 500, 'faults come before authentication');
  t.same(failed.json(), { message: 'Internal server error' });
  t.equal((await call(fake)).status, 200, 'one time by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  for (let i = 0; i < 2; i++) {
    const gateway = await call(fake);
    t.equal(gateway.status, 502);
    t.match(gateway.text, /502 Bad Gateway[\s\S]*nginx/);
  }
  fake.inject({ kind: 'status', status: 503 });
  t.match((await call(fake)).text, /503 Service Temporarily Unavailable/);

  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  const limited = await call(fake);
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '7');

  fake.inject({ kind: 'status', status: 500 }, { match: (req) => req.query['skip'] === '100' });
  t.equal((await call(fake)).status, 200, 'match leaves other requests alone');
  t.equal((await call(fake, { skip: '100' })).status, 500);

  fake.inject({ kind: 'delay', ms: 120 });
  const started = Date.now();
  t.equal((await call(fake)).status, 200);
  t.ok(Date.now() - started >= 110, 'answered late');

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake));
  t.equal(fake.requests.at(-1)?.status, null, 'a reset request has no status');

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake);
  t.equal(garbage.status, 200);
  t.throws(() => garbage.json());

  fake.inject({ kind: 'body', body: '{"count":0,"orders":[]}' });
  t.same((await call(fake)).json(), { count: 0, orders: [] });
  fake.inject({ kind: 'body', status: 418, body: 'teapot', contentType: 'text/plain' });
  const teapot = await call(fake);
  t.equal(teapot.status, 418);
  t.equal(teapot.headers.get('content-type'), 'text/plain');

  fake.inject({ kind: 'status', status: 500 }, { share: 0 });
  t.equal((await call(fake)).status, 200, 'share 0 never fires');
  fake.clearFaults();
  fake.inject({ kind: 'status', status: 503 }, { share: 1, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await call(fake)).status);
  t.same(statuses, [503, 503, 200]);
});

t.test('seeded orders, changes, requests and reset', async (t) => {
  const a = generateOrders(20, { now: clock, seed: 42 });
  t.same(generateOrders(20, { now: clock, seed: 42 }), a, 'the same seed gives the same orders');
  t.notSame(generateOrders(20, { now: clock, seed: 43 }), a);
  const paid = a.filter((o) => o.paid === true).length;
  t.ok(paid > 0 && paid < 20, 'a mix of paid and unpaid');
  t.ok(a.some((o) => (o.partialPaid ?? 0) > 0), 'some partly paid');
  t.ok(a.every((o) => o.created.getTime() <= clock.getTime() && o.created.getTime() > clock.getTime() - 10 * 86_400_000));

  const fake = await start(t);
  fake.add({ _id: 7, created: new Date('2025-09-09T10:00:00Z'), goods: [{ _id: 'x', price: 5, cnt: 1 }] });
  t.same(ids(await list(fake, { paid: '1' })), []);
  t.match(fake.update(7, { paid: true }), { _id: 7, paid: true });
  t.same(ids(await list(fake, { paid: '1' })), [7], 'an order paid later is listed as paid');
  fake.remove(7);
  t.same(fake.orders(), []);
  t.throws(() => fake.update(7, {}), /no order 7/);

  t.match(fake.requests.at(-1), { method: 'GET', path: fake.ordersPath, query: { paid: '1' }, status: 200, at: Number });
  t.equal(fake.requests.at(-1)?.headers['x-token'], token);

  fake.add({ created: clock });
  fake.inject({ kind: 'status', status: 500 });
  fake.setOrdersAccess(false);
  fake.reset();
  t.same(fake.orders(), []);
  t.same(fake.requests, []);
  t.equal((await call(fake)).status, 200, 'reset clears faults and restores access');
});

t.test('close does not wait for pending answers', async (t) => {
  const fake = await startBizonFake({ token });
  fake.inject({ kind: 'delay', ms: 5_000 });
  const pending = call(fake);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closing = Date.now();
  await fake.close();
  t.ok(Date.now() - closing < 1_000);
  await t.rejects(pending);
});
