import t, { type Test } from 'tap';
import { z } from 'zod';
import { compileFilter, parseFilter, parseMoscowText, type FilterField } from '../../../src/sandbox/moysklad/filter.js';
import { startMoySkladFake, toMoscowText, type FakeEntity, type MoySkladFake, type MoySkladFakeOptions } from '../../../src/sandbox/moysklad/server.js';

const TOKEN = 'token-0123456789abcdef';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

const Meta = z.looseObject({ href: z.string(), type: z.string() });
const Entity = z.looseObject({
  meta: Meta,
  id: z.string(),
  name: z.string(),
  externalCode: z.string(),
  created: z.string(),
  updated: z.string(),
});
const Position = z.looseObject({ id: z.string(), price: z.number(), quantity: z.number() });
const Demand = Entity.extend({
  attributes: z.array(z.looseObject({ id: z.string(), name: z.string(), value: z.unknown() })).optional(),
  positions: z.looseObject({ meta: z.looseObject({ size: z.number() }), rows: z.array(Position).optional() }),
});
const Collection = z.looseObject({
  meta: z.looseObject({
    href: z.string(),
    size: z.number(),
    limit: z.number(),
    offset: z.number(),
    nextHref: z.string().optional(),
    previousHref: z.string().optional(),
  }),
  rows: z.array(z.looseObject({})),
});

function read<T extends z.ZodType>(schema: T, reply: Reply): z.infer<T> {
  return schema.parse(reply.json());
}

/** One field of every row of a list answer. */
function column(reply: Reply, field: string): unknown[] {
  return read(Collection, reply).rows.map((row) => row[field]);
}

async function call(
  fake: MoySkladFake,
  method: string,
  path: string,
  options: {
    body?: unknown;
    rawBody?: string;
    auth?: string | null;
    encoding?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'Accept-Encoding': options.encoding ?? 'gzip', ...options.headers };
  const auth = options.auth === undefined ? `Bearer ${fake.token}` : options.auth;
  if (auth !== null) headers['Authorization'] = auth;
  let body: string | undefined;
  if (options.body !== undefined || options.rawBody !== undefined) {
    body = options.rawBody ?? JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = path.startsWith('http') ? path : `${fake.url}${path}`;
  const response = await fetch(url, { method, headers, body, signal: options.signal ?? null });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

function ref(fake: MoySkladFake, type: string, id: string): { meta: { href: string; type: string; mediaType: string } } {
  return { meta: { href: `${fake.url}/entity/${type}/${id}`, type, mediaType: 'application/json' } };
}

function attr(fake: MoySkladFake, id: string, value: unknown): Record<string, unknown> {
  return {
    meta: { href: `${fake.url}/entity/retaildemand/metadata/attributes/${id}`, type: 'attributemetadata', mediaType: 'application/json' },
    value,
  };
}

/** A settable clock: documents are dated by it. */
function clock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => (current = new Date(iso)) };
}

async function start(t: Test, options: MoySkladFakeOptions = {}): Promise<MoySkladFake> {
  const fake = await startMoySkladFake({ token: TOKEN, tokenKind: 'solution', windowMs: 60_000, budget: 10_000, ...options });
  t.teardown(() => fake.close());
  return fake;
}

async function openShift(fake: MoySkladFake): Promise<z.infer<typeof Entity>> {
  const opened = await call(fake, 'POST', '/entity/retailshift', {
    body: { organization: ref(fake, 'organization', fake.ids.organization), retailStore: ref(fake, 'retailstore', fake.ids.retailStore) },
  });
  if (opened.status !== 200) throw new Error(`shift not opened: ${opened.text}`);
  return read(Entity, opened);
}

/** A sale into the shift, dated the minute after the shift's (MoySklad wants it later than the shift) unless `extra` says. */
function sale(fake: MoySkladFake, shiftId: string, productId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const opened = parseMoscowText(String(fake.shifts().find((s) => s['id'] === shiftId)?.['moment'] ?? ''));
  return {
    ...(opened === undefined ? {} : { moment: toMoscowText(new Date(opened + 60_000)) }),
    retailShift: ref(fake, 'retailshift', shiftId),
    agent: ref(fake, 'counterparty', fake.ids.agent),
    organization: ref(fake, 'organization', fake.ids.organization),
    store: ref(fake, 'store', fake.ids.store),
    positions: [{ quantity: 1, price: 100000, discount: 0, vat: 0, assortment: ref(fake, 'product', productId) }],
    ...extra,
  };
}

t.test('dates are Moscow time', async (t) => {
  t.equal(toMoscowText(new Date('2026-03-01T21:30:05.007Z')), '2026-03-02 00:30:05.007');
  t.equal(parseMoscowText('2026-03-02 00:30:05.007'), Date.parse('2026-03-01T21:30:05.007Z'));
  t.equal(parseMoscowText('2026-03-02 00:30:05'), Date.parse('2026-03-01T21:30:05Z'));
  t.equal(parseMoscowText('2026-03-02 00:30'), Date.parse('2026-03-01T21:30:00Z'));
  t.equal(parseMoscowText('2026-02-30 00:00:00'), undefined, 'an impossible day');
  t.equal(parseMoscowText('2026-03-02T00:30:05Z'), undefined, 'ISO is not the format');
});

t.test('the filter grammar on its own', async (t) => {
  t.same(parseFilter('externalCode=A;externalCode=B;created>=2026-01-01 00:00:00;name~x;'), [
    { field: 'externalCode', operator: '=', value: 'A' },
    { field: 'externalCode', operator: '=', value: 'B' },
    { field: 'created', operator: '>=', value: '2026-01-01 00:00:00' },
    { field: 'name', operator: '~', value: 'x' },
  ]);
  t.same(parseFilter('name=~end;name~=start;closeDate=;sum!=5'), [
    { field: 'name', operator: '=~', value: 'end' },
    { field: 'name', operator: '~=', value: 'start' },
    { field: 'closeDate', operator: '=', value: '' },
    { field: 'sum', operator: '!=', value: '5' },
  ]);
  t.throws(() => parseFilter('nonsense'), { code: 1034 });
  t.throws(() => parseFilter('=value'), { code: 1034 });

  const fields: Record<string, FilterField> = {
    name: { kind: 'string', read: (e) => e['name'] },
    sum: { kind: 'number', read: (e) => e['sum'] },
    moment: { kind: 'date', read: (e) => e['moment'] },
    agent: { kind: 'ref', read: (e) => e['agent'] },
  };
  const agentPath = '/api/remap/1.2/entity/counterparty/11111111-1111-1111-1111-111111111111';
  const rows = [
    { name: 'Alpha', sum: 5, moment: '2026-01-01 10:00:00.000', agent: `https://x${agentPath}` },
    { name: 'beta', sum: 7, moment: '2026-01-02 10:00:00.000' },
    { sum: 9, moment: '2026-01-03 10:00:00.500' },
  ];
  const run = (filter: string): unknown[] => rows.filter(compileFilter(filter, (f) => fields[f])).map((r) => r.sum);
  t.same(run('name=Alpha;name=beta'), [5, 7], 'repeated = is OR');
  t.same(run('name!=Alpha;name!=beta'), [9], 'repeated != is AND');
  t.same(run('name='), [9], 'empty = is "is empty"');
  t.same(run('name!='), [5, 7]);
  t.same(run('name~ALP'), [5], '~ ignores case');
  t.same(run('name~=be;sum>=7'), [7], 'different fields are AND');
  t.same(run('name=~ta'), [7]);
  t.same(run('moment>2026-01-01 10:00:00;moment<=2026-01-03 10:00:00.500'), [7, 9]);
  t.same(run('moment<=2026-01-03 10:00'), [5, 7], 'minutes only means :00.000');
  t.same(run(`agent=https://other.host${agentPath}`), [5], 'refs match by type and id');
  t.same(run('agent=https://x/api/remap/1.2/entity/organization/11111111-1111-1111-1111-111111111111'), []);

  t.throws(() => run('moment>=yesterday'), { code: 1035, parameter: 'moment' });
  t.throws(() => run('sum>lots'), { code: 1014 });
  t.throws(() => run('agent=not-a-href'), { code: 1014 });
  t.throws(() => run('colour=red'), { code: 1034, parameter: 'colour' });
  t.throws(() => run('name>a'), { code: 1034 }, 'operator not allowed for a string');
  t.throws(() => run('sum=5;sum>3'), { code: 1034 }, '= mixed with a range');
  t.throws(() => run('sum>3;sum>4'), { code: 1030 });
  t.throws(() => compileFilter('colour=red', () => undefined), { code: 1034 }, 'checked without any row');
});

