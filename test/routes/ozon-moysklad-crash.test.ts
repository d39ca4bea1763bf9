import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/store/db.js';
import { listBindings } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';
import { serve, whenLogged } from '../helpers/service.js';
import { OZON_ROUTE, startOzonMoySkladStandIns } from '../../src/sandbox/ozon-moysklad.js';

t.test('killed in the middle of a batch and restarted, the service ends with exactly one sale per posting', async (t) => {
  const standIns = await startOzonMoySkladStandIns({ moyskladSettings: { batch: { size: 40, wait: '20ms' } } });
  t.teardown(standIns.close);
  const numbers = standIns.addPostings(120);

  const dir = mkdtempSync(join(tmpdir(), 'ob-ozon-crash-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      database: { client: 'sqlite', filename: join(dir, 'store.sqlite') },
      http: { host: '127.0.0.1', port: 0 },
      // "job done" is a debug line: it tells the test when to look at the queue.
      log: { level: 'debug' },
      worker: { concurrency: 40, lease: '1s', idlePoll: '100ms', backoffBase: '50ms', backoffMax: '500ms' },
      connections: standIns.connections,
      routes: [standIns.route],
    }),
  );

  // Kill the service while MoySklad is saving the second batch: part of it saved, none of it known to us.
  let created = 0;
  let killAt!: () => void;
  const midBatch = new Promise<void>((resolve) => (killAt = resolve));
  standIns.moysklad.onCreate(() => {
    created += 1;
    if (created === 50) killAt();
  });
  const first = serve(config);
  await midBatch;
  first.child.kill('SIGKILL');
  await first.exited;
  const savedBeforeRestart = standIns.moysklad.demands().length;
  t.ok(savedBeforeRestart >= 50 && savedBeforeRestart < 120, `the crash left a partial export (${savedBeforeRestart} of 120)`);

  const second = serve(config);
  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'store.sqlite') });
  t.teardown(() => db.destroy());
  await whenLogged([second], /"msg":"job (done|dead)"/, async () => (await listJobs(db, { route: OZON_ROUTE, limit: 1000 })).every((j) => j.state === 'done'));
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0, 'SIGTERM shuts down cleanly');

  const demands = standIns.moysklad.demands();
  t.equal(demands.length, 120, 'exactly one sale per posting');
  t.same(new Set(demands.map((d) => d['externalCode'])), new Set(numbers));
  const jobs = await listJobs(db, { route: OZON_ROUTE, limit: 1000 });
  t.equal(jobs.length, 120);
  t.ok(jobs.every((j) => j.state === 'done'), 'no job stuck');
  const bindings = await listBindings(db, { route: OZON_ROUTE, limit: 1000 });
  t.equal(bindings.filter((b) => b.stage === 'exported').length, 120, 'every posting bound to its sale');
  const ids = new Set(demands.map((d) => d['id']));
  t.ok(bindings.every((b) => b.destinationId !== null && ids.has(b.destinationId)), 'each binding points at a sale that exists');
});
