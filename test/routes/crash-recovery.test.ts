import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/store/db.js';
import { listJobs } from '../../src/store/jobs.js';
import { getBinding } from '../../src/store/bindings.js';
import { serve } from '../helpers/service.js';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { createPath } from '../../src/sandbox/ysell/server.js';

t.test('killed between the Ysell create and our commit, a restarted service binds the order it created: one order', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const catalog = seedCatalog(odoo);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, id);

  const dir = mkdtempSync(join(tmpdir(), 'ob-crash-'));
  const config = writeProcessConfig(dir, odoo, ysell, { worker: { lease: '1s', idlePoll: '100ms' } });

  let createArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (createArrived = resolve));
  ysell.inject(
    { kind: 'late-answer', ms: 60_000 },
    {
      match: (req) => {
        if (req.path !== createPath) return false;
        createArrived();
        return true;
      },
    },
  );

  const first = serve(config);
  await arrived;
  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(ysell.orders().length, 1, 'Ysell created the order; we never heard back');

  const second = serve(config);
  await second.logged(/"msg":"order was already at the destination"/);
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0, 'SIGTERM shuts down cleanly');

  t.equal(ysell.orders().length, 1, 'still one order in Ysell');
  t.equal(ysell.requests.filter((r) => r.path === createPath).length, 1, 'no second create was sent');
  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'store.sqlite') });
  t.teardown(() => db.destroy());
  const [job] = await listJobs(db, { route: 'r' });
  t.equal(job?.state, 'done');
  t.equal(job?.attempts, 2, 'the crashed attempt and the one that finished it');
  t.equal((await getBinding(db, 'r', String(id)))?.destinationId, String(ysell.orders()[0]!.id));
  t.equal(odoo.record('sale.order', id)?.['ysell_order_id'], String(ysell.orders()[0]!.id));
});
