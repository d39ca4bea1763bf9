import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { MarketsyncClient, type MarketsyncClientOptions } from '../../src/connectors/marketsync/client.js';
import type { PedidoCreate } from '../../src/connectors/marketsync/schemas.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { SecretScrubber } from '../../src/core/redact.js';
import { badVerbMessage, startMarketsyncFake, type MarketsyncFake, type MarketsyncFakeOptions } from '../../src/sandbox/marketsync/server.js';

const token = 'tok-5f3c9a1e7b2d4c6e8f0a1b2c3d';
const privateKey = 'pk-9e8d7c6b5a4f3e2d1c0b9a8f7e6d';
const now = Date.parse('2026-03-02T16:00:00Z');

interface Harness {
  fake: MarketsyncFake;
  client: MarketsyncClient;
  exchanges: ExchangeEntry[];
}

async function setup(t: Test, options: { fake?: MarketsyncFakeOptions; client?: Partial<MarketsyncClientOptions> } = {}): Promise<Harness> {
  const fake = await startMarketsyncFake({ token, privateKey, now: () => now, ...options.fake });
  t.teardown(() => fake.close());
  const exchanges: ExchangeEntry[] = [];
  const client = new MarketsyncClient({
    baseUrl: `${fake.url}/`,
    token,
    privateKey,
    timeoutMs: 2_000,
    totalsIntervalMs: 2_000,
    filters: { byId: 'ids', byReference: 'orders' },
    // One try, so that each failure below is seen as it is; the repeats have their own test.
    readRetry: { attempts: 1, backoff: { baseMs: 1, maxMs: 1 } },
    exchanges: (entry) => exchanges.push(entry),
    now: () => now,
    ...options.client,
  });
  return { fake, client, exchanges };
}

function pedido(referencia: string, overrides: Partial<PedidoCreate> = {}): PedidoCreate {
  return {
    referencia,
    fecha_pedido: '2026-03-01T09:00:00',
    fecha_autoriza: '2026-03-01T09:00:00',
    subtotal: 100,
    total: 116,
    email: 'ana@example.mx',
    entregara: 'Ana López',
    telefono: '',
    direccion: 'Reforma 222',
    entrecalles: '',
    colonia: 'Juárez',
    ciudad: 'Cuauhtémoc',
    estado: 'CDMX',
    observaciones: '',
    cp: '06600',
    estatus: 'paid',
    mensajeria: '',
    guias: '',
    orden_id: 0,
    shipping_id: '',
    fecha_orden: '2026-03-01T09:00:00',
    fecha: '2026-03-01T09:00:00',
    lineas: [{ product_id: 0, sku: 'CHAIR-1', descripcion: 'Chair', fulfillment: 0, cantidad: 2, precio: 50, color: '', referencia: '', variacion: '' }],
    ...overrides,
  };
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

t.test('every request is signed and accepted; the exchange log never holds the key or a signature', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.addOrder({ referencia: 'A-1' });
  const rows = await client.listPage({ limit: '10' });
  t.match(rows, [{ referencia: 'A-1', total: '116.00' }]);

  const sent = fake.requests[0];
  t.match(sent, { method: 'GET', path: '/api/pedidos', status: 200, query: { token, version: '1.0', timestamp: '2026-03-02T10:00:00', limit: '10' } });
  t.match(sent?.rawQuery, /^limit=10&timestamp=2026-03-02T10%3A00%3A00&token=tok-[^&]+&version=1\.0&signature=[0-9a-f]{64}$/);

  const [entry] = exchanges;
  t.match(entry, { connector: 'marketsync', operation: 'GET /api/pedidos', httpStatus: 200, fault: null, error: null });
  t.match(entry?.url, /&signature=\[REDACTED\]$/);
  const signature = sent?.query['signature'] ?? '';
  t.notOk(JSON.stringify(exchanges).includes(signature), 'the signature is not logged');
  t.notOk(JSON.stringify(exchanges).includes(privateKey), 'the private key is not logged');

  const scrubber = new SecretScrubber();
  scrubber.add(token);
  t.notOk(scrubber.scrub(entry?.url ?? '').includes(token), 'the token is scrubbed once registered');
});

t.test('pages run by offset until an empty page, also when the server caps the limit', async (t) => {
  const { fake, client } = await setup(t, { fake: { maxLimit: 40 } });
  for (let n = 1; n <= 250; n++) fake.addOrder({ referencia: `R${n}` });
  const sizes: number[] = [];
  const seen = new Set<string>();
  for await (const rows of client.pages({}, 100)) {
    sizes.push(rows.length);
    for (const row of rows) seen.add(String((row as { referencia: string }).referencia));
  }
  t.same(sizes, [40, 40, 40, 40, 40, 40, 10], 'a short page is not taken for the end');
  t.equal(seen.size, 250, 'every order once');
  t.same(
    fake.requests.map((r) => r.query['offset']),
    ['0', '40', '80', '120', '160', '200', '240', '250'],
  );
});

