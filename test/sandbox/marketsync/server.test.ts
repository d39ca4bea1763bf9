import t, { type Test } from 'tap';
import { canonicalQuery, signCanonical, signedQuery } from '../../../src/connectors/marketsync/signature.js';
import { badVerbMessage, mexicoCityWallTime, startMarketsyncFake, type MarketsyncFake, type MarketsyncFakeOptions } from '../../../src/sandbox/marketsync/server.js';

const token = 'r559f7ab1cr3f97c7cc64b7fa43r54af';
const privateKey = 'fake-test-private-key-42';
/** 10:00 in Mexico City (UTC-6). */
const noon = Date.parse('2026-03-02T16:00:00Z');

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

async function start(t: Test, options: MarketsyncFakeOptions = {}): Promise<MarketsyncFake> {
  const fake = await startMarketsyncFake({ token, privateKey, now: () => noon, ...options });
  t.teardown(() => fake.close());
  return fake;
}

async function call(
  fake: MarketsyncFake,
  method: string,
  path: string,
  options: { params?: Record<string, string>; body?: unknown; query?: string; at?: number; key?: string; token?: string } = {},
): Promise<Reply> {
  const query =
    options.query ?? signedQuery(options.params ?? {}, { token: options.token ?? fake.token, privateKey: options.key ?? fake.privateKey }, options.at ?? noon);
  const init: RequestInit = { method };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await fetch(`${fake.url}${path}?${query}`, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

function pedido(referencia: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    referencia,
    fecha_pedido: '2026-03-01T09:00:00',
    fecha_autoriza: '2026-03-01T09:05:00',
    subtotal: 100,
    total: 116,
    email: 'ana@example.mx',
    entregara: 'Ana López',
    telefono: '5555555555',
    direccion: 'Reforma 222',
    entrecalles: '',
    colonia: 'Juárez',
    ciudad: 'Cuauhtémoc',
    estado: 'Ciudad de México',
    observaciones: '',
    cp: '06600',
    estatus: 'paid',
    mensajeria: '',
    guias: '',
    orden_id: 17,
    shipping_id: '',
    fecha_orden: '2026-03-01T09:00:00',
    fecha: '2026-03-01T09:00:00',
    lineas: [{ product_id: 0, sku: 'CHAIR-1', descripcion: 'Chair', fulfillment: 0, cantidad: 2, precio: 50, color: '', referencia: '', variacion: '' }],
    ...overrides,
  };
}

t.test('the signature of the documented examples is accepted: rawurlencode as the PHP example, Python\'s only when asked', async (t) => {
  // after/before/limit/offset of the seed document's URL, signed by its Python 2 code with our key.
  const doc = await start(t, { now: () => Date.parse('2019-12-12T16:52:31Z') });
  const docQuery =
    'after=2019-11-15T00%3A00&before=2019-11-16T00%3A00&limit=2&offset=5&timestamp=2019-12-12T10%3A52%3A31.231000' +
    `&token=${token}&version=1.0&signature=`;
  const docSignature = 'ba50bd686a636c24f9f0517a7c3966134f036dfb050458c7c16c7501d68709d8';
  const fromDoc = await startMarketsyncFake({ token, privateKey: 'my-private-key', now: () => Date.parse('2019-12-12T16:52:31Z') });
  t.teardown(() => fromDoc.close());
  const accepted = await call(fromDoc, 'GET', '/api/pedidos', { query: `${docQuery}${docSignature}` });
  t.equal(accepted.status, 200);
  t.same(accepted.body['answer'], []);
  t.equal((await call(doc, 'GET', '/api/pedidos', { query: `${docQuery}${docSignature}` })).status, 401, 'another private key refuses it');

  // PHP's rawurlencode (the documented PHP example): a space is %20; signed with openssl over that string.
  const php = await startMarketsyncFake({ token: 'tok', privateKey: 'my-private-key', now: () => Date.parse('2024-01-02T09:04:05Z') });
  t.teardown(() => php.close());
  const phpQuery = 'name=a%20b~c%2Ad%2Fe%3Af&orders=1080%2C1085&timestamp=2024-01-02T03%3A04%3A05&token=tok&version=1.0';
  const ok = await call(php, 'GET', '/api/pedidos', { query: `${phpQuery}&signature=b655ab73d5ef66d5cd250a3936e651812233fdddaea60260cbea8474e0973a2d` });
  t.equal(ok.status, 200);
  // Python's urlencode wrote the space as "+" and so signed another string: refused, unless the server also takes it.
  const pyQuery = phpQuery.replace('%20', '+');
  const pySignature = 'dedf1ceb33c85b642467886cb1de23394bed55ac5e547ce01603cc3f12ce93f5';
  t.equal((await call(php, 'GET', '/api/pedidos', { query: `${pyQuery}&signature=${pySignature}` })).status, 401);
  const lenient = await startMarketsyncFake({ token: 'tok', privateKey: 'my-private-key', now: () => Date.parse('2024-01-02T09:04:05Z'), pythonSignatures: true });
  t.teardown(() => lenient.close());
  t.equal((await call(lenient, 'GET', '/api/pedidos', { query: `${pyQuery}&signature=${pySignature}` })).status, 200);
});

t.test('token, signature, version and timestamp are all checked', async (t) => {
  const fake = await start(t);
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200);

  const wrongToken = await call(fake, 'GET', '/api/pedidos', { token: 'another-token-0000000000000000' });
  t.equal(wrongToken.status, 401);
  t.same(wrongToken.body, { error: 'Error invalid token', timestamp: '2026-03-02 10:00:00' });

  const wrongKey = await call(fake, 'GET', '/api/pedidos', { key: 'not-the-private-key' });
  t.match(wrongKey, { status: 401, body: { error: 'Error invalid signature' } });

  const signed = signedQuery({ limit: '2' }, { token, privateKey }, noon);
  const tampered = await call(fake, 'GET', '/api/pedidos', { query: signed.replace('limit=2', 'limit=3') });
  t.match(tampered, { status: 401, body: { error: 'Error invalid signature' } });
  const unsigned = await call(fake, 'GET', '/api/pedidos', { query: signed.replace(/&signature=.*$/, '') });
  t.match(unsigned, { status: 401, body: { error: 'Error invalid signature' } });

  const canonical = canonicalQuery({ token, timestamp: '2026-03-02T10:00:00', version: '0.9' });
  const otherVersion = await call(fake, 'GET', '/api/pedidos', { query: `${canonical}&signature=${signCanonical(canonical, privateKey)}` });
  t.match(otherVersion, { status: 401, body: { error: 'Error invalid version' } });

  const stale = await call(fake, 'GET', '/api/pedidos', { at: noon - 301_000 });
  t.match(stale, { status: 401, body: { error: /^Error invalid timestamp/ } });
  t.equal((await call(fake, 'GET', '/api/pedidos', { at: noon + 299_000 })).status, 200, 'inside the window');

  const strict = await start(t, { timestampWindowMs: 1_000 });
  t.equal((await call(strict, 'GET', '/api/pedidos', { at: noon + 2_000 })).status, 401, 'the window is configurable');
});

