import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { YsellClient, defaultYsellPaths, type YsellClientOptions } from '../../src/connectors/ysell/client.js';
import type { YsellCreateOrder } from '../../src/connectors/ysell/schemas.js';
import { type IntegrationError } from '../../src/core/errors.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { startYsellFake, type YsellFake } from '../../src/sandbox/ysell/server.js';

const key = 'ysell-secret-key-4f9a2c';

function order(orderNum: string): YsellCreateOrder {
  return {
    order_num: orderNum,
    purchase_date: '2026-03-01 10:00:00',
    recipient: { name: 'Anna Schmidt', email: 'anna@example.com' },
    address: { street: 'Hauptstr. 1', city: 'Berlin', zip: '10115', country: 'Germany', country_code: 'DE' },
    items: [{ p_id: 11, odoo_product_id: 501, sku: 'CHAIR-1', qty: 2, price: '12.50', serial_num: 'SN1,SN2' }],
  };
}

/** The one order listed for a number, or null; more than one fails the test. */
async function findOne(client: YsellClient, orderNum: string, signal?: AbortSignal) {
  const found = await client.findOrdersByNumber(orderNum, signal);
  if (found.length > 1) throw new Error(`${found.length} orders listed for ${orderNum}`);
  return found[0] ?? null;
}

interface Harness {
  fake: YsellFake;
  client: YsellClient;
  exchanges: ExchangeEntry[];
  keyReads: () => number;
  invalidations: () => number;
}

async function setup(
  t: Test,
  options: { products?: number[]; keys?: string[]; client?: Partial<YsellClientOptions> } = {},
): Promise<Harness> {
  const fake = await startYsellFake({ apiKey: key, ...(options.products === undefined ? {} : { products: options.products }) });
  t.teardown(() => fake.close());
  const keys = options.keys ?? [key];
  let current = 0;
  let reads = 0;
  let invalidations = 0;
  const exchanges: ExchangeEntry[] = [];
  const client = new YsellClient({
    baseUrl: `${fake.url}/`,
    apiKey: async () => {
      reads += 1;
      return keys[Math.min(current, keys.length - 1)] ?? key;
    },
    invalidateApiKey: () => {
      invalidations += 1;
      current += 1;
    },
    timeoutMs: 2_000,
    paths: defaultYsellPaths,
    exchanges: (entry) => exchanges.push(entry),
    ...options.client,
  });
  return { fake, client, exchanges, keyReads: () => reads, invalidations: () => invalidations };
}

t.test('create, then find by number; absent numbers are null', async (t) => {
  const { fake, client, exchanges } = await setup(t);

  t.equal(await findOne(client, 'S00017'), null);
  const created = await client.createOrder(order('S00017'));
  t.match(created, { id: 1001, order_num: 'S00017', status: { status_name: 'New' } });
  t.same(await findOne(client, 'S00017'), created);
  t.equal(await findOne(client, 'S0001'), null);

  const [find, create] = exchanges;
  t.match(find, {
    connector: 'ysell',
    operation: 'GET /api/v1/order',
    url: `${fake.url}/api/v1/order?order_num=S00017&per-page=50`,
    requestBody: '',
    httpStatus: 200,
    responseBody: '[]',
    fault: null,
    error: null,
  });
  t.match(create, { operation: 'POST /api/orders/create', httpStatus: 201, fault: null, error: null });
  t.same(JSON.parse(create?.requestBody ?? ''), order('S00017'));
  t.ok((create?.durationMs ?? -1) >= 0);
  t.ok(create?.startedAt instanceof Date);

  const sent = fake.requests.find((r) => r.method === 'POST');
  t.equal(sent?.headers['content-type'], 'application/json');
  t.equal(sent?.headers.accept, 'application/json');
  t.equal(sent?.headers.authorization, `Bearer ${key}`);
});