t.test('a look-up by number keeps only exact matches, and gives up on an ignored filter', async (t) => {
  const { fake, client } = await setup(t);
  fake.addOrder({ referencia: 'S1' });
  fake.addOrder({ referencia: 'S10' });
  t.match(await client.findByReference('S1'), [{ id: '500001', referencia: 'S1', estatus: 'Pendiente' }]);
  t.same(await client.findByReference('S2'), []);
  t.same(
    fake.requests.map((r) => [r.query['orders'], r.query['limit'], r.query['offset']]),
    [
      ['S1', '50', '0'],
      ['S1', '50', '1'],
      ['S2', '50', '0'],
    ],
  );

  const loose = new MarketsyncClient({
    baseUrl: 'http://127.0.0.1:1',
    token,
    privateKey,
    timeoutMs: 2_000,
    totalsIntervalMs: 2_000,
    filters: { byId: 'ids', byReference: 'orders' },
    fetch: async (input) => {
      const offset = Number(new URL(String(input)).searchParams.get('offset'));
      const rows = Array.from({ length: 50 }, (_, n) => ({ id: String(offset + n + 1), referencia: offset + n === 3 ? 'S1' : `X${offset + n}`, estatus: 'paid', total: '1.00' }));
      return jsonResponse(200, { answer: rows, timestamp: '2026-03-02 10:00:00' });
    },
  });
  const err = await failure(loose.findByReference('S1'));
  t.match(err, { kind: 'permanent', code: 'MARKETSYNC_FIND_UNRELIABLE' });
  t.match(err.message, /filters/);
});

t.test('orders by id, in batches; unknown ids are absent', async (t) => {
  const { fake, client } = await setup(t);
  for (let n = 1; n <= 60; n++) fake.addOrder({ referencia: `R${n}` });
  const ids = Array.from({ length: 60 }, (_, n) => String(500_001 + n));
  const found = await client.ordersByIds([...ids, '999', '500001']);
  t.equal(found.size, 60);
  t.match(found.get('500060'), { referencia: 'R60' });
  t.notOk(found.has('999'));
  const batches = fake.requests.filter((r) => r.query['offset'] === '0').map((r) => r.query['ids']?.split(',').length);
  t.same(batches, [50, 11]);
});

t.test('create, then update the status with a comment', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  t.same(await client.createOrders([pedido('WEB-1')]), ['500001']);
  t.same(fake.requests[0]?.body, [pedido('WEB-1')], 'a JSON array of orders');
  t.equal(fake.requests[0]?.headers['content-type'], 'application/json');
  t.match(exchanges[0], { operation: 'POST /api/pedidos', httpStatus: 200, requestBody: /"referencia":"WEB-1"/ });

  await client.updateStatus('WEB-1', 'refunded', 'Returned: the box was damaged');
  t.same(fake.requests[1]?.body, [{ referencia: 'WEB-1', estatus: 'refunded', comentario: 'Returned: the box was damaged' }]);
  t.match(fake.history('500001'), [{ estatus: 'refunded', comentario: 'Returned: the box was damaged' }]);
  t.equal(fake.orders()[0]?.['estatus'], 'refunded');

  const badStatus = await failure(client.updateStatus('WEB-1', 'embarcados', ''));
  t.match(badStatus, { kind: 'permanent', code: 'HTTP_400', context: { operation: 'PUT /api/pedidos', httpStatus: 400 } });
  t.match(badStatus.message, /Error invalid field estatus/);
});

t.test('a refused record is a permanent error naming the field, in either error wrapper', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  const { email: _email, ...noEmail } = pedido('WEB-1');
  const err = await failure(client.createOrders([noEmail as PedidoCreate]));
  t.match(err, { kind: 'permanent', code: 'HTTP_400' });
  t.match(err.message, /refused POST \/api\/pedidos \(HTTP 400\): Error missing field email/);
  t.equal(exchanges.at(-1)?.fault, 'Error missing field email');
  t.equal(fake.orders().length, 0);

  const other = await setup(t, { fake: { errorEnvelope: 'answer' } });
  const wrapped = await failure(other.client.createOrders([pedido('WEB-1', { lineas: [] })]));
  t.match(wrapped, { kind: 'permanent', code: 'MARKETSYNC_REJECTED', context: { httpStatus: 200 } });
  t.match(wrapped.message, /Marketsync refused POST \/api\/pedidos: Error invalid field lineas/);
});

