import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { MarketsyncClient } from '../../src/connectors/marketsync/client.js';
import { marketsyncConfigSchema } from '../../src/connectors/marketsync/config.js';
import { createMarketsyncConnector, marketsyncConnector } from '../../src/connectors/marketsync/connector.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import type { ChangedPage, Connector, OrderDestination, OrderSource, PollWindow } from '../../src/core/connector.js';
import type { Order } from '../../src/core/order.js';
import { startMarketsyncFake, type MarketsyncFake, type MarketsyncFakeOptions } from '../../src/sandbox/marketsync/server.js';
import { connectorContext } from '../helpers/context.js';

const token = 'tok-1a2b3c4d5e6f7a8b9c0d1e2f3a4b';
const privateKey = 'pk-0f1e2d3c4b5a69788796a5b4c3d2';
/** 10:00 in Mexico City. */
const noon = Date.parse('2026-03-02T16:00:00Z');

interface Harness {
  fake: MarketsyncFake;
  client: MarketsyncClient;
  connector: Connector;
  source: OrderSource;
  destination: OrderDestination;
  clock: { now: number };
}

async function setup(t: Test, options: { config?: Record<string, unknown>; fake?: MarketsyncFakeOptions } = {}): Promise<Harness> {
  const clock = { now: noon };
  const fake = await startMarketsyncFake({ token, privateKey, now: () => clock.now, ...options.fake });
  t.teardown(() => fake.close());
  const config = marketsyncConfigSchema.parse({ baseUrl: fake.url, token, privateKey, ...options.config });
  const client = new MarketsyncClient({
    baseUrl: fake.url,
    token,
    privateKey,
    timeoutMs: 2_000,
    totalsIntervalMs: config.totalsInterval,
    filters: config.filters,
    now: () => clock.now,
  });
  const connector = createMarketsyncConnector(config, client, () => clock.now);
  if (connector.source === undefined || connector.destination === undefined) throw new Error('marketsync is source and destination');
  return { fake, client, connector, source: connector.source, destination: connector.destination, clock };
}

async function collect(pages: AsyncIterable<ChangedPage>): Promise<ChangedPage[]> {
  const out: ChangedPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const signal = new AbortController().signal;
const window: PollWindow = { since: new Date('2026-03-02T14:00:00Z'), pageSize: 100, overlapMs: 120_000 };

function wallTime(minutesAfterEight: number, seconds = 0): string {
  const total = 8 * 3600 + minutesAfterEight * 60 + seconds;
  const hh = String(Math.floor(total / 3600)).padStart(2, '0');
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return `2026-03-02 ${hh}:${mm}:${ss}`;
}

function order(number: string): Order {
  return {
    source: { connector: 'odoo', id: '42' },
    number,
    createdAt: '2026-03-01T15:30:00.000Z',
    status: { raw: 'sale', normalized: 'confirmed' },
    currency: 'MXN',
    customer: { sourceId: '7', name: 'Ana López', company: null, email: 'ana@example.mx', phone: null, address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } },
    recipient: {
      sourceId: '8',
      name: 'Ana López',
      company: null,
      email: null,
      phone: '5512345678',
      address: { street: 'Reforma 222', street2: 'Juárez', city: 'Cuauhtémoc', zip: '06600', state: 'Ciudad de México', country: 'Mexico', countryCode: 'MX' },
    },
    comment: null,
    lines: [{ sourceLineId: '91', sku: 'CHAIR-1', name: 'Chair', quantity: 2, unitPrice: '50', discount: '0', taxRate: null, sourceProductId: '5', destinationProductId: null, unitOfMeasure: null, serials: [] }],
    prices: 'net',
    discounts: [],
    surcharges: [],
    tax: '16',
    total: '116',
    fees: [],
    refs: {},
  };
}

/** What the export job does: look first, create only when absent. */
async function exportOnce(destination: OrderDestination, o: Order): Promise<{ id: string; found: boolean }> {
  destination.check(o);
  const existing = await destination.find(o, signal);
  const ref = existing ?? (await destination.create(o, signal));
  return { id: ref.id, found: existing !== null };
}