t.test('answers with only an id and a status are read: nothing else is required', async (t) => {
  const fake = await startYsellFake({ apiKey: key, answers: 'minimal' });
  t.teardown(() => fake.close());
  const client = new YsellClient({ baseUrl: fake.url, apiKey: async () => key, invalidateApiKey: () => {}, timeoutMs: 2_000, paths: defaultYsellPaths });
  const created = await client.createOrder(order('S7'));
  t.same(created, { id: 1001, status: { status_name: 'New', short_description: 'New order' } });
  t.same(await client.findOrdersByNumber('S7'), [created], 'a listed order without its number is a candidate, for the caller to judge');
  fake.deliver(1001);
  t.equal((await client.getOrderStatus(1001)).status.status_name, 'Done');
});

t.test('parts of an answer we do not use never fail it', async (t) => {
  const answers: unknown[] = [];
  const client = new YsellClient({
    baseUrl: 'http://127.0.0.1:1',
    apiKey: async () => key,
    invalidateApiKey: () => {},
    timeoutMs: 2_000,
    paths: defaultYsellPaths,
    fetch: async () => new Response(JSON.stringify(answers.shift()), { status: 200, headers: { 'Content-Type': 'application/json' } }),
  });
  answers.push({ id: '1002', order_num: 1002, status: 'Nouveau', items: 'not a list', shipments: null, extra: { deep: [1] } });
  t.match(await client.createOrder(order('1002')), { id: 1002, order_num: '1002', status: { status_name: 'Nouveau' }, items: undefined });
  answers.push([{ id: 3, status: 42 }, { order_num: 'S1' }, 'junk', { id: 4, order_num: 'S1', items: [{ p_id: 'x' }, { p_id: 11 }] }]);
  t.same(
    (await client.findOrdersByNumber('S1')).map((o) => [o.id, o.status, o.items?.map((i) => i.p_id)]),
    [
      [3, undefined, undefined],
      [4, undefined, [undefined, 11]],
    ],
    'rows without an id are left out; an odd status or item is dropped, not fatal',
  );
  answers.push({ status: { status_name: 'Done' } });
  t.same((await client.getOrderStatus(3)).status, { status_name: 'Done' }, 'the status answer needs only the status');
  answers.push({ id: 3, status: 'Done' });
  t.same((await client.getOrderStatus(3)).status, { status_name: 'Done' }, 'a bare status name is read too');
  answers.push({ id: 3, order_num: 'S1' });
  t.match(await failure(client.getOrderStatus(3)), { kind: 'retryable', code: 'MALFORMED_RESPONSE' }, 'without the status, the one thing we use, it is unreadable');
});

t.test('order status', async (t) => {
  const { fake, client } = await setup(t);
  const created = await client.createOrder(order('S1'));
  fake.deliver(created.id);
  t.same(await client.getOrderStatus(created.id), {
    id: created.id,
    order_num: 'S1',
    status: { status_name: 'Done', short_description: 'Delivered to the customer' },
  });
  const missing = await failure(client.getOrderStatus(9999));
  t.match(missing, { kind: 'permanent', code: 'HTTP_404', context: { system: 'ysell', operation: 'GET /api/orders/status', httpStatus: 404 } });
  t.match(missing.message, /Page not found/);
});

t.test('every order showing our number is listed, one showing another number is not', async (t) => {
  const doubled = new YsellClient({
    baseUrl: 'http://127.0.0.1:1',
    apiKey: async () => key,
    invalidateApiKey: () => {},
    timeoutMs: 2_000,
    paths: defaultYsellPaths,
    fetch: async () =>
      new Response(JSON.stringify([{ id: 7, order_num: 'S1' }, { id: 8, order_num: 'S1' }, { id: 9, order_num: 'S10' }]), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      }),
  });
  t.same(
    (await doubled.findOrdersByNumber('S1')).map((o) => o.id),
    [7, 8],
    'both are listed for the caller to judge; the order numbered S10 is not',
  );
});

