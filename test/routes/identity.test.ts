import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/cli/logger.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import { getBinding } from '../../src/store/bindings.js';
import { listJobs, retryDeadJob } from '../../src/store/jobs.js';
import { settle } from '../helpers/settle.js';
import { startMarketsyncFake, type MarketsyncFake } from '../../src/sandbox/marketsync/server.js';
import { startSaleAppFake, type SaleAppFake } from '../../src/sandbox/saleapp/server.js';

/*
 * Identity over real HTTP, through the export job: Marketsync orders of two marketplaces sharing one
 * number, and a Marketsync destination whose read-back does not see a new order at once.
 */

const ROUTE_MS = 'marketsync-to-marketsync';
const ROUTE_SA = 'marketsync-to-saleapp';

interface Harness {
  source: MarketsyncFake;
  destination: MarketsyncFake;
  saleapp: SaleAppFake;
  app: App;
}

async function setup(t: Test, worker: Record<string, unknown> = {}): Promise<Harness> {
  const source = await startMarketsyncFake();
  const destination = await startMarketsyncFake();
  const saleapp = await startSaleAppFake({
    keys: [{ secretKey: 'saleapp-key-identity', kind: 'organization' }],
    products: [
      { id: 1, name: 'Taza', sku: 'MX-TAZA', price: 100 },
      { id: 2, name: 'Té', sku: 'MX-TE', price: 50 },
    ],
  });
  t.teardown(async () => {
    await source.close();
    await destination.close();
    await saleapp.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'ob-identity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    {
      database: { client: 'sqlite', filename: join(dir, 'store.sqlite') },
      log: { level: 'silent' },
      http: { host: '127.0.0.1', port: 0 },
      worker: { concurrency: 2, idlePoll: '50ms', backoffBase: '20ms', backoffMax: '100ms', ...worker },
      connections: {
        'ms-source': { type: 'marketsync', baseUrl: source.url, token: source.token, privateKey: source.privateKey, timeout: '5s' },
        'ms-destination': { type: 'marketsync', baseUrl: destination.url, token: destination.token, privateKey: destination.privateKey, timeout: '5s' },
        saleapp: {
          type: 'saleapp',
          baseUrl: saleapp.baseUrl,
          secretKey: 'saleapp-key-identity',
          clientId: 50,
          currencyId: 6,
          currency: 'UAH',
          currencies: { MXN: 9 },
          warehouseId: 7,
          delivery: { type: 1 },
          timeout: '5s',
        },
      },
      routes: [
        { name: ROUTE_MS, from: 'ms-source', to: 'ms-destination', poll: { every: '1h', lookback: '1h' }, statusCheck: false },
        { name: ROUTE_SA, from: 'ms-source', to: 'saleapp', poll: { every: '1h', lookback: '1h' }, statusCheck: false },
      ],
    },
    builtinConnectors(),
    {},
  );
  const app = await createApp({ config, registry: builtinConnectors(), logger: createLogger('silent') });
  t.teardown(() => app.stop(2000));
  await app.start();
  return { source, destination, saleapp, app };
}

const posts = (fake: MarketsyncFake): number => fake.requests.filter((r) => r.method === 'POST').length;

t.test('two marketplaces using one order number: two orders at each destination, none lost, none bound to the other', async (t) => {
  const { source, destination, saleapp, app } = await setup(t);
  source.addOrder({ referencia: '1001', market_id: 1, estatus: 'Pendiente', items: [{ sku: 'MX-TAZA', cantidad: 1, precio: 100 }] });
  source.addOrder({ referencia: '1001', market_id: 4, estatus: 'paid', items: [{ sku: 'MX-TE', cantidad: 2, precio: 50 }] });

  t.match(await app.pollNow(ROUTE_MS), { queued: 2 });
  t.match(await app.pollNow(ROUTE_SA), { queued: 2 });
  await settle(app);
  t.same(await listJobs(app.db, { state: 'dead' }), [], 'no job failed');

  t.same(destination.orders().map((o) => o['referencia']).sort(), ['1-1001', '4-1001'], 'each under its marketplace-qualified number');
  t.same(destination.orders().map((o) => o['total']), ['116.00', '116.00']);
  t.same(saleapp.orders().map((o) => o.externalId).sort(), ['1-1001', '4-1001']);
  t.same(saleapp.orders().map((o) => o.currencyId), ['9', '9'], 'pesos booked in the SaleApp currency mapped for MXN');

  // Everything again from the start: recognised, nothing created twice.
  await app.db('cursors').del();
  await app.db('bindings').del();
  await app.db('jobs').del();
  await app.pollNow(ROUTE_MS);
  await app.pollNow(ROUTE_SA);
  await settle(app);
  t.equal(destination.orders().length, 2);
  t.equal(saleapp.orders().length, 2);
  t.equal(posts(destination), 2);
});

t.test('a read-back that misses once: the id the create returned is kept, the next attempt reads it back, nothing is posted again', async (t) => {
  const { source, destination, app } = await setup(t);
  destination.readLag(1);
  const added = source.addOrder({ referencia: 'R-1', market_id: 1, items: [{ sku: 'MX-TAZA', cantidad: 1, precio: 100 }] });
  await app.pollNow(ROUTE_MS);
  await settle(app);

  t.equal(posts(destination), 1, 'posted once');
  t.equal(destination.orders().length, 1);
  const binding = await getBinding(app.db, ROUTE_MS, String(added['id']));
  t.match(binding, { stage: 'exported', destinationId: '500001', sourceNumber: '1-R-1' });
  const [job] = await listJobs(app.db, { route: ROUTE_MS });
  t.match(job, { state: 'done', attempts: 2 }, 'the first attempt met the miss, the second read the order back');
  const readBacks = destination.requests.filter((r) => r.method === 'GET' && r.query['ids'] === '500001');
  t.equal(readBacks.length, 3, 'read back by id: the miss, then the order and the empty page that ends the list');
});

t.test('a read-back that keeps missing ends the job with the kept id; a replay reads back and never posts again', async (t) => {
  const { source, destination, app } = await setup(t, { maxAttempts: 2 });
  destination.readLag(2);
  const added = source.addOrder({ referencia: 'R-2', market_id: 1, items: [{ sku: 'MX-TAZA', cantidad: 1, precio: 100 }] });
  const sourceId = String(added['id']);
  await app.pollNow(ROUTE_MS);
  await settle(app);

  const [dead] = await listJobs(app.db, { state: 'dead' });
  t.match(dead, { route: ROUTE_MS, sourceId, lastError: /answered the create of order 1-R-2 with id 500001, but does not show an order with that id; it is read again by that id, never created a second time/ });
  t.match(await getBinding(app.db, ROUTE_MS, sourceId), { stage: 'created', destinationId: '500001' }, 'the id stays on the binding');
  t.equal(posts(destination), 1);

  t.ok(await retryDeadJob(app.db, dead!.id, Date.now()));
  await settle(app);
  t.match(await getBinding(app.db, ROUTE_MS, sourceId), { stage: 'exported', destinationId: '500001' });
  t.equal(posts(destination), 1, 'the replay read the order back instead of posting it again');
  t.equal(destination.orders().length, 1);
});
