import { openSync, writeSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { sharedProbe, type Readiness } from '../../src/http/ready.js';
import { probeStore } from '../../src/store/probe.js';
import { enqueueJob } from '../../src/store/jobs.js';
import { HOOK_TOKEN, ROUTE, startStack } from '../../src/sandbox/stack.js';
import { backends, sqliteFile } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';

const job = (key: string) => ({ key, kind: 'export', route: ROUTE, sourceId: key, payload: {}, revision: null, maxAttempts: 3 });

t.test('/ready over a database file whose queue is corrupted: 503, as the webhooks fail (select 1 would have said ready)', async (t) => {
  const { db, config } = await sqliteFile(t);
  for (let i = 0; i < 50; i++) await enqueueJob(db, job(`k${i}`), Date.now());
  const rootpage = ((await db.raw("select rootpage from sqlite_master where name = 'jobs'")) as { rootpage: number }[])[0]!.rootpage;
  t.same(await db.raw('select 1 as one'), [{ one: 1 }]);
  await db.destroy();
  // The jobs table's first page, overwritten as a failing disk or a bad copy would leave it.
  const fd = openSync(config.client === 'sqlite' ? config.filename : '', 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (rootpage - 1) * 4096);
  closeSync(fd);

  const stack = await startStack({ logger: capturedLogger('silent').logger, database: config });
  t.teardown(() => stack.close());
  const ready = await fetch(`${stack.baseUrl}/ready`);
  t.equal(ready.status, 503);
  t.match((await ready.json()) as Readiness, { status: 'unavailable', database: { status: 'unreachable' } });
  const hook = await fetch(`${stack.baseUrl}/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: 1, _model: 'sale.order', state: 'sale' }),
  });
  t.equal(hook.status, 500, 'what /ready said: this store cannot take a webhook');
});

for (const backend of backends()) {
  t.test(`${backend.name}: the probe reads the queue and makes a write that it rolls back`, async (t) => {
    const { db, config } = await backend.open(t);
    const statements: string[] = [];
    db.on('query', (query: { sql: string }) => statements.push(query.sql.toLowerCase()));
    await probeStore(db, config, Date.now());
    t.ok(statements.some((sql) => sql.includes('from "jobs"') || sql.includes('from `jobs`')), 'the jobs table is read');
    t.ok(statements.some((sql) => sql.startsWith('insert')), 'a row is written');
    t.ok(statements.some((sql) => sql.startsWith('rollback')), 'and rolled back');
    t.equal((await db('run_locks').count<{ n: number }[]>('* as n'))[0]?.n, 0, 'nothing stays');

    await db.schema.renameTable('jobs', 'jobs_elsewhere');
    await t.rejects(probeStore(db, config, Date.now()), 'a store without its queue is not ready');
  });
}

t.test('sqlite: a disk with too little room left is not ready', async (t) => {
  const { db, config } = await sqliteFile(t);
  await probeStore(db, config, Date.now());
  await t.rejects(probeStore(db, config, Date.now(), Number.MAX_SAFE_INTEGER), /bytes free on the disk of .*store\.sqlite/);
});

t.test('/ready costs at most one probe at a time, and one a second, however often it is called', async (t) => {
  let probes = 0;
  let release: () => void = () => undefined;
  const slow = () => {
    probes += 1;
    return new Promise<void>((resolve) => (release = resolve));
  };
  let now = 0;
  const probe = sharedProbe(slow, 1000, () => now);
  const callers = Array.from({ length: 100 }, () => probe());
  t.equal(probes, 1, '100 callers, one probe under way');
  release();
  await Promise.all(callers);
  await probe();
  t.equal(probes, 1, 'an answer younger than a second is given again');
  now = 1500;
  await Promise.all([probe(), (async () => (await sleep(1), release()))()]);
  t.equal(probes, 2, 'an older one is not');
  let failures = 0;
  const failing = sharedProbe(() => {
    failures += 1;
    return Promise.reject(new Error('disk full'));
  }, 1000, () => now);
  await t.rejects(failing(), /disk full/);
  await t.rejects(failing(), /disk full/, 'the failure is given again too');
  t.equal(failures, 1);
});
