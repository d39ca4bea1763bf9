import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import { saleAppConfigSchema } from '../../src/connectors/saleapp/config.js';
import { createSaleAppConnector } from '../../src/connectors/saleapp/connector.js';
import type { ChangedPage, Connector, OrderDestination, OrderSource } from '../../src/core/connector.js';
import { isIntegrationError, type IntegrationError } from '../../src/core/errors.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import type { Order } from '../../src/core/order.js';
import { SecretScrubber } from '../../src/core/redact.js';
import { connectorContext } from '../helpers/context.js';
import { startSaleAppFake, type SaleAppFake } from '../../src/sandbox/saleapp/server.js';

const key = 'saleapp-org-key-77a1f3';

function canonical(number: string, refs: Record<string, string> = { delivery_type: '3', city_ref: 'city-ref-kyiv', branch_ref: 'branch-ref-2' }): Order {
  const address = { street: 'вул. Бережанська, 9', street2: null, city: 'Київ', zip: null, state: null, country: 'Ukraine', countryCode: 'UA' };
  return {
    source: { connector: 'odoo', id: '17' },
    number,
    createdAt: '2026-03-01T10:00:00.000Z',
    status: { raw: 'sale', normalized: 'confirmed' },
    currency: 'UAH',
    customer: { sourceId: '7', name: 'Борис Вапненко', company: null, email: null, phone: null, address },
    recipient: { sourceId: '7', name: 'Борис Вапненко', company: null, email: null, phone: '+38 (067) 897-67-56', address },
    comment: 'Дзвонити заздалегідь',
    lines: [{ sourceLineId: '1', sku: 'UA25', name: 'Test 6', quantity: 2, unitPrice: '49.79', discount: '0', taxRate: null, sourceProductId: '501', destinationProductId: '42', unitOfMeasure: null, serials: [] }],
    prices: 'gross',
    discounts: [],
    surcharges: [],
    tax: null,
    total: '99.58',
    fees: [],
    refs,
  };
}

interface Harness {
  fake: SaleAppFake;
  connector: Connector;
  destination: OrderDestination;
  source: OrderSource;
  exchanges: ExchangeEntry[];
  scrubber: SecretScrubber;
  lines: string[];
}

async function setup(t: Test, settings: Record<string, unknown> = {}): Promise<Harness> {
  const fake = await startSaleAppFake({ keys: [{ secretKey: key, kind: 'organization' }] });
  t.teardown(() => fake.close());
  const { context, exchanges, scrubber, lines } = connectorContext('shop-saleapp');
  const config = saleAppConfigSchema.parse({
    baseUrl: fake.baseUrl,
    secretKey: key,
    clientId: 50,
    currencyId: 6,
    currency: 'UAH',
    warehouseId: 7,
    tags: [8],
    commentField: 'comment',
    timeout: '2s',
    ...settings,
  });
  const connector = createSaleAppConnector(config, context);
  const { destination, source } = connector;
  if (destination === undefined || source === undefined) throw new Error('SaleApp must be a source and a destination');
  return { fake, connector, destination, source, exchanges, scrubber, lines };
}