t.test('the wall clock is Mexico City time', async (t) => {
  t.equal(mexicoCityWallTime(Date.parse('2026-03-02T16:00:00Z')), '2026-03-02 10:00:00');
  t.equal(mexicoCityWallTime(Date.parse('2019-07-01T12:00:00Z')), '2019-07-01 07:00:00', 'daylight saving time before 2022');
});

t.test('orders are answered with string numbers, kits and the envelope', async (t) => {
  const fake = await start(t);
  const stored = fake.addOrder({
    referencia: '32274456',
    comision: 41.86,
    items: [{ sku: '61922-XG', cantidad: 1, precio: 257.7586, kit: [{ sku: '60834-XG', cantidad: 2 }, { sku: '60827-XG', cantidad: 2 }] }],
  });
  const reply = await call(fake, 'GET', '/api/pedidos');
  t.equal(reply.status, 200);
  t.equal(reply.body['timestamp'], '2026-03-02 10:00:00');
  t.same(reply.body['answer'], [stored]);
  t.match(stored, {
    id: '500001',
    referencia: '32274456',
    total: '299.00',
    subtotal: '257.76',
    comision: '41.86',
    market_id: '1',
    market: 'Claro',
    estatus: 'Pendiente',
    fecha_orden: '2026-03-02 10:00:00',
    items: [{ cantidad: '1', precio: '257.7586', fulfillment: '0', kit_id: '1200', kit: [{ sku: '60834-XG', cantidad: '2' }, { sku: '60827-XG', cantidad: '2' }] }],
  });
});