t.test('gzip is required before anything else', async (t) => {
  const fake = await start(t);
  for (const encoding of ['identity', 'deflate, br', 'gzip;q=0']) {
    const refused = await call(fake, 'GET', '/entity/product', { encoding, auth: null });
    t.equal(refused.status, 415, encoding);
    t.equal(refused.text, '', 'no body');
  }
  const ok = await call(fake, 'GET', '/entity/product', { encoding: 'deflate, gzip' });
  t.equal(ok.status, 200);
  t.equal(ok.headers.get('content-encoding'), 'gzip');
  t.match(ok.headers.get('content-type') ?? '', /^application\/json/);
});

t.test('authentication', async (t) => {
  const fake = await start(t, { login: 'admin@shop', password: 's3cret:with-colon' });
  const none = await call(fake, 'GET', '/entity/organization', { auth: null });
  t.equal(none.status, 401);
  t.same(none.json(), {
    errors: [
      {
        error: 'Ошибка аутентификации: Неправильный пароль или имя пользователя или ключ авторизации',
        code: 1056,
        moreInfo: 'https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-1056',
      },
    ],
  });
  t.equal(none.headers.get('x-ratelimit-limit'), null, 'no rate headers without a user');
  t.equal((await call(fake, 'GET', '/entity/organization', { auth: 'Bearer wrong' })).status, 401);
  t.equal((await call(fake, 'GET', '/nowhere', { auth: null })).status, 401, 'auth before routing');

  const basic = (login: string, password: string): string => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
  t.equal((await call(fake, 'GET', '/entity/organization', { auth: basic('admin@shop', 's3cret:with-colon') })).status, 200);
  t.equal((await call(fake, 'GET', '/entity/organization', { auth: basic('admin@shop', 'wrong') })).status, 401);

  t.equal((await call(fake, 'POST', '/security/token')).status, 401, 'a token is issued for Basic only');
  const issued = await call(fake, 'POST', '/security/token', { auth: basic('admin@shop', 's3cret:with-colon') });
  t.equal(issued.status, 200);
  const fresh = read(z.object({ access_token: z.string() }), issued).access_token;
  t.not(fresh, TOKEN);
  t.equal(fake.token, fresh);
  t.equal((await call(fake, 'GET', '/entity/organization', { auth: `Bearer ${TOKEN}` })).status, 401, 'the old token is revoked');
  t.equal((await call(fake, 'GET', '/entity/organization', { auth: `Bearer ${fresh}` })).status, 200);

  const noBasic = await start(t);
  t.equal((await call(noBasic, 'GET', '/entity/organization', { auth: basic('admin', 'x') })).status, 401, 'Basic off without login/password');
  const random = await startMoySkladFake();
  t.teardown(() => random.close());
  t.ok(random.token.length >= 32, 'a random token by default');
});

t.test('the rate limit: 45 units per window, then 429 code 1049', async (t) => {
  const fake = await start(t, { budget: 45 });
  const statuses: number[] = [];
  const replies: Reply[] = [];
  for (let i = 0; i < 50; i++) {
    const reply = await call(fake, 'GET', '/entity/organization');
    statuses.push(reply.status);
    replies.push(reply);
  }
  t.same(statuses, [...Array<number>(45).fill(200), ...Array<number>(5).fill(429)]);
  const first = replies[0]!;
  t.equal(first.headers.get('x-ratelimit-limit'), '45');
  t.equal(first.headers.get('x-ratelimit-remaining'), '44');
  t.equal(first.headers.get('x-lognex-retry-timeinterval'), '60000');
  t.equal(first.headers.get('x-lognex-reset'), '0');
  t.equal(first.headers.get('x-lognex-retry-after'), '0');
  t.equal(replies[44]!.headers.get('x-ratelimit-remaining'), '0');

  const limited = replies[45]!;
  t.same(limited.json(), {
    errors: [
      {
        error: 'Превышено ограничение на количество запросов в единицу времени',
        code: 1049,
        moreInfo: 'https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-1049',
      },
    ],
  });
  t.equal(limited.headers.get('x-ratelimit-limit'), '45');
  t.equal(limited.headers.get('x-ratelimit-remaining'), '0');
  t.equal(limited.headers.get('x-lognex-retry-timeinterval'), '60000');
  const retryAfter = Number(limited.headers.get('x-lognex-retry-after'));
  t.ok(retryAfter > 50_000 && retryAfter <= 60_000, `retry after ${retryAfter} ms`);
  t.ok(Number(limited.headers.get('x-lognex-reset')) >= retryAfter, 'the window empties no sooner than one unit frees');
  t.equal(fake.stats.rejected429, 5);
  t.equal(fake.stats.requests, 50);
});

t.test('request weight', async (t) => {
  const fake = await start(t, { budget: 45, weight: 2 });
  const statuses: number[] = [];
  let remaining = '';
  for (let i = 0; i < 23; i++) {
    const reply = await call(fake, 'GET', '/entity/organization');
    statuses.push(reply.status);
    if (i === 0) remaining = reply.headers.get('x-ratelimit-remaining') ?? '';
  }
  t.equal(remaining, '43', 'a request costs two units');
  t.same(statuses, [...Array<number>(22).fill(200), 429], '22 requests fit in 45 units');
});

t.test("a user's requests weigh by MoySklad's schedule for the day; a solution's weigh 1", async (t) => {
  const cost = async (options: MoySkladFakeOptions, auth?: string): Promise<number> => {
    const fake = await start(t, { budget: 45, ...options });
    const reply = await call(fake, 'GET', '/entity/organization', auth === undefined ? {} : { auth });
    t.equal(reply.status, 200);
    return 45 - Number(reply.headers.get('x-ratelimit-remaining'));
  };
  const day = (iso: string) => ({ now: () => new Date(iso) });
  t.equal(await cost({ tokenKind: 'user', ...day('2026-05-11T12:00:00Z') }), 1, 'before 12 May 2026');
  t.equal(await cost({ tokenKind: 'user', ...day('2026-05-12T00:00:00Z') }), 2, 'from 12 May 2026');
  t.equal(await cost({ tokenKind: 'user', ...day('2026-09-01T00:00:00Z') }), 3, 'from 1 September 2026');
  t.equal(await cost({ tokenKind: 'user', ...day('2026-12-01T00:00:00Z') }), 4, 'from 1 December 2026');
  t.equal(await cost({ tokenKind: 'solution', ...day('2026-12-24T00:00:00Z') }), 1, 'a solution token');
  const basic = `Basic ${Buffer.from('admin@shop:secret').toString('base64')}`;
  t.equal(await cost({ tokenKind: 'solution', login: 'admin@shop', password: 'secret', ...day('2026-12-24T00:00:00Z') }, basic), 4, 'login and password are a user');
  const fake = await startMoySkladFake();
  t.teardown(() => fake.close());
  t.equal(fake.tokenKind, 'user', 'a user token unless told');
  const today = await call(fake, 'GET', '/entity/organization');
  t.equal(45 - Number(today.headers.get('x-ratelimit-remaining')), new Date().toISOString().slice(0, 10) >= '2026-12-01' ? 4 : 3, "today's weight");
});

