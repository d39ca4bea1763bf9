import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { SaleAppClient, type SaleAppClientOptions } from '../../src/connectors/saleapp/client.js';
import type { SaleAppCreateOrder } from '../../src/connectors/saleapp/schemas.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { startSaleAppFake, type SaleAppFake, type SaleAppFakeOptions } from '../../src/sandbox/saleapp/server.js';

const key = 'saleapp-org-key-5d1e0c';
const account = { clientId: '50', currencyId: '6', warehouseId: '7' };

function order(externalId: string, overrides: Partial<SaleAppCreateOrder> = {}): SaleAppCreateOrder {
  return {
    external_id: externalId,
    delivery_types: 3,
    receiver_name: 'Борис Вапненко',
    receiver_phone: '380678976756',
    city: 'Київ',
    city_ref: '8d5a980d-391c-11dd-90d9-001a92567626',
    addres: 'Відділення №2: вул. Бережанська, 9',
    branch_ref: '7b422fbe-e1b8-11e3-8c4a-0050568002cf',
    insurance_amount: 300,
    products: [{ id: 42, sku: 'UA25', qty: 1, cost: 49.79, discount_percent: 0 }],
    ...overrides,
  };
}

interface Harness {
  fake: SaleAppFake;
  client: SaleAppClient;
  exchanges: ExchangeEntry[];
}

async function setup(t: Test, options: { fake?: SaleAppFakeOptions; client?: Partial<SaleAppClientOptions> } = {}): Promise<Harness> {
  const fake = await startSaleAppFake({ keys: [{ secretKey: key, kind: 'organization' }], ...options.fake });
  t.teardown(() => fake.close());
  const exchanges: ExchangeEntry[] = [];
  const client = new SaleAppClient({
    baseUrl: fake.baseUrl,
    secretKey: key,
    account,
    timeoutMs: 2_000,
    exchanges: (entry) => exchanges.push(entry),
    ...options.client,
  });
  return { fake, client, exchanges };
}

/** A client whose every call gets this body with HTTP 200. */
function answering(body: unknown): SaleAppClient {
  return new SaleAppClient({
    baseUrl: 'http://127.0.0.1:1/server/api',
    secretKey: key,
    account,
    timeoutMs: 2_000,
    fetch: async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200 }),
  });
}

t.test('a create is a form POST with method_type, the account and JSON-encoded products', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  const created = await client.createOrder(order('S00017', { type: '8,3', custom_fields: { comment: 'Дзвонити заздалегідь' } }));
  t.same(created, { id: '74', description: 'Документ успішно створено!' });

  const [sent] = fake.requests;
  t.equal(sent?.method, 'POST');
  t.equal(sent?.query['secret_key'], key);
  t.equal(sent?.headers['content-type'], 'application/x-www-form-urlencoded');
  t.match(sent?.fields, {
    method_type: 'POST',
    client_id: '50',
    curency_id: '6',
    warehouse_id: '7',
    external_id: 'S00017',
    delivery_types: '3',
    receiver_phone: '380678976756',
    insurance_amount: '300',
    type: '8,3',
  });
  t.notOk('delivery_amount' in (sent?.fields ?? {}), 'unset fields are not sent');
  t.same(JSON.parse(sent?.fields['products'] ?? ''), [{ id: 42, sku: 'UA25', qty: 1, cost: 49.79, discount_percent: 0 }]);
  t.same(JSON.parse(sent?.fields['custom_fields'] ?? ''), { comment: 'Дзвонити заздалегідь' });
  t.match(fake.order(74), { externalId: 'S00017', tagIds: [8, 3], customFields: { comment: 'Дзвонити заздалегідь' } });

  t.match(exchanges[0], { connector: 'saleapp', operation: 'Orders POST', httpStatus: 200, fault: null, error: null });
  t.match(exchanges[0]?.requestBody, /^method_type=POST&client_id=50&/);
});

t.test('reads by id, number and external_id; look-before-create finds an earlier create', async (t) => {
  const { fake, client } = await setup(t);
  t.equal(await client.findByExternalId('S1'), null);
  await client.createOrder(order('S1'));
  t.match(await client.findByExternalId('S1'), { id: '74', number: '1057', external_id: 'S1', status_id: 0, status_name: 'Новий' });
  t.match(await client.getOrders({ number: '1057' }), [{ id: '74' }]);
  t.match(await client.getOrder('74'), { id: '74', receiver_name: 'Борис Вапненко' }, 'the rest of the order passes through');
  t.equal(await client.getOrder('75'), null);
  t.match(fake.requests.at(-1)?.fields, { method_type: 'GET', id: '75', client_id: '50' }, 'client_id scopes the search');

  fake.inject({ kind: 'lost-answer' }, { match: (req) => req.methodType === 'POST' });
  t.match(await failure(client.createOrder(order('S2'))), { kind: 'retryable', code: 'CONNECTION_FAILED' });
  t.match(await client.findByExternalId('S2'), { id: '75' }, 'the lost create is found by its external_id');
});