t.test('filters and paging', async (t) => {
  const fake = await start(t, { maxLimit: 3 });
  for (let n = 1; n <= 5; n++) fake.addOrder({ referencia: `R${n}`, market_id: n % 2 === 0 ? 4 : 1, fecha_orden: `2026-03-0${n} 12:00:00` });
  const refs = async (params: Record<string, string>): Promise<unknown> => {
    const reply = await call(fake, 'GET', '/api/pedidos', { params });
    return (reply.body['answer'] as { referencia: string }[]).map((o) => o.referencia);
  };
  t.same(await refs({ limit: '2', offset: '0' }), ['R1', 'R2']);
  t.same(await refs({ limit: '2', offset: '4' }), ['R5']);
  t.same(await refs({ limit: '50' }), ['R1', 'R2', 'R3'], 'maxLimit caps a page');
  t.same(await refs({ ids: '500002,500004' }), ['R2', 'R4']);
  t.same(await refs({ orders: 'R3,R5' }), ['R3', 'R5']);
  t.same(await refs({ markets: '4' }), ['R2', 'R4']);
  t.same(await refs({ after: '2026-03-02T12:00:00', before: '2026-03-04T12:00:00' }), ['R2', 'R3', 'R4'], 'bounds are inclusive');
  t.same(await refs({ after: '2026-03-05T00:00' }), ['R5'], 'seconds may be left out');
  t.match(await call(fake, 'GET', '/api/pedidos', { params: { after: 'yesterday' } }), { status: 400, body: { error: 'Error invalid field after' } });
  t.match(await call(fake, 'GET', '/api/pedidos', { params: { limit: 'ten' } }), { status: 400, body: { error: 'Error invalid field limit' } });
});

t.test('creating orders', async (t) => {
  const fake = await start(t);
  const created = await call(fake, 'POST', '/api/pedidos', { body: [pedido('WEB-1')] });
  t.equal(created.status, 200);
  t.same(created.body['answer'], { ids: ['500001'] });
  t.match(fake.orders()[0], {
    id: '500001',
    referencia: 'WEB-1',
    fecha_pedido: '2026-03-01 09:00:00',
    subtotal: '100.00',
    total: '116.00',
    estatus: 'paid',
    market_id: '8',
    market: 'E-Commerce',
    guias: null,
    fecha_orden: '2026-03-02 10:00:00',
    items: [{ sku: 'CHAIR-1', cantidad: '2', precio: '50.0000', kit_id: null, kit: [] }],
  });

  const again = await call(fake, 'POST', '/api/pedidos', { body: [pedido('WEB-1')] });
  t.same(again.body['answer'], { ids: ['500002'] });
  t.equal(fake.ordersByReference('WEB-1').length, 2, 'a repeated number is not refused: only looking first prevents it');

  const { email: _email, ...withoutEmail } = pedido('WEB-2');
  const cases: [unknown, string][] = [
    [[withoutEmail], 'Error missing field email'],
    [[pedido('WEB-2', { lineas: [{ ...(pedido('x')['lineas'] as object[])[0], sku: undefined }] })], 'Error missing field linea.sku'],
    [[pedido('WEB-2', { referencia: 'R'.repeat(31) })], 'Error invalid field referencia'],
    [[pedido('WEB-2', { cp: '12345678901' })], 'Error invalid field cp'],
    [[pedido('WEB-2', { total: 'lots' })], 'Error invalid field total'],
    [[pedido('WEB-2', { estatus: 'embarcados' })], 'Error invalid field estatus'],
    [[pedido('WEB-2', { lineas: [] })], 'Error invalid field lineas'],
    [[pedido('WEB-2'), pedido('WEB-3', { orden_id: 'x' })], 'Error invalid field orden_id'],
    [{ referencia: 'WEB-2' }, 'Error invalid data: expected an array of orders'],
  ];
  for (const [body, message] of cases) {
    t.match(await call(fake, 'POST', '/api/pedidos', { body }), { status: 400, body: { error: message } }, message);
  }
  t.equal(fake.orders().length, 2, 'no rejected request stored anything');
  t.same(
    (await call(fake, 'POST', '/api/pedidos', { body: [pedido('WEB-4', { email: '', telefono: '', orden_id: 0, fecha_autoriza: '' })] })).body['answer'],
    { ids: ['500003'] },
    'present but empty is enough',
  );
});