t.test('request headers over 8 KB, the URL among them, are refused with 414', async (t) => {
  const fake = await start(t);
  const filterOf = (count: number): string =>
    encodeURIComponent(Array.from({ length: count }, (_, i) => `externalCode=${String(10_000_000 + i)}-0001-1`).join(';'));
  const fits = await call(fake, 'GET', `/entity/retaildemand?filter=${filterOf(150)}`);
  t.equal(fits.status, 200, 'about 5 KB of URL is fine');
  const tooLong = await call(fake, 'GET', `/entity/retaildemand?filter=${filterOf(300)}`);
  t.equal(tooLong.status, 414, 'about 10 KB is not');
  t.match(tooLong.text, /414 Request-URI Too Large/);
  t.equal(tooLong.headers.get('x-ratelimit-remaining'), null, 'refused in front of the service, no budget spent');
  const bigHeader = await call(fake, 'GET', '/entity/organization', { headers: { 'X-Padding': 'x'.repeat(8200) } });
  t.equal(bigHeader.status, 414, 'any header counts');
  t.equal(fake.stats.rejected414, 2);
  t.equal(fake.stats.rejected429, 0);
});

t.test('the window slides and refused requests spend nothing', async (t) => {
  const fake = await start(t, { budget: 2, windowMs: 1000 });
  const began = Date.now();
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200);
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200);
  const refused = await call(fake, 'GET', '/entity/store');
  t.equal(refused.status, 429);
  t.equal((await call(fake, 'GET', '/entity/store')).status, 429, 'still full: the refusal spent nothing');
  const wait = Number(refused.headers.get('x-lognex-retry-after'));
  t.ok(wait > 0 && wait <= 1000, `retry after ${wait} ms`);
  await new Promise((resolve) => setTimeout(resolve, wait + 5));
  t.ok(Date.now() - began >= 1000, 'the first unit is older than the window');
  const again = await call(fake, 'GET', '/entity/store');
  t.equal(again.status, 200, 'one unit freed');
});

t.test('parallel limit: the sixth request in flight gets 429 code 1073', async (t) => {
  const fake = await start(t, { latencyMs: 400 });
  const replies = await Promise.all(Array.from({ length: 6 }, () => call(fake, 'GET', '/entity/retailstore')));
  const statuses = replies.map((r) => r.status).sort();
  t.same(statuses, [200, 200, 200, 200, 200, 429]);
  const refused = replies.find((r) => r.status === 429)!;
  t.match(refused.json(), { errors: [{ code: 1073, error: 'Превышено ограничение на одновременное количество запросов' }] });
  t.equal(refused.headers.get('x-ratelimit-limit'), '10000', 'the rate headers do not tell about parallel limits');
  t.equal(fake.stats.maxInFlight, 6, 'what the client attempted');
  t.equal(fake.stats.rejected429, 1);
  t.equal((await call(fake, 'GET', '/entity/retailstore')).status, 200, 'answered requests leave the count');

  const wide = await start(t, { latencyMs: 400, maxParallel: 8 });
  const all = await Promise.all(Array.from({ length: 8 }, () => call(wide, 'GET', '/entity/store')));
  t.same(all.map((r) => r.status), Array<number>(8).fill(200));
  t.equal(wide.stats.maxInFlight, 8);
});

t.test('seeded entities, metadata and entity reads', async (t) => {
  const fake = await start(t);
  const orgs = await call(fake, 'GET', '/entity/organization');
  t.match(orgs.json(), {
    context: { employee: { meta: { href: `${fake.url}/context/employee`, type: 'employee' } } },
    meta: { href: `${fake.url}/entity/organization`, type: 'organization', mediaType: 'application/json', size: 1, limit: 1000, offset: 0 },
    rows: [{ id: fake.ids.organization, name: 'ИП Тестов' }],
  });
  const org = read(Collection, orgs).rows[0];
  t.same(org?.['meta'], {
    href: `${fake.url}/entity/organization/${fake.ids.organization}`,
    metadataHref: `${fake.url}/entity/organization/metadata`,
    type: 'organization',
    mediaType: 'application/json',
    uuidHref: `${fake.url.replace('/api/remap/1.2', '')}/app/#organization/edit?id=${fake.ids.organization}`,
  });
  t.match(org?.['created'], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);

  const store = await call(fake, 'GET', `/entity/retailstore/${fake.ids.retailStore}?expand=store`);
  t.match(store.json(), {
    id: fake.ids.retailStore,
    store: { id: fake.ids.store, name: 'Основной склад' },
    organization: { meta: { type: 'organization' } },
  });
  t.match((await call(fake, 'GET', `/entity/counterparty/${fake.ids.agent}`)).json(), { name: 'Розничный покупатель' });

  const productId = fake.addProduct({ article: 'SKU-1', code: 'C1' });
  fake.addProduct({ article: 'SKU-2', name: 'Кружка' });
  const byArticle = await call(fake, 'GET', `/entity/product?filter=${encodeURIComponent('article=SKU-1')}`);
  t.same(column(byArticle, 'id'), [productId]);
  t.match(byArticle.json(), { rows: [{ name: 'SKU-1', article: 'SKU-1', code: 'C1' }] });
  t.same(
    fake.products().map((p) => p['name']),
    ['SKU-1', 'Кружка'],
  );

  const AttributeMetadata = z.looseObject({ meta: Meta, id: z.string(), name: z.string(), type: z.string(), required: z.boolean() });
  const metadata = read(z.object({ attributes: z.array(AttributeMetadata) }), await call(fake, 'GET', '/entity/retaildemand/metadata'));
  t.same(
    metadata.attributes.map((a) => [a.id, a.name, a.type, a.required]),
    [
      [fake.attributes.ozonStatus, 'Статус Ozon', 'string', false],
      [fake.attributes.ozonNumber, 'Номер Ozon', 'string', false],
      [fake.attributes.commission, 'Комиссия Ozon', 'double', false],
      [fake.attributes.services, 'Услуги Ozon', 'double', false],
      [fake.attributes.charges, 'Начисления Ozon', 'text', false],
    ],
  );
  t.equal(metadata.attributes[0]?.meta.href, `${fake.url}/entity/retaildemand/metadata/attributes/${fake.attributes.ozonStatus}`);
  const attributes = (await call(fake, 'GET', '/entity/retaildemand/metadata/attributes')).json();
  t.match(attributes, { meta: { type: 'attributemetadata', size: 5 }, rows: [{ meta: { type: 'attributemetadata' } }] });
  t.match((await call(fake, 'GET', `/entity/retaildemand/metadata/attributes/${fake.attributes.commission}`)).json(), { name: 'Комиссия Ozon' });
  t.match((await call(fake, 'GET', '/entity/retailshift/metadata')).json(), { attributes: [] });
  t.match((await call(fake, 'GET', '/context/employee')).json(), { meta: { type: 'employee' }, name: 'Администратор' });
});

