import t, { type Test } from 'tap';
import { OzonClient, type RawPosting } from '../../src/connectors/ozon/client.js';
import { ozonConfigSchema } from '../../src/connectors/ozon/config.js';
import { createOzonConnector } from '../../src/connectors/ozon/connector.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { connectorContext } from '../helpers/context.js';
import { failure } from '../helpers/failure.js';
import { makePostings } from '../../src/sandbox/ozon/postings.js';
import { accrualTypeIds, ozonPaths, startOzonFake, type OzonFakeOptions } from '../../src/sandbox/ozon/server.js';

const since = new Date('2026-11-01T00:00:00Z');
const until = new Date('2026-12-01T00:00:00Z');
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

async function setup(t: Test, fakeOptions: OzonFakeOptions = {}, settings: Record<string, unknown> = {}) {
  const fake = await startOzonFake(fakeOptions);
  t.teardown(() => fake.close());
  const config = ozonConfigSchema.parse({ baseUrl: fake.url, clientId: fake.clientId, apiKey: fake.apiKey, timeout: '2s', ...settings });
  const exchanges: ExchangeEntry[] = [];
  const client = new OzonClient({ config, exchanges: (e) => exchanges.push(e), retry: { attempts: 3, backoff: { baseMs: 5, maxMs: 20 } } });
  const source = (): NonNullable<ReturnType<typeof createOzonConnector>['source']> => createOzonConnector(config, connectorContext('ozon').context).source!;
  return { fake, config, client, exchanges, source };
}

async function all(pages: AsyncIterable<RawPosting[]>): Promise<{ pages: number; numbers: string[] }> {
  const numbers: string[] = [];
  let count = 0;
  for await (const page of pages) {
    count += 1;
    numbers.push(...page.map((p) => String(p['posting_number'])));
  }
  return { pages: count, numbers };
}

const limits = (fake: { requests: { path: string; body: unknown }[] }, path: string): unknown[] =>
  fake.requests.filter((r) => r.path === path).map((r) => (r.body as { limit?: unknown }).limit);

t.test('every call carries Client-Id and Api-Key; a wrong key is a permanent error that says what to check', async (t) => {
  const { fake, config } = await setup(t);
  const wrong = new OzonClient({ config: { ...config, apiKey: 'not-the-key' } });
  const error = await failure(all(wrong.listPostings('fbs', since, until, 100)));
  t.match(error, { kind: 'permanent', code: 'OZON_UNAUTHORIZED', message: /clientId and apiKey/ });
  t.equal(fake.requests[0]?.headers['client-id'], fake.clientId);
});

t.test('FBS through v4 and FBO through v3, both by cursor in pages of at most 100', async (t) => {
  const { fake, client } = await setup(t);
  const fbs = makePostings(250, { seed: 3 });
  const fbo = makePostings(120, { seed: 4, scheme: 'fbo' });
  fake.addMany([...fbs, ...fbo]);
  const v4 = await all(client.listPostings('fbs', since, until, 100));
  t.equal(v4.pages, 3);
  t.same(new Set(v4.numbers), new Set(fbs.map((p) => p.posting_number)), 'every FBS posting once');
  t.equal(v4.numbers.length, 250);
  const v3 = await all(client.listPostings('fbo', since, until, 1000));
  t.equal(v3.numbers.length, 120);
  t.equal(v3.pages, 2, 'a page size over Ozon\'s maximum is held to 100');
  t.same(new Set([...limits(fake, ozonPaths.fbsListV4), ...limits(fake, ozonPaths.fboListV3)]), new Set([100]), 'never asks for more than 100');
  t.equal(fake.count(ozonPaths.fbsListV3) + fake.count(ozonPaths.fboListV2), 0, 'the switched-off lists are not called');
  const cursors = fake.requests.filter((r) => r.path === ozonPaths.fboListV3).map((r) => (r.body as { cursor: string }).cursor);
  t.equal(cursors[0], '');
  t.not(cursors[1], '', 'the second page asks with the cursor of the first');
});