t.test('a lookup follows the pages Ysell reports, and gives up on an ignored filter', async (t) => {
  const pages: string[] = [];
  const respond = (pageCount: number, body: unknown[]): Response =>
    new Response(JSON.stringify(body), { status: 200, headers: { 'X-Pagination-Page-Count': String(pageCount) } });
  const client = (pageCount: number): YsellClient =>
    new YsellClient({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: async () => key,
      invalidateApiKey: () => {},
      timeoutMs: 2_000,
      paths: defaultYsellPaths,
      fetch: async (input) => {
        const url = new URL(String(input));
        pages.push(url.searchParams.get('page') ?? '1');
        return url.searchParams.get('page') === '2' ? respond(pageCount, [{ id: 5, order_num: 'S1' }]) : respond(pageCount, [{ id: 4, order_num: 'S10' }]);
      },
    });

  t.match(await findOne(client(2), 'S1'), { id: 5 });
  t.same(pages, ['1', '2']);
  const err = await failure(findOne(client(400), 'S1'));
  t.match(err, { kind: 'permanent', code: 'YSELL_FIND_UNRELIABLE' });
});

t.test('a rejected key is read again once; a rotated key then works', async (t) => {
  const { fake, client, exchanges, keyReads, invalidations } = await setup(t, { keys: ['old-key-1234', 'new-key-5678'] });
  fake.setApiKey('new-key-5678');
  const created = await client.createOrder(order('S1'));
  t.equal(created.order_num, 'S1');
  t.equal(invalidations(), 1);
  t.equal(keyReads(), 2);
  t.same(
    exchanges.map((e) => e.httpStatus),
    [401, 201],
  );
  t.equal(exchanges[0]?.fault, 'Your request was made with invalid credentials.');
  t.equal(fake.orders().length, 1);
});

t.test('a key that stays rejected is a permanent error', async (t) => {
  const { client, exchanges, invalidations } = await setup(t, { keys: ['wrong-key-1', 'wrong-key-2'] });
  const err = await failure(client.createOrder(order('S1')));
  t.match(err, { kind: 'permanent', code: 'YSELL_UNAUTHORIZED', context: { system: 'ysell', operation: 'POST /api/orders/create', httpStatus: 401 } });
  t.match(err.message, /ysell\.api_key system parameter in Odoo/);
  t.equal(invalidations(), 1, 'one re-read, not a loop');
  t.equal(exchanges.length, 2);
});

t.test('429 is retryable after the time Ysell asks for', async (t) => {
  const { fake, client } = await setup(t);
  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  const err = await failure(client.createOrder(order('S1')));
  t.match(err, { kind: 'retryable', code: 'HTTP_429', retryAfterMs: 7_000, context: { httpStatus: 429 } });
  t.equal(fake.orders().length, 0);
});

t.test("Yii2's own rate limiter sends only X-Rate-Limit-Reset, which is honoured too", async (t) => {
  const fake = await startYsellFake({ apiKey: key, rateLimit: { limit: 1, windowMs: 60_000 } });
  t.teardown(() => fake.close());
  const client = new YsellClient({
    baseUrl: fake.url,
    apiKey: async () => key,
    invalidateApiKey: () => {},
    timeoutMs: 2_000,
    paths: defaultYsellPaths,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.delete('Retry-After');
      return new Response(await response.text(), { status: response.status, headers });
    },
  });
  await findOne(client, 'S1');
  const err = await failure(findOne(client, 'S1'));
  t.match(err, { code: 'HTTP_429', retryAfterMs: 60_000 });
});

t.test('server failures are retryable', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'status', status: 500 });
  const internal = await failure(client.createOrder(order('S1')));
  t.match(internal, { kind: 'retryable', code: 'HTTP_500', context: { httpStatus: 500 } });
  t.match(internal.message, /An internal server error occurred/);
  t.equal(exchanges.at(-1)?.fault, 'An internal server error occurred.');

  fake.inject({ kind: 'status', status: 502 });
  const gateway = await failure(client.getOrderStatus(1));
  t.match(gateway, { kind: 'retryable', code: 'HTTP_502' });
  t.equal(exchanges.at(-1)?.fault, 'HTTP 502');
  t.match(gateway.detail ?? '', /Bad Gateway/);
});

t.test('422 is permanent and lists every field', async (t) => {
  const { client, exchanges } = await setup(t, { products: [11] });
  const bad = order('S1');
  bad.items.push({ p_id: 99, qty: 1 });
  const err = await failure(client.createOrder(bad));
  t.match(err, { kind: 'permanent', code: 'YSELL_VALIDATION', context: { fields: [{ field: 'items[1].p_id', message: 'Product not found.' }] } });
  t.match(err.message, /items\[1\]\.p_id: Product not found\./);
  t.equal(exchanges.at(-1)?.fault, 'items[1].p_id: Product not found.');

  await client.createOrder(order('S2'));
  const taken = await failure(client.createOrder(order('S2')));
  t.match(taken.message, /order_num: Order Num "S2" has already been taken\./);
});