t.test('errors as the service writes them', async (t) => {
  const fake = await start(t);
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const missing = await call(fake, 'GET', `/entity/product/${unknownId}`);
  t.equal(missing.status, 404);
  t.same(missing.json(), {
    errors: [
      {
        error: `Объект с типом 'product' и идентификатором '${unknownId}' не найден`,
        code: 1021,
        moreInfo: 'https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-1021',
      },
    ],
  });
  t.match((await call(fake, 'GET', '/entity/product/not-an-id')).json(), { errors: [{ code: 1000 }] });
  const unknownType = await call(fake, 'GET', '/entity/spaceship');
  t.equal(unknownType.status, 404);
  t.match(unknownType.json(), { errors: [{ code: 1005, error: 'Неизвестный тип: spaceship' }] });
  t.match((await call(fake, 'GET', '/report/everything')).json(), { errors: [{ code: 1002 }] });
  t.match((await call(fake, 'GET', '/../../etc')).status, 404);

  const verb = await call(fake, 'DELETE', '/entity/retaildemand');
  t.equal(verb.status, 405);
  t.match(verb.json(), { errors: [{ code: 1039 }] });
  t.equal((await call(fake, 'POST', '/entity/product', { body: { name: 'x' } })).status, 405, 'read-only entity here');

  const broken = await call(fake, 'POST', '/entity/retaildemand', { rawBody: '{"retailShift":' });
  t.equal(broken.status, 400);
  t.match(broken.json(), { errors: [{ code: 2001 }] });
  t.match((await call(fake, 'POST', '/entity/retaildemand', { rawBody: '"text"' })).json(), { errors: [{ code: 2005 }] });
  t.match((await call(fake, 'POST', '/entity/retaildemand')).json(), { errors: [{ code: 1027 }] });
  const form = await call(fake, 'POST', '/entity/retaildemand', {
    rawBody: 'a=1',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  t.equal(form.status, 415);
  t.match(form.json(), { errors: [{ code: 1037 }] });

  const tooMany = await call(fake, 'POST', '/entity/retaildemand', { body: Array.from({ length: 1001 }, () => ({})) });
  t.equal(tooMany.status, 413);
  t.match(tooMany.json(), { errors: [{ code: 2007 }] });

  const missingShift = await call(fake, 'POST', '/entity/retaildemand', { body: { name: 'X' } });
  t.equal(missingShift.status, 412);
  t.same(missingShift.json(), {
    errors: [
      {
        error: "Ошибка сохранения объекта: поле 'retailShift' не может быть пустым или отсутствовать",
        code: 3000,
        parameter: 'retailShift',
        moreInfo: 'https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-3000',
      },
    ],
  });

  for (const [limit, label] of [
    ['0', 'zero'],
    ['1001', 'over 1000'],
    ['ten', 'not a number'],
  ] as const) {
    const bad = await call(fake, 'GET', `/entity/product?limit=${limit}`);
    t.equal(bad.status, 400, label);
    t.match(bad.json(), { errors: [{ code: 1040, parameter: 'limit' }] });
  }
  t.match((await call(fake, 'GET', '/entity/product?offset=-1')).json(), { errors: [{ code: 1040, parameter: 'offset' }] });
  t.match((await call(fake, 'GET', `/entity/retaildemand?filter=${encodeURIComponent('created>=yesterday')}`)).json(), {
    errors: [{ code: 1035, parameter: 'created' }],
  });
  t.match((await call(fake, 'GET', `/entity/retaildemand?filter=${encodeURIComponent('colour=red')}`)).json(), {
    errors: [{ code: 1034 }],
  });
  t.match((await call(fake, 'GET', '/entity/retaildemand?order=colour')).json(), { errors: [{ code: 1063 }] });
  t.equal(fake.demands().length, 0);
});

t.test('retail shift: open, list, close, name sequence', async (t) => {
  const time = clock('2026-03-02T06:00:00.000Z');
  const fake = await start(t, { now: time.now });

  const noOrg = await call(fake, 'POST', '/entity/retailshift', { body: { retailStore: ref(fake, 'retailstore', fake.ids.retailStore) } });
  t.equal(noOrg.status, 412);
  t.match(noOrg.json(), { errors: [{ code: 3000, parameter: 'organization' }] });
  const noStore = await call(fake, 'POST', '/entity/retailshift', { body: { organization: ref(fake, 'organization', fake.ids.organization) } });
  t.match(noStore.json(), { errors: [{ code: 3000, parameter: 'retailStore' }] });
  const wrongType = await call(fake, 'POST', '/entity/retailshift', {
    body: { organization: ref(fake, 'store', fake.ids.store), retailStore: ref(fake, 'retailstore', fake.ids.retailStore) },
  });
  t.equal(wrongType.status, 400);
  t.match(wrongType.json(), { errors: [{ code: 2027, parameter: 'organization' }] });
  const noType = await call(fake, 'POST', '/entity/retailshift', {
    body: {
      organization: { meta: { href: ref(fake, 'organization', fake.ids.organization).meta.href } },
      retailStore: ref(fake, 'retailstore', fake.ids.retailStore),
    },
  });
  t.match(noType.json(), { errors: [{ code: 2011 }] });
  t.equal(fake.shifts().length, 0);

  time.set('2026-03-02T06:00:37.512Z');
  const first = await openShift(fake);
  t.match(first, {
    name: '00001',
    moment: '2026-03-02 09:00:00.000',
    created: '2026-03-02 09:00:37.512',
    organization: { meta: { href: `${fake.url}/entity/organization/${fake.ids.organization}`, type: 'organization' } },
    retailStore: { meta: { href: `${fake.url}/entity/retailstore/${fake.ids.retailStore}`, type: 'retailstore' } },
    store: { meta: { href: `${fake.url}/entity/store/${fake.ids.store}`, type: 'store' } },
    proceedsCash: 0,
    proceedsNoCash: 0,
    meta: { type: 'retailshift', href: `${fake.url}/entity/retailshift/${first['id']}` },
  });
  t.match(first['externalCode'], /^[A-Za-z0-9]{22}$/);
  t.notOk('closeDate' in first, 'an open shift has no closeDate');
  const second = await openShift(fake);
  t.equal(second['name'], '00002');

  const openFilter = `/entity/retailshift?filter=${encodeURIComponent('closeDate=')}`;
  t.same(column(await call(fake, 'GET', openFilter), 'name'), ['00001', '00002']);

  time.set('2026-03-02T18:00:00.000Z');
  const early = await call(fake, 'PUT', `/entity/retailshift/${first['id']}`, { body: { closeDate: '2026-03-01 10:00:00' } });
  t.equal(early.status, 412);
  t.match(early.json(), { errors: [{ code: 3007, parameter: 'closeDate' }] });
  const badDate = await call(fake, 'PUT', `/entity/retailshift/${first['id']}`, { body: { closeDate: '02.03.2026 21:00' } });
  t.equal(badDate.status, 400);
  t.match(badDate.json(), { errors: [{ code: 2016, parameter: 'closeDate' }] });

  const closed = await call(fake, 'PUT', `/entity/retailshift/${first['id']}`, { body: { closeDate: '2026-03-02 21:00:00' } });
  t.equal(closed.status, 200);
  t.match(closed.json(), { closeDate: '2026-03-02 21:00:00.000', updated: '2026-03-02 21:00:00.000', name: '00001' });
  t.same(column(await call(fake, 'GET', openFilter), 'name'), ['00002']);
  t.same(column(await call(fake, 'GET', `/entity/retailshift?filter=${encodeURIComponent('closeDate!=')}`), 'name'), ['00001']);

  const again = await call(fake, 'PUT', `/entity/retailshift/${first['id']}`, { body: { closeDate: '2026-03-02 21:00:00' } });
  t.equal(again.status, 412, 'a closed shift cannot be closed again');
  t.match(again.json(), { errors: [{ code: 3001, parameter: 'closeDate' }] });
  const reopen = await call(fake, 'PUT', `/entity/retailshift/${first['id']}`, { body: { closeDate: null } });
  t.match(reopen.json(), { errors: [{ code: 3001 }] });
  const moveStore = await call(fake, 'PUT', `/entity/retailshift/${second['id']}`, {
    body: { retailStore: ref(fake, 'retailstore', fake.ids.retailStore), description: 'вечер' },
  });
  t.equal(moveStore.status, 200, 'the same retail store is no change');
  t.equal(read(Entity, moveStore)['description'], 'вечер');

  const named = await call(fake, 'POST', '/entity/retailshift', {
    body: {
      name: '00003',
      organization: ref(fake, 'organization', fake.ids.organization),
      retailStore: ref(fake, 'retailstore', fake.ids.retailStore),
    },
  });
  t.equal(read(Entity, named).name, '00003');
  t.equal((await openShift(fake))['name'], '00004', 'the sequence skips names already taken');
  t.equal(fake.shifts()[0]?.['closeDate'], '2026-03-02 21:00:00.000');
  t.equal(fake.stats.creates, 4);
});

t.test('retail demand: create one, positions, attributes, sums', async (t) => {
  const time = clock('2026-03-02T06:00:00.000Z');
  const fake = await start(t, { now: time.now });
  const productId = fake.addProduct({ article: 'CHAIR-1' });
  const shift = await openShift(fake);
  const seen: Array<Record<string, unknown>> = [];
  fake.onCreate((entity) => seen.push(entity));

  time.set('2026-03-02T07:30:00.000Z');
  const body = sale(fake, shift['id'], productId, {
    // Not given: MoySklad dates it now.
    moment: undefined,
    externalCode: 'OZ-0001-1',
    positions: [
      { quantity: 2, price: 510000, discount: 10, vat: 0, assortment: ref(fake, 'product', productId) },
      { quantity: 1, price: 99.5, assortment: ref(fake, 'product', productId) },
    ],
    noCashSum: 918100,
    attributes: [attr(fake, fake.attributes.ozonStatus, 'delivering'), attr(fake, fake.attributes.commission, 12345.5)],
  });
  const created = await call(fake, 'POST', '/entity/retaildemand', { body });
  t.equal(created.status, 200);
  const demand = read(Demand, created);
  t.match(demand, {
    name: '00001',
    externalCode: 'OZ-0001-1',
    moment: '2026-03-02 10:30:00.000',
    created: '2026-03-02 10:30:00.000',
    updated: '2026-03-02 10:30:00.000',
    sum: 918100,
    noCashSum: 918100,
    cashSum: 0,
    retailShift: { meta: { href: `${fake.url}/entity/retailshift/${shift['id']}` } },
    retailStore: { meta: { type: 'retailstore' } },
    agent: { meta: { type: 'counterparty' } },
    attributes: [
      { id: fake.attributes.ozonStatus, name: 'Статус Ozon', type: 'string', value: 'delivering' },
      { id: fake.attributes.commission, name: 'Комиссия Ozon', type: 'double', value: 12345.5 },
    ],
  });
  t.same(demand.positions, {
    meta: {
      href: `${fake.url}/entity/retaildemand/${demand.id}/positions`,
      type: 'retaildemandposition',
      mediaType: 'application/json',
      size: 2,
      limit: 1000,
      offset: 0,
    },
  });
  t.notOk('description' in demand, 'unset fields are left out');
  t.notOk('syncId' in demand);

  const stored = fake.demand(demand.id);
  t.match(stored?.['positions'], [{ quantity: 2, price: 510000, discount: 10 }, { quantity: 1, price: 99.5, discount: 0 }]);
  t.equal(seen.length, 1, 'onCreate fired once');
  t.equal(seen[0]?.['id'], demand.id);
  t.equal(fake.stats.creates, 2, 'the shift and the sale');

  const expanded = await call(fake, 'GET', `/entity/retaildemand/${demand.id}?expand=positions.assortment`);
  t.match(read(Demand, expanded).positions.rows, [
    { quantity: 2, assortment: { id: productId, article: 'CHAIR-1' }, meta: { type: 'retaildemandposition' } },
    { quantity: 1 },
  ]);
  const positions = read(Collection.extend({ rows: z.array(Position) }), await call(fake, 'GET', `/entity/retaildemand/${demand.id}/positions`));
  t.equal(positions.meta.size, 2);
  t.equal(positions.rows[0]?.price, 510000);
  const one = await call(fake, 'GET', `/entity/retaildemand/${demand.id}/positions/${positions.rows[1]?.id ?? ''}`);
  t.equal(read(Position, one).price, 99.5);

  const cash = await call(fake, 'POST', '/entity/retaildemand', { body: sale(fake, shift['id'], productId) });
  t.match(cash.json(), {
    name: '00002',
    sum: 100000,
    cashSum: 100000,
    noCashSum: 0,
    agent: { meta: { href: `${fake.url}/entity/counterparty/${fake.ids.agent}` } },
  });
  t.match(read(Entity, cash).externalCode, /^[A-Za-z0-9]{22}$/, 'a generated externalCode');
  const defaults = await call(fake, 'POST', '/entity/retaildemand', { body: { retailShift: ref(fake, 'retailshift', shift['id']) } });
  t.match(defaults.json(), {
    sum: 0,
    organization: { meta: { href: `${fake.url}/entity/organization/${fake.ids.organization}` } },
    store: { meta: { href: `${fake.url}/entity/store/${fake.ids.store}` } },
    agent: { meta: { href: `${fake.url}/entity/counterparty/${fake.ids.agent}` } },
  });
  t.match((await call(fake, 'GET', `/entity/retailshift/${shift['id']}`)).json(), { proceedsCash: 100000, proceedsNoCash: 918100 });
});

t.test('retail demand: what a create refuses', async (t) => {
  const time = clock('2026-03-02T06:00:00.000Z');
  const fake = await start(t, { now: time.now });
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const post = (body: unknown): Promise<Reply> => call(fake, 'POST', '/entity/retaildemand', { body });
  const unknownId = '00000000-0000-4000-8000-00000000abcd';
  const line = (extra: Record<string, unknown>): Record<string, unknown> => ({
    quantity: 1,
    price: 1,
    assortment: ref(fake, 'product', productId),
    ...extra,
  });

  t.equal(shift['moment'], '2026-03-02 09:00:00.000', 'the shift opened at 09:00');
  const before = await post(sale(fake, shift['id'], productId, { moment: '2026-03-02 08:59:59' }));
  t.equal(before.status, 412, 'a sale before the shift opened');
  t.match(before.json(), { errors: [{ code: 3007, parameter: 'moment' }] });
  for (const moment of ['2026-03-02 09:00:00', '2026-03-02 09:00:59', '2026-03-02 09:00:59.999']) {
    const same = await post(sale(fake, shift['id'], productId, { moment }));
    t.equal(same.status, 412, `${moment} is the shift's own minute, not later than it`);
    t.match(same.json(), { errors: [{ code: 3007, parameter: 'moment' }] });
  }
  t.equal((await post(sale(fake, shift['id'], productId, { moment: undefined }))).status, 412, 'undated in the minute the shift opened: refused too');
  const next = await post(sale(fake, shift['id'], productId, { moment: '2026-03-02 09:01:42' }));
  t.equal(next.status, 200, 'the next minute is later');
  t.match(next.json(), { moment: '2026-03-02 09:01:00.000' }, 'kept to the minute');

  const badMoment = await post(sale(fake, shift['id'], productId, { moment: '2026-03-02T09:00:00Z' }));
  t.equal(badMoment.status, 400);
  t.match(badMoment.json(), { errors: [{ code: 2016, parameter: 'moment' }] });

  const unknownProduct = await post(sale(fake, shift['id'], productId, { positions: [line({ assortment: ref(fake, 'product', unknownId) })] }));
  t.equal(unknownProduct.status, 404);
  t.match(unknownProduct.json(), { errors: [{ code: 1021, parameter: 'positions[0].assortment' }] });
  const unknownAgent = await post(sale(fake, shift['id'], productId, { agent: ref(fake, 'counterparty', unknownId) }));
  t.match(unknownAgent.json(), { errors: [{ code: 1021, parameter: 'agent' }] });
  const zero = await post(sale(fake, shift['id'], productId, { positions: [line({ quantity: 0 })] }));
  t.equal(zero.status, 412);
  t.match(zero.json(), { errors: [{ code: 3003, parameter: 'positions[0].quantity' }] });
  const negative = await post(sale(fake, shift['id'], productId, { positions: [line({ price: -1 })] }));
  t.match(negative.json(), { errors: [{ code: 3002, parameter: 'positions[0].price' }] });
  const stringPrice = await post(sale(fake, shift['id'], productId, { positions: [line({ price: '100' })] }));
  t.equal(stringPrice.status, 400);
  t.match(stringPrice.json(), { errors: [{ code: 2016, parameter: 'positions[0].price' }] });
  const tooManyPositions = await post(
    sale(fake, shift['id'], productId, { positions: Array.from({ length: 1001 }, () => line({})) }),
  );
  t.equal(tooManyPositions.status, 413);
  t.match(tooManyPositions.json(), { errors: [{ code: 2022 }] });

  const textCommission = await post(sale(fake, shift['id'], productId, { attributes: [attr(fake, fake.attributes.commission, '12.5')] }));
  t.equal(textCommission.status, 400);
  t.match(textCommission.json(), { errors: [{ code: 2028 }] });
  const numberStatus = await post(sale(fake, shift['id'], productId, { attributes: [attr(fake, fake.attributes.ozonStatus, 5)] }));
  t.match(numberStatus.json(), { errors: [{ code: 2016, parameter: 'Статус Ozon' }] });
  const unknownAttribute = await post(sale(fake, shift['id'], productId, { attributes: [attr(fake, unknownId, 'x')] }));
  t.match(unknownAttribute.json(), { errors: [{ code: 1021 }] });

  const overpaid = await post(sale(fake, shift['id'], productId, { cashSum: 60000, noCashSum: 60000 }));
  t.equal(overpaid.status, 412);
  t.match(overpaid.json(), { errors: [{ code: 3007 }] });
  t.match((await post(sale(fake, shift['id'], productId, { cashSum: 40000 }))).json(), { cashSum: 40000, noCashSum: 60000 });

  const duplicate = await post(sale(fake, shift['id'], productId, { name: '00001' }));
  t.equal(duplicate.status, 412);
  t.match(duplicate.json(), { errors: [{ code: 3006, parameter: 'name' }] });
  t.match((await post(sale(fake, shift['id'], productId, { name: '' }))).json(), { errors: [{ code: 3000, parameter: 'name' }] });
  t.match((await post(sale(fake, shift['id'], productId, { syncId: 'not-a-uuid' }))).json(), { errors: [{ code: 1052 }] });

  time.set('2026-03-02T18:00:00.000Z');
  t.equal((await call(fake, 'PUT', `/entity/retailshift/${shift['id']}`, { body: { closeDate: '2026-03-02 21:00:00' } })).status, 200);
  const closed = await post(sale(fake, shift['id'], productId));
  t.equal(closed.status, 412, 'a closed shift takes no sale');
  t.match(closed.json(), {
    errors: [{ code: 3007, parameter: 'retailShift', error: 'Ошибка валидации сохраняемого объекта: розничная смена закрыта' }],
  });
  t.same(
    fake.demands().map((d) => d['name']),
    ['00001', '00002'],
    'only the two good sales exist',
  );
});

t.test('retail demand: a batch with one bad element', async (t) => {
  const fake = await start(t);
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const unknownId = '00000000-0000-4000-8000-00000000beef';
  const batch = [
    sale(fake, shift['id'], productId, { externalCode: 'B-1' }),
    sale(fake, shift['id'], productId, {
      externalCode: 'B-2',
      positions: [{ quantity: 1, price: 5, assortment: ref(fake, 'product', unknownId) }],
    }),
    sale(fake, shift['id'], productId, { externalCode: 'B-3' }),
    'not an object',
  ];
  const reply = await call(fake, 'POST', '/entity/retaildemand', { body: batch });
  t.equal(reply.status, 200);
  const results = read(z.array(z.looseObject({ id: z.string().optional(), meta: Meta.optional() })), reply);
  t.equal(results.length, 4);
  t.match(results[0], { externalCode: 'B-1', name: '00001' });
  t.match(results[1], {
    errors: [{ code: 1021, parameter: 'positions[0].assortment', error: `Объект с типом 'product' и идентификатором '${unknownId}' не найден` }],
  });
  t.equal(results[1]?.id, undefined);
  t.match(results[2], { externalCode: 'B-3', name: '00002' });
  t.match(results[3], { errors: [{ code: 2000 }] });
  t.same(
    fake.demands().map((d) => d['externalCode']),
    ['B-1', 'B-3'],
  );

  const update = await call(fake, 'POST', '/entity/retaildemand', {
    body: [
      { meta: results[0]?.meta, description: 'обновлено' },
      { meta: { ...results[0]?.meta, href: `${fake.url}/entity/retaildemand/${unknownId}` } },
      sale(fake, shift['id'], productId, { externalCode: 'B-4' }),
    ],
  });
  const updated = read(z.array(z.unknown()), update);
  t.match(updated[0], { id: results[0]?.id, description: 'обновлено', externalCode: 'B-1' });
  t.match(updated[1], { errors: [{ code: 1021 }] });
  t.match(updated[2], { externalCode: 'B-4' });
  t.equal(fake.demands().length, 3, 'an element with meta updates, it does not create');
});

t.test('syncId makes a create idempotent', async (t) => {
  const fake = await start(t);
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const syncId = '6a1f3c2e-9b7d-4e21-8f00-1234567890ab';
  const first = await call(fake, 'POST', '/entity/retaildemand', { body: sale(fake, shift['id'], productId, { syncId, externalCode: 'S-1' }) });
  t.equal(first.status, 200);
  const original = read(Entity, first);
  t.equal(original['syncId'], syncId);
  const creates = fake.stats.creates;
  const second = await call(fake, 'POST', '/entity/retaildemand', {
    body: sale(fake, shift['id'], productId, { syncId, externalCode: 'S-other' }),
  });
  t.equal(second.status, 200);
  t.equal(read(Entity, second).id, original.id, 'the existing object');
  t.equal(read(Entity, second).externalCode, 'S-1', 'unchanged');
  const inBatch = await call(fake, 'POST', '/entity/retaildemand', {
    body: [sale(fake, shift['id'], productId, { syncId: syncId.toUpperCase() }), sale(fake, shift['id'], productId, { syncId })],
  });
  t.same(
    read(z.array(Entity), inBatch).map((d) => d.id),
    [original.id, original.id],
  );
  t.equal(fake.stats.creates, creates, 'nothing created');
  t.equal(fake.demands().length, 1);

  const change = await call(fake, 'PUT', `/entity/retaildemand/${original.id}`, { body: { syncId: '7a1f3c2e-9b7d-4e21-8f00-1234567890ab' } });
  t.equal(change.status, 400);
  t.match(change.json(), { errors: [{ code: 1047 }] });
});

t.test('retail demand: update with PUT', async (t) => {
  const time = clock('2026-03-02T06:00:00.000Z');
  const fake = await start(t, { now: time.now });
  const productId = fake.addProduct({ article: 'A' });
  const otherProduct = fake.addProduct({ article: 'B' });
  const shift = await openShift(fake);
  const created = read(
    Demand,
    await call(fake, 'POST', '/entity/retaildemand', {
      body: sale(fake, shift['id'], productId, {
        externalCode: 'U-1',
        noCashSum: 100000,
        attributes: [attr(fake, fake.attributes.ozonStatus, 'awaiting_deliver'), attr(fake, fake.attributes.ozonNumber, '0123-1')],
      }),
    }),
  );

  time.set('2026-03-02T18:00:00.000Z');
  await call(fake, 'PUT', `/entity/retailshift/${shift['id']}`, { body: { closeDate: '2026-03-02 21:00:00' } });
  time.set('2026-03-05T08:00:00.000Z');
  const status = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, {
    body: { attributes: [attr(fake, fake.attributes.ozonStatus, 'delivered'), attr(fake, fake.attributes.services, -150)] },
  });
  t.equal(status.status, 200, 'a sale in a closed shift can still change');
  t.match(status.json(), {
    id: created.id,
    name: created.name,
    externalCode: 'U-1',
    created: '2026-03-02 09:00:00.000',
    updated: '2026-03-05 11:00:00.000',
    sum: 100000,
    noCashSum: 100000,
  });
  t.same(
    read(Demand, status).attributes?.map((a) => [a.name, a.value]),
    [
      ['Статус Ozon', 'delivered'],
      ['Номер Ozon', '0123-1'],
      ['Услуги Ozon', -150],
    ],
    'attributes merged by id',
  );
  const removed = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, {
    body: { attributes: [attr(fake, fake.attributes.services, null)] },
  });
  t.same(
    read(Demand, removed).attributes?.map((a) => a.name),
    ['Статус Ozon', 'Номер Ozon'],
    'a null value removes the attribute',
  );

  const repriced = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, {
    body: { positions: [{ quantity: 3, price: 20000, assortment: ref(fake, 'product', otherProduct) }], noCashSum: 60000 },
  });
  t.match(repriced.json(), { sum: 60000, noCashSum: 60000, cashSum: 0, positions: { meta: { size: 1 } } });
  t.match(fake.demand(created.id)?.['positions'], [
    { quantity: 3, assortment: { meta: { href: `${fake.url}/entity/product/${otherProduct}` } } },
  ]);

  const earlier = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, { body: { moment: '2026-03-01 12:00:00' } });
  t.equal(earlier.status, 412);
  t.match(earlier.json(), { errors: [{ code: 3007, parameter: 'moment' }] });
  const newShift = await openShift(fake);
  const moved = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, {
    body: { retailShift: ref(fake, 'retailshift', newShift['id']) },
  });
  t.equal(moved.status, 412, 'moving the sale into the new shift puts it before the shift opened');
  t.match(moved.json(), { errors: [{ code: 3007, parameter: 'moment' }] });

  const missing = await call(fake, 'PUT', '/entity/retaildemand/00000000-0000-4000-8000-000000000001', { body: { description: 'x' } });
  t.equal(missing.status, 404);
  t.match(missing.json(), { errors: [{ code: 1021 }] });
  const array = await call(fake, 'PUT', `/entity/retaildemand/${created.id}`, { body: [{ description: 'x' }] });
  t.match(array.json(), { errors: [{ code: 2009 }] });
  t.equal(fake.demands().length, 1);
});

