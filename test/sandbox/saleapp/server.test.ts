import t, { type Test } from 'tap';
import { ordersPath, startSaleAppFake, type SaleAppFake, type SaleAppFakeOptions } from '../../../src/sandbox/saleapp/server.js';

const key = 'org-secret-0123456789';
const partnerKey = 'counterparty-secret-987654';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown>;
}

/** Posts fields the way the document's PHP example does: curl with an array sends multipart/form-data. */
async function call(
  fake: SaleAppFake,
  fields: Record<string, string | number>,
  options: { secretKey?: string | null; encoding?: 'multipart' | 'urlencoded' | 'json'; method?: string; path?: string } = {},
): Promise<Reply> {
  const secretKey = options.secretKey === undefined ? key : options.secretKey;
  const query = secretKey === null ? '' : `?secret_key=${encodeURIComponent(secretKey)}`;
  let body: BodyInit | undefined;
  const headers: Record<string, string> = {};
  const strings = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, String(value)]));
  if (options.encoding === 'json') {
    body = JSON.stringify(strings);
    headers['Content-Type'] = 'application/json';
  } else if (options.encoding === 'urlencoded') {
    body = new URLSearchParams(strings);
  } else {
    const form = new FormData();
    for (const [name, value] of Object.entries(strings)) form.append(name, value);
    body = form;
  }
  const method = options.method ?? 'POST';
  const response = await fetch(`${fake.url}${options.path ?? ordersPath}${query}`, { method, headers, body: method === 'GET' ? undefined : body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** The document's create example, field for field. */
function docExample(overrides: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    method_type: 'POST',
    client_id: 50,
    curency_id: 6,
    warehouse_id: 7,
    external_id: 100222312,
    delivery_types: 3,
    receiver_name: 'Борис Вапненко',
    receiver_phone: '380678976756',
    city: 'Київ',
    city_ref: '8d5a980d-391c-11dd-90d9-001a92567626',
    addres: 'Відділення №2: вул. Бережанська, 9 (Оболонь Лугова)',
    branch_ref: '7b422fbe-e1b8-11e3-8c4a-0050568002cf',
    insurance_amount: 300,
    delivery_amount: 290,
    type: '8,3',
    products: JSON.stringify([{ id: 42, external_id: 232336, supplier_id: 234561, sku: 'UA25', qty: 1, cost: 49.79, discount_percent: 1 }]),
    ...overrides,
  };
}

async function start(t: Test, options: SaleAppFakeOptions = {}): Promise<SaleAppFake> {
  const fake = await startSaleAppFake({
    keys: [
      { secretKey: key, kind: 'organization' },
      { secretKey: partnerKey, kind: 'counterparty', clientId: '51', currencyId: '2', warehouseId: '9' },
    ],
    now: () => new Date('2022-09-04T17:17:34Z'),
    ...options,
  });
  t.teardown(() => fake.close());
  return fake;
}

function refusal(reply: Reply): unknown {
  return { status: reply.status, body: reply.json() };
}

t.test('the key, the form and method_type', async (t) => {
  const fake = await start(t);
  const get = { method_type: 'GET', id: 1 };

  t.same(refusal(await call(fake, get, { secretKey: null })), { status: 200, body: { error: 'true', error_description: 'Не вказано secret_key' } });
  t.same(refusal(await call(fake, get, { secretKey: 'wrong-key' })), { status: 200, body: { error: 'true', error_description: 'Невірний secret_key' } });
  t.same((await call(fake, get)).json(), { error: 'false', error_description: '', response: [] });
  t.same((await call(fake, get, { encoding: 'urlencoded' })).json(), { error: 'false', error_description: '', response: [] }, 'a url-encoded form works as well');

  t.match((await call(fake, get, { encoding: 'json' })).json(), { error: 'true', error_description: 'Не вказано method_type' }, 'JSON is not a form');
  t.match((await call(fake, get, { method: 'GET' })).json(), { error: 'true', error_description: 'Не вказано method_type' }, 'an HTTP GET has no form');
  t.match((await call(fake, { method_type: 'PATCH' })).json(), { error_description: 'Невідомий method_type: PATCH' });
  t.match((await call(fake, { method_type: 'GET' })).json(), { error: 'true', error_description: 'Не вказано id, number, external_id' });

  const elsewhere = await call(fake, get, { path: '/server/api/Products' });
  t.equal(elsewhere.status, 404);
  t.match(elsewhere.text, /404 Not Found/);

  const random = await startSaleAppFake();
  t.teardown(() => random.close());
  t.ok(random.secretKey.length >= 16, 'a random key by default');
  t.equal(random.baseUrl, `${random.url}/server/api`);
});

t.test("the document's create example, then reading it back", async (t) => {
  const fake = await start(t);
  const created = await call(fake, docExample({ receiver_phone: '+38 (067) 897-67-56' }));
  t.same(created.json(), { error: 'false', error_description: 'Документ успішно створено!', create_id: 74 });

  const [order] = fake.orders();
  t.match(order, { id: 74, number: 1057, externalId: '100222312', clientId: '50', currencyId: '6', warehouseId: '7', receiverPhone: '380678976756' });
  t.same(order?.lines, [{ productId: 42, qty: 1, cost: 49.79, discountPercent: 1 }]);

  const read = (await call(fake, { method_type: 'GET', id: 74 })).json();
  t.same(read, {
    error: 'false',
    error_description: '',
    response: [
      {
        id: '74',
        number: '1057',
        external_id: '100222312',
        status_id: '0',
        delivery_type_name: 'Нова Пошта відділення',
        delivery_types: '3',
        receiver_name: 'Борис Вапненко',
        receiver_phone: '380678976756',
        city: 'Київ',
        city_ref: '8d5a980d-391c-11dd-90d9-001a92567626',
        addres: 'Відділення №2: вул. Бережанська, 9 (Оболонь Лугова)',
        branch_ref: '7b422fbe-e1b8-11e3-8c4a-0050568002cf',
        insurance_amount: '300',
        delivery_amount: '290',
        type_ids: '8,3',
        date_entered: '2022-09-04 20:17:34',
        date_update: '2022-09-04 20:17:34',
        type: [
          { id: '8', name: 'Спец умови' },
          { id: '3', name: 'Терміново' },
        ],
        products: [
          {
            id: '42',
            name: 'Test 6',
            sku: 'UA25',
            external_id: '232336',
            qty: '1',
            allocated_qty: '0',
            cost: '49.79',
            discount_percent: '1',
            supplier_ids: [{ code: '234561', supplier_id: '39' }],
          },
        ],
        status_name: 'Новий',
        ttn: null,
        ttn_ref: null,
        seats_number: '0',
        custom_fields: {},
        funnel: null,
        funnel_name: null,
      },
    ],
  });

  // The document's GET example: id 66 and number 1056 find nothing, external_id finds order 74.
  const example = (await call(fake, { method_type: 'GET', client_id: 50, id: 66, number: 1056, external_id: 100222312 })).json();
  t.match(example, { error: 'false', response: [{ id: '74', number: '1057' }] });
  t.match((await call(fake, { method_type: 'GET', number: 1057 })).json(), { response: [{ id: '74' }] });
  t.match((await call(fake, { method_type: 'GET', id: 74, external_id: 'other' })).json(), { response: [{ id: '74' }] }, 'id first');
  t.same((await call(fake, { method_type: 'GET', client_id: 51, id: 74 })).json()['response'], [], 'client_id scopes the search');

  await call(fake, docExample({ receiver_name: 'Друге замовлення' }));
  const both = (await call(fake, { method_type: 'GET', external_id: 100222312 })).json()['response'] as unknown[];
  t.equal(both.length, 2, 'external_id is not unique: a second create with it succeeds');
});

t.test('delivery rules and required fields are enforced by the server too', async (t) => {
  const fake = await start(t);
  const refused = async (overrides: Record<string, string | number>): Promise<unknown> => (await call(fake, docExample(overrides))).json()['error_description'];

  t.equal(await refused({ branch_ref: '' }), "Поле branch_ref обов'язкове для доставки у відділення Нової Пошти");
  t.equal(await refused({ delivery_types: 5, city_ref: '' }), "Поле city_ref обов'язкове для обраного типу доставки");
  t.equal(await refused({ delivery_types: 4 }), 'Невідомий тип доставки: 4');
  t.equal(await refused({ delivery_types: '' }), 'Не вказано тип доставки (delivery_types)');
  t.equal(await refused({ client_id: '' }), 'Не вказано client_id');
  t.equal(await refused({ curency_id: '' }), 'Не вказано curency_id');
  t.equal(await refused({ insurance_amount: '300.50' }), 'Поле insurance_amount має бути цілим числом');
  t.equal(await refused({ type: '8,99' }), 'Тег 99 не знайдено');
  t.equal(await refused({ custom_fields: '{broken' }), 'Невірний формат custom_fields: очікується json_encode масиву');
  t.equal(fake.orders().length, 0, 'nothing refused was created');

  t.match((await call(fake, docExample({ delivery_types: 1, city_ref: '', branch_ref: '' }))).json(), { error: 'false' }, 'pickup needs no REFs');
  t.match((await call(fake, docExample({ delivery_types: 5, branch_ref: '' }))).json(), { error: 'false' }, 'an address delivery needs no branch');
});

t.test('products: a JSON array, matched by id, external_id or supplier code, then sku', async (t) => {
  const fake = await start(t);
  const withProducts = (products: unknown, secretKey = key): Promise<Reply> => call(fake, docExample({ products: JSON.stringify(products) }), { secretKey });

  t.match((await call(fake, docExample({ products: '[{"id":42,' }))).json(), { error: 'true', error_description: /^Невірний формат products/ });
  t.match((await withProducts({ id: 42, qty: 1 })).json(), { error_description: /^Невірний формат products/ }, 'an object is not an array');
  t.match((await withProducts([])).json(), { error_description: 'Не вказано товари (products)' });
  t.match((await withProducts([{ id: 999, sku: 'NOPE', qty: 1 }])).json(), { error_description: 'Товар не знайдено: {"id":999,"sku":"NOPE","qty":1}' });
  t.match((await withProducts([{ id: 42, qty: 0 }])).json(), { error_description: 'Невірна кількість товару UA25' });
  t.match((await withProducts([{ id: 42, qty: 1, discount_percent: 120 }])).json(), { error_description: 'Невірна знижка товару UA25' });

  await withProducts([{ id: 999, external_id: '232336', qty: 2 }]);
  await withProducts([{ id: 999, supplier_id: '232334', sku: 'UA25', qty: 1 }]);
  await withProducts([{ sku: 'UA23', qty: '3', cost: '10.5' }]);
  t.same(
    fake.orders().map((o) => o.lines),
    [
      [{ productId: 42, qty: 2, cost: 49.79, discountPercent: 0 }],
      [{ productId: 42, qty: 1, cost: 49.79, discountPercent: 0 }],
      [{ productId: 40, qty: 3, cost: 10.5, discountPercent: 0 }],
    ],
    'external_id with a global key; a supplier code is not looked at with it, so the sku decides; the catalogue price without cost',
  );

  const partner = await withProducts([{ external_id: '232336', supplier_id: '232334', qty: 1 }], partnerKey);
  t.match(partner.json(), { error: 'false' });
  t.match(fake.orders().at(-1), { lines: [{ productId: 40 }], clientId: '51', currencyId: '2', warehouseId: '9' }, 'a counterparty key matches supplier codes and fixes the account');
});

t.test('a counterparty key sees and changes only its own orders', async (t) => {
  const fake = await start(t);
  await call(fake, docExample({ external_id: 'A-1' }));
  await call(fake, docExample({ external_id: 'A-1', client_id: 999 }), { secretKey: partnerKey });
  t.same(
    fake.ordersByExternalId('A-1').map((o) => o.clientId),
    ['50', '51'],
    'the posted client_id is ignored',
  );
  const seen = (await call(fake, { method_type: 'GET', external_id: 'A-1' }, { secretKey: partnerKey })).json()['response'] as Array<{ id: string }>;
  t.same(
    seen.map((o) => o.id),
    ['75'],
  );
  t.match((await call(fake, { method_type: 'DELETE', id: 74 }, { secretKey: partnerKey })).json(), { error_description: 'Замовлення не знайдено' });
});

t.test('PUT changes an order found by id or external_id', async (t) => {
  let clock = new Date('2022-09-04T17:17:34Z');
  const fake = await start(t, { now: () => clock });
  await call(fake, docExample({ external_id: 'S1', funnel: 3 }));
  clock = new Date('2022-09-05T08:00:00Z');

  const changed = await call(fake, { method_type: 'PUT', id: 74, receiver_name: 'Інна Петренко', receiver_phone: '+380 50 111 22 33', funnel: 9, type: '3' });
  t.same(changed.json(), { error: 'false', error_description: 'Документ успішно оновлено!' });
  t.match(fake.order(74), { receiverName: 'Інна Петренко', receiverPhone: '380501112233', funnel: '3', tagIds: [3], dateUpdate: '2022-09-05 11:00:00' }, 'funnel is not processed on PUT');

  t.match((await call(fake, { method_type: 'PUT', external_id: 'S1', city: 'Львів' })).json(), {
    error: 'true',
    error_description: 'Для зміни міста, відділення або адреси доставки вкажіть тип доставки (delivery_types)',
  });
  t.match((await call(fake, { method_type: 'PUT', external_id: 'S1', delivery_types: 3, city: 'Львів', city_ref: 'lviv-ref' })).json(), {
    error_description: "Поле branch_ref обов'язкове для доставки у відділення Нової Пошти",
  });
  t.match((await call(fake, { method_type: 'PUT', external_id: 'S1', delivery_types: 5, city: 'Львів', city_ref: 'lviv-ref', addres: 'вул. Городоцька, 1' })).json(), { error: 'false' });
  t.match(fake.order(74), { deliveryType: 5, city: 'Львів', cityRef: 'lviv-ref', addres: 'вул. Городоцька, 1' });

  t.match((await call(fake, { method_type: 'PUT', id: 74, products: JSON.stringify([{ sku: 'UA23', qty: 2 }]) })).json(), { error: 'false' });
  t.same(fake.order(74)?.lines, [{ productId: 40, qty: 2, cost: 12.98, discountPercent: 0 }]);

  t.match((await call(fake, { method_type: 'PUT', receiver_name: 'x' })).json(), { error_description: 'Не вказано id, external_id' });
  t.match((await call(fake, { method_type: 'PUT', id: 1, receiver_name: 'x' })).json(), { error_description: 'Замовлення не знайдено' });
  await call(fake, docExample({ external_id: 'S1' }));
  t.match((await call(fake, { method_type: 'PUT', external_id: 'S1', receiver_name: 'x' })).json(), { error_description: /^Знайдено декілька замовлень/ });
});

t.test('DELETE only in statuses 0 to 2', async (t) => {
  const fake = await start(t);
  for (const externalId of ['D0', 'D1', 'D4', 'Twin', 'Twin']) await call(fake, docExample({ external_id: externalId }));
  fake.setStatus(75, 1);
  fake.setStatus(76, 4, 'Відвантажено');
  t.equal(fake.order(75)?.statusName, 'Повністю зарезервований');
  t.throws(() => fake.setStatus(74, 7), /needs a name/);
  t.throws(() => fake.setStatus(1, 0), /no order/);

  t.same((await call(fake, { method_type: 'DELETE', id: 74 })).json(), {
    error: 'false',
    error_description: 'Документ успішно видалено!',
    deleted: [{ id: '74', number: '1057', external_id: 'D0' }],
  });
  t.match((await call(fake, { method_type: 'DELETE', external_id: 'D1' })).json(), { error: 'false', deleted: [{ id: '75' }] }, 'fully reserved may go');
  t.match((await call(fake, { method_type: 'DELETE', id: 76 })).json(), {
    error: 'true',
    error_description: 'Видалення замовлення №1059 заборонено: по API дозволено видаляти лише замовлення у статусах Новий, Повністю зарезервований, Частково зарезервований',
  });
  t.ok(fake.order(76), 'the shipped order stays');

  t.match((await call(fake, { method_type: 'DELETE', external_id: 'Twin' })).json(), { deleted: [{ id: '77' }, { id: '78' }] }, 'every match of an external_id');
  t.match((await call(fake, { method_type: 'DELETE', id: 74 })).json(), { error_description: 'Замовлення не знайдено' });
  t.same(
    fake.orders().map((o) => o.id),
    [76],
  );
});

t.test('errors as JSON booleans, when configured', async (t) => {
  const fake = await start(t, { errorFlag: 'boolean' });
  t.same((await call(fake, { method_type: 'GET', id: 1 })).json(), { error: false, error_description: '', response: [] });
  t.same((await call(fake, { method_type: 'GET' })).json(), { error: true, error_description: 'Не вказано id, number, external_id' });
});

t.test('orders made by people, and values the client must cope with', async (t) => {
  const fake = await start(t);
  const made = fake.addOrder({ receiverName: 'Оксана', lines: [{ productId: 40, qty: 1, cost: 12.98, discountPercent: 0 }], statusId: 2 });
  t.match(made, { id: 74, number: 1057, statusName: 'Частково зарезервований', externalId: null });
  t.equal(fake.addOrder({ id: 200 }).number, 1058);
  t.equal(fake.addOrder({}).id, 201, 'ids continue after the highest');

  fake.override(74, { products: 'broken', status_id: 'x' });
  t.match((await call(fake, { method_type: 'GET', id: 74 })).json(), { response: [{ id: '74', products: 'broken', status_id: 'x', receiver_name: 'Оксана' }] });
});

t.test('rate limit', async (t) => {
  let clock = Date.parse('2022-09-04T17:17:34Z');
  const fake = await start(t, { rateLimit: { limit: 2, windowMs: 1_000 }, now: () => new Date(clock) });
  t.equal((await call(fake, { method_type: 'GET', id: 1 })).status, 200);
  t.equal((await call(fake, { method_type: 'GET', id: 1 }, { secretKey: 'wrong' })).status, 200, 'refused keys do not count');
  t.equal((await call(fake, { method_type: 'GET', id: 1 })).status, 200);
  const limited = await call(fake, { method_type: 'GET', id: 1 });
  t.equal(limited.status, 429);
  t.same(limited.json(), { error: 'true', error_description: 'Забагато запитів, спробуйте пізніше' });
  t.equal(limited.headers.get('retry-after'), '1');

  clock += 999;
  t.equal((await call(fake, { method_type: 'GET', id: 1 })).status, 429, 'still the same window');
  clock += 1;
  t.equal((await call(fake, { method_type: 'GET', id: 1 })).status, 200, 'a new window lets requests through');
});

t.test('injected faults', async (t) => {
  const fake = await start(t);
  const get = { method_type: 'GET', id: 74 };

  fake.inject({ kind: 'status', status: 500 });
  const failed = await call(fake, get);
  t.equal(failed.status, 500);
  t.match(failed.text, /500 Internal Server Error/);
  t.equal((await call(fake, get)).status, 200, 'one time by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  t.match((await call(fake, get)).text, /502 Bad Gateway[\s\S]*nginx/);
  t.equal((await call(fake, get)).status, 502);
  t.equal((await call(fake, get)).status, 200);

  fake.inject({ kind: 'status', status: 503 });
  t.equal((await call(fake, get)).status, 503);

  fake.inject({ kind: 'status', status: 429, retryAfter: 7 });
  const limited = await call(fake, get);
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '7');
  t.match(limited.json(), { error: 'true' });

  fake.inject({ kind: 'status', status: 500 }, { match: (req) => req.methodType === 'POST' });
  t.equal((await call(fake, get)).status, 200, 'match leaves other requests alone');
  t.equal((await call(fake, docExample())).status, 500);
  t.equal(fake.orders().length, 0, 'a failed create creates nothing');

  fake.inject({ kind: 'delay', ms: 150 });
  const started = Date.now();
  t.equal((await call(fake, get)).status, 200);
  t.ok(Date.now() - started >= 140, 'answered late');

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake, get));
  t.equal(fake.requests.at(-1)?.status, null, 'a reset request has no status');

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake, get);
  t.equal(garbage.status, 200);
  t.throws(() => garbage.json());

  fake.inject({ kind: 'lost-answer' }, { match: (req) => req.methodType === 'POST' });
  await t.rejects(call(fake, docExample({ external_id: 'LOST' })));
  t.equal(fake.ordersByExternalId('LOST').length, 1, 'the order exists although no answer came');

  fake.inject({ kind: 'status', status: 500 }, { share: 0 });
  t.equal((await call(fake, get)).status, 200, 'share 0 never fires');
  fake.clearFaults();
  fake.inject({ kind: 'status', status: 503 }, { share: 1, times: 3 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await call(fake, get)).status);
  t.same(statuses, [503, 503, 503, 200], 'share 1 with times fires that many times');

  fake.inject({ kind: 'status', status: 500 }, { times: 5 });
  fake.clearFaults();
  t.equal((await call(fake, get)).status, 200, 'clearFaults removes pending faults');
});