t.test('the switched-off v3 FBS and v2 FBO lists only when configured, for accounts that still answer them', async (t) => {
  const current = await setup(t);
  current.fake.addMany(makePostings(5, { seed: 5 }));
  const legacyClient = new OzonClient({ config: { ...current.config, fbsList: 'v3' } });
  t.match(await failure(all(legacyClient.listPostings('fbs', since, until, 100))), { kind: 'permanent', message: /404/ }, 'Ozon has switched v3 off');

  const { fake, client } = await setup(t, { legacyLists: true }, { fbsList: 'v3', fboList: 'v2' });
  fake.addMany([...makePostings(150, { seed: 6 }), ...makePostings(130, { seed: 7, scheme: 'fbo' })]);
  t.equal((await all(client.listPostings('fbs', since, until, 100))).numbers.length, 150);
  const v2 = await all(client.listPostings('fbo', since, until, 50));
  t.equal(v2.numbers.length, 130);
  t.equal(v2.pages, 3, 'a short page ends the v2 list');
  t.equal(fake.count(ozonPaths.fbsListV4) + fake.count(ozonPaths.fboListV3), 0);
});

t.test('a period over a year is read a year at a time', async (t) => {
  const { fake, client } = await setup(t);
  fake.addMany(makePostings(3, { seed: 8, start: new Date('2025-03-01T00:00:00Z') }));
  fake.addMany(makePostings(2, { seed: 9, start: new Date('2026-11-01T00:00:00Z') }));
  const read = await all(client.listPostings('fbs', new Date('2025-01-01T00:00:00Z'), until, 100));
  t.equal(read.numbers.length, 5);
  t.equal(fake.count(ozonPaths.fbsListV4), 2, 'two windows, both accepted');
});

t.test('a 429 (code 8) or a 5xx in the middle of a listing is waited out, not a failed poll', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.addMany(makePostings(150, { seed: 5 }));
  fake.inject({ kind: 'status', status: 429 }, { times: 1 });
  fake.inject({ kind: 'status', status: 502 }, { times: 1 });
  const read = await all(client.listPostings('fbs', since, until, 100));
  t.equal(read.numbers.length, 150);
  t.same(exchanges.map((e) => e.httpStatus).slice(0, 2), [429, 502], 'both failures are in the exchange log');
});

t.test('a page that is not the documented shape is a retryable, explained error', async (t) => {
  const { fake, client } = await setup(t);
  fake.inject({ kind: 'garbage' }, { times: 5 });
  const error = await failure(all(client.listPostings('fbs', since, until, 100)));
  t.match(error, { kind: 'retryable', code: 'MALFORMED_RESPONSE', message: /Ozon answered POST \/v4\/posting\/fbs\/list/ });
});

t.test('postings by number, from either scheme, with their service charges; an unknown one is absent', async (t) => {
  const { fake, source } = await setup(t);
  const [fbs] = makePostings(1, { seed: 6, statuses: ['delivered'] });
  const fbo = makePostings(120, { seed: 7, scheme: 'fbo', statuses: ['delivering'] });
  fake.addMany([fbs!, ...fbo]);
  const wanted = [fbs!.posting_number, ...fbo.map((p) => p.posting_number), '00000000-0000-9'];
  const found = await source().fetchOrders(wanted, signal());
  t.equal(found.size, 121);
  t.notOk(found.has('00000000-0000-9'));
  const sale = found.get(fbs!.posting_number);
  t.equal(sale?.kind, 'ready');
  if (sale?.kind === 'ready') {
    t.ok(sale.order.fees.some((f) => f.kind === 'service:Последняя миля'), 'the accrued charges come with the order');
    t.notOk(sale.order.fees.some((f) => f.kind.includes('Выручка') || f.kind.includes('Вознаграждение')), 'the sale itself is no service charge');
  }
  t.same(limits(fake, ozonPaths.fboListV3), [100, 100], 'FBO numbers are read through the v3 list, 100 at a time');
  const byNumbers = fake.requests.filter((r) => r.path === ozonPaths.fboListV3).map((r) => (r.body as { filter: { posting_numbers: string[] } }).filter.posting_numbers.length);
  t.same(byNumbers, [100, 22]);
  t.equal(fake.count(ozonPaths.fbsGet), 2, 'FBS one by one, only for numbers FBO did not know');
  t.equal(fake.count(ozonPaths.accrualPostings), 1, '121 postings\' accruals in one read');
});

t.test('statuses of the period, by posting number, for the reconciliation', async (t) => {
  const { fake, source } = await setup(t);
  const postings = makePostings(130, { seed: 8 });
  fake.addMany([...postings, ...makePostings(20, { seed: 18, scheme: 'fbo' })]);
  fake.setStatus(postings[0]!.posting_number, 'delivered');
  const statuses = await source().statusesSince!(since, signal());
  t.equal(statuses.size, 150);
  t.equal(statuses.get(postings[0]!.posting_number), 'delivered');
  t.same(new Set([...limits(fake, ozonPaths.fbsListV4), ...limits(fake, ozonPaths.fboListV3)]), new Set([100]));
});