t.test('a 2xx body that is not the expected JSON is retryable', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'garbage' });
  const err = await failure(client.createOrder(order('S1')));
  t.match(err, { kind: 'retryable', code: 'MALFORMED_RESPONSE', context: { httpStatus: 200 } });
  t.match(err.message, /not JSON/);
  t.match(err.detail ?? '', /^<br \/>/);
  t.ok((err.detail ?? '').length <= 201);
  t.match(exchanges.at(-1), { httpStatus: 200, fault: null, error: /not JSON/ });

  const wrongShape = new YsellClient({
    baseUrl: fake.url,
    apiKey: async () => key,
    invalidateApiKey: () => {},
    timeoutMs: 2_000,
    paths: defaultYsellPaths,
    fetch: async () => new Response(JSON.stringify({ id: 'x', order_num: 'S1' }), { status: 201 }),
  });
  const shape = await failure(wrongShape.createOrder(order('S1')));
  t.match(shape, { code: 'MALFORMED_RESPONSE' });
  t.match(shape.message, /expected shape \(id: /);
});

t.test('a dropped connection is retryable; a GET is repeated once on it', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'reset' });
  const err = await failure(client.createOrder(order('S1')));
  t.match(err, { kind: 'retryable', code: 'CONNECTION_FAILED' });
  t.match(exchanges.at(-1), { httpStatus: null, responseBody: '', fault: null, error: /Could not reach Ysell/ });
  t.equal(exchanges.length, 1, 'a create is never repeated by the client');

  fake.inject({ kind: 'reset' });
  t.equal(await findOne(client, 'S1'), null, 'a GET survives one reset');
  fake.inject({ kind: 'reset' }, { times: 2 });
  t.match(await failure(findOne(client, 'S1')), { code: 'CONNECTION_FAILED' });

  fake.inject({ kind: 'reset-after-create' });
  t.match(await failure(client.createOrder(order('S2'))), { code: 'CONNECTION_FAILED' });
  t.match(await findOne(client, 'S2'), { order_num: 'S2' }, 'look-before-create finds the lost create');
});

t.test('a slow answer times out, and the caller can cancel', async (t) => {
  const { fake, client } = await setup(t, { client: { timeoutMs: 200 } });
  fake.inject({ kind: 'delay', ms: 1_000 });
  const started = Date.now();
  const err = await failure(client.createOrder(order('S1')));
  t.match(err, { kind: 'retryable', code: 'TIMEOUT', context: { operation: 'POST /api/orders/create' } });
  t.ok(Date.now() - started < 900);

  fake.inject({ kind: 'delay', ms: 1_000 });
  const controller = new AbortController();
  const call = findOne(client, 'S1', controller.signal);
  setTimeout(() => controller.abort(), 50);
  t.match(await failure(call), { kind: 'retryable', code: 'ABORTED' });
});

t.test('the API key appears in no message, detail or exchange entry', async (t) => {
  const { fake, client, exchanges } = await setup(t, { keys: [key, 'second-secret-key-77'] });
  const errors: IntegrationError[] = [];
  fake.setApiKey('another-key-entirely');
  errors.push(await failure(client.createOrder(order('S1'))));
  fake.setApiKey('second-secret-key-77');
  fake.inject({ kind: 'status', status: 500 });
  errors.push(await failure(client.getOrderStatus(1)));
  fake.inject({ kind: 'reset' }, { times: 2 });
  errors.push(await failure(client.getOrderStatus(1)));
  await client.createOrder(order('S2'));

  const text = JSON.stringify([exchanges, errors.map((e) => [e.message, e.detail, e.context])]);
  t.ok(exchanges.length >= 6);
  t.notOk(text.includes(key), 'first key absent');
  t.notOk(text.includes('second-secret-key-77'), 'second key absent');
});