t.test('filters over HTTP: OR on externalCode, attributes, empty check, created>=', async (t) => {
  const time = clock('2026-03-02T06:00:00.000Z');
  const fake = await start(t, { now: time.now });
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const statuses = ['delivering', 'delivered', 'awaiting_packaging', 'delivering'];
  for (const [i, status] of statuses.entries()) {
    time.set(`2026-03-02T${String(7 + i).padStart(2, '0')}:00:00.000Z`);
    const attributes = [attr(fake, fake.attributes.ozonStatus, status)];
    if (i !== 2) attributes.push(attr(fake, fake.attributes.commission, 100 * (i + 1)));
    const reply = await call(fake, 'POST', '/entity/retaildemand', {
      body: sale(fake, shift['id'], productId, { moment: undefined, externalCode: `E-${i + 1}`, attributes }),
    });
    t.equal(reply.status, 200);
  }
  const codes = async (filter: string): Promise<unknown[]> => {
    const reply = await call(fake, 'GET', `/entity/retaildemand?filter=${encodeURIComponent(filter)}`);
    t.equal(reply.status, 200, filter);
    return column(reply, 'externalCode');
  };
  const statusHref = `${fake.url}/entity/retaildemand/metadata/attributes/${fake.attributes.ozonStatus}`;
  const commissionHref = `${fake.url}/entity/retaildemand/metadata/attributes/${fake.attributes.commission}`;

  t.same(await codes('externalCode=E-1;externalCode=E-3;externalCode=E-9'), ['E-1', 'E-3']);
  t.same(await codes(`${statusHref}=delivering`), ['E-1', 'E-4']);
  t.same(await codes(`${statusHref}=delivering;${statusHref}=awaiting_packaging`), ['E-1', 'E-3', 'E-4']);
  t.same(await codes(`${statusHref}!=delivered;externalCode!=E-4`), ['E-1', 'E-3']);
  t.same(await codes(`${commissionHref}=`), ['E-3'], 'no commission');
  t.same(await codes(`${commissionHref}>=200`), ['E-2', 'E-4']);
  t.same(await codes('created>=2026-03-02 12:00:00'), ['E-3', 'E-4'], 'Moscow time');
  t.same(await codes('created>=2026-03-02 12:00:00;created<2026-03-02 13:00'), ['E-3']);
  t.same(await codes(`moment>=2026-03-02 11:00:00;retailShift=${fake.url}/entity/retailshift/${shift['id']}`), ['E-2', 'E-3', 'E-4']);
  t.same(await codes(`agent=${fake.url}/entity/counterparty/${fake.ids.agent}`), ['E-1', 'E-2', 'E-3', 'E-4']);
  t.same(await codes('externalCode~e-'), ['E-1', 'E-2', 'E-3', 'E-4']);
  t.same(await codes('name=00002'), ['E-2']);

  const sorted = await call(fake, 'GET', '/entity/retaildemand?order=created,desc');
  t.same(column(sorted, 'externalCode'), ['E-4', 'E-3', 'E-2', 'E-1']);
  const strangerHref = `${fake.url}/entity/retaildemand/metadata/attributes/00000000-0000-4000-8000-000000000000`;
  const unknownAttribute = await call(fake, 'GET', `/entity/retaildemand?filter=${encodeURIComponent(`${strangerHref}=x`)}`);
  t.equal(unknownAttribute.status, 400);
  t.match(unknownAttribute.json(), { errors: [{ code: 1034 }] });
});