t.test('two orders with our external_id are reported, not chosen between', async (t) => {
  const { fake, client } = await setup(t);
  fake.addOrder({ externalId: 'S1' });
  fake.addOrder({ externalId: 'S1' });
  const err = await failure(client.findByExternalId('S1'));
  t.match(err, { kind: 'permanent', code: 'DUPLICATE_AT_DESTINATION', context: { saleAppIds: ['74', '75'] } });
  t.match(err.message, /ids 74, 75/);
});

t.test('a lookup that answers another order is not taken for ours', async (t) => {
  const client = answering({ error: 'false', error_description: '', response: [{ id: '9', number: '9', external_id: 'S10', status_id: '0' }] });
  t.equal(await client.findByExternalId('S1'), null);
  t.equal(await client.getOrder('8'), null);
});

t.test('delivery rules and bad fields are refused before any call', async (t) => {
  const { fake, client } = await setup(t);
  const noBranch = await failure(client.createOrder(order('S1', { branch_ref: undefined })));
  t.match(noBranch, { kind: 'permanent', code: 'SALEAPP_BAD_REQUEST' });
  t.match(noBranch.message, /delivery type 3 \(Nova Poshta branch.*\) needs the carrier's branch REF \(branch_ref\)/);
  const noCity = await failure(client.createOrder(order('S1', { delivery_types: 5, city_ref: ' ' })));
  t.match(noCity.message, /delivery type 5 .* needs the carrier's city REF \(city_ref\)/);
  const phone = await failure(client.createOrder(order('S1', { receiver_phone: '+38 067' })));
  t.match(phone.message, /receiver_phone: digits only/);
  const type4 = await failure(client.createOrder(order('S1', { delivery_types: 4 as never })));
  t.match(type4.message, /delivery_types/);
  const cityOnly = await failure(client.updateOrder({ id: '74' }, { city: 'Львів' }));
  t.match(cityOnly.message, /a change of city needs the delivery type/);
  t.match(await failure(client.updateOrder({ id: '74' }, {})), { code: 'SALEAPP_BAD_REQUEST', message: /nothing to change/ });
  t.equal(fake.requests.length, 0, 'SaleApp saw no request');

  await client.createOrder(order('S1', { delivery_types: 1, city_ref: undefined, branch_ref: undefined }));
  t.equal(fake.orders().length, 1, 'a pickup needs no REFs');
});

t.test('refusals in the envelope are permanent and carry the description', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  const unknownProduct = await failure(client.createOrder(order('S1', { products: [{ id: 999, sku: 'NOPE', qty: 1, cost: 1 }] })));
  t.match(unknownProduct, { kind: 'permanent', code: 'SALEAPP_PRODUCT_NOT_FOUND', context: { system: 'saleapp', operation: 'Orders POST', httpStatus: 200, order: 'S1' } });
  t.match(unknownProduct.message, /^SaleApp refused order S1: "Товар не знайдено.*Add the product to SaleApp with that SKU/);
  t.match(unknownProduct.message, /Товар не знайдено: \{"id":999/);
  t.equal(exchanges.at(-1)?.fault, 'Товар не знайдено: {"id":999,"sku":"NOPE","qty":1,"cost":1}');

  const noAccount = new SaleAppClient({ baseUrl: fake.baseUrl, secretKey: key, timeoutMs: 2_000 });
  const refused = await failure(noAccount.createOrder(order('S1')));
  t.match(refused, { kind: 'permanent', code: 'SALEAPP_REFUSED', context: { description: 'Не вказано client_id' } });
  t.equal(refused.message, 'SaleApp refused order S1 (Orders POST): Не вказано client_id');
  t.equal(fake.orders().length, 0);
});

t.test('a wrong or missing key is a permanent error naming the setting', async (t) => {
  const { client, exchanges } = await setup(t, { client: { secretKey: 'not-the-key-1234' } });
  const err = await failure(client.getOrders({ id: '1' }));
  t.match(err, { kind: 'permanent', code: 'SALEAPP_AUTH', context: { httpStatus: 200, description: 'Невірний secret_key' } });
  t.match(err.message, /check secretKey and keyType of the SaleApp connection/);
  t.match(exchanges[0], { httpStatus: 200, fault: 'Невірний secret_key' });

  const { client: blank } = await setup(t, { client: { secretKey: '' } });
  t.match(await failure(blank.getOrders({ id: '1' })), { code: 'SALEAPP_AUTH', message: /Не вказано secret_key/ });
});

t.test('the error flag: "false"/"true" strings, booleans and 0/1', async (t) => {
  const { client } = await setup(t, { fake: { errorFlag: 'boolean' } });
  t.same(await client.getOrders({ id: '1' }), []);
  t.match(await failure(client.createOrder(order('S1', { products: [{ sku: 'NOPE', qty: 1, cost: 1 }] }))), { code: 'SALEAPP_PRODUCT_NOT_FOUND' });

  t.match(await failure(answering({ error: 'true', error_description: 'Помилка валідації' }).getOrders({ id: '1' })), { kind: 'permanent', code: 'SALEAPP_REFUSED' });
  t.match(await failure(answering({ error: 1, error_description: 'Помилка валідації' }).getOrders({ id: '1' })), { code: 'SALEAPP_REFUSED' });
  t.same(await answering({ error: '0', error_description: null, response: [] }).getOrders({ id: '1' }), []);
  const unknownFlag = await failure(answering({ error: 'yes', error_description: '', response: [] }).getOrders({ id: '1' }));
  t.match(unknownFlag, { kind: 'retryable', code: 'MALFORMED_RESPONSE' });
  t.match(unknownFlag.message, /expected shape \(error: /);
});

t.test('how error descriptions are read', async (t) => {
  const busy = await failure(answering({ error: 'true', error_description: 'Сервер перевантажений, спробуйте пізніше' }).createOrder(order('S1')));
  t.match(busy, { kind: 'retryable', code: 'SALEAPP_BUSY' });
  const silent = await failure(answering({ error: 'true', error_description: '' }).createOrder(order('S1')));
  t.match(silent, { kind: 'retryable', code: 'SALEAPP_ERROR', message: /without describing it/ });
  t.same(await answering({ error: 'true', error_description: 'Замовлення не знайдено' }).getOrders({ externalId: 'S1' }), [], 'a lookup that "finds nothing" as an error finds nothing');
  t.match(await failure(answering({ error: 'true', error_description: 'Замовлення не знайдено' }).updateOrder({ id: '1' }, { receiver_name: 'x' })), {
    kind: 'permanent',
    code: 'SALEAPP_NOT_FOUND',
  });
});

t.test('update by id or external_id', async (t) => {
  const { fake, client } = await setup(t);
  await client.createOrder(order('S1'));
  await client.updateOrder({ externalId: 'S1' }, { receiver_name: 'Інна Петренко', receiver_phone: '380501112233' });
  await client.updateOrder({ id: '74' }, { delivery_types: 5, city: 'Львів', city_ref: 'lviv-ref', addres: 'вул. Городоцька, 1' });
  t.match(fake.order(74), { receiverName: 'Інна Петренко', receiverPhone: '380501112233', deliveryType: 5, city: 'Львів', addres: 'вул. Городоцька, 1' });
  t.match(fake.requests.at(-1)?.fields, { method_type: 'PUT', id: '74', client_id: '50', delivery_types: '5' });
  t.match(await failure(client.updateOrder({ id: '99' }, { receiver_name: 'x' })), { code: 'SALEAPP_NOT_FOUND' });
});

t.test('delete: allowed in statuses 0 to 2, refused later without sending it', async (t) => {
  const { fake, client } = await setup(t);
  for (const id of ['D0', 'D2', 'D4', 'D5']) await client.createOrder(order(id));
  fake.setStatus(75, 2);
  fake.setStatus(76, 4, 'Відвантажено');

  t.same(await client.deleteOrder({ id: '74' }), ['74']);
  t.same(await client.deleteOrder({ externalId: 'D2' }), ['75']);
  t.match(fake.requests.at(-1)?.fields, { method_type: 'DELETE', external_id: 'D2' });

  const before = fake.requests.length;
  const refused = await failure(client.deleteOrder({ id: '76' }));
  t.match(refused, { kind: 'permanent', code: 'SALEAPP_DELETE_NOT_ALLOWED', context: { saleAppIds: ['76'] } });
  t.match(refused.message, /order 1059 \(id 76, external_id D4\) is in status 4 "Відвантажено"\. Nothing was deleted\./);
  t.same(
    fake.requests.slice(before).map((r) => r.methodType),
    ['GET'],
    'only the status was read',
  );
  t.ok(fake.order(76));

  t.same(await client.deleteOrder({ id: '74' }), [], 'deleting what is gone deletes nothing and asks nothing more');
  t.equal(fake.requests.at(-1)?.methodType, 'GET');

  // The status changes between our read and the delete: SaleApp's own refusal comes back.
  const racing = new SaleAppClient({
    baseUrl: fake.baseUrl,
    secretKey: key,
    account,
    timeoutMs: 2_000,
    fetch: async (input, init) => {
      if (String(init?.body).startsWith('method_type=DELETE')) fake.setStatus(77, 5, 'Доставлено');
      return fetch(input, init);
    },
  });
  const late = await failure(racing.deleteOrder({ id: '77' }));
  t.match(late, { kind: 'permanent', code: 'SALEAPP_REFUSED', message: /Видалення замовлення №1060 заборонено/ });
  t.ok(fake.order(77));
});

t.test('server failures and rate limits are retryable', async (t) => {
  const { fake, client, exchanges } = await setup(t, { fake: { rateLimit: { limit: 1, windowMs: 60_000 } } });
  fake.inject({ kind: 'status', status: 500 });
  t.match(await failure(client.getOrders({ id: '1' })), { kind: 'retryable', code: 'HTTP_500', context: { httpStatus: 500 } });
  t.equal(exchanges.at(-1)?.fault, 'HTTP 500');
  fake.inject({ kind: 'status', status: 502 });
  const gateway = await failure(client.createOrder(order('S1')));
  t.match(gateway, { kind: 'retryable', code: 'HTTP_502' });
  t.match(gateway.detail, /Bad Gateway/);
  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  t.match(await failure(client.getOrders({ id: '1' })), { kind: 'retryable', code: 'HTTP_429', retryAfterMs: 7_000 });

  await client.getOrders({ id: '1' });
  const limited = await failure(client.getOrders({ id: '1' }));
  t.match(limited, { kind: 'retryable', code: 'HTTP_429' });
  t.ok((limited.retryAfterMs ?? 0) >= 59_000 && (limited.retryAfterMs ?? 0) <= 60_000, 'the wait SaleApp asks for');
  t.match(limited.message, /Забагато запитів, спробуйте пізніше/);
  t.equal(exchanges.at(-1)?.fault, 'Забагато запитів, спробуйте пізніше');
  t.equal(fake.orders().length, 0);
});

t.test('answers that are not the promised envelope are retryable', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'garbage' });
  const garbage = await failure(client.getOrders({ id: '1' }));
  t.match(garbage, { kind: 'retryable', code: 'MALFORMED_RESPONSE', message: /not JSON/ });
  t.match(garbage.detail, /^<br \/>/);
  t.match(exchanges.at(-1), { httpStatus: 200, fault: null, error: /not JSON/ });

  t.match(await failure(answering({ error: 'false', error_description: 'Документ успішно створено!' }).createOrder(order('S1'))), {
    code: 'MALFORMED_RESPONSE',
    message: /create_id/,
  });
  t.match(await failure(answering({ error: 'false', create_id: 0 }).createOrder(order('S1'))), { code: 'MALFORMED_RESPONSE' });
  t.match(await failure(answering({ error: 'false', response: {} }).getOrders({ id: '1' })), { code: 'MALFORMED_RESPONSE', message: /response/ });
  t.match(await failure(answering({ error: 'false', response: [{ id: 'abc', status_id: '0' }] }).getOrders({ id: '1' })), { code: 'MALFORMED_RESPONSE' });
  t.match(await failure(answering({ error: 'false' }).deleteOrder({ id: '1' })), { code: 'MALFORMED_RESPONSE' });
  t.same(await answering({ error: 'false', create_id: '134' }).createOrder(order('S1')), { id: '134', description: '' }, 'a create_id as a string is read too');
});

t.test('a slow answer times out, and the caller can cancel', async (t) => {
  const { fake, client } = await setup(t, { client: { timeoutMs: 200 } });
  fake.inject({ kind: 'delay', ms: 1_000 });
  const started = Date.now();
  t.match(await failure(client.createOrder(order('S1'))), { kind: 'retryable', code: 'TIMEOUT', context: { operation: 'Orders POST' } });
  t.ok(Date.now() - started < 900);

  fake.inject({ kind: 'delay', ms: 1_000 });
  const controller = new AbortController();
  const call = client.findByExternalId('S1', controller.signal);
  controller.abort();
  t.match(await failure(call), { kind: 'retryable', code: 'ABORTED' });
});
