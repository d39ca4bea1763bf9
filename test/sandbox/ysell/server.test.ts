import t from 'tap';
import { startYsellFake, type YsellFake } from '../../../src/sandbox/ysell/server.js';

const key = 'test-key-0123456789';

function validOrder(orderNum: string): Record<string, unknown> {
  return {
    order_num: orderNum,
    purchase_date: '2026-03-01 10:00:00',
    comment: 'leave at the door',
    currency: 'EUR',
    recipient: { name: 'Anna Schmidt', phone: '+49 30 1234567' },
    address: { street: 'Hauptstr. 1', city: 'Berlin', zip: '10115', country: 'Germany', country_code: 'DE' },
    items: [{ p_id: 11, odoo_product_id: 501, sku: 'CHAIR-1', title: 'Chair', qty: 2, price: '12.50', serial_num: 'SN1,SN2' }],
  };
}

async function call(
  fake: YsellFake,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; contentType?: string; auth?: string | null } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? `Bearer ${fake.apiKey}` : options.auth;
  if (auth !== null) headers['Authorization'] = auth;
  let body: string | undefined;
  if (options.body !== undefined || options.rawBody !== undefined) {
    body = options.rawBody ?? JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const response = await fetch(`${fake.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

t.test('authentication', async (t) => {
  const fake = await startYsellFake({ apiKey: key });
  t.teardown(() => fake.close());

  const missing = await call(fake, 'GET', '/api/v1/order', { auth: null });
  t.equal(missing.status, 401);
  t.same(missing.json(), { name: 'Unauthorized', message: 'Your request was made with invalid credentials.', code: 0, status: 401 });
  t.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');

  t.equal((await call(fake, 'GET', '/api/v1/order', { auth: 'Bearer wrong' })).status, 401);
  t.equal((await call(fake, 'GET', '/api/v1/order', { auth: `bearer ${key}` })).status, 200, 'scheme is case-insensitive');
  t.equal((await call(fake, 'GET', '/nowhere', { auth: null })).status, 401, 'authentication comes before routing');

  fake.setApiKey('rotated-key-987654');
  t.equal((await call(fake, 'GET', '/api/v1/order', { auth: `Bearer ${key}` })).status, 401, 'the old key is refused');
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200);
  t.equal(fake.apiKey, 'rotated-key-987654');

  const random = await startYsellFake();
  t.teardown(() => random.close());
  t.ok(random.apiKey.length >= 16, 'a random key by default');
});

t.test('creating an order', async (t) => {
  const fake = await startYsellFake({ apiKey: key, products: [11, 12] });
  t.teardown(() => fake.close());

  const created = await call(fake, 'POST', '/api/orders/create', { body: { ...validOrder('S00017'), extra: 'ignored' } });
  t.equal(created.status, 201);
  const order = created.json() as Record<string, unknown>;
  t.match(order, {
    id: 1001,
    order_num: 'S00017',
    company_id: 1,
    purchase_date: '2026-03-01 10:00:00',
    comment: 'leave at the door',
    currency: 'EUR',
    recipient: { name: 'Anna Schmidt', phone: '+49 30 1234567', email: null, company: null },
    address: { street: 'Hauptstr. 1', street2: null, city: 'Berlin', zip: '10115', country: 'Germany', country_code: 'DE' },
    status: { status_name: 'New', short_description: 'New order' },
    items: [{ p_id: 11, odoo_product_id: 501, sku: 'CHAIR-1', title: 'Chair', qty: 2, price: '12.50', serial_num: 'SN1,SN2' }],
    shipments: [],
  });
  t.notOk('extra' in order, 'unknown fields are not stored');
  t.equal(created.headers.get('location'), `${fake.url}/api/v1/order/1001`);
  t.equal((await call(fake, 'GET', '/api/v1/order/1001')).status, 200, 'the Location can be read');

  const second = await call(fake, 'POST', '/api/orders/create', { body: validOrder('S00018') });
  t.equal((second.json() as { id: number }).id, 1002, 'ids are sequential');

  const duplicate = await call(fake, 'POST', '/api/orders/create', { body: validOrder('S00017') });
  t.equal(duplicate.status, 422);
  t.same(duplicate.json(), [{ field: 'order_num', message: 'Order Num "S00017" has already been taken.' }]);

  t.same(
    fake.orders().map((o) => o.order_num),
    ['S00017', 'S00018'],
  );
  t.equal(fake.ordersByNumber('S00017').length, 1);
});

t.test('validation errors', async (t) => {
  const fake = await startYsellFake({ apiKey: key, products: [11] });
  t.teardown(() => fake.close());

  const blank = await call(fake, 'POST', '/api/orders/create', { body: {} });
  t.equal(blank.status, 422);
  t.same(blank.json(), [
    { field: 'order_num', message: 'Order Num cannot be blank.' },
    { field: 'recipient.name', message: 'Recipient Name cannot be blank.' },
    { field: 'address.street', message: 'Address Street cannot be blank.' },
    { field: 'address.city', message: 'Address City cannot be blank.' },
    { field: 'address.country', message: 'Address Country cannot be blank.' },
    { field: 'items', message: 'Items cannot be blank.' },
  ]);

  const badItems = await call(fake, 'POST', '/api/orders/create', {
    body: { ...validOrder('S1'), items: [{ p_id: 99, qty: 1 }, { p_id: 'x', qty: 0 }, { qty: 1, price: 'cheap' }] },
  });
  t.same(badItems.json(), [
    { field: 'items[0].p_id', message: 'Product not found.' },
    { field: 'items[1].p_id', message: 'P Id must be a positive integer.' },
    { field: 'items[1].qty', message: 'Qty must be greater than "0".' },
    { field: 'items[2].p_id', message: 'P Id cannot be blank.' },
    { field: 'items[2].price', message: 'Price must be a number.' },
  ]);

  const codeOnly = validOrder('S2');
  codeOnly['address'] = { street: 'a', city: 'b', country_code: 'DE' };
  t.equal((await call(fake, 'POST', '/api/orders/create', { body: codeOnly })).status, 201, 'a country code is enough');

  const form = await call(fake, 'POST', '/api/orders/create', { rawBody: 'order_num=S3', contentType: 'application/x-www-form-urlencoded' });
  t.equal(form.status, 415);
  t.match(form.json(), { name: 'Unsupported Media Type', status: 415 });

  const broken = await call(fake, 'POST', '/api/orders/create', { rawBody: '{"order_num":' });
  t.equal(broken.status, 400);
  t.match(broken.json(), { name: 'Bad Request', code: 0, status: 400 });

  const wrongVerb = await call(fake, 'GET', '/api/orders/create');
  t.equal(wrongVerb.status, 405);
  t.equal(wrongVerb.headers.get('allow'), 'POST');

  const unknown = await call(fake, 'GET', '/api/v1/nothing');
  t.same(unknown.json(), { name: 'Not Found', message: 'Page not found.', code: 0, status: 404 });
  t.equal(fake.orders().length, 1);
});

t.test('list paging and filter', async (t) => {
  const fake = await startYsellFake({ apiKey: key });
  t.teardown(() => fake.close());
  for (let i = 1; i <= 45; i++) {
    t.equal((await call(fake, 'POST', '/api/orders/create', { body: validOrder(`S${String(i).padStart(3, '0')}`) })).status, 201);
  }

  const first = await call(fake, 'GET', '/api/v1/order');
  const firstPage = first.json() as Array<{ id: number }>;
  t.equal(firstPage.length, 20, '20 per page by default');
  t.equal(firstPage[0]?.id, 1001);
  t.equal(first.headers.get('x-pagination-total-count'), '45');
  t.equal(first.headers.get('x-pagination-page-count'), '3');
  t.equal(first.headers.get('x-pagination-current-page'), '1');
  t.equal(first.headers.get('x-pagination-per-page'), '20');
  t.match(first.headers.get('link') ?? '', /rel=self, .*rel=first, .*page=2&per-page=20>; rel=next, .*page=3&per-page=20>; rel=last/);

  const last = await call(fake, 'GET', '/api/v1/order?page=3&per-page=20&sort=-id');
  const lastPage = last.json() as Array<{ id: number }>;
  t.same(
    lastPage.map((o) => o.id),
    [1005, 1004, 1003, 1002, 1001],
  );
  t.match(last.headers.get('link') ?? '', /rel=prev/);
  t.notMatch(last.headers.get('link') ?? '', /rel=next/);

  const big = await call(fake, 'GET', '/api/v1/order?per-page=500');
  t.equal((big.json() as unknown[]).length, 45);
  t.equal(big.headers.get('x-pagination-per-page'), '50', 'per-page is capped at 50');

  const past = await call(fake, 'GET', '/api/v1/order?page=9');
  t.equal(past.headers.get('x-pagination-current-page'), '3', 'a page past the end gives the last page, as Yii2 does');

  const filtered = await call(fake, 'GET', '/api/v1/order?order_num=S007&per-page=50');
  t.same(
    (filtered.json() as Array<{ order_num: string }>).map((o) => o.order_num),
    ['S007'],
  );
  const none = await call(fake, 'GET', '/api/v1/order?order_num=S999');
  t.same(none.json(), []);
  t.equal(none.headers.get('x-pagination-page-count'), '0');
});

t.test('order status', async (t) => {
  const fake = await startYsellFake({ apiKey: key, deliveredStatusName: 'Delivered' });
  t.teardown(() => fake.close());
  await call(fake, 'POST', '/api/orders/create', { body: validOrder('S1') });

  const fresh = await call(fake, 'GET', '/api/orders/status?id=1001');
  t.same(fresh.json(), { id: 1001, order_num: 'S1', status: { status_name: 'New', short_description: 'New order' } });

  fake.setStatus(1001, 'Shipped', 'Handed to DHL');
  t.same((await call(fake, 'GET', '/api/orders/status?id=1001')).json(), {
    id: 1001,
    order_num: 'S1',
    status: { status_name: 'Shipped', short_description: 'Handed to DHL' },
  });
  fake.deliver(1001);
  t.match((await call(fake, 'GET', '/api/orders/status?id=1001')).json(), { status: { status_name: 'Delivered' } });

  const invalid = await call(fake, 'GET', '/api/orders/status?id=abc');
  t.equal(invalid.status, 422);
  t.same(invalid.json(), [{ field: 'id', message: 'Id must be an integer.' }]);
  t.equal((await call(fake, 'GET', '/api/orders/status')).status, 422);
  t.equal((await call(fake, 'GET', '/api/orders/status?id=5')).status, 404);
  t.throws(() => fake.setStatus(5, 'Done'));
});

t.test("minimal answers show only the id and the status, as the specification promises no more", async (t) => {
  const fake = await startYsellFake({ apiKey: key, answers: 'minimal' });
  t.teardown(() => fake.close());
  const created = await call(fake, 'POST', '/api/orders/create', { body: validOrder('S1') });
  t.equal(created.status, 201);
  t.same(created.json(), { id: 1001, status: { status_name: 'New', short_description: 'New order' } });
  t.same((await call(fake, 'GET', '/api/orders/status?id=1001')).json(), { id: 1001, status: { status_name: 'New', short_description: 'New order' } });
  t.same((await call(fake, 'GET', '/api/v1/order?order_num=S1')).json(), [{ id: 1001, status: { status_name: 'New', short_description: 'New order' } }]);
  t.same((await call(fake, 'GET', '/api/v1/order/1001')).json(), { id: 1001, status: { status_name: 'New', short_description: 'New order' } });
  t.same((await call(fake, 'GET', '/api/v1/order?order_num=S2')).json(), [], 'the filter still works');
  t.equal(fake.ordersByNumber('S1')[0]?.items[0]?.serial_num, 'SN1,SN2', 'what was sent is kept, only not shown');
});

t.test('rate limit', async (t) => {
  const fake = await startYsellFake({ apiKey: key, rateLimit: { limit: 2, windowMs: 1_000 } });
  t.teardown(() => fake.close());

  const one = await call(fake, 'GET', '/api/v1/order');
  t.equal(one.headers.get('x-rate-limit-limit'), '2');
  t.equal(one.headers.get('x-rate-limit-remaining'), '1');
  t.equal(one.headers.get('x-rate-limit-reset'), '1');
  t.equal((await call(fake, 'GET', '/api/v1/order')).headers.get('x-rate-limit-remaining'), '0');

  const limited = await call(fake, 'GET', '/api/v1/order');
  t.equal(limited.status, 429);
  t.same(limited.json(), { name: 'Too Many Requests', message: 'Rate limit exceeded.', code: 0, status: 429 });
  t.equal(limited.headers.get('retry-after'), '1');
  t.equal(limited.headers.get('x-rate-limit-remaining'), '0');

  await new Promise((resolve) => setTimeout(resolve, 1_050));
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'a new window lets requests through');

  const off = await startYsellFake({ apiKey: key });
  t.teardown(() => off.close());
  t.equal((await call(off, 'GET', '/api/v1/order')).headers.get('x-rate-limit-limit'), null, 'off by default');
});

t.test('injected faults', async (t) => {
  const fake = await startYsellFake({ apiKey: key });
  t.teardown(() => fake.close());

  fake.inject({ kind: 'status', status: 500 });
  const failed = await call(fake, 'GET', '/api/v1/order');
  t.equal(failed.status, 500);
  t.same(failed.json(), { name: 'Internal Server Error', message: 'An internal server error occurred.', code: 0, status: 500 });
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'one time by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  for (let i = 0; i < 2; i++) {
    const gateway = await call(fake, 'GET', '/api/v1/order');
    t.equal(gateway.status, 502);
    t.match(gateway.text, /<center><h1>502 Bad Gateway<\/h1><\/center>[\s\S]*nginx/);
    t.match(gateway.headers.get('content-type') ?? '', /text\/html/);
  }
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200);

  fake.inject({ kind: 'status', status: 503 });
  t.match((await call(fake, 'GET', '/api/v1/order')).text, /503 Service Unavailable/);

  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  const limited = await call(fake, 'GET', '/api/v1/order');
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '7');

  fake.inject({ kind: 'status', status: 500 }, { match: (req) => req.method === 'POST' });
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'match leaves other requests alone');
  t.equal((await call(fake, 'POST', '/api/orders/create', { body: validOrder('X1') })).status, 500);
  t.equal(fake.orders().length, 0, 'a failed create creates nothing');

  fake.inject({ kind: 'delay', ms: 150 });
  const started = Date.now();
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200);
  t.ok(Date.now() - started >= 140, 'answered late');

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake, 'GET', '/api/v1/order'));
  t.equal(fake.requests.at(-1)?.status, null, 'a reset request has no status');

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake, 'GET', '/api/v1/order');
  t.equal(garbage.status, 200);
  t.throws(() => garbage.json());

  fake.inject({ kind: 'reset-after-create' });
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'only a create triggers reset-after-create');
  await t.rejects(call(fake, 'POST', '/api/orders/create', { body: validOrder('S42') }));
  t.equal(fake.ordersByNumber('S42').length, 1, 'the order exists although no answer came');

  fake.inject({ kind: 'status', status: 500 }, { share: 0 });
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'share 0 never fires');
  fake.clearFaults();
  fake.inject({ kind: 'status', status: 503 }, { share: 1, times: 3 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await call(fake, 'GET', '/api/v1/order')).status);
  t.same(statuses, [503, 503, 503, 200], 'share 1 with times fires that many times');

  fake.inject({ kind: 'status', status: 500 }, { times: 5 });
  fake.clearFaults();
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'clearFaults removes pending faults');
});

t.test('introspection, reset and keep-alive', async (t) => {
  const fake = await startYsellFake({ apiKey: key });
  await call(fake, 'POST', '/api/orders/create', { body: validOrder('S1') });
  await call(fake, 'GET', '/api/v1/order?order_num=S1', { auth: null });

  t.match(fake.requests, [
    { method: 'POST', path: '/api/orders/create', body: { order_num: 'S1' }, status: 201 },
    { method: 'GET', path: '/api/v1/order', query: { order_num: 'S1' }, status: 401 },
  ]);
  t.equal(fake.requests[0]?.headers.authorization, `Bearer ${key}`);

  fake.inject({ kind: 'status', status: 500 });
  fake.reset();
  t.same(fake.orders(), []);
  t.same(fake.requests, []);
  t.equal((await call(fake, 'GET', '/api/v1/order')).status, 200, 'reset clears faults');

  fake.inject({ kind: 'delay', ms: 5_000 });
  const pending = call(fake, 'GET', '/api/v1/order');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closing = Date.now();
  await fake.close();
  t.ok(Date.now() - closing < 1_000, 'close does not wait for kept-alive or pending sockets');
  await t.rejects(pending);
});