t.test('paging with limit and offset', async (t) => {
  const fake = await start(t);
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const created = await call(fake, 'POST', '/entity/retaildemand', {
    body: Array.from({ length: 5 }, (_, i) => sale(fake, shift['id'], productId, { externalCode: `P-${i + 1}` })),
  });
  t.equal(read(z.array(Entity), created).length, 5);

  const firstReply = await call(fake, 'GET', '/entity/retaildemand?limit=2');
  const first = read(Collection, firstReply);
  t.match(first.meta, { size: 5, limit: 2, offset: 0, nextHref: /offset=2/ });
  t.same(column(firstReply, 'externalCode'), ['P-1', 'P-2']);
  t.equal(first.meta.previousHref, undefined);
  const secondReply = await call(fake, 'GET', first.meta.nextHref ?? 'no next page');
  const second = read(Collection, secondReply);
  t.same(column(secondReply, 'externalCode'), ['P-3', 'P-4']);
  t.match(second.meta, { offset: 2, previousHref: /offset=0/ });
  const lastReply = await call(fake, 'GET', second.meta.nextHref ?? 'no next page');
  t.same(column(lastReply, 'externalCode'), ['P-5']);
  t.equal(read(Collection, lastReply).meta.nextHref, undefined, 'no next page after the last');
  const past = await call(fake, 'GET', '/entity/retaildemand?offset=10');
  t.same(column(past, 'id'), []);
  t.equal(read(Collection, past).meta.size, 5);

  const either = encodeURIComponent('externalCode=P-2;externalCode=P-4');
  const filtered = await call(fake, 'GET', `/entity/retaildemand?limit=1&offset=1&filter=${either}`);
  t.match(read(Collection, filtered).meta, { size: 2, limit: 1, offset: 1 });
  t.same(column(filtered, 'externalCode'), ['P-4']);

  const Demands = z.object({ rows: z.array(Demand) });
  const noExpand = read(Demands, await call(fake, 'GET', '/entity/retaildemand?expand=positions'));
  t.equal(noExpand.rows[0]?.positions.rows, undefined, 'expand is ignored without limit ≤ 100');
  const withExpand = read(Demands, await call(fake, 'GET', '/entity/retaildemand?expand=positions&limit=100'));
  t.equal(withExpand.rows[0]?.positions.rows?.length, 1);
});