t.test('credentials and the clock', async (t) => {
  const wrongKey = await setup(t, { client: { privateKey: 'not-the-right-private-key' } });
  const refused = await failure(wrongKey.client.listPage({}));
  t.match(refused, { kind: 'permanent', code: 'MARKETSYNC_SIGNATURE' });
  t.match(refused.message, /refused the signature .*Error invalid signature.*privateKey.*encodes some parameter value differently/);
  t.notMatch(refused.message, /refused our credentials/, 'a refused signature is not blamed on the token alone');

  const wrongToken = await setup(t, { client: { token: 'another-token-123456' } });
  t.match(await failure(wrongToken.client.listPage({})), { code: 'HTTP_401', message: /Error invalid token/ });

  const slowClock = await setup(t, { client: { now: () => now - 10 * 60_000 } });
  const clock = await failure(slowClock.client.listPage({}));
  t.match(clock, { kind: 'permanent', code: 'MARKETSYNC_CLOCK' });
  t.match(clock.message, /clock must be right/);
});

t.test('an unknown path or verb is the documented 404', async (t) => {
  const fake = await startMarketsyncFake({ token, privateKey, now: () => now });
  t.teardown(() => fake.close());
  const misplaced = new MarketsyncClient({
    baseUrl: `${fake.url}/v2`,
    token,
    privateKey,
    timeoutMs: 2_000,
    totalsIntervalMs: 2_000,
    filters: { byId: 'ids', byReference: 'orders' },
    now: () => now,
  });
  const err = await failure(misplaced.listPage({}));
  t.match(err, { kind: 'permanent', code: 'HTTP_404' });
  t.ok(err.message.endsWith(badVerbMessage));
});

t.test('totales calls are spaced by the configured pause, measured at the server', async (t) => {
  const interval = 200;
  const { fake, client } = await setup(t, { fake: { totalsIntervalMs: interval }, client: { totalsIntervalMs: interval } });
  const order = fake.addOrder({ referencia: 'A-1', subtotal: 904.31, total: 1049 });
  const id = String(order['id']);
  const answers = await Promise.all([client.getTotals(id), client.getTotals(id), client.getTotals(id)]);
  t.match(answers[0], [
    { concepto: 'SUBTOTAL', total: 904.31 },
    { concepto: 'IVA', total: 144.69 },
    { concepto: 'TOTAL', total: 1049 },
  ]);
  const calls = fake.requests.filter((r) => r.path.startsWith('/api/pedidos/totales/'));
  t.same(
    calls.map((r) => r.status),
    [200, 200, 200],
    'none throttled',
  );
  for (let n = 1; n < calls.length; n++) {
    const gap = (calls[n]?.receivedAt ?? 0) - (calls[n - 1]?.receivedAt ?? 0);
    t.ok(gap >= interval, `call ${n + 1} came ${gap.toFixed(1)} ms after call ${n}`);
  }

  const listed = performance.now();
  await client.listPage({});
  t.ok(performance.now() - listed < interval, 'other endpoints do not wait');

  const controller = new AbortController();
  const waiting = client.getTotals(id, controller.signal);
  controller.abort();
  t.match(await failure(waiting), { kind: 'retryable', code: 'ABORTED' });
  const before = fake.requests.length;
  await client.getTotals(id);
  t.equal(fake.requests.length, before + 1, 'a cancelled wait sent nothing, and the next call goes through');
  t.equal(fake.requests.at(-1)?.status, 200);
});

t.test("a server throttle is retryable after the time it asks for; a bad id is refused before any call", async (t) => {
  const { fake, client } = await setup(t, { fake: { totalsIntervalMs: 60_000 }, client: { totalsIntervalMs: 1 } });
  await client.getTotals('1');
  const err = await failure(client.getTotals('1'));
  t.match(err, { kind: 'retryable', code: 'HTTP_429', retryAfterMs: 60_000 });
  t.match(err.message, /Error throttled/);
  const calls = fake.requests.length;
  t.match(await failure(client.getTotals('../pedidos')), { kind: 'permanent', code: 'BAD_ORDER_ID' });
  t.equal(fake.requests.length, calls);
});