t.test('status updates with a comment in the history', async (t) => {
  const fake = await start(t);
  await call(fake, 'POST', '/api/pedidos', { body: [pedido('WEB-1')] });
  const claro = fake.addOrder({ referencia: 'C-1', market_id: 1 });

  const updated = await call(fake, 'PUT', '/api/pedidos', { body: [{ referencia: 'WEB-1', estatus: 'refunded', comentario: 'returned by the customer' }] });
  t.same(updated.body, { answer: { result: 'Item(s) updated.' }, timestamp: '2026-03-02 10:00:00' });
  t.equal(fake.orders()[0]?.['estatus'], 'refunded');
  t.same(fake.history('500001'), [{ estatus: 'refunded', comentario: 'returned by the customer', fecha: '2026-03-02 10:00:00' }]);

  t.match(await call(fake, 'PUT', '/api/pedidos', { body: [{ referencia: 'C-1', estatus: 'refunded', comentario: '' }] }), {
    status: 400,
    body: { error: 'Error invalid field estatus' },
  });
  t.equal((await call(fake, 'PUT', '/api/pedidos', { body: [{ referencia: 'C-1', estatus: 'embarcados', comentario: '' }] })).status, 200, 'statuses are per marketplace');
  t.equal(fake.orders().find((o) => o['id'] === claro['id'])?.['estatus'], 'embarcados');
  t.match(await call(fake, 'PUT', '/api/pedidos', { body: [{ referencia: 'NOPE', estatus: 'paid', comentario: '' }] }), {
    status: 400,
    body: { error: /^Error invalid field referencia/ },
  });
  t.match(await call(fake, 'PUT', '/api/pedidos', { body: [{ referencia: 'WEB-1', estatus: 'paid' }] }), { status: 400, body: { error: 'Error missing field comentario' } });
});

t.test('totales: numbers, and a quota of one call per interval', async (t) => {
  let clock = 0;
  const fake = await start(t, { quotaClock: () => clock });
  const order = fake.addOrder({ referencia: 'A-1', subtotal: 904.31, total: 1049 });
  const first = await call(fake, 'GET', `/api/pedidos/totales/${String(order['id'])}`);
  t.equal(first.status, 200);
  t.match(first.body['answer'], [
    { concepto: 'SUBTOTAL', total: 904.31, pedido_id: 500001 },
    { concepto: 'IVA', total: 144.69 },
    { concepto: 'TOTAL', total: 1049 },
  ]);

  clock += 1_500;
  const early = await call(fake, 'GET', '/api/pedidos/totales/500001');
  t.match(early, { status: 429, body: { error: 'Error throttled: 1 call every 2 seconds' } });
  t.equal(early.headers.get('retry-after'), '1');

  clock += 500;
  fake.setTotals('500001', [{ id: 0, pedido_id: 0, concepto: 'OTROS_EGRESOS', label: 'Fee Commission MXN', total: -157.35, estado: 1, fecha: null }]);
  const later = await call(fake, 'GET', '/api/pedidos/totales/500001');
  t.equal(later.status, 200, 'the refused call did not count');
  t.match(later.body['answer'], [{ concepto: 'OTROS_EGRESOS', total: -157.35 }]);
  clock += 2_000;
  t.same((await call(fake, 'GET', '/api/pedidos/totales/999')).body['answer'], [], 'an unknown order has no charges');
});

t.test('a verb or path the API does not have is a 404', async (t) => {
  const fake = await start(t);
  for (const [method, path] of [
    ['DELETE', '/api/pedidos'],
    ['PATCH', '/api/pedidos'],
    ['POST', '/api/pedidos/totales/1'],
    ['GET', '/api/nothing'],
  ] as const) {
    t.match(await call(fake, method, path), { status: 404, body: { error: badVerbMessage } }, `${method} ${path}`);
  }
});