t.test('injected faults', async (t) => {
  const fake = await start(t);
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);

  fake.inject({ kind: 'reset-after-create' });
  t.equal((await call(fake, 'GET', '/entity/retaildemand')).status, 200, 'only a create triggers reset-after-create');
  const seen: string[] = [];
  fake.onCreate((entity) => seen.push(String(entity['externalCode'])));
  await t.rejects(call(fake, 'POST', '/entity/retaildemand', { body: sale(fake, shift['id'], productId, { externalCode: 'LOST-1' }) }));
  t.equal(fake.requests.at(-1)?.status, null, 'no answer was sent');
  t.same(
    fake.demands().map((d) => d['externalCode']),
    ['LOST-1'],
    'the sale exists although no answer came',
  );
  t.same(seen, ['LOST-1']);
  const found = await call(fake, 'GET', `/entity/retaildemand?filter=${encodeURIComponent('externalCode=LOST-1')}`);
  t.equal(column(found, 'id').length, 1, 'a look-before-create finds it');

  fake.inject({ kind: 'status', status: 500 });
  const failed = await call(fake, 'GET', '/entity/store');
  t.equal(failed.status, 500);
  t.match(failed.json(), { errors: [{ code: 1999 }] });
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200, 'one time by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  for (let i = 0; i < 2; i++) {
    const gateway = await call(fake, 'GET', '/entity/store');
    t.equal(gateway.status, 502);
    t.match(gateway.text, /502 Bad Gateway[\s\S]*nginx/);
  }
  fake.inject({ kind: 'status', status: 503 });
  t.match((await call(fake, 'GET', '/entity/store')).json(), { errors: [{ code: 1074 }] });
  fake.inject({ kind: 'status', status: 429, retryAfterMs: 1500 });
  const limited = await call(fake, 'GET', '/entity/store');
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('x-lognex-retry-after'), '1500');
  t.match(limited.json(), { errors: [{ code: 1049 }] });

  fake.inject({ kind: 'html-429' });
  const html = await call(fake, 'GET', '/entity/store');
  t.equal(html.status, 429);
  t.match(html.headers.get('content-type') ?? '', /text\/html/);
  t.match(html.text, /429 Too Many Requests/);
  t.equal(html.headers.get('x-lognex-retry-after'), null);
  t.equal(fake.stats.rejected429, 0, 'injected 429s are not the limiter');

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake, 'GET', '/entity/store');
  t.equal(garbage.status, 200);
  t.throws(() => garbage.json());

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake, 'POST', '/entity/retaildemand', { body: sale(fake, shift['id'], productId, { externalCode: 'NEVER' }) }));
  t.notOk(fake.demands().some((d) => d['externalCode'] === 'NEVER'), 'a reset request does nothing');

  fake.inject({ kind: 'delay', ms: 120 });
  const began = Date.now();
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200);
  t.ok(Date.now() - began >= 110, 'answered late');

  fake.inject({ kind: 'status', status: 500 }, { match: (req) => req.method === 'POST' });
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200, 'match leaves other requests alone');
  t.equal((await call(fake, 'POST', '/entity/retaildemand', { body: sale(fake, shift['id'], productId, { externalCode: 'F-1' }) })).status, 500);
  t.notOk(fake.demands().some((d) => d['externalCode'] === 'F-1'), 'a failed create creates nothing');

  fake.inject({ kind: 'status', status: 500 }, { share: 0 });
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200, 'share 0 never fires');
  fake.clearFaults();
  fake.inject({ kind: 'status', status: 504 }, { share: 1, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await call(fake, 'GET', '/entity/store')).status);
  t.same(statuses, [504, 504, 200]);
  fake.inject({ kind: 'status', status: 500 }, { times: 5 });
  fake.clearFaults();
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200, 'clearFaults removes pending faults');
});