t.test('the first poll reads the first-start window by creation date; later polls follow ids, so an order stored late is read whatever its date', async (t) => {
  const { fake, source, clock } = await setup(t);
  fake.addOrder({ referencia: 'TOO-EARLY', fecha_orden: '2026-03-02 07:59:59' });
  for (let n = 0; n < 250; n++) fake.addOrder({ referencia: `ML-${n}`, fecha_orden: wallTime(0, n * 10) });

  const pages = await collect(source.changedOrders(null, window, signal));
  t.same(
    pages.map((p) => p.orders.size),
    [100, 100, 50, 0],
  );
  const numbers = pages.flatMap((p) => [...p.orders.values()].map((f) => f.number));
  t.equal(new Set(numbers).size, 250);
  t.ok(numbers.includes('1-ML-0'), 'numbers are marketplace and referencia');
  t.notOk(numbers.includes('1-TOO-EARLY'), 'created before the first-start window');
  t.ok(pages.slice(0, 3).every((p) => p.cursor === JSON.stringify({ from: '2026-03-02T14:00:00.000Z' })), 'an unfinished first poll restarts at its start');
  t.same(JSON.parse(pages[3]?.cursor ?? ''), { marks: [{ at: '2026-03-02T16:00:00.000Z', next: 500252 }] }, 'then ids: every id below 500252 was read');
  t.same(
    fake.requests.map((r) => [r.query['after'], r.query['before'], r.query['afterid'], r.query['limit'], r.query['offset']]),
    [0, 100, 200, 250].map((offset) => ['2026-03-02T08:00:00', undefined, undefined, '100', String(offset)]),
  );

  const first = pages[0]?.orders.get('500002');
  t.match(first, { kind: 'ready', number: '1-ML-0', order: { source: { connector: 'marketsync', id: '500002' }, total: '116', lines: [{ quantity: 1, unitPrice: '100' }] } });

  // The documentation's own example: ordered at midnight, stored at 11:46 — a day later here.
  fake.addOrder({ referencia: 'LATE', fecha_orden: '2026-03-01 00:00:00' });
  fake.addOrder({ referencia: 'NEW', fecha_orden: '2026-03-02 10:03:00' });
  clock.now += 5 * 60_000;
  fake.requests.length = 0;
  const second = await collect(source.changedOrders(pages[3]?.cursor ?? null, window, signal));
  t.same(
    second.flatMap((p) => [...p.orders.values()].map((f) => f.number)),
    ['1-LATE', '1-NEW'],
    'an order stored late, dated a day back, is read',
  );
  t.same(fake.requests.map((r) => [r.query['afterid'], r.query['after']]), [['500252', undefined], ['500252', undefined]]);
  const secondCursor = second.at(-1)?.cursor ?? '';
  t.same(JSON.parse(secondCursor), {
    marks: [
      { at: '2026-03-02T16:00:00.000Z', next: 500252 },
      { at: '2026-03-02T16:05:00.000Z', next: 500254 },
    ],
  });

  // An id given out before another but committed after it: invisible to the second poll, read by the third,
  // which starts at the mark of the poll that ended at least the overlap before the last one.
  fake.addRawOrder({ ...fake.orders().at(-1)!, id: '500253', referencia: 'COMMITTED-LATE' });
  fake.orders();
  clock.now += 5 * 60_000;
  fake.requests.length = 0;
  const third = await collect(source.changedOrders(secondCursor, window, signal));
  t.ok(
    third.flatMap((p) => [...p.orders.values()].map((f) => f.number)).includes('1-COMMITTED-LATE'),
    'the order committed late is read',
  );
  t.equal(fake.requests[0]?.query['afterid'], '500252');
  t.same(
    JSON.parse(third.at(-1)?.cursor ?? '').marks.map((m: { next: number }) => m.next),
    [500254, 500254],
    'marks older than the one a later poll may start from are dropped',
  );

  fake.requests.length = 0;
  await collect(source.changedOrders('not json', window, signal));
  t.equal(fake.requests[0]?.query['after'], '2026-03-02T08:00:00', 'an unreadable cursor starts at "since"');
  fake.requests.length = 0;
  await collect(source.changedOrders(JSON.stringify({ from: '2026-03-02T15:00:00.000Z' }), window, signal));
  t.equal(fake.requests[0]?.query['after'], '2026-03-02T09:00:00', "a creation-time cursor of an earlier version is read as the first-start window");
});