t.test('introspection, reset and close', async (t) => {
  const fake = await startSaleAppFake({ keys: [{ secretKey: key, kind: 'organization' }] });
  await call(fake, docExample());
  await call(fake, { method_type: 'GET', id: 74 }, { encoding: 'urlencoded' });

  t.match(fake.requests, [
    { method: 'POST', path: ordersPath, query: { secret_key: key }, methodType: 'POST', fields: { external_id: '100222312', delivery_types: '3' }, status: 200 },
    { method: 'POST', path: ordersPath, methodType: 'GET', fields: { id: '74' }, status: 200 },
  ]);
  t.match(fake.requests[0]?.headers['content-type'], /^multipart\/form-data/);

  fake.inject({ kind: 'status', status: 500 });
  fake.override(74, { city: 'x' });
  fake.reset();
  t.same(fake.orders(), []);
  t.same(fake.requests, []);
  t.equal((await call(fake, { method_type: 'GET', id: 74 })).status, 200, 'reset clears faults');

  fake.inject({ kind: 'delay', ms: 5_000 });
  const pending = call(fake, { method_type: 'GET', id: 74 });
  while (fake.requests.length < 2) await new Promise((resolve) => setImmediate(resolve));
  const closing = Date.now();
  await fake.close();
  t.ok(Date.now() - closing < 1_000, 'close does not wait for kept-alive or pending sockets');
  await t.rejects(pending);
});