t.test('errors can come as HTTP 200 with an "Error …" answer', async (t) => {
  const fake = await start(t, { errorEnvelope: 'answer' });
  t.match(await call(fake, 'POST', '/api/pedidos', { body: [pedido('W', { lineas: [] })] }), { status: 200, body: { answer: 'Error invalid field lineas' } });
  t.match(await call(fake, 'GET', '/api/pedidos', { key: 'wrong-key-123' }), { status: 200, body: { answer: 'Error invalid signature' } });
  t.match(await call(fake, 'DELETE', '/api/pedidos'), { status: 404 }, 'the documented 404 stays a 404');
});

t.test('injected faults', async (t) => {
  const fake = await start(t);
  fake.inject({ kind: 'status', status: 500 });
  t.match(await call(fake, 'GET', '/api/pedidos'), { status: 500, body: { error: 'Error internal server error' } });
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200, 'once by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  const gateway = await call(fake, 'GET', '/api/pedidos');
  t.equal(gateway.status, 502);
  t.match(gateway.text, /nginx/);
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 502);
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200);

  fake.inject({ kind: 'status', status: 429, retryAfter: 30 }, { match: (r) => r.method === 'POST' });
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200, 'match picks the request');
  const limited = await call(fake, 'POST', '/api/pedidos', { body: [pedido('P')] });
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '30');
  t.equal(fake.orders().length, 0);

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake, 'GET', '/api/pedidos');
  t.equal(garbage.status, 200);
  t.throws(() => JSON.parse(garbage.text));

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake, 'GET', '/api/pedidos'));
  t.equal(fake.requests.at(-1)?.status, null, 'a reset request has no status');

  fake.inject({ kind: 'status', status: 500 }, { share: 0 });
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200, 'share 0 never fires');
  fake.clearFaults();
  fake.inject({ kind: 'status', status: 503 }, { share: 1, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await call(fake, 'GET', '/api/pedidos')).status);
  t.same(statuses, [503, 503, 200], 'share 1 with times fires that many times');

  fake.inject({ kind: 'delay', ms: 100 });
  const started = performance.now();
  t.equal((await call(fake, 'GET', '/api/pedidos')).status, 200);
  t.ok(performance.now() - started >= 90, 'answered late');

  t.ok(fake.requests.length >= 10);
  t.match(fake.requests.at(-1), { method: 'GET', path: '/api/pedidos', query: { token, version: '1.0' }, status: 200 });
  fake.reset();
  t.equal(fake.requests.length, 0);
});

t.test('ids grow as orders are stored: afterid and beforeid (inclusive) find an order stored late, whatever its date', async (t) => {
  const fake = await start(t);
  fake.addOrder({ referencia: '1001', market_id: 1, fecha_orden: '2026-03-02 09:00:00' });
  fake.addOrder({ referencia: '1001', market_id: 4, fecha_orden: '2026-03-02 09:30:00' });
  fake.addOrder({ referencia: 'LATE', market_id: 1, fecha_orden: '2026-03-01 00:00:00' });
  const ids = async (params: Record<string, string>): Promise<string[]> =>
    ((await call(fake, 'GET', '/api/pedidos', { params })).body['answer'] as { id: string }[]).map((o) => o.id);
  t.same(await ids({ afterid: '500002' }), ['500002', '500003'], 'afterid is "id >= :afterid"');
  t.same(await ids({ beforeid: '500002' }), ['500001', '500002']);
  t.same(await ids({ after: '2026-03-02T08:00:00' }), ['500001', '500002'], 'by creation date the late one is missed');
  t.same(await ids({ orders: '1001' }), ['500001', '500002'], 'two marketplaces share one referencia');
  t.equal((await call(fake, 'GET', '/api/pedidos', { params: { afterid: 'x' } })).status, 400);
});

t.test('readLag: a created order is missing from the next list answers, then shows', async (t) => {
  const fake = await start(t);
  fake.readLag(1);
  const created = await call(fake, 'POST', '/api/pedidos', { body: [pedido('WEB-9')] });
  const [id] = (created.body['answer'] as { ids: string[] }).ids;
  const read = async (): Promise<number> => ((await call(fake, 'GET', '/api/pedidos', { params: { ids: id ?? '' } })).body['answer'] as unknown[]).length;
  t.equal(await read(), 0, 'the read right after the create does not see it');
  t.equal(await read(), 1);
  t.equal(fake.orders().length, 1, 'it was created once');
});