t.test('a 5xx or a timeout on a page is tried again; the poll goes on', async (t) => {
  const { fake, source } = await setup(t, { config: { readAttempts: 3 } });
  for (let n = 0; n < 3; n++) fake.addOrder({ referencia: `R-${n}`, fecha_orden: wallTime(n) });
  fake.inject({ kind: 'status', status: 502 });
  fake.inject({ kind: 'status', status: 500 });
  const pages = await collect(source.changedOrders(null, window, signal));
  t.equal(pages.flatMap((p) => [...p.orders.keys()]).length, 3);
});

t.test('a broken order is one invalid entry; the rest of its page is read', async (t) => {
  const { fake, source } = await setup(t);
  fake.addOrder({ referencia: 'GOOD-1', fecha_orden: wallTime(1) });
  const good = fake.addOrder({ referencia: 'GOOD-2', fecha_orden: wallTime(2) });
  fake.addRawOrder({ ...good, id: '600000', referencia: 'BAD-1', total: '1.160,00' });
  fake.addOrder({
    referencia: 'KIT-1',
    fecha_orden: wallTime(3),
    items: [{ sku: 'KIT', cantidad: 1, precio: 90, kit: [{ sku: 'RED', cantidad: 2 }, { sku: 'BLUE', cantidad: 1 }] }],
  });
  const [page] = await collect(source.changedOrders(null, window, signal));
  t.same([...(page?.orders.keys() ?? [])], ['500001', '500002', '500003', '600000']);
  t.match(page?.orders.get('600000'), { kind: 'invalid', number: '1-BAD-1', error: { code: 'MARKETSYNC_BAD_ORDER', message: /total: expected an amount, got "1\.160,00"/ } });
  t.match(page?.orders.get('500002'), { kind: 'ready', order: { total: '116' } });
  t.match(page?.orders.get('500003'), {
    kind: 'ready',
    order: {
      lines: [
        { sku: 'RED', quantity: 2, unitPrice: '30' },
        { sku: 'BLUE', quantity: 1, unitPrice: '30' },
      ],
    },
  });

  fake.addRawOrder({ referencia: 'NO-ID', fecha_orden: wallTime(4) });
  const err = await failure(collect(source.changedOrders(null, window, signal)));
  t.match(err, { kind: 'retryable', code: 'MALFORMED_RESPONSE', message: /without a readable id/ });
});

t.test('cancelled orders are skipped; only the configured marketplaces are read', async (t) => {
  const { fake, source } = await setup(t, { config: { markets: [4] } });
  fake.addOrder({ referencia: 'ML-1', market_id: 4, estatus: 'paid', fecha_orden: wallTime(1) });
  fake.addOrder({ referencia: 'ML-2', market_id: 4, estatus: 'cancelled', fecha_orden: wallTime(2) });
  fake.addOrder({ referencia: 'CL-1', market_id: 1, fecha_orden: wallTime(3) });
  const [page] = await collect(source.changedOrders(null, window, signal));
  t.equal(fake.requests[0]?.query['markets'], '4');
  t.match([...(page?.orders.values() ?? [])], [
    { kind: 'ready', number: 'ML-1' },
    { kind: 'skip', number: 'ML-2', reason: /"cancelled"/ },
  ]);
  t.equal(page?.orders.size, 2);
});

t.test('fetchOrders reads by id; unknown and non-numeric ids are absent', async (t) => {
  const { fake, source } = await setup(t);
  fake.addOrder({ referencia: 'A' });
  fake.addOrder({ referencia: 'B' });
  const found = await source.fetchOrders(['500002', '999999', 'abc'], signal);
  t.same([...found.keys()], ['500002']);
  t.match(found.get('500002'), { kind: 'ready', number: 'B' });
  t.equal(fake.requests[0]?.query['ids'], '500002,999999');
  t.same(await source.fetchOrders(['x'], signal), new Map(), 'nothing to ask');
  t.equal(fake.requests.length, 2, 'and nothing asked');
});

