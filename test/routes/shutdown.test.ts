import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { getBinding } from '../../src/store/bindings.js';
import { openDatabase } from '../../src/store/db.js';
import { listJobs } from '../../src/store/jobs.js';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { createPath } from '../../src/sandbox/ysell/server.js';
import { serve } from '../helpers/service.js';

const GRACE_MS = 1000;

t.test('on SIGTERM a job that outlasts the grace period is handed back, the process exits 0 in time, and the next start finishes it once', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const catalog = seedCatalog(odoo);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.chair, qty: 1, price: 120 }] });
  confirm(odoo, id);
  const dir = mkdtempSync(join(tmpdir(), 'ob-shutdown-'));
  const config = writeProcessConfig(dir, odoo, ysell, { shutdownGrace: `${GRACE_MS}ms`, worker: { lease: '1m', idlePoll: '100ms' } });

  // Ysell creates the order at once and keeps the answer: the job is still waiting when the signal comes.
  let createArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (createArrived = resolve));
  ysell.inject({ kind: 'late-answer', ms: 60_000 }, { match: (req) => req.path === createPath && (createArrived(), true) });

  const first = serve(config);
  await arrived;
  const signalled = Date.now();
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exit code 0');
  const took = Date.now() - signalled;
  t.ok(took < GRACE_MS + 2000, `stopped ${took} ms after SIGTERM (grace ${GRACE_MS} ms)`);

  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'store.sqlite') });
  t.teardown(() => db.destroy());
  const [job] = await listJobs(db);
  t.match(job, { state: 'pending', attempts: 0, leaseOwner: null, leaseUntil: null }, 'handed back at once, the interrupted attempt not counted');

  // With a lease of a minute, only a handed-back job can be done by the next start this soon.
  const second = serve(config);
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.logged(/"msg":"order was already at the destination"/);
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
  t.equal(ysell.orders().length, 1, 'one order in Ysell');
  t.equal((await getBinding(db, 'r', String(id)))?.destinationId, String(ysell.orders()[0]!.id));
});