t.test('charges by posting number: the commission on the posting and the services accrued so far, 200 numbers a read', async (t) => {
  const { fake, source } = await setup(t);
  const postings = makePostings(250, { seed: 21, statuses: ['awaiting_packaging'] });
  fake.addMany(postings);
  const ozon = source();
  await ozon.statusesSince!(since, signal());
  const first = postings[0]!;
  const before = await ozon.chargesOf!([first.posting_number, 'nobody-0000-1'], signal());
  t.notOk(before.has('nobody-0000-1'), 'a number Ozon does not know is absent');
  const commission = first.financial_data.products.reduce((sum, p) => sum + p.commission_amount, 0);
  t.same(
    before.get(first.posting_number)?.map((f) => f.kind),
    first.products.map(() => 'commission'),
    'before anything accrued: the commission alone',
  );
  t.equal(before.get(first.posting_number)?.reduce((sum, f) => sum + Number(f.amount), 0).toFixed(2), commission.toFixed(2));

  fake.addAccrual(first.posting_number, { type_id: accrualTypeIds.logistics, amount: '-63.50', accrual_date: '2026-11-22', sku: first.products[0]!.sku, quantity: null, seller_price: null });
  fake.addAccrual(first.posting_number, { type_id: accrualTypeIds.logistics, amount: '10.00', accrual_date: '2026-11-23', sku: null, quantity: null, seller_price: null });
  fake.addAccrual(first.posting_number, { type_id: 999, amount: '-1.25', accrual_date: '2026-11-23', sku: null, quantity: null, seller_price: null });
  const listed = fake.requests.length;
  const after = await ozon.chargesOf!(postings.map((p) => p.posting_number), signal());
  t.equal(after.size, 250);
  t.same(
    after.get(first.posting_number)?.filter((f) => f.kind !== 'commission'),
    [
      { kind: 'service:Логистика', amount: '63.5', currency: 'RUB', sku: first.products[0]!.offer_id },
      { kind: 'service:Логистика', amount: '-10', currency: 'RUB', sku: null },
      { kind: 'service:accrual type 999', amount: '1.25', currency: 'RUB', sku: null },
    ],
    'a charge is positive, a refund negative, an unnamed type by its id',
  );
  t.equal(fake.count(ozonPaths.accrualPostings), 1 + 2, 'one read of one number, then 250 in two reads');
  t.equal(before.size, 1);
  t.same(
    fake.requests.slice(listed).filter((r) => r.path !== ozonPaths.accrualPostings && r.path !== ozonPaths.accrualTypes),
    [],
    'the commissions came from the listing, not from reads by number',
  );
  t.equal(fake.count(ozonPaths.accrualTypes), 1, 'the type names are read once and kept');

  const fresh = source();
  const unread = await fresh.chargesOf!([postings[5]!.posting_number], signal());
  t.equal(unread.get(postings[5]!.posting_number)?.length, postings[5]!.products.length, 'without a listing, the posting is read by number');
});

t.test('service charges can be left out or narrowed, and a refused accruals API says what to change', async (t) => {
  const { fake, config } = await setup(t);
  const [posting] = makePostings(1, { seed: 31, statuses: ['delivered'] });
  fake.add(posting!);
  const off = createOzonConnector({ ...config, serviceCharges: { ...config.serviceCharges, enabled: false } }, connectorContext('ozon').context).source!;
  t.same(
    (await off.chargesOf!([posting!.posting_number], signal())).get(posting!.posting_number)?.map((f) => f.kind),
    posting!.products.map(() => 'commission'),
  );
  t.equal(fake.count(ozonPaths.accrualPostings), 0);
  const narrowed = createOzonConnector({ ...config, serviceCharges: { ...config.serviceCharges, excludeTypes: [accrualTypeIds.acquiring] } }, connectorContext('ozon').context).source!;
  const kinds = (await narrowed.chargesOf!([posting!.posting_number], signal())).get(posting!.posting_number)?.map((f) => f.kind) ?? [];
  t.ok(kinds.includes('service:Последняя миля') && !kinds.includes('service:Эквайринг'), 'an excluded type is not counted');

  const refusing = await setup(t, {}, { paths: { accrualPostings: '/v1/finance/accrual/nowhere' } });
  refusing.fake.add(posting!);
  const error = await failure(refusing.source().chargesOf!([posting!.posting_number], signal()));
  t.match(error, { kind: 'permanent', code: 'OZON_ACCRUALS_REFUSED', message: /serviceCharges\.enabled/ });
});