t.test('with readCharges, the charges of each order become its fees', async (t) => {
  const { fake, source } = await setup(t, { config: { readCharges: true, totalsInterval: 1 }, fake: { totalsIntervalMs: 0 } });
  const a = fake.addOrder({ referencia: 'AMZ-1', market_id: 6, estatus: 'Unshipped', comision: 10, fecha_orden: wallTime(1) });
  fake.addOrder({ referencia: 'AMZ-2', market_id: 6, estatus: 'Canceled', fecha_orden: wallTime(2) });
  fake.setTotals(String(a['id']), [
    { id: 0, pedido_id: 0, concepto: 'OTROS_EGRESOS', label: 'Fee Commission MXN', total: -157.35, estado: 1, fecha: null },
    { id: 1, pedido_id: 1, concepto: 'ENVIO_COSTO', label: 'Shipping', total: 74.87, estado: 1, fecha: null },
  ]);
  const found = await source.fetchOrders(['500001', '500002'], signal);
  t.match(found.get('500001'), {
    kind: 'ready',
    order: {
      fees: [
        { kind: 'charge:Fee Commission MXN', amount: 157.35 },
        { kind: 'service:delivery', amount: 74.87 },
      ],
    },
  });
  t.same(
    fake.requests.filter((r) => r.path.startsWith('/api/pedidos/totales/')).map((r) => r.path),
    ['/api/pedidos/totales/500001'],
    'a skipped order costs no charges call',
  );
});

t.test('look before create: a second export finds the first', async (t) => {
  const { fake, destination } = await setup(t);
  const first = await exportOnce(destination, order('S00042'));
  t.same(first, { id: '500001', found: false });
  const second = await exportOnce(destination, order('S00042'));
  t.same(second, { id: '500001', found: true });
  t.equal(fake.ordersByReference('S00042').length, 1);
  t.equal(fake.requests.filter((r) => r.method === 'POST').length, 1);
  t.match(fake.orders()[0], { referencia: 'S00042', estatus: 'paid', fecha_pedido: '2026-03-01 09:30:00', entregara: 'Ana López', cp: '06600', orden_id: '42' });
  t.same(await destination.find(order('S0004'), signal), null, 'only the exact number matches');
});

t.test('a create answers its id at once; the read-back by id sees only the order we sent', async (t) => {
  const { fake, destination } = await setup(t);
  const o = order('S1');
  const created = await destination.create(o, signal);
  t.same(created, { id: '500001', status: null }, 'the id from the create answer, before any look-up');
  t.equal(fake.requests.filter((r) => r.method === 'GET').length, 0);
  t.match(await destination.readBack?.(o, '500001', signal), { id: '500001', status: 'paid' });
  t.equal(await destination.readBack?.(o, '500999', signal), null, 'an id Marketsync does not have');
  const other = fake.addOrder({ referencia: 'S1', market_id: 1 });
  const err = await failure(destination.readBack?.(o, String(other['id']), signal) ?? Promise.resolve());
  t.match(err, { kind: 'permanent', code: 'FOREIGN_ORDER' }, 'an id that names another order is not bound');
  t.match(err.message, /numbered S1 .*odoo order 42.*id 500002 \(market 1\)/);
});

t.test('a create whose answer has no id falls back to the look-up, and stops when that cannot see it', async (t) => {
  const { fake, destination } = await setup(t, { config: { filters: { byReference: 'ids' } }, fake: { createAnswer: 'result' } });
  const err = await failure(destination.create(order('S1'), signal));
  t.match(err, { kind: 'permanent', code: 'MARKETSYNC_LOOKUP_BROKEN' });
  t.match(err.message, /accepted order S1 without saying its id.*"ids" filter.*filters\.byReference/);
  t.equal(fake.orders().length, 1);
});

