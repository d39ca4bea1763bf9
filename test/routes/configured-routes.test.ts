import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/cli/logger.js';
import { builtinConnectors } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import { listJobs } from '../../src/store/jobs.js';
import { BIZON_ROUTE, MARKETSYNC_ROUTE, startMoreStandIns } from '../../src/sandbox/more-routes.js';

t.test('routes no code was written for work by configuration alone: Bizon365 → SaleApp and Marketsync → MoySklad', async (t) => {
  const standIns = await startMoreStandIns();
  t.teardown(standIns.close);
  const paid = standIns.addBizonOrders(30);
  const references = standIns.addMarketsyncOrders(12);

  const dir = mkdtempSync(join(tmpdir(), 'ob-routes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    {
      database: { client: 'sqlite', filename: join(dir, 'store.sqlite') },
      log: { level: 'silent' },
      worker: { concurrency: 8, idlePoll: '50ms', backoffBase: '20ms', backoffMax: '200ms' },
      connections: standIns.connections,
      routes: standIns.routes,
    },
    builtinConnectors(),
    {},
  );
  const app = await createApp({ config, registry: builtinConnectors(), logger: createLogger('silent') });
  t.teardown(() => app.stop(2000));

  const bizonPoll = await app.pollNow(BIZON_ROUTE);
  const marketsyncPoll = await app.pollNow(MARKETSYNC_ROUTE);
  await app.engine.drain();
  t.equal(bizonPoll.queued, paid, 'the fully paid Bizon365 orders were queued (Bizon filters the others out)');
  t.equal(marketsyncPoll.queued, 12);

  const dead = await listJobs(app.db, { state: 'dead' });
  t.same(dead.map((j) => `${j.route} ${j.sourceId}: ${j.lastError}`), [], 'no job failed');

  const inSaleApp = standIns.saleapp.orders();
  t.equal(inSaleApp.length, paid, 'one SaleApp order per paid Bizon365 order');
  const bizonNumbers = new Set(standIns.bizon.orders().filter((o) => o['paid'] === true).map((o) => String(o['_id'])));
  t.same(new Set(inSaleApp.map((o) => o.externalId)), bizonNumbers, 'keyed by the Bizon365 order number');
  t.ok(inSaleApp.every((o) => o.currencyId === '8'), "Bizon's roubles booked in the SaleApp currency mapped for RUB");

  const sales = standIns.moysklad.demands();
  t.equal(sales.length, 12, 'one MoySklad retail sale per Marketsync order');
  t.same(new Set(sales.map((s) => s['externalCode'])), new Set(references));
  t.ok(sales.every((s) => typeof s['rate'] === 'object'), 'pesos booked in the MoySklad currency mapped for MXN');

  // Again from the start: everything is recognised, nothing is created twice.
  await app.db('cursors').where('name', 'like', 'poll:%').del();
  const again = [await app.pollNow(BIZON_ROUTE), await app.pollNow(MARKETSYNC_ROUTE)];
  await app.engine.drain();
  t.same(again.map((p) => p.queued), [0, 0]);
  t.equal(standIns.saleapp.orders().length, paid);
  t.equal(standIns.moysklad.demands().length, 12);
});