t.test('a client that gives up during a delay still gets its sale, and is no longer in flight', async (t) => {
  const fake = await start(t, { maxParallel: 1 });
  const productId = fake.addProduct({ article: 'A' });
  const shift = await openShift(fake);
  const createdLate = new Promise<FakeEntity>((resolve) => fake.onCreate(resolve));
  fake.inject({ kind: 'delay', ms: 300 }, { match: (req) => req.method === 'POST' });
  await t.rejects(
    call(fake, 'POST', '/entity/retaildemand', {
      body: sale(fake, shift['id'], productId, { externalCode: 'LATE-1' }),
      signal: AbortSignal.timeout(50),
    }),
  );
  t.equal((await createdLate)['externalCode'], 'LATE-1');
  t.equal((await call(fake, 'GET', '/entity/store')).status, 200, 'the departed request left the parallel count');
  t.equal(fake.stats.rejected429, 0);
});

t.test('recorded requests, pretty print, close', async (t) => {
  const fake = await startMoySkladFake({ token: TOKEN, latencyMs: 5_000 });
  const served = new Promise<FakeEntity>((resolve) => fake.onCreate(resolve));
  const pending = call(fake, 'POST', '/entity/retailshift?expand=store', {
    body: { organization: ref(fake, 'organization', fake.ids.organization), retailStore: ref(fake, 'retailstore', fake.ids.retailStore) },
  });
  await served;
  t.match(fake.requests, [
    { method: 'POST', path: '/api/remap/1.2/entity/retailshift', query: { expand: 'store' }, body: { retailStore: {} }, status: null },
  ]);
  t.equal(fake.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
  const closing = Date.now();
  await fake.close();
  t.ok(Date.now() - closing < 1_000, 'close does not wait for pending answers');
  await t.rejects(pending);

  const plain = await start(t);
  const shift = await call(plain, 'POST', '/entity/retailshift', {
    body: { organization: ref(plain, 'organization', plain.ids.organization), retailStore: ref(plain, 'retailstore', plain.ids.retailStore) },
    headers: { 'Lognex-Pretty-Print-JSON': 'true' },
  });
  t.match(shift.text, /^\{\n {2}"meta"/, 'indented');
  t.match(plain.requests[0], { method: 'POST', path: '/api/remap/1.2/entity/retailshift', status: 200 });
});

t.test('a ";" inside a filter value is written "\\;"', async (t) => {
  t.same(parseFilter('externalCode=A\\;B;name=x'), [
    { field: 'externalCode', operator: '=', value: 'A;B' },
    { field: 'name', operator: '=', value: 'x' },
  ]);
});
