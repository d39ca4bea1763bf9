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
    prices: 'gross',
    discounts: [],
    surcharges: [],
    tax: null,
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

t.test('a poll reads 250 orders in pages inside a fixed window, and the next poll starts an overlap back', async (t) => {
  const { fake, source, clock } = await setup(t);
  for (let n = 0; n < 250; n++) fake.addOrder({ referencia: `ML-${n}`, fecha_orden: wallTime(0, n * 10) });
  fake.addOrder({ referencia: 'TOO-EARLY', fecha_orden: '2026-03-02 07:59:59' });

  const pages = await collect(source.changedOrders(null, window, signal));
  t.same(
    pages.map((p) => p.orders.size),
    [100, 100, 50, 0],
  );
  const numbers = pages.flatMap((p) => [...p.orders.values()].map((f) => f.number));
  t.equal(new Set(numbers).size, 250);
  t.notOk(numbers.includes('TOO-EARLY'));
  t.ok(pages.slice(0, 3).every((p) => p.cursor === JSON.stringify({ from: '2026-03-02T14:00:00.000Z' })), 'an unfinished window restarts at its start');
  t.equal(pages[3]?.cursor, JSON.stringify({ from: '2026-03-02T15:58:00.000Z' }), 'the end of the window, less the overlap');
  t.same(
    fake.requests.map((r) => [r.query['after'], r.query['before'], r.query['limit'], r.query['offset']]),
    [0, 100, 200, 250].map((offset) => ['2026-03-02T08:00:00', '2026-03-02T10:00:00', '100', String(offset)]),
  );

  const first = pages[0]?.orders.get('500001');
  t.match(first, { kind: 'ready', number: 'ML-0', order: { source: { connector: 'marketsync', id: '500001' }, total: 116, lines: [{ quantity: 1, unitPrice: 100 }] } });

  fake.addOrder({ referencia: 'LATE', fecha_orden: '2026-03-02 09:59:00' });
  fake.addOrder({ referencia: 'NEW', fecha_orden: '2026-03-02 10:03:00' });
  clock.now += 5 * 60_000;
  fake.requests.length = 0;
  const next = await collect(source.changedOrders(pages[3]?.cursor ?? null, window, signal));
  t.same(
    next.flatMap((p) => [...p.orders.values()].map((f) => f.number)),
    ['LATE', 'NEW'],
    'an order stored late inside the overlap is still read',
  );
  t.match(fake.requests[0]?.query, { after: '2026-03-02T09:58:00', before: '2026-03-02T10:05:00' });

  fake.requests.length = 0;
  await collect(source.changedOrders('not json', window, signal));
  t.equal(fake.requests[0]?.query['after'], '2026-03-02T08:00:00', 'an unreadable cursor starts at "since"');
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
  t.match(page?.orders.get('600000'), { kind: 'invalid', number: 'BAD-1', error: { code: 'MARKETSYNC_BAD_ORDER', message: /total: expected a number, got "1\.160,00"/ } });
  t.match(page?.orders.get('500002'), { kind: 'ready', order: { total: 116 } });
  t.match(page?.orders.get('500003'), {
    kind: 'ready',
    order: {
      lines: [
        { sku: 'RED', quantity: 2, unitPrice: 30 },
        { sku: 'BLUE', quantity: 1, unitPrice: 30 },
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

t.test('a create the look-up cannot see is stopped, not repeated', async (t) => {
  const { fake, destination } = await setup(t, { config: { filters: { byReference: 'ids' } } });
  const err = await failure(destination.create(order('S1'), signal));
  t.match(err, { kind: 'permanent', code: 'MARKETSYNC_LOOKUP_BROKEN', context: { createdIds: ['500001'] } });
  t.match(err.message, /accepted order S1 \(id 500001\).*"ids" filter.*filters\.byReference/);
  t.equal(fake.orders().length, 1);
});

t.test('two orders with one number are reported, not chosen between', async (t) => {
  const { fake, destination } = await setup(t);
  fake.addOrder({ referencia: 'S7', market_id: 4 });
  fake.addOrder({ referencia: 'S7', market_id: 8, estatus: 'paid' });
  const err = await failure(destination.find(order('S7'), signal));
  t.match(err, { kind: 'permanent', code: 'DUPLICATE_AT_DESTINATION', context: { marketsyncIds: ['500001', '500002'] } });
  t.match(err.message, /2 orders numbered S7/);
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
  });
  const http = marketsyncConfigSchema.safeParse({ baseUrl: 'http://sandbox.marketsync.mx', token, privateKey });
  t.notOk(http.success);
  t.match(http.error?.issues[0]?.message, /https/);
  t.notOk(marketsyncConfigSchema.safeParse({ baseUrl: 'https://web.marketsync.mx', token, privateKey, totalsInterval: '2 seconds' }).success);
  t.equal(builtinConnectors().get('marketsync'), marketsyncConnector);
  t.same(marketsyncConnector.roles, ['source', 'destination']);

  const fake = await startMarketsyncFake({ token, privateKey });
  t.teardown(() => fake.close());
  fake.addOrder({ referencia: 'R1' });
  const { context, exchanges, scrubber } = connectorContext('marketsync');
  const connector = marketsyncConnector.create(marketsyncConfigSchema.parse({ baseUrl: `${fake.url}/`, token, privateKey }), context);
  t.match(await connector.destination?.find(order('R1'), signal), { id: '500001', status: 'Pendiente' });
  const logged = scrubber.scrub(JSON.stringify(exchanges));
  t.ok(exchanges.length > 0);
  t.notOk(logged.includes(token), 'token scrubbed');
  t.notOk(logged.includes(privateKey), 'private key absent');
  t.notOk(fake.requests.some((r) => logged.includes(r.query['signature'] ?? '-')), 'signatures absent');
  t.equal(scrubber.scrub(`key ${privateKey}`), 'key [REDACTED]', 'the private key is registered too');
});