t.test('server failures are retryable', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'status', status: 500 });
  const internal = await failure(client.listPage({}));
  t.match(internal, { kind: 'retryable', code: 'HTTP_500', context: { system: 'marketsync', httpStatus: 500 } });
  t.match(internal.message, /Error internal server error/);

  fake.inject({ kind: 'status', status: 503 });
  const unavailable = await failure(client.createOrders([pedido('WEB-1')]));
  t.match(unavailable, { kind: 'retryable', code: 'HTTP_503' });
  t.match(unavailable.detail ?? '', /nginx/);
  t.equal(exchanges.at(-1)?.fault, 'HTTP 503');
  t.equal(fake.orders().length, 0);

  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  t.match(await failure(client.updateStatus('X', 'paid', '')), { kind: 'retryable', code: 'HTTP_429', retryAfterMs: 7_000 });
});

t.test('malformed answers are retryable and say what is wrong', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'garbage' });
  const garbage = await failure(client.listPage({}));
  t.match(garbage, { kind: 'retryable', code: 'MALFORMED_RESPONSE', context: { httpStatus: 200 } });
  t.match(garbage.message, /not JSON/);
  t.match(garbage.detail ?? '', /^<br \/>/);
  t.match(exchanges.at(-1), { httpStatus: 200, error: /not JSON/ });

  const shaped = (body: unknown): MarketsyncClient =>
    new MarketsyncClient({
      baseUrl: 'http://127.0.0.1:1',
      token,
      privateKey,
      timeoutMs: 2_000,
      totalsIntervalMs: 1,
      filters: { byId: 'ids', byReference: 'orders' },
      readRetry: { attempts: 1, backoff: { baseMs: 1, maxMs: 1 } },
      fetch: async () => jsonResponse(200, body),
    });
  t.match(await failure(shaped({ answer: 'not a list' }).listPage({})), { code: 'MALFORMED_RESPONSE', message: /answer/ });
  t.match(await failure(shaped({ result: [] }).listPage({})), { code: 'MALFORMED_RESPONSE' });
  const badNumber = await failure(shaped({ answer: [{ concepto: 'TOTAL', label: '', total: '1.049,00' }] }).getTotals('1'));
  t.match(badNumber, { code: 'MALFORMED_RESPONSE', message: /expected an amount, got "1\.049,00"/ });
  const noReference = await failure(shaped({ answer: [{ id: 'x' }] }).findByReference('S1'));
  t.match(noReference, { code: 'MALFORMED_RESPONSE', message: /id, referencia, total or items cannot be read/ });
});

t.test('a page read is repeated on 5xx, 429, timeouts and resets; a create never is', async (t) => {
  const { fake, client } = await setup(t, { client: { readRetry: { attempts: 4, backoff: { baseMs: 5, maxMs: 20 } }, timeoutMs: 200 } });
  fake.addOrder({ referencia: 'R1' });
  fake.inject({ kind: 'status', status: 500 });
  fake.inject({ kind: 'status', status: 503 });
  fake.inject({ kind: 'delay', ms: 1_000 });
  const rows = await client.listPage({});
  t.equal(rows.length, 1, 'the fourth try reads the page');
  t.equal(fake.requests.filter((r) => r.method === 'GET').length, 4);
  t.not(fake.requests[0]?.query['signature'], undefined);

  const before400 = fake.requests.length;
  t.match(await failure(client.listPage({ afterid: 'x' })), { kind: 'permanent' }, 'a refusal is not repeated');
  t.equal(fake.requests.length, before400 + 1);

  const before = fake.requests.length;
  fake.inject({ kind: 'status', status: 503 });
  t.match(await failure(client.createOrders([pedido('WEB-1')])), { kind: 'retryable', code: 'HTTP_503' });
  t.equal(fake.requests.length, before + 1, 'a create is left to the job, which looks before creating again');
});

t.test('a dropped connection is retryable; only a GET is repeated once', async (t) => {
  const { fake, client } = await setup(t);
  fake.inject({ kind: 'reset' });
  t.same(await client.listPage({}), [], 'a GET survives one reset');
  fake.inject({ kind: 'reset' }, { times: 2 });
  t.match(await failure(client.listPage({})), { kind: 'retryable', code: 'CONNECTION_FAILED' });

  const before = fake.requests.length;
  fake.inject({ kind: 'reset' });
  t.match(await failure(client.createOrders([pedido('WEB-1')])), { code: 'CONNECTION_FAILED' });
  t.equal(fake.requests.length, before + 1, 'a create is never repeated by the client');
});

t.test('a slow answer times out', async (t) => {
  const { fake, client } = await setup(t, { client: { timeoutMs: 100 } });
  fake.inject({ kind: 'delay', ms: 1_000 });
  const err = await failure(client.listPage({}));
  t.match(err, { kind: 'retryable', code: 'TIMEOUT', message: /within 100 ms/ });
});
