import t from 'tap';
import { makePostings } from '../../../src/sandbox/ozon/postings.js';
import { accrualTypeIds, accrualTypes, ozonPaths, startOzonFake, type FakePosting, type OzonFake, type OzonFakeOptions } from '../../../src/sandbox/ozon/server.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown>;
}

async function call(
  fake: OzonFake,
  path: string,
  body: unknown,
  options: { method?: string; raw?: string; clientId?: string | null; apiKey?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const clientId = options.clientId === undefined ? fake.clientId : options.clientId;
  const apiKey = options.apiKey === undefined ? fake.apiKey : options.apiKey;
  if (clientId !== null) headers['Client-Id'] = clientId;
  if (apiKey !== null) headers['Api-Key'] = apiKey;
  const method = options.method ?? 'POST';
  const payload = method === 'GET' ? undefined : (options.raw ?? JSON.stringify(body));
  const response = await fetch(`${fake.url}${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function started(t: { teardown: (fn: () => unknown) => void }, options: OzonFakeOptions = {}): Promise<OzonFake> {
  const fake = await startOzonFake(options);
  t.teardown(() => fake.close());
  return fake;
}

const wide = { since: '2026-01-01T00:00:00Z', to: '2026-12-31T23:59:59Z' };
const everything = { analytics_data: true, financial_data: true };

type Listed = { posting_number: string; in_process_at: string; created_at?: string; status: string } & Record<string, unknown>;

function v4Page(reply: Reply): { cursor: string; has_next: boolean; postings: Listed[] } {
  return reply.json() as unknown as { cursor: string; has_next: boolean; postings: Listed[] };
}

function v3Page(reply: Reply): { has_next: boolean; postings: Listed[] } {
  return (reply.json() as unknown as { result: { has_next: boolean; postings: Listed[] } }).result;
}

function fboPage(reply: Reply): Listed[] {
  return (reply.json() as unknown as { result: Listed[] }).result;
}

function inOrder(list: Listed[], field: 'in_process_at' | 'created_at' = 'in_process_at'): boolean {
  return list.every((p, i) => {
    const prev = list[i - 1];
    if (prev === undefined) return true;
    const a = Date.parse(String(prev[field]));
    const b = Date.parse(String(p[field]));
    return a < b || (a === b && prev.posting_number < p.posting_number);
  });
}

t.test('authentication and transport errors', async (t) => {
  const fake = await started(t, { clientId: '836123', apiKey: '0296d4f2-70a1-4c09-b507-904fd05567b9' });
  const body = { filter: wide, limit: 10, cursor: '' };

  const noKey = await call(fake, ozonPaths.fbsListV4, body, { apiKey: null });
  t.equal(noKey.status, 401);
  t.same(noKey.json(), { code: 16, message: 'Client-Id and Api-Key headers are required', details: [] });
  t.equal((await call(fake, ozonPaths.fbsListV4, body, { clientId: null })).status, 401);
  t.equal((await call(fake, ozonPaths.fbsListV4, body, { clientId: '', apiKey: '' })).status, 401, 'empty headers are missing ones');

  const wrongKey = await call(fake, ozonPaths.fbsListV4, body, { apiKey: 'not-the-key' });
  t.equal(wrongKey.status, 403);
  t.same(wrongKey.json(), { code: 7, message: 'Invalid Api-Key, please check the key and try again', details: [] });
  t.equal((await call(fake, ozonPaths.fbsListV4, body, { clientId: '999' })).status, 403, 'the key belongs to another Client-Id');
  t.equal((await call(fake, '/v9/nowhere', body, { apiKey: 'x' })).status, 403, 'credentials come before routing');

  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200);

  const unknown = await call(fake, '/v9/nowhere', body);
  t.equal(unknown.status, 404);
  t.same(unknown.json(), { code: 5, message: 'method is not allowed', details: [] });

  const get = await call(fake, ozonPaths.fbsListV4, undefined, { method: 'GET' });
  t.equal(get.status, 405);
  t.equal(get.headers.get('allow'), 'POST');
  t.match(get.json(), { code: 12, message: 'method is not allowed', details: [] });

  const broken = await call(fake, ozonPaths.fbsListV4, undefined, { raw: '{"filter":' });
  t.equal(broken.status, 400);
  t.match(broken.json(), { code: 3, message: /not JSON/, details: [] });
  t.match((await call(fake, ozonPaths.fbsListV4, [1, 2])).json(), { code: 3, message: /JSON object/ });

  const last = fake.requests.at(-1);
  t.equal(last?.method, 'POST');
  t.equal(last?.path, ozonPaths.fbsListV4);
  t.same(last?.body, [1, 2]);
  t.equal(last?.status, 400);
  t.equal(last?.headers['client-id'], '836123');

  const random = await started(t);
  t.match(random.clientId, /^\d{6,7}$/, 'a numeric Client-Id by default');
  t.match(random.apiKey, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a UUID key by default');
  t.not(random.apiKey, fake.apiKey);
});

t.test('v4: cursor paging over 250 postings', async (t) => {
  const fake = await started(t);
  const fbs = makePostings(250, { scheme: 'fbs', seed: 7 });
  fake.addMany(fbs);
  fake.addMany(makePostings(20, { scheme: 'fbo', seed: 8 }));

  const seen: string[] = [];
  const pages: { count: number; has_next: boolean; cursor: string }[] = [];
  let cursor = '';
  for (let i = 0; i < 10; i++) {
    const reply = await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 100, cursor, sort_dir: 'ASC', with: everything });
    t.equal(reply.status, 200);
    const page = v4Page(reply);
    t.notOk('result' in reply.json(), 'v4 is not wrapped in result');
    t.ok(inOrder(page.postings), `page ${i + 1} is in order`);
    seen.push(...page.postings.map((p) => p.posting_number));
    pages.push({ count: page.postings.length, has_next: page.has_next, cursor: page.cursor });
    if (!page.has_next) break;
    t.not(page.cursor, cursor, 'each page moves the cursor');
    cursor = page.cursor;
  }
  t.same(
    pages.map((p) => [p.count, p.has_next]),
    [
      [100, true],
      [100, true],
      [50, false],
    ],
  );
  t.equal(pages.at(-1)?.cursor, '', 'no cursor after the last page');
  t.equal(seen.length, 250, 'every posting once');
  t.equal(new Set(seen).size, 250, 'no duplicates');
  t.same([...seen].sort(), fbs.map((p) => p.posting_number).sort(), 'every FBS posting and no FBO one');
  t.equal(fake.count(ozonPaths.fbsListV4), 3);

  const desc = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 100, cursor: '', sort_dir: 'desc' }));
  t.same(
    desc.postings.map((p) => p.posting_number),
    [...seen].reverse().slice(0, 100),
    'DESC is the reverse order',
  );

  for (const [limit, message] of [
    [101, /^limit: value must be inside range \[1, 100\], got 101/],
    [1000, /^limit: value must be inside range \[1, 100\], got 1000/],
    [0, /^limit: /],
    [undefined, /^limit: value must be inside range \[1, 100\], got 0/],
  ] as const) {
    const refused = await call(fake, ozonPaths.fbsListV4, { filter: wide, limit, cursor: '' });
    t.equal(refused.status, 400, `limit ${String(limit)} is refused (maximum 100)`);
    t.match(refused.json(), { code: 3, message, details: [] });
  }
  t.match((await call(fake, ozonPaths.fbsListV4, { limit: 10 })).json(), { code: 3, message: /^filter: value is required/ });

  const first = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 100, cursor: '' }));
  const otherFilter = await call(fake, ozonPaths.fbsListV4, { filter: { ...wide, statuses: ['delivered'] }, limit: 100, cursor: first.cursor });
  t.equal(otherFilter.status, 400);
  t.match(otherFilter.json(), { code: 3, message: /^cursor: .*another filter/ });
  t.match((await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 100, cursor: 'bm90IGEgY3Vyc29y' })).json(), {
    code: 3,
    message: 'cursor: invalid value',
  });

  const inserted = makePostings(1, { seed: 99, start: new Date('2026-11-20T06:00:00Z') })[0] as FakePosting;
  fake.add(inserted);
  const second = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 100, cursor: first.cursor }));
  t.equal(second.postings[0]?.posting_number, seen[100], 'a posting inserted before the cursor does not shift the next page');
});

t.test('v4 money objects', async (t) => {
  const fake = await started(t);
  fake.addMany(makePostings(5, { seed: 3 }));
  const posting = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 5, cursor: '', with: everything })).postings[0] as Record<
    string,
    unknown
  >;
  const stored = fake.posting(String(posting['posting_number']));
  const product = (posting['products'] as Record<string, unknown>[])[0];
  t.same(product?.['price'], { amount: stored?.products[0]?.price, currency: 'RUB' });
  t.notOk(product !== undefined && 'currency_code' in product);
  const finance = (posting['financial_data'] as { products: Record<string, unknown>[] }).products[0];
  const storedFinance = stored?.financial_data.products[0];
  t.same(finance?.['commission'], { amount: storedFinance?.commission_amount, currency: 'RUB', percent: storedFinance?.commission_percent });
  t.same(finance?.['customer_price'], { amount: storedFinance?.price.toFixed(2), currency: 'RUB' });
  t.notOk(finance !== undefined && 'commission_amount' in finance);
  t.notOk(finance !== undefined && 'item_services' in finance, 'item_services were removed on 2025-04-11');
  t.notOk('posting_services' in (posting['financial_data'] as object));
  t.match(posting, { customer: null, cancellation: { cancel_reason_id: Number }, analytics_data: { city: String, region: String, warehouse: String } });
});

t.test('the v3 FBS and v2 FBO lists are switched off unless the account still answers them', async (t) => {
  const fake = await started(t);
  fake.addMany(makePostings(3, { seed: 12 }));
  for (const path of [ozonPaths.fbsListV3, ozonPaths.fboListV2]) {
    const off = await call(fake, path, { filter: wide, limit: 10, offset: 0 });
    t.equal(off.status, 404, path);
    t.same(off.json(), { code: 5, message: 'method is not allowed', details: [] });
  }
  const legacy = await started(t, { legacyLists: true });
  legacy.addMany(makePostings(3, { seed: 12 }));
  t.equal(v3Page(await call(legacy, ozonPaths.fbsListV3, { filter: wide, limit: 10, offset: 0 })).postings.length, 3);
  t.equal(fboPage(await call(legacy, ozonPaths.fboListV2, { filter: wide, limit: 10 })).length, 0);
});

t.test('legacy v3 FBS: offset paging and validation', async (t) => {
  const fake = await started(t, { legacyLists: true });
  fake.addMany(makePostings(250, { seed: 11 }));

  const pages = [];
  for (const offset of [0, 100, 200]) {
    const reply = await call(fake, ozonPaths.fbsListV3, { dir: 'asc', filter: wide, limit: 100, offset, with: everything });
    t.equal(reply.status, 200);
    pages.push(v3Page(reply));
  }
  t.same(
    pages.map((p) => [p.postings.length, p.has_next]),
    [
      [100, true],
      [100, true],
      [50, false],
    ],
  );
  const all = pages.flatMap((p) => p.postings);
  t.equal(new Set(all.map((p) => p.posting_number)).size, 250);
  t.ok(inOrder(all));
  t.match(all[0], {
    products: [{ price: /^\d+\.\d{2}$/, currency_code: 'RUB', sku: Number }],
    financial_data: { products: [{ price: Number, commission_amount: Number, commission_percent: Number }] },
  });
  t.match(v3Page(await call(fake, ozonPaths.fbsListV3, { filter: wide, limit: '100', offset: '200' })), { has_next: false }, 'integers as strings');

  const refusals: [unknown, RegExp][] = [
    [{ filter: wide, limit: 100 }, /^offset: value is required/],
    [{ filter: wide, limit: 0, offset: 0 }, /^limit: value must be inside range \[1, 1000\]/],
    [{ filter: wide, limit: 1001, offset: 0 }, /^limit: /],
    [{ filter: wide, offset: 0 }, /^limit: value must be inside range \[1, 1000\], got 0/],
    [{ filter: { to: wide.to }, limit: 10, offset: 0 }, /^filter\.since: value is required/],
    [{ filter: { since: wide.since }, limit: 10, offset: 0 }, /^filter\.to: value is required/],
    [{ filter: { ...wide, since: '2026-01-01T03:00:00+03:00' }, limit: 10, offset: 0 }, /^filter\.since: expected an RFC 3339 UTC time/],
    [{ filter: { since: '2025-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, limit: 10, offset: 0 }, /^PERIOD_IS_TOO_LONG$/],
    [{ filter: { since: wide.to, to: wide.since }, limit: 10, offset: 0 }, /^filter\.since: must not be after/],
    [{ filter: wide, limit: 10, offset: 0, dir: 'sideways' }, /^dir: /],
    [{ filter: wide, limit: 10, offset: 0, with: { financial_data: 'yes' } }, /^with\.financial_data: /],
  ];
  for (const [body, message] of refusals) {
    const reply = await call(fake, ozonPaths.fbsListV3, body);
    t.equal(reply.status, 400, JSON.stringify(body));
    t.match(reply.json(), { code: 3, message, details: [] });
  }
});

t.test('legacy v2 FBO list: a bare array in result, created_at window, the offset cap', async (t) => {
  const fake = await started(t, { legacyLists: true });
  const fbo = makePostings(30, { scheme: 'fbo', seed: 5 });
  fake.addMany(fbo);
  fake.addMany(makePostings(10, { scheme: 'fbs', seed: 6 }));

  const reply = await call(fake, ozonPaths.fboListV2, { dir: 'ASC', filter: wide, limit: 20, offset: 0, with: everything });
  t.equal(reply.status, 200);
  t.same(Object.keys(reply.json()), ['result']);
  const first = fboPage(reply);
  t.ok(Array.isArray(first));
  t.equal(first.length, 20);
  t.ok(inOrder(first, 'created_at'));
  t.match(first[0], {
    created_at: String,
    cancel_reason_id: Number,
    products: [{ price: /^\d+\.\d{2}$/, digital_codes: [], currency_code: 'RUB' }],
    analytics_data: { warehouse_name: String, client_delivery_date_begin: String },
    financial_data: { products: [{ commission_amount: Number }] },
    additional_data: [],
  });
  t.notOk('shipment_date' in (first[0] ?? {}));
  const rest = fboPage(await call(fake, ozonPaths.fboListV2, { filter: wide, limit: 20, offset: 20 }));
  t.equal(rest.length, 10, 'a short page is the last one');
  t.same(
    [...first, ...rest].map((p) => p.posting_number).sort(),
    fbo.map((p) => p.posting_number).sort(),
  );

  const target = fbo[10] as FakePosting;
  const byCreated = fboPage(await call(fake, ozonPaths.fboListV2, { filter: { since: target.created_at, to: target.created_at }, limit: 10 }));
  t.same(
    byCreated.map((p) => p.posting_number),
    fbo.filter((p) => p.created_at === target.created_at).map((p) => p.posting_number),
    'the window is on created_at, both ends included',
  );
  t.same(fboPage(await call(fake, ozonPaths.fboListV2, { filter: { since: target.in_process_at, to: target.in_process_at }, limit: 10 })), []);

  t.same(fboPage(await call(fake, ozonPaths.fboListV2, { filter: wide, limit: 1000, offset: 20_000 })), [], 'offset 20000 is allowed');
  const over = await call(fake, ozonPaths.fboListV2, { filter: wide, limit: 1000, offset: 20_001 });
  t.equal(over.status, 400);
  t.match(over.json(), { code: 3, message: /^offset: value must be inside range \[0, 20000\]/ });
});

t.test('v3 FBO: cursor paging in pages of 100, money objects, numbers and created_at window', async (t) => {
  const fake = await started(t);
  const fbo = makePostings(230, { scheme: 'fbo', seed: 15 });
  fake.addMany(fbo);
  fake.addMany(makePostings(10, { scheme: 'fbs', seed: 16 }));

  const seen: Listed[] = [];
  const sizes: number[] = [];
  let cursor = '';
  for (;;) {
    const reply = await call(fake, ozonPaths.fboListV3, { cursor, filter: wide, limit: 100, sort_dir: 'ASC', with: everything });
    t.equal(reply.status, 200);
    t.same(Object.keys(reply.json()).sort(), ['cursor', 'has_next', 'postings'], 'not wrapped in result');
    const page = v4Page(reply);
    sizes.push(page.postings.length);
    seen.push(...page.postings);
    if (!page.has_next) {
      t.equal(page.cursor, '');
      break;
    }
    cursor = page.cursor;
  }
  t.same(sizes, [100, 100, 30]);
  t.ok(inOrder(seen, 'created_at'), 'ordered by created_at');
  t.same(seen.map((p) => p.posting_number).sort(), fbo.map((p) => p.posting_number).sort(), 'every FBO posting, no FBS one');
  const stored = fake.posting(seen[0]!.posting_number)!;
  t.match(seen[0], {
    products: [{ price: { amount: stored.products[0]!.price, currency: 'RUB' }, offer_id: stored.products[0]!.offer_id, digital_codes: [] }],
    financial_data: { products: [{ commission: { amount: stored.financial_data.products[0]!.commission_amount, currency: 'RUB' } }] },
    analytics_data: { warehouse_name: String },
    created_at: stored.created_at,
  });
  const finance = (seen[0]!['financial_data'] as { products: Record<string, unknown>[] }).products[0]!;
  t.notOk('quantity' in finance || 'commission_amount' in finance, 'the v3 financial lines have neither');

  const wanted = [fbo[3]!.posting_number, fbo[200]!.posting_number, 'nobody-0000-1'];
  const byNumber = v4Page(await call(fake, ozonPaths.fboListV3, { filter: { posting_numbers: wanted }, limit: 100 }));
  t.same(byNumber.postings.map((p) => p.posting_number).sort(), wanted.slice(0, 2).sort(), 'by posting number, without a period');
  const byOrder = v4Page(await call(fake, ozonPaths.fboListV3, { filter: { order_numbers: [fbo[5]!.order_number] }, limit: 100 }));
  t.ok(byOrder.postings.every((p) => p['order_number'] === fbo[5]!.order_number) && byOrder.postings.length >= 1);

  const target = fbo[10]!;
  const byCreated = v4Page(await call(fake, ozonPaths.fboListV3, { filter: { since: target.created_at, to: target.created_at }, limit: 10 }));
  t.same(
    byCreated.postings.map((p) => p.posting_number),
    fbo.filter((p) => p.created_at === target.created_at).map((p) => p.posting_number),
    'the window is on created_at, both ends included',
  );

  const refusals: [unknown, RegExp][] = [
    [{ filter: wide, limit: 101 }, /^limit: value must be inside range \[1, 100\], got 101/],
    [{ filter: wide }, /^limit: value must be inside range \[1, 100\], got 0/],
    [{ filter: { since: wide.since }, limit: 10 }, /^filter\.to: give filter\.since and filter\.to together/],
    [{ filter: { since: '2025-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, limit: 10 }, /^PERIOD_IS_TOO_LONG$/],
    [{ filter: { posting_numbers: Array.from({ length: 1001 }, (_, i) => String(i)) }, limit: 10 }, /^filter\.posting_numbers: at most 1000/],
    [{ filter: wide, limit: 10, cursor: 'bm90IGEgY3Vyc29y' }, /^cursor: invalid value/],
  ];
  for (const [body, message] of refusals) {
    const reply = await call(fake, ozonPaths.fboListV3, body);
    t.equal(reply.status, 400, JSON.stringify(body).slice(0, 80));
    t.match(reply.json(), { code: 3, message, details: [] });
  }
});

t.test('status filters', async (t) => {
  const fake = await started(t);
  const fbs = makePostings(60, { seed: 21 });
  const fbo = makePostings(60, { scheme: 'fbo', seed: 22 });
  fake.addMany([...fbs, ...fbo]);
  const numbers = (list: FakePosting[], statuses: string[]): string[] =>
    list
      .filter((p) => statuses.includes(p.status))
      .map((p) => p.posting_number)
      .sort();

  const v4 = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: { ...wide, statuses: ['delivered', 'cancelled'] }, limit: 100, cursor: '' }));
  t.ok(v4.postings.length > 0);
  t.same(v4.postings.map((p) => p.posting_number).sort(), numbers(fbs, ['delivered', 'cancelled']));

  const legacy = await started(t, { legacyLists: true });
  legacy.addMany([...fbs, ...fbo]);
  const v3 = v3Page(await call(legacy, ozonPaths.fbsListV3, { filter: { ...wide, status: 'awaiting_packaging' }, limit: 1000, offset: 0 }));
  t.same(v3.postings.map((p) => p.posting_number).sort(), numbers(fbs, ['awaiting_packaging']));

  const onFbo = v4Page(await call(fake, ozonPaths.fboListV3, { filter: { ...wide, statuses: ['delivering', 'delivered'] }, limit: 100 }));
  t.same(onFbo.postings.map((p) => p.posting_number).sort(), numbers(fbo, ['delivering', 'delivered']));

  const target = fbs.find((p) => p.status !== 'cancelled') as FakePosting;
  fake.setStatus(target.posting_number, 'cancelled');
  const after = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: { ...wide, statuses: ['cancelled'] }, limit: 100, cursor: '' }));
  t.ok(after.postings.some((p) => p.posting_number === target.posting_number), 'setStatus changes what is listed');
  t.match(after.postings.find((p) => p.posting_number === target.posting_number), { substatus: 'posting_canceled' });
  t.throws(() => fake.setStatus('00000000-0000-9', 'delivered'), /no posting 00000000-0000-9/);
  t.throws(() => fake.add(target), /added twice/);
});

t.test('date window on in_process_at, with fractional seconds', async (t) => {
  const fake = await started(t);
  const base: FakePosting = makePostings(1, { seed: 2 })[0] as FakePosting;
  const at = (n: string, inProcessAt: string): FakePosting => ({ ...base, posting_number: `${base.order_number}-${n}`, in_process_at: inProcessAt });
  fake.add(
    at('1', '2026-11-20T09:59:59.999Z'),
    at('2', '2026-11-20T10:00:00Z'),
    at('3', '2026-11-20T10:30:00.250Z'),
    at('4', '2026-11-20T11:00:00Z'),
    at('5', '2026-11-20T11:00:00.001Z'),
    at('6', ''),
  );
  const list = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: { since: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z' }, limit: 10, cursor: '' }));
  t.same(
    list.postings.map((p) => [p.posting_number.slice(-1), p.in_process_at]),
    [
      ['2', '2026-11-20T10:00:00Z'],
      ['3', '2026-11-20T10:30:00.250Z'],
      ['4', '2026-11-20T11:00:00Z'],
    ],
    'both ends included, times rendered as stored',
  );
});

t.test('get by number', async (t) => {
  const fake = await started(t);
  const [fbs] = makePostings(1, { seed: 31 }) as [FakePosting];
  const [fbo] = makePostings(1, { scheme: 'fbo', seed: 32 }) as [FakePosting];
  fake.add(fbs, fbo);

  const got = await call(fake, ozonPaths.fbsGet, { posting_number: fbs.posting_number, with: everything });
  t.equal(got.status, 200);
  t.match(got.json(), {
    result: {
      posting_number: fbs.posting_number,
      order_number: fbs.order_number,
      products: [{ price: fbs.products[0]?.price, currency_code: 'RUB' }],
      financial_data: { products: [{ commission_amount: fbs.financial_data.products[0]?.commission_amount }] },
    },
  });
  t.match((await call(fake, ozonPaths.fboGet, { posting_number: fbo.posting_number })).json(), {
    result: { posting_number: fbo.posting_number, created_at: fbo.created_at },
  });

  for (const [path, number] of [
    [ozonPaths.fbsGet, '11111111-1111-1'],
    [ozonPaths.fbsGet, fbo.posting_number],
    [ozonPaths.fboGet, fbs.posting_number],
  ] as const) {
    const missing = await call(fake, path, { posting_number: number });
    t.equal(missing.status, 404, `${path} ${number}`);
    t.same(missing.json(), { code: 5, message: 'Posting not found', details: [] });
  }
  t.match((await call(fake, ozonPaths.fbsGet, {})).json(), { code: 3, message: /^posting_number: value is required/ });
});

t.test('financial and analytics data only when asked', async (t) => {
  const fake = await started(t);
  const [posting] = makePostings(1, { seed: 41 }) as [FakePosting];
  fake.add(posting);
  const none = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 1, cursor: '' })).postings[0];
  t.match(none, { financial_data: null, analytics_data: null, barcodes: null, legal_info: null });
  const off = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 1, cursor: '', with: { financial_data: false, analytics_data: true } })).postings[0];
  t.match(off, { financial_data: null, analytics_data: { city: posting.analytics_data.city } });
  const on = v4Page(await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 1, cursor: '', with: { financial_data: true } })).postings[0];
  t.match(on, { financial_data: { cluster_to: posting.financial_data.cluster_to, products: Array }, analytics_data: null });
  t.match((await call(fake, ozonPaths.fbsGet, { posting_number: posting.posting_number })).json(), { result: { financial_data: null } });
});

t.test('accruals by posting number, 200 at most, and the accrual types', async (t) => {
  const fake = await started(t);
  const [delivered] = makePostings(1, { seed: 51, statuses: ['delivered'] }) as [FakePosting];
  const [waiting] = makePostings(1, { seed: 52, statuses: ['awaiting_packaging'], start: new Date('2026-11-21T00:00:00Z') }) as [FakePosting];
  fake.add(delivered, waiting);

  const reply = await call(fake, ozonPaths.accrualPostings, { posting_numbers: [delivered.posting_number, waiting.posting_number, 'nobody-0000-1'] });
  t.equal(reply.status, 200);
  const answer = reply.json() as { posting_accruals: { posting_number: string; accruals: Record<string, unknown>[] }[] };
  t.same(
    answer.posting_accruals.map((p) => p.posting_number),
    [delivered.posting_number, waiting.posting_number],
    'an unknown number is left out',
  );
  t.same(answer.posting_accruals[1]?.accruals, [], 'a posting with nothing accrued yet has an empty list');
  const sale = answer.posting_accruals[0]!.accruals;
  t.match(sale.find((a) => a['type_id'] === accrualTypeIds.revenue), { accrued: { amount: /^\d+\.\d{2}$/, currency: 'RUB' }, seller_price: { amount: String }, sku: Number, quantity: Number });
  t.match(sale.find((a) => a['type_id'] === accrualTypeIds.saleCommission), { accrued: { amount: /^-\d+\.\d{2}$/ }, seller_price: { amount: /^-/ } });
  t.match(sale.find((a) => a['type_id'] === accrualTypeIds.lastMile), { accrued: { amount: /^-\d+\.\d{2}$/ }, seller_price: null, quantity: null, accrual_date: /^\d{4}-\d{2}-\d{2}$/ });

  fake.addAccrual(waiting.posting_number, { type_id: accrualTypeIds.logistics, amount: '-63.00', accrual_date: '2026-11-22', sku: null, quantity: null, seller_price: null });
  const later = (await call(fake, ozonPaths.accrualPostings, { posting_numbers: [waiting.posting_number] })).json() as typeof answer;
  t.same(later.posting_accruals[0]?.accruals, [
    { accrual_date: '2026-11-22', accrued: { amount: '-63.00', currency: 'RUB' }, quantity: null, seller_price: null, sku: null, type_id: accrualTypeIds.logistics },
  ]);
  t.throws(() => fake.addAccrual('nobody-0000-1', later.posting_accruals[0]!.accruals[0] as never), /no posting/);

  for (const [body, message] of [
    [{}, /^posting_numbers: value is required/],
    [{ posting_numbers: [] }, /^posting_numbers: value is required/],
    [{ posting_numbers: Array.from({ length: 201 }, (_, i) => `n-${i}`) }, /^posting_numbers: at most 200 items, got 201/],
    [{ posting_numbers: 'one' }, /^posting_numbers: expected an array of strings/],
  ] as const) {
    const refused = await call(fake, ozonPaths.accrualPostings, body);
    t.equal(refused.status, 400, JSON.stringify(body).slice(0, 60));
    t.match(refused.json(), { code: 3, message, details: [] });
  }
  t.equal((await call(fake, ozonPaths.accrualPostings, { posting_numbers: Array.from({ length: 200 }, (_, i) => `n-${i}`) })).status, 200, '200 is allowed');

  const types = await call(fake, ozonPaths.accrualTypes, undefined, { raw: '' });
  t.equal(types.status, 200, 'no request body needed');
  t.same(types.json(), { accrual_types: accrualTypes });
});

t.test('rate limit: 429 code 8 past ratePerSecond in one second', async (t) => {
  let clock = 1_000_000;
  const fake = await started(t, { ratePerSecond: 50, now: () => clock });
  const body = { filter: wide, limit: 1, cursor: '' };

  const replies = await Promise.all(Array.from({ length: 60 }, () => call(fake, ozonPaths.fbsListV4, body)));
  t.equal(replies.filter((r) => r.status === 200).length, 50);
  const limited = replies.filter((r) => r.status === 429);
  t.equal(limited.length, 10);
  t.same(limited[0]?.json(), { code: 8, message: 'You have reached request rate limit per second', details: [] });

  t.equal((await call(fake, ozonPaths.fbsListV4, body, { apiKey: 'wrong' })).status, 403, 'a refused key is not limited');
  clock += 999;
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 429, 'the window is a full second');
  clock += 1;
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200, 'the window slides');
});

t.test('injected faults', async (t) => {
  const fake = await started(t);
  fake.addMany(makePostings(3, { seed: 61 }));
  const body = { filter: wide, limit: 10, cursor: '' };

  fake.inject({ kind: 'status', status: 500 });
  const failed = await call(fake, ozonPaths.fbsListV4, body);
  t.equal(failed.status, 500);
  t.match(failed.json(), { code: 13 });
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200, 'once by default');

  fake.inject({ kind: 'status', status: 502 }, { times: 2 });
  const gateway = await call(fake, ozonPaths.fbsListV4, body);
  t.equal(gateway.status, 502);
  t.match(gateway.text, /<title>502 Bad Gateway<\/title>/);
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 502);
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200);

  fake.inject({ kind: 'status', status: 429, retryAfter: 2 }, { match: (req) => req.path === ozonPaths.fbsGet });
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200, 'match spares other paths');
  const limited = await call(fake, ozonPaths.fbsGet, { posting_number: 'x' });
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '2');
  t.match(limited.json(), { code: 8 });

  fake.inject({ kind: 'status', status: 503 }, { match: (req) => (req.body as { limit?: number }).limit === 7 });
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200);
  t.equal((await call(fake, ozonPaths.fbsListV4, { ...body, limit: 7 })).status, 503, 'match sees the body');

  fake.inject({ kind: 'garbage' });
  const garbage = await call(fake, ozonPaths.fbsListV4, body);
  t.equal(garbage.status, 200);
  t.throws(() => JSON.parse(garbage.text));

  fake.inject({ kind: 'reset' });
  await t.rejects(call(fake, ozonPaths.fbsListV4, body));
  t.equal(fake.requests.at(-1)?.status, null, 'a reset request has no status');

  fake.inject({ kind: 'delay', ms: 120 });
  const before = Date.now();
  const slow = await call(fake, ozonPaths.fbsListV4, body);
  t.equal(slow.status, 200);
  t.ok(Date.now() - before >= 110, 'the answer waited for the delay');

  fake.inject({ kind: 'status', status: 500 }, { share: 1 });
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 500);
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 500, 'share alone is unlimited');
  fake.clearFaults();
  t.equal((await call(fake, ozonPaths.fbsListV4, body)).status, 200);

  const answered = fake.requests.filter((r) => r.status !== null).length;
  t.equal(fake.count(), answered);
  t.equal(fake.count(ozonPaths.fbsGet), 1);
  t.equal(fake.count('/fbs/list'), answered - 1);
});

t.test('a posting the fake cannot render is a 500, not a crash', async (t) => {
  const fake = await started(t);
  const [posting] = makePostings(1, { seed: 71 }) as [FakePosting];
  fake.add(posting);
  (posting as unknown as { financial_data: null }).financial_data = null;
  const reply = await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 1, cursor: '', with: everything });
  t.equal(reply.status, 500);
  t.match(reply.json(), { code: 13 });
  t.equal((await call(fake, ozonPaths.fbsListV4, { filter: wide, limit: 1, cursor: '' })).status, 200, 'the server lives on');
});

t.test('makePostings', async (t) => {
  const a = makePostings(200, { seed: 9 });
  t.same(makePostings(200, { seed: 9 }), a, 'the same seed gives the same postings');
  t.not(JSON.stringify(makePostings(200, { seed: 10 })), JSON.stringify(a));

  t.equal(new Set(a.map((p) => p.posting_number)).size, 200);
  t.ok(a.some((p) => p.posting_number.endsWith('-2')), 'some orders are split');
  t.ok(a.some((p) => p.in_process_at.includes('.')) && a.some((p) => !p.in_process_at.includes('.')), 'with and without milliseconds');
  t.ok(inOrder(a as unknown as Listed[]), 'generated in time order');

  const wrong: string[] = [];
  const skus = new Map<string, number>();
  const shares: number[] = [];
  for (const p of a) {
    if (!/^\d{8}-\d{4}$/.test(p.order_number) || p.posting_number !== `${p.order_number}-${p.posting_number.slice(-1)}`) wrong.push(`number ${p.posting_number}`);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(p.in_process_at)) wrong.push(`time ${p.in_process_at}`);
    if (p.products.length < 1 || p.products.length > 3) wrong.push(`${p.products.length} products`);
    if (p.financial_data.products.length !== p.products.length) wrong.push('financial lines do not match products');
    p.products.forEach((product, i) => {
      const line = p.financial_data.products[i];
      if (!/^ART-([1-9]|1\d|20)$/.test(product.offer_id)) wrong.push(`article ${product.offer_id}`);
      if (!/^\d+\.\d{2}$/.test(product.price)) wrong.push(`price ${product.price}`);
      if (line?.product_id !== product.sku || line.price !== Number(product.price)) wrong.push(`financial line of ${product.offer_id}`);
      if ((skus.get(product.offer_id) ?? product.sku) !== product.sku) wrong.push(`${product.offer_id} changed its SKU`);
      skus.set(product.offer_id, product.sku);
      shares.push((line?.commission_amount ?? 0) / (Number(product.price) * product.quantity));
    });
  }
  t.same(wrong, [], 'numbers, times, products and prices look like Ozon');
  t.ok(Math.min(...shares) >= 0.049 && Math.max(...shares) <= 0.201, `commission is 5–20 % (${Math.min(...shares)}..${Math.max(...shares)})`);
  t.ok(a.some((p) => p.products.some((product) => !product.price.endsWith('.00'))), 'some prices have kopecks');

  const charged = new Map<string, Set<number>>();
  for (const p of a) {
    for (const accrual of p.accruals) {
      if (!/^-?\d+\.\d{2}$/.test(accrual.amount)) wrong.push(`accrual ${accrual.amount}`);
      const isSale = accrual.type_id === accrualTypeIds.revenue || accrual.type_id === accrualTypeIds.saleCommission;
      if (isSale !== (accrual.seller_price !== null)) wrong.push(`seller_price of type ${accrual.type_id}`);
      if (accrual.type_id !== accrualTypeIds.revenue && !accrual.amount.startsWith('-')) wrong.push(`charge ${accrual.amount} is not negative`);
      charged.set(p.status, (charged.get(p.status) ?? new Set()).add(accrual.type_id));
    }
  }
  t.same(wrong, [], 'accruals look like Ozon');
  t.notOk(charged.has('awaiting_packaging'), 'nothing accrued before shipping');
  t.ok(charged.get('delivering')?.has(accrualTypeIds.logistics) && !charged.get('delivering')?.has(accrualTypeIds.lastMile), 'logistics on the way');
  t.ok(charged.get('delivered')?.has(accrualTypeIds.lastMile) && charged.get('delivered')?.has(accrualTypeIds.revenue), 'last mile and revenue once delivered');
  t.same(makePostings(5, { seed: 9, accruals: false }).flatMap((p) => p.accruals), [], 'accruals can be left out');
  const withoutAccruals = makePostings(200, { seed: 9, accruals: false }).map((p) => ({ ...p, accruals: [] }));
  t.same(withoutAccruals, a.map((p) => ({ ...p, accruals: [] })), 'accruals do not change the rest of the data');

  const custom = makePostings(10, { scheme: 'fbo', statuses: ['delivered'], articles: ['X-1', 'X-2'], start: new Date('2026-05-01T00:00:00Z'), stepMs: 3_600_000 });
  t.ok(custom.every((p) => p.scheme === 'fbo' && p.status === 'delivered' && p.shipment_date === '' && p.addressee === null));
  t.ok(custom.every((p) => p.products.every((product) => ['X-1', 'X-2'].includes(product.offer_id))));
  t.match(custom[0], { in_process_at: /^2026-05-01T00:00:00(\.\d{3})?Z$/ });
  t.ok(custom.every((p) => Date.parse(p.created_at) === Date.parse(p.in_process_at) - 40_000));
});
