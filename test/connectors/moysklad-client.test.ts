import t, { type Test } from 'tap';
import { maxUrlBytes, MoySkladClient } from '../../src/connectors/moysklad/client.js';
import { moyskladConfigSchema, requestWeight } from '../../src/connectors/moysklad/config.js';
import { createMoySkladConnector } from '../../src/connectors/moysklad/connector.js';
import { documentSchema } from '../../src/connectors/moysklad/schemas.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import type { Order } from '../../src/core/order.js';
import { connectorContext } from '../helpers/context.js';
import { startMoySkladFake, type MoySkladFakeOptions } from '../../src/sandbox/moysklad/server.js';

async function setup(t: Test, fakeOptions: MoySkladFakeOptions = {}, settings: Record<string, unknown> = {}) {
  const fake = await startMoySkladFake({ tokenKind: 'solution', ...fakeOptions });
  t.teardown(() => fake.close());
  const config = moyskladConfigSchema.parse({ baseUrl: fake.url, token: fake.token, tokenKind: fake.tokenKind, ...fake.ids, timeout: '5s', ...settings });
  const exchanges: ExchangeEntry[] = [];
  const client = new MoySkladClient({ config, exchanges: (e) => exchanges.push(e) });
  return { fake, config, client, exchanges };
}

function order(number: string, article: string): Order {
  const party = { sourceId: null, name: 'Ozon buyer', company: null, email: null, phone: null, address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } };
  return {
    source: { connector: 'ozon', id: number },
    number,
    createdAt: new Date().toISOString(),
    status: { raw: 'awaiting_packaging', normalized: 'confirmed' },
    currency: 'RUB',
    customer: party,
    recipient: party,
    comment: null,
    lines: [{ sourceLineId: null, sku: article, name: article, quantity: 1, unitPrice: '100', discount: '0', taxRate: null, sourceProductId: null, destinationProductId: null, unitOfMeasure: null, serials: [] }],
    prices: 'gross',
    discounts: [],
    surcharges: [],
    tax: null,
    total: '100',
    fees: [],
    refs: {},
  };
}

