import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { listBindings } from '../../src/store/bindings.js';
import { countJobsByState, listJobs } from '../../src/store/jobs.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { createPath } from '../../src/sandbox/ysell/server.js';
import { backends } from '../helpers/db.js';
import { confirmedOrders, orderNames } from '../helpers/orders.js';
import { serve, whenLogged } from '../helpers/service.js';

const exported = /"msg":"order exported"/;
const polled = /"msg":"poll finished"/;

if (process.env['TEST_DATABASE_URL'] === undefined) {
  t.comment('two replicas need PostgreSQL: only the one-replica SQLite run here; set TEST_DATABASE_URL (CI does) for the two-replica run');
}

for (const backend of backends()) {
  // Two processes on one SQLite file would work but is not a supported set-up: replicas mean PostgreSQL.
  const replicas = backend.name === 'postgres' ? 2 : 1;
  // The 2,000 for the replicas; a quarter on SQLite, whose 2,000 bench/replicas measures.
  const ORDERS = replicas === 2 ? 2000 : 500;
  t.test(`${backend.name}, ${replicas} replica(s): ${ORDERS} confirmed orders are each created once in Ysell, bound, and every job is done`, async (t) => {
    const { db, config: database } = await backend.open(t);
    const { odoo, ysell, close } = await startStandIns();
    t.teardown(close);
    const ids = confirmedOrders(odoo, ORDERS);
    const names = orderNames(odoo, ids);

    const config = writeProcessConfig(mkdtempSync(join(tmpdir(), 'ob-replicas-')), odoo, ysell, {
      database,
      log: { level: 'debug' },
      worker: { concurrency: 8, lease: '10s', idlePoll: '200ms' },
    });
    const started = Date.now();
    const services = Array.from({ length: replicas }, () => serve(config, { countPatterns: [exported, polled] }));
    t.teardown(() => {
      for (const service of services) service.child.kill('SIGKILL');
    });
    // The poll may still be reading when the last job ends: our write-back moved those orders' write_date.
    const pollDone = Promise.race(services.map((s) => s.logged(polled)));
    await whenLogged(services, /"msg":"job done"/, async () => (await countJobsByState(db)).done === ORDERS);
    const exportSeconds = (Date.now() - started) / 1000;
    await pollDone;
    t.comment(`${ORDERS} orders exported by ${replicas} replica(s) in ${exportSeconds.toFixed(1)} s, counting their start`);

    for (const service of services) service.child.kill('SIGTERM');
    t.same(await Promise.all(services.map((s) => s.exited)), services.map(() => 0), 'every replica stops cleanly on SIGTERM');

    const created = ysell.orders();
    t.equal(created.length, ORDERS, 'every order is in Ysell');
    t.equal(new Set(created.map((o) => o.order_num)).size, ORDERS, 'none twice');
    t.equal(ysell.requests.filter((r) => r.path === createPath).length, ORDERS, 'one create request per order');
    const ysellIdByNumber = new Map(created.map((o) => [o.order_num, String(o.id)]));

    const bindings = await listBindings(db, { limit: ORDERS + 1 });
    t.equal(bindings.length, ORDERS);
    const inconsistent = bindings.filter(
      (b) =>
        b.stage !== 'exported' ||
        b.sourceNumber !== names.get(Number(b.sourceId)) ||
        b.destinationId !== ysellIdByNumber.get(b.sourceNumber ?? '') ||
        odoo.record('sale.order', Number(b.sourceId))?.['ysell_order_id'] !== b.destinationId,
    );
    t.same(inconsistent, [], 'each binding: exported, with the Ysell id of its own order, written back to Odoo');

    const jobs = await listJobs(db, { limit: ORDERS + 1 });
    t.equal(jobs.length, ORDERS);
    t.ok(jobs.every((j) => j.state === 'done'), 'every job is done');
    t.ok(jobs.every((j) => j.attempts === 1), 'no job was run twice');
    t.same(services.map((s) => s.count(polled)).sort(), [0, 1].slice(2 - replicas), 'one replica polled; the other found the run held or just done');
    const shares = services.map((s) => s.count(exported));
    t.equal(shares.reduce((a, b) => a + b, 0), ORDERS);
    t.ok(shares.every((n) => n > 0), `every replica exported orders (${shares.join(' + ')})`);
  });
}
