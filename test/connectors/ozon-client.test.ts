import t, { type Test } from 'tap';
import { OzonClient, type RawPosting } from '../../src/connectors/ozon/client.js';
import { ozonConfigSchema } from '../../src/connectors/ozon/config.js';
import { createOzonConnector } from '../../src/connectors/ozon/connector.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { connectorContext } from '../helpers/context.js';
import { failure } from '../helpers/failure.js';
import { makePostings } from '../../src/sandbox/ozon/postings.js';
import { startOzonFake, type OzonFakeOptions } from '../../src/sandbox/ozon/server.js';

const since = new Date('2026-11-01T00:00:00Z');
const until = new Date('2026-12-01T00:00:00Z');

async function setup(t: Test, fakeOptions: OzonFakeOptions = {}, settings: Record<string, unknown> = {}) {
  const fake = await startOzonFake(fakeOptions);
  t.teardown(() => fake.close());
  const config = ozonConfigSchema.parse({ baseUrl: fake.url, clientId: fake.clientId, apiKey: fake.apiKey, timeout: '2s', ...settings });
  const exchanges: ExchangeEntry[] = [];
  const client = new OzonClient({ config, exchanges: (e) => exchanges.push(e), retry: { attempts: 3, backoff: { baseMs: 5, maxMs: 20 } } });
  return { fake, config, client, exchanges };
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

t.test('every call carries Client-Id and Api-Key; a wrong key is a permanent error that says what to check', async (t) => {
  const { fake, config } = await setup(t);
  const wrong = new OzonClient({ config: { ...config, apiKey: 'not-the-key' } });
  const error = await failure(all(wrong.listPostings('fbs', since, until, 100)));
  t.match(error, { kind: 'permanent', code: 'OZON_UNAUTHORIZED', message: /clientId and apiKey/ });
  t.equal(fake.requests[0]?.headers['client-id'], fake.clientId);
});

t.test('FBS through v4 pages to the end with the cursor; v3 and FBO by offset', async (t) => {
  const { fake, client, config } = await setup(t);
  const fbs = makePostings(250, { seed: 3 });
  const fbo = makePostings(120, { seed: 4, scheme: 'fbo' });
  fake.addMany([...fbs, ...fbo]);
  const v4 = await all(client.listPostings('fbs', since, until, 100));
  t.equal(v4.pages, 3);
  t.same(new Set(v4.numbers), new Set(fbs.map((p) => p.posting_number)), 'every FBS posting once');
  t.equal(v4.numbers.length, 250);
  const v3 = await all(new OzonClient({ config: { ...config, fbsList: 'v3' } }).listPostings('fbs', since, until, 100));
  t.equal(v3.numbers.length, 250, 'the v3 fallback reads the same');
  const boxed = await all(client.listPostings('fbo', since, until, 50));
  t.equal(boxed.numbers.length, 120);
  t.equal(boxed.pages, 3, 'a short page ends the FBO list');
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

t.test('one posting by number, from either scheme; an unknown one is null', async (t) => {
  const { fake, config } = await setup(t);
  const [fbs] = makePostings(1, { seed: 6 });
  const [fbo] = makePostings(1, { seed: 7, scheme: 'fbo' });
  fake.addMany([fbs!, fbo!]);
  const source = createOzonConnector(config, connectorContext('ozon').context).source!;
  const found = await source.fetchOrders([fbs!.posting_number, fbo!.posting_number, '00000000-0000-9'], AbortSignal.timeout(5000));
  t.equal(found.get(fbs!.posting_number)?.number, fbs!.posting_number);
  t.match(found.get(fbo!.posting_number), { number: fbo!.posting_number });
  t.notOk(found.has('00000000-0000-9'));
});

t.test('statuses of the period, by posting number, for the reconciliation', async (t) => {
  const { fake, config } = await setup(t);
  const postings = makePostings(30, { seed: 8 });
  fake.addMany(postings);
  fake.setStatus(postings[0]!.posting_number, 'delivered');
  const source = createOzonConnector(config, connectorContext('ozon').context).source!;
  const statuses = await source.statusesSince!(since, AbortSignal.timeout(5000));
  t.equal(statuses.size, 30);
  t.equal(statuses.get(postings[0]!.posting_number), 'delivered');
});