t.test('two marketplaces may use one number: only the order we sent is ours, another is a FOREIGN_ORDER, two of ours are reported', async (t) => {
  const { fake, destination } = await setup(t);
  fake.addOrder({ referencia: 'S7', market_id: 4 });
  const foreignErr = await failure(destination.find(order('S7'), signal));
  t.match(foreignErr, { kind: 'permanent', code: 'FOREIGN_ORDER', context: { marketsyncIds: ['500001'] } });
  t.match(foreignErr.message, /numbered S7 that is not the one order-bridge sends .*id 500001 \(market 4\): its orden_id is \d+, ours 42, its goods are SKU-500001×1, ours CHAIR-1×2/);

  const ours = await destination.create(order('S7'), signal);
  t.match(await destination.find(order('S7'), signal), { id: ours.id }, 'ours is found among the foreign one');
  await destination.create(order('S7'), signal);
  const twice = await failure(destination.find(order('S7'), signal));
  t.match(twice, { kind: 'permanent', code: 'DUPLICATE_AT_DESTINATION' });
  t.match(twice.message, /2 orders numbered S7 that we sent/);
});

t.test('status: read back after an update with a comment', async (t) => {
  const { fake, client, destination } = await setup(t);
  const { id } = await exportOnce(destination, order('S9'));
  t.equal(await destination.readStatus?.(id, signal), 'paid');
  await client.updateStatus('S9', 'refunded', 'returned unopened');
  t.equal(await destination.readStatus?.(id, signal), 'refunded');
  t.match(fake.history(id), [{ estatus: 'refunded', comentario: 'returned unopened' }]);
  t.match(await failure(destination.readStatus?.('777777', signal) ?? Promise.resolve()), { kind: 'permanent', code: 'MARKETSYNC_ORDER_MISSING' });
  t.match(await failure(destination.readStatus?.('S9', signal) ?? Promise.resolve()), { kind: 'permanent', code: 'BAD_DESTINATION_ID' });
});

t.test('check refuses what Marketsync would refuse, before any call', async (t) => {
  const { fake, destination } = await setup(t);
  t.throws(() => destination.check({ ...order('S1'), lines: [{ ...order('S1').lines[0]!, quantity: 0.5 }] }), { code: 'CANNOT_SEND_TO_MARKETSYNC', message: /whole units/ });
  t.equal(fake.requests.length, 0);
});

t.test('config: defaults, https, and the registered connector keeps its secrets out of the log', async (t) => {
  const config = marketsyncConfigSchema.parse({ baseUrl: 'https://web.marketsync.mx', token, privateKey });
  t.match(config, {
    timeout: 15_000,
    totalsInterval: 2_000,
    filters: { byId: 'ids', byReference: 'orders' },
    markets: null,
    skipStatuses: ['canceled', 'cancelled', 'voided', 'refunded', 'failed', 'refused'],
    marketplaceFulfilled: 'skip',
    kitQuantities: 'expanded',
    readCharges: false,
    createStatus: 'paid',
    currency: 'MXN',
    surchargeSku: null,
    readAttempts: 5,
  });
  const http = marketsyncConfigSchema.safeParse({ baseUrl: 'http://sandbox.marketsync.mx', token, privateKey });
  t.notOk(http.success);
  t.match(http.error?.issues[0]?.message, /https/);
  t.notOk(marketsyncConfigSchema.safeParse({ baseUrl: 'https://web.marketsync.mx', token, privateKey, totalsInterval: '2 seconds' }).success);
  t.equal(builtinConnectors().get('marketsync'), marketsyncConnector);
  t.same(marketsyncConnector.roles, ['source', 'destination']);

  const fake = await startMarketsyncFake({ token, privateKey });
  t.teardown(() => fake.close());
  const { context, exchanges, scrubber } = connectorContext('marketsync');
  const connector = marketsyncConnector.create(marketsyncConfigSchema.parse({ baseUrl: `${fake.url}/`, token, privateKey }), context);
  const made = await connector.destination!.create(order('R1'), signal);
  t.match(await connector.destination?.find(order('R1'), signal), { id: made.id, status: 'paid' });
  const logged = scrubber.scrub(JSON.stringify(exchanges));
  t.ok(exchanges.length > 0);
  t.notOk(logged.includes(token), 'token scrubbed');
  t.notOk(logged.includes(privateKey), 'private key absent');
  t.notOk(fake.requests.some((r) => logged.includes(r.query['signature'] ?? '-')), 'signatures absent');
  t.equal(scrubber.scrub(`key ${privateKey}`), 'key [REDACTED]', 'the private key is registered too');
});
