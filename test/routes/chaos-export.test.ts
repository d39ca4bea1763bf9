import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { listBindings } from '../../src/store/bindings.js';
import { migrate, openDatabase } from '../../src/store/db.js';
import { countJobsByState, listJobs } from '../../src/store/jobs.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { createPath } from '../../src/sandbox/ysell/server.js';
import { confirmedOrders, orderNames } from '../helpers/orders.js';
import { serve, whenLogged } from '../helpers/service.js';

const ORDERS = 150;
const KILLS = 22;
/** How long Ysell holds back the answer to a create it has done: the kill lands before we learn of it. */
const HELD_MS = 3000;
const LATENCY_MS = 20;

t.test(`the export survives ${KILLS} SIGKILLs at random moments: no duplicate, nothing missing, no job stuck`, async (t) => {
  const started = Date.now();
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const ids = confirmedOrders(odoo, ORDERS);
  const names = orderNames(odoo, ids);
  const dir = mkdtempSync(join(tmpdir(), 'ob-chaos-export-'));
  const config = writeProcessConfig(dir, odoo, ysell, {
    log: { level: 'debug' },
    worker: { concurrency: 2, lease: '1s', idlePoll: '100ms', backoffBase: '50ms', backoffMax: '500ms', maxAttempts: 100 },
    // Every life polls at once (a life killed mid-poll leaves the rest to the next one).
    routes: [{ name: 'r', from: 'odoo', to: 'ysell', poll: { every: '1s', overlap: '1s', since: '2000-01-01T00:00:00Z' }, statusCheck: false }],
  });

  // One create in six is done at once and answered late: a kill meanwhile falls between Ysell's create and our commit.
  let lastHeldCreate = 0;
  let heldCreateArrived: (() => void) | null = null;
  ysell.inject(
    { kind: 'late-answer', ms: HELD_MS },
    {
      times: Number.POSITIVE_INFINITY,
      match: (req) => {
        if (req.path !== createPath || Math.random() >= 1 / 6) return false;
        lastHeldCreate = Date.now();
        heldCreateArrived?.();
        return true;
      },
    },
  );

  // Every call the fault above leaves alone takes 20 ms: the export then lasts about as long as the lives do, however fast the machine.
  ysell.inject({ kind: 'delay', ms: LATENCY_MS }, { share: 1 });
  odoo.inject({ kind: 'delay', ms: LATENCY_MS });

  let inWindow = 0;
  let duringExport = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    const service = serve(config);
    await service.logged(/"msg":"order-bridge is serving"/);
    const lifeStarted = Date.now();
    const moment = new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 800));
    // Every other life waits for a held create instead (at most 1.5 s), so that many kills hit the window.
    const heldCreate = new Promise<void>((resolve) => {
      heldCreateArrived = resolve;
      setTimeout(resolve, 1500);
    });
    await (kill % 2 === 0 ? heldCreate : moment);
    if (ysell.orders().length < ORDERS) duringExport += 1;
    service.child.kill('SIGKILL');
    await service.exited;
    heldCreateArrived = null;
    if (lastHeldCreate >= lifeStarted && Date.now() - lastHeldCreate < HELD_MS) inWindow += 1;
  }
  t.ok(inWindow >= 5, `${inWindow} of ${KILLS} kills fell between a Ysell create and our commit`);
  t.equal(duringExport, KILLS, `every kill interrupted the export (${ysell.orders().length} of ${ORDERS} orders created by the last one)`);

  const last = serve(config);
  t.teardown(() => last.child.kill('SIGKILL'));
  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'store.sqlite') });
  t.teardown(() => db.destroy());
  await migrate(db);
  await whenLogged([last], /"msg":"job (done|dead)"/, async () => (await countJobsByState(db)).done === ORDERS);
  last.child.kill('SIGTERM');
  t.equal(await last.exited, 0);
  t.comment(`${KILLS} kills, ${inWindow} in the create window, ${Math.round((Date.now() - started) / 1000)} s`);

  const created = ysell.orders();
  t.equal(new Set(created.map((o) => o.order_num)).size, created.length, 'no order twice in Ysell');
  t.same(created.map((o) => o.order_num).sort(), [...names.values()].sort(), 'every order in Ysell');
  const ysellIdByNumber = new Map(created.map((o) => [o.order_num, String(o.id)]));
  const bindings = await listBindings(db, { limit: ORDERS + 1 });
  t.equal(bindings.length, ORDERS);
  t.same(
    bindings.filter((b) => b.stage !== 'exported' || b.destinationId !== ysellIdByNumber.get(names.get(Number(b.sourceId))!)),
    [],
    'each binding holds the Ysell id of its own order',
  );
  t.same(ids.filter((id) => odoo.record('sale.order', id)?.['ysell_order_id'] !== ysellIdByNumber.get(names.get(id)!)), [], 'and Odoo has it too');
  const jobs = await listJobs(db, { limit: ORDERS + 1 });
  t.same(jobs.filter((j) => j.state !== 'done'), [], 'no job pending, running or dead');
  t.ok(jobs.some((j) => j.attempts > 1), `jobs taken over from killed lives (${jobs.filter((j) => j.attempts > 1).length})`);
});