t.test('every call asks for gzip and carries the bearer token; a wrong token is a permanent error that says what to fix', async (t) => {
  const { fake, client } = await setup(t);
  await client.findOpenShifts(fake.ids.retailStore);
  t.equal(fake.requests[0]?.headers['accept-encoding'], 'gzip', 'without it MoySklad answers 415 and does nothing');
  t.equal(fake.requests[0]?.headers['authorization'], `Bearer ${fake.token}`);

  const wrong = new MoySkladClient({ config: moyskladConfigSchema.parse({ baseUrl: fake.url, token: 'not-the-token', ...fake.ids }) });
  await t.rejects(wrong.findOpenShifts(fake.ids.retailStore), { kind: 'permanent', code: 'MOYSKLAD_UNAUTHORIZED', message: /1056.*check the moysklad connection's token/ });
});

t.test('a stand-in with less budget than configured: the budget follows the server and nothing is lost', async (t) => {
  // Someone else spends from the same budget, so the server runs out long before our count says it should.
  const { fake, client } = await setup(t, { budget: 6, windowMs: 300 }, { budget: { units: 45, window: '300ms' } });
  const codes = Array.from({ length: 30 }, (_, i) => `X-${i}`);
  const results = await Promise.all(codes.map((code) => client.findDemandsByExternalCode([code])));
  t.equal(results.length, 30, 'every request answered');
  t.equal(client.budget.stats.rejected, fake.stats.rejected429, 'each refusal the server sent was counted and waited out');
  t.ok(fake.stats.rejected429 <= 5, `X-RateLimit-Remaining keeps us inside the server's budget (${fake.stats.rejected429} refusals for 30 requests)`);
});

t.test('a 429 is waited out as MoySklad says (X-Lognex-Retry-After), then the request goes again', async (t) => {
  const { fake, client } = await setup(t);
  fake.inject({ kind: 'status', status: 429, retryAfterMs: 150 }, { times: 1 });
  const started = Date.now();
  t.same(await client.findDemandsByExternalCode(['A-1']), []);
  t.ok(Date.now() - started >= 150, 'waited as told');
  t.equal(client.budget.stats.rejected, 1);
  t.equal(fake.requests.filter((r) => r.status === 429).length, 1);
});

t.test('a 429 as an HTML page (from a proxy) is still a rate refusal', async (t) => {
  const { fake, client } = await setup(t);
  fake.inject({ kind: 'html-429' }, { times: 1 });
  const rows = await client.findDemandsByExternalCode(['A-1']);
  t.same(rows, []);
  t.equal(client.budget.stats.rejected, 1);
});

t.test('a read that meets a 5xx is repeated; a bulk save is not repeated blindly', async (t) => {
  const { fake, client, exchanges } = await setup(t);
  fake.inject({ kind: 'status', status: 503 }, { times: 1, match: (r) => r.method === 'GET' });
  t.same(await client.findDemandsByExternalCode(['A-1']), []);
  t.equal(exchanges.filter((e) => e.httpStatus === 503).length, 1, 'the failure is in the exchange log');

  fake.inject({ kind: 'status', status: 500 }, { times: 1, match: (r) => r.method === 'POST' });
  await t.rejects(client.saveDemands([{ name: 'x' }]), { kind: 'retryable', code: 'HTTP_500' });
  t.equal(fake.requests.filter((r) => r.method === 'POST').length, 1, 'one POST: the job looks up before trying again');
});

t.test('a bulk save answers per element: the good ones are saved, the bad one carries its own error', async (t) => {
  const { fake, config } = await setup(t);
  fake.addProduct({ article: 'GOOD' });
  const { context } = connectorContext('moysklad');
  const connector = createMoySkladConnector(config, context);
  const destination = connector.destination!;
  const [a, b] = await Promise.allSettled([destination.create(order('P-1', 'GOOD'), AbortSignal.timeout(5000)), destination.create(order('P-2', 'GONE'), AbortSignal.timeout(5000))]);
  t.equal(a.status, 'fulfilled');
  t.match(b, { status: 'rejected', reason: { code: 'UNKNOWN_ARTICLE', kind: 'permanent' } });
  t.equal(fake.demands().length, 1);
  const found = await destination.find(order('P-1', 'A'), AbortSignal.timeout(5000));
  t.equal(found?.id, a.status === 'fulfilled' ? a.value.id : undefined, 'the look-up finds the saved sale by externalCode');
  t.equal(await destination.find(order('P-2', 'A'), AbortSignal.timeout(5000)), null);
  t.equal(fake.shifts().length, 1, 'a shift was opened for the sale');
});

t.test('a repeated create of the same order returns the first sale (syncId), even without a look-up', async (t) => {
  const { fake, config } = await setup(t);
  fake.addProduct({ article: 'GOOD' });
  const destination = createMoySkladConnector(config, connectorContext('moysklad').context).destination!;
  const first = await destination.create(order('P-9', 'GOOD'), AbortSignal.timeout(5000));
  const second = await destination.create(order('P-9', 'GOOD'), AbortSignal.timeout(5000));
  t.equal(second.id, first.id);
  t.equal(fake.demands().length, 1);
});

t.test('a sale with our external code that this connection did not create (another syncId) is a FOREIGN_ORDER, never bound', async (t) => {
  const { fake, config } = await setup(t);
  fake.addProduct({ article: 'GOOD' });
  const other = createMoySkladConnector(config, connectorContext('another-moysklad').context).destination!;
  await other.create(order('P-7', 'GOOD'), AbortSignal.timeout(5000));
  const destination = createMoySkladConnector(config, connectorContext('moysklad').context).destination!;
  const err = await destination.find(order('P-7', 'GOOD'), AbortSignal.timeout(5000)).then(
    () => null,
    (e: unknown) => e,
  );
  t.match(err, { kind: 'permanent', code: 'FOREIGN_ORDER', message: /external code P-7 .*did not create for this connection/ });
  t.equal(fake.demands().length, 1, 'nothing created');
  const mine = await destination.create(order('P-8', 'GOOD'), AbortSignal.timeout(5000));
  t.match(await destination.find(order('P-8', 'GOOD'), AbortSignal.timeout(5000)), { id: mine.id });
});

t.test('with autoOpen off, a sale waits for a shift instead of opening one', async (t) => {
  const { fake, config } = await setup(t, {}, { retailShift: { autoOpen: false } });
  fake.addProduct({ article: 'GOOD' });
  const destination = createMoySkladConnector(config, connectorContext('moysklad').context).destination!;
  await t.rejects(destination.create(order('P-3', 'GOOD'), AbortSignal.timeout(5000)), { kind: 'retryable', code: 'NO_OPEN_SHIFT', message: /moysklad shift open/ });
  t.equal(fake.shifts().length, 0);
  await destination.session!.open(AbortSignal.timeout(5000));
  await destination.create(order('P-3', 'GOOD'), AbortSignal.timeout(5000));
  t.equal(fake.demands().length, 1);
});

t.test('a shift closed by a person in MoySklad: the sale is retried into a new shift, not lost', async (t) => {
  const { fake, config, client } = await setup(t);
  fake.addProduct({ article: 'GOOD' });
  const destination = createMoySkladConnector(config, connectorContext('moysklad').context).destination!;
  await destination.create(order('P-4', 'GOOD'), AbortSignal.timeout(5000));
  const [shift] = fake.shifts();
  await client.closeShift(String(shift?.['id']), '2099-01-01 00:00:00');
  await t.rejects(destination.create(order('P-5', 'GOOD'), AbortSignal.timeout(5000)), { kind: 'retryable', code: 'SHIFT_CLOSED' });
  await destination.create(order('P-5', 'GOOD'), AbortSignal.timeout(5000));
  t.equal(fake.shifts().length, 2, 'a second shift was opened');
  const lastSale = fake.demands().find((d) => d['externalCode'] === 'P-5');
  t.match((lastSale?.['retailShift'] as { meta: { href: string } }).meta.href, String(fake.shifts()[1]?.['id']));
});

t.test('list pages through every row', async (t) => {
  const { fake, client } = await setup(t);
  for (let i = 0; i < 25; i++) fake.addProduct({ article: `A-${i}` });
  const pages: number[] = [];
  for await (const rows of client.list(documentSchema, '/entity/product', { limit: 10 })) pages.push(rows.length);
  t.same(pages, [10, 10, 5]);
});

t.test('look-ups are split by the length of their URL, so none passes MoySklad\'s 8 KB header limit', async (t) => {
  const { fake, client, config } = await setup(t);
  const productId = fake.addProduct({ article: 'GOOD' });
  const destination = createMoySkladConnector(config, connectorContext('moysklad').context).destination!;
  const shift = await destination.session!.open(AbortSignal.timeout(5000));
  const stored = Array.from({ length: 400 }, (_, i) => `${String(40_000_000 + i * 7)}-${String(1000 + i).padStart(4, '0')}-1`);
  const saved = await client.saveDemands(
    stored.map((externalCode) => ({
      externalCode,
      moment: '2099-01-01 00:00:00',
      retailShift: client.meta('retailshift', shift.id),
      positions: [{ quantity: 1, price: 100, assortment: client.meta('product', productId) }],
    })),
  );
  t.equal(saved.filter((s) => !Array.isArray(s)).length, 400);
  const before = fake.requests.length;
  const wanted = [...stored, ...Array.from({ length: 600 }, (_, i) => `${String(70_000_000 + i)}-0001-1`)];
  const found = await client.findDemandsByExternalCode(wanted);
  t.same(new Set(found.map((d) => d.externalCode)), new Set(stored), 'every stored sale found among 1000 numbers');
  const lookups = fake.requests.slice(before);
  t.ok(lookups.length >= 4, `${lookups.length} look-ups for 1000 numbers`);
  t.equal(fake.stats.rejected414, 0, 'none refused for its length');
  const longest = Math.max(...lookups.map((r) => Buffer.byteLength(`${fake.url.replace(/\/api\/remap\/1\.2$/, '')}${r.path}?${new URLSearchParams(r.query).toString()}`)));
  t.ok(longest <= maxUrlBytes, `the longest URL is ${longest} bytes`);
  t.ok(longest > maxUrlBytes * 0.8, 'and the look-ups are filled, not split by a small count');

  const odd = await client.saveDemands([
    { externalCode: 'MX;7', moment: '2099-01-01 00:00:00', retailShift: client.meta('retailshift', shift.id), positions: [{ quantity: 1, price: 100, assortment: client.meta('product', productId) }] },
  ]);
  t.equal(odd.length, 1);
  t.same((await client.findDemandsByExternalCode(['MX;7', 'MX'])).map((d) => d.externalCode), ['MX;7'], 'a ";" in a number is escaped, not taken for the next condition');

  const long = Array.from({ length: 60 }, (_, i) => `marketsync:mercado-libre:${'ПОСТАВКА-'.repeat(6)}${i}`);
  await client.findDemandsByExternalCode(long);
  t.equal(fake.stats.rejected414, 0, 'long numbers in Cyrillic (encoded to many bytes) are split by their encoded length');
});

t.test('with a user token (4 units a request today), a burst of look-ups and creates meets no 429', async (t) => {
  const day = new Date('2026-12-02T12:00:00Z');
  const { fake, config } = await setup(t, { tokenKind: 'user', now: () => day }, { batch: { size: 20, wait: '10ms' } });
  t.equal(requestWeight(config, day), 4, 'the connection weighs its requests as MoySklad does today');
  fake.addProduct({ article: 'GOOD' });
  const destination = createMoySkladConnector({ ...config, requestWeight: 4 }, connectorContext('moysklad').context).destination!;
  const orders = Array.from({ length: 200 }, (_, i) => order(`U-${i}`, 'GOOD'));
  await Promise.all(orders.map((o) => destination.find(o, AbortSignal.timeout(30_000))));
  await Promise.all(orders.map((o) => destination.create(o, AbortSignal.timeout(30_000))));
  t.equal(fake.demands().length, 200);
  t.ok(fake.stats.requests * 4 > 45, `${fake.stats.requests} requests of 4 units: more than one window's budget`);
  t.equal(fake.stats.rejected429, 0);
});