function refusal(fn: () => unknown): IntegrationError {
  try {
    fn();
  } catch (err) {
    if (isIntegrationError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const signal = new AbortController().signal;

/** What the export job does: check, look, create only when nothing was found. */
async function exportOrder(destination: OrderDestination, order: Order): Promise<{ id: string; found: boolean }> {
  destination.check(order);
  const existing = await destination.find(order, signal);
  if (existing !== null) return { id: existing.id, found: true };
  return { id: (await destination.create(order, signal)).id, found: false };
}

t.test('registered as a source and a destination', async (t) => {
  const definition = builtinConnectors().get('saleapp');
  t.same(definition?.roles, ['source', 'destination']);
  t.equal(definition?.configSchema, saleAppConfigSchema);
});

t.test('the config', async (t) => {
  const problems = (input: unknown): string[] => {
    const parsed = saleAppConfigSchema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  t.match(saleAppConfigSchema.parse({ secretKey: 'key-1234', clientId: '50', currencyId: 6, warehouseId: 7 }), {
    baseUrl: 'https://apps.conwix.com/server/api',
    keyType: 'organization',
    clientId: '50',
    currencyId: '6',
    timeout: 15_000,
    productIdKind: 'id',
    timeZone: 'Europe/Kyiv',
    delivery: {},
  });
  t.same(problems({ secretKey: 'key-1234' }), [
    'clientId: required with an organization key: each order names its client, currency and warehouse',
    'currencyId: required with an organization key: each order names its client, currency and warehouse',
    'warehouseId: required with an organization key: each order names its client, currency and warehouse',
  ]);
  t.same(problems({ secretKey: 'key-1234', keyType: 'counterparty', clientId: 50 }), [
    'clientId: not used with a counterparty key (the key fixes the client, currency and warehouse): remove it',
  ]);
  t.same(problems({ secretKey: 'key-1234', keyType: 'counterparty' }), []);
  t.match(problems({ secretKey: 'key-1234', keyType: 'counterparty', baseUrl: 'http://apps.conwix.com/server/api' }), [/baseUrl: must use https/]);
  t.match(problems({ secretKey: 'k', keyType: 'counterparty', timeZone: 'Mars/Base', delivery: { type: 4 } }), [/secretKey/, /delivery\.type/, /timeZone: expected an IANA time zone/]);
});

t.test('export: look before create; a second export finds the first and creates nothing', async (t) => {
  const { fake, destination } = await setup(t);
  t.same(await exportOrder(destination, canonical('S00017')), { id: '74', found: false });
  t.same(await exportOrder(destination, canonical('S00017')), { id: '74', found: true });
  t.equal(fake.orders().length, 1);
  t.same(
    fake.requests.map((r) => r.methodType),
    ['GET', 'POST', 'GET'],
  );

  const create = fake.requests[1]!;
  t.match(create.fields, {
    client_id: '50',
    curency_id: '6',
    warehouse_id: '7',
    external_id: 'S00017',
    delivery_types: '3',
    receiver_phone: '380678976756',
    city_ref: 'city-ref-kyiv',
    branch_ref: 'branch-ref-2',
    type: '8',
  });
  t.same(JSON.parse(create.fields['products'] ?? ''), [{ qty: 2, cost: 49.79, discount_percent: 0, id: 42, sku: 'UA25' }]);
  t.same(JSON.parse(create.fields['custom_fields'] ?? ''), { comment: 'Дзвонити заздалегідь' });
  t.match(fake.order(74), { receiverPhone: '380678976756', lines: [{ productId: 42, qty: 2, cost: 49.79 }] });

  t.same(await destination.find(canonical('S00017'), signal), { id: '74', status: 'Новий' });
  t.same(await destination.readBack?.(canonical('S00017'), '74', signal), { id: '74', status: 'Новий' }, 'read back by the id the create answered');
  t.equal(await destination.readBack?.(canonical('S00017'), '75', signal), null);
});

t.test('an order with our external_id that is not what we send is a FOREIGN_ORDER, never bound', async (t) => {
  const { fake, destination } = await setup(t);
  fake.addOrder({ externalId: 'S00017', lines: [{ productId: 40, qty: 5, cost: 12.98, discountPercent: 0 }] });
  const err = await failure(destination.find(canonical('S00017'), signal));
  t.match(err, { kind: 'permanent', code: 'FOREIGN_ORDER', context: { order: 'S00017', saleAppId: '74' } });
  t.match(err.message, /SaleApp already has order 1057 \(id 74\) with external_id S00017, but it is not the one order-bridge sends for odoo order 17: it has no UA25×2 of ours; it has UA23×5 besides; its goods come to 64\.90 UAH, ours to 99\.58 UAH/);
  t.equal(fake.orders().length, 1, 'nothing created');
});

t.test('delivery rules are refused by check() before any call', async (t) => {
  const { fake, destination } = await setup(t);
  const order = canonical('S1', { delivery_type: '3', city_ref: 'city-ref-kyiv' });
  const err = refusal(() => destination.check(order));
  t.match(err, { kind: 'permanent', code: 'CANNOT_SEND_TO_SALEAPP' });
  t.match(err.message, /needs the carrier's branch REF \(branch_ref\), and neither the order nor the connection gives one: set delivery\.branchRef of the SaleApp connection "shop-saleapp"/);
  t.match(await failure(destination.create(order, signal)), { code: 'CANNOT_SEND_TO_SALEAPP' }, 'create refuses it too');
  t.equal(fake.requests.length, 0, 'SaleApp saw no request');

  const { fake: withDefaults, destination: defaulted } = await setup(t, { delivery: { type: 3, cityRef: 'pickup-city', branchRef: 'pickup-branch' } });
  t.same(await exportOrder(defaulted, canonical('S2', {})), { id: '74', found: false });
  t.match(withDefaults.order(74), { deliveryType: 3, cityRef: 'pickup-city', branchRef: 'pickup-branch' }, 'the connection defaults fill what the order lacks');
});

t.test('readStatus follows the order in SaleApp', async (t) => {
  const { fake, destination } = await setup(t);
  const { id } = await exportOrder(destination, canonical('S1'));
  t.equal(await destination.readStatus?.(id, signal), 'Новий');
  fake.setStatus(74, 6, 'Доставлено');
  t.equal(await destination.readStatus?.(id, signal), 'Доставлено');
  fake.override(74, { status_name: null });
  t.equal(await destination.readStatus?.(id, signal), '6', 'the status id when the name is missing');

  fake.reset();
  t.match(await failure(destination.readStatus!(id, signal)), { kind: 'permanent', code: 'SALEAPP_ORDER_MISSING', message: /no order with id 74 any more/ });
  t.match(await failure(destination.readStatus!('abc', signal)), { kind: 'permanent', code: 'BAD_DESTINATION_ID' });
  t.match(await failure(destination.readStatus!('0', signal)), { code: 'BAD_DESTINATION_ID' });
  t.equal(fake.requests.length, 1, 'bad ids are not sent');
});

t.test('the secret key is registered with the scrubber', async (t) => {
  const { destination, exchanges, scrubber } = await setup(t);
  await destination.find(canonical('S1'), signal);
  const raw = exchanges[0]?.url ?? '';
  t.ok(raw.includes(key), 'the client puts the key in the URL, as SaleApp wants');
  t.notOk(scrubber.scrub(raw).includes(key));
  t.equal(scrubber.scrub(`the key is ${key}.`), 'the key is [REDACTED].', 'the key itself is known, wherever it appears');
});

t.test('as a source: orders read by id, each mapped on its own', async (t) => {
  const { fake, source } = await setup(t, { skipStatusIds: [9] });
  fake.addOrder({ receiverName: 'Оксана', city: 'Львів', lines: [{ productId: 40, qty: 2, cost: 12.98, discountPercent: 0 }], dateEntered: '2026-03-01 12:00:00' });
  fake.addOrder({ receiverName: 'Broken', lines: [{ productId: 40, qty: 1, cost: 1, discountPercent: 0 }] });
  fake.override(75, { products: 'not a list' });
  fake.addOrder({ statusId: 9, statusName: 'Скасовано', lines: [{ productId: 40, qty: 1, cost: 1, discountPercent: 0 }] });

  const fetched = await source.fetchOrders(['74', '75', '76', '999', 'abc', '74'], signal);
  t.same([...fetched.keys()], ['74', '75', '76'], 'unknown ids are absent');
  t.match(fetched.get('74'), {
    kind: 'ready',
    number: '1057',
    order: {
      source: { connector: 'saleapp', id: '74' },
      number: '1057',
      createdAt: '2026-03-01T10:00:00.000Z',
      recipient: { name: 'Оксана', address: { city: 'Львів' } },
      lines: [{ sku: 'UA23', name: 'Test 4', quantity: 2, unitPrice: '12.98', discount: '0', taxRate: null, sourceProductId: '40' }],
    },
  });
  t.match(fetched.get('75'), { kind: 'invalid', error: { code: 'SALEAPP_ORDER_UNREADABLE' } }, 'a broken order does not break the read');
  t.match(fetched.get('76'), { kind: 'skip' });
  t.same(
    fake.requests.map((r) => r.fields['id']),
    ['74', '75', '76', '999'],
    'one GET per distinct id; non-numeric ids are not asked for',
  );
});

t.test('as a source: no listing to poll, said once loudly', async (t) => {
  const { fake, source, lines } = await setup(t);
  fake.addOrder({ lines: [{ productId: 40, qty: 1, cost: 1, discountPercent: 0 }] });
  const window = { since: new Date(0), pageSize: 100, overlapMs: 0 };
  for (let poll = 0; poll < 2; poll++) {
    const pages: ChangedPage[] = [];
    for await (const page of source.changedOrders(null, window, signal)) pages.push(page);
    t.same(pages, []);
  }
  const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; connection: string });
  t.match(logged, [
    { level: 40, connection: 'shop-saleapp', msg: /SaleApp connection "shop-saleapp" cannot be polled: the SaleApp Orders API has no listing of changed orders/ },
    { level: 20, connection: 'shop-saleapp' },
  ]);
  t.equal(fake.requests.length, 0);
});
