import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ensureBinding, listBindings, markBindingExported } from '../../src/store/bindings.js';
import { migrate, openDatabase } from '../../src/store/db.js';
import { listJobs } from '../../src/store/jobs.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { createPath, statusPath } from '../../src/sandbox/ysell/server.js';
import { confirmedOrders, orderNames } from '../helpers/orders.js';
import { serve, whenLogged } from '../helpers/service.js';

const ORDERS = 150;
const KILLS = 22;
const LATENCY_MS = 20;

t.test(`the status check and picking creation survive ${KILLS} SIGKILLs at random moments: one picking per delivered order`, async (t) => {
  const started = Date.now();
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const ids = confirmedOrders(odoo, ORDERS);
  const names = orderNames(odoo, ids);
  const dir = mkdtempSync(join(tmpdir(), 'ob-chaos-delivery-'));
  const config = writeProcessConfig(dir, odoo, ysell, {
    log: { level: 'debug' },
    worker: { concurrency: 2, lease: '1s', idlePoll: '100ms', backoffBase: '50ms', backoffMax: '500ms', maxAttempts: 100 },
    routes: [{ name: 'r', from: 'odoo', to: 'ysell', poll: false, statusCheck: { every: '1s' } }],
  });

  // Sent orders, set up directly (the export has its own chaos test): in Ysell over its API, bound in our store.
  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'store.sqlite') });
  t.teardown(() => db.destroy());
  await migrate(db);
  const ysellIds = new Map<number, number>();
  for (const id of ids) {
    const response = await fetch(`${ysell.url}${createPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ysell.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ order_num: names.get(id), recipient: { name: 'A' }, address: { street: 'S', city: 'C', country: 'BE' }, items: [{ p_id: 10045, qty: 1 }] }),
    });
    const ysellId = ((await response.json()) as { id: number }).id;
    ysellIds.set(id, ysellId);
    await ensureBinding(db, { route: 'r', sourceId: String(id), sourceNumber: names.get(id)! }, Date.now());
    await markBindingExported(db, 'r', String(id), { sourceNumber: names.get(id)!, destinationId: String(ysellId), destinationStatus: 'New' }, Date.now());
  }

  // Every other life is killed as a picking create arrives: Odoo creates it, we never hear back.
  let pickingCreateArrived: (() => void) | null = null;
  let inWindow = 0;
  odoo.inject(
    { kind: 'reset-after-apply' },
    {
      match: (call) => {
        if (call.model !== 'stock.picking' || call.modelMethod !== 'create' || pickingCreateArrived === null) return false;
        pickingCreateArrived();
        return true;
      },
    },
  );

  // Every call the fault above leaves alone takes 20 ms: the work then lasts about as long as the lives do, however fast the machine.
  // The status reads are timed too, to count the kills that interrupted a status check.
  let lastStatusRead = 0;
  ysell.inject(
    { kind: 'delay', ms: LATENCY_MS },
    {
      share: 1,
      match: (req) => {
        if (req.path === statusPath) lastStatusRead = Date.now();
        return true;
      },
    },
  );
  odoo.inject({ kind: 'delay', ms: LATENCY_MS });
  let duringCheck = 0;

  // Orders are delivered in waves, one before each life, so that the kills find status checks running too.
  const waves = KILLS + 1;
  const delivered = (life: number) => ids.slice(Math.floor(((life - 1) * ORDERS) / waves), Math.floor((life * ORDERS) / waves));
  for (let life = 1; life <= KILLS; life++) {
    for (const id of delivered(life)) ysell.deliver(ysellIds.get(id)!);
    const service = serve(config);
    let checkFinished = 0;
    service.onLine((line) => {
      if (line.includes('"msg":"status check finished"')) checkFinished = Date.now();
    });
    await service.logged(/"msg":"order-bridge is serving"/);
    const lifeStarted = Date.now();
    const window = life % 2 === 0;
    await new Promise<void>((resolve) => {
      if (window) pickingCreateArrived = () => {
        inWindow += 1;
        resolve();
      };
      setTimeout(resolve, window ? 3000 : Math.random() * 1200);
    });
    pickingCreateArrived = null;
    service.child.kill('SIGKILL');
    await service.exited;
    if (lastStatusRead > lifeStarted && lastStatusRead > checkFinished) duringCheck += 1;
  }
  t.ok(inWindow >= 5, `${inWindow} of ${KILLS} kills fell between Odoo's picking create and our commit`);
  const pickings = () => odoo.records('stock.picking').filter((p) => String(p['note'] ?? '').includes('order-bridge:r:'));
  t.ok(pickings().length < ORDERS, `the kills interrupted the work (${pickings().length} of ${ORDERS} pickings by then)`);

  for (const id of delivered(waves)) ysell.deliver(ysellIds.get(id)!);
  const last = serve(config);
  t.teardown(() => last.child.kill('SIGKILL'));
  await whenLogged([last], /"msg":"job (done|dead)"/, async () => {
    const bindings = await listBindings(db, { limit: ORDERS + 1 });
    return bindings.every((b) => b.stage === 'finished');
  });
  last.child.kill('SIGTERM');
  t.equal(await last.exited, 0);
  t.comment(`${KILLS} kills, ${inWindow} in the picking window, ${duringCheck} during a status check, ${Math.round((Date.now() - started) / 1000)} s`);

  const byOrigin = new Map<string, number[]>();
  for (const picking of pickings()) byOrigin.set(String(picking['origin']), [...(byOrigin.get(String(picking['origin'])) ?? []), picking['id'] as number]);
  t.same([...byOrigin.entries()].filter(([, found]) => found.length !== 1), [], 'no order has two pickings');
  t.equal(byOrigin.size, ORDERS, 'every delivered order has its picking');
  const bindings = await listBindings(db, { limit: ORDERS + 1 });
  t.same(
    bindings.filter((b) => b.feedbackRef !== `stock.picking:${byOrigin.get(b.sourceNumber ?? '')?.[0]}`),
    [],
    'each binding names the picking of its own order',
  );
  const jobs = await listJobs(db, { limit: ORDERS + 1 });
  t.equal(jobs.length, ORDERS, 'one delivered job per order, though statuses were read again after kills');
  t.same(jobs.filter((j) => j.state !== 'done'), [], 'no job pending, running or dead');
});
