import { randomBytes } from 'node:crypto';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { Pruner } from '../../src/ops/prune.js';
import { ensureBinding } from '../../src/store/bindings.js';
import { walFileBytes } from '../../src/store/db.js';
import { insertExchanges, listExchanges, type NewExchange } from '../../src/store/exchanges.js';
import { removedBody } from '../../src/store/retention.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';

const hour = 3_600_000;
const day = 24 * hour;
const retention = { exchanges: 7 * day, exchangeBodies: 2 * day, statusReads: day, jobAttempts: 14 * day, finishedJobs: 14 * day, every: 600_000, batchSize: 10 };

function exchange(at: number, over: Partial<NewExchange> = {}): NewExchange {
  return {
    connector: 'odoo',
    operation: 'execute_kw sale.order.read',
    url: 'https://erp.example.com/xmlrpc/2/object',
    requestBody: `<methodCall>${'x'.repeat(2000)}</methodCall>`,
    responseBody: `<methodResponse>${'y'.repeat(3000)}</methodResponse>`,
    httpStatus: 200,
    fault: null,
    error: null,
    durationMs: 12,
    startedAt: at,
    route: 'r',
    sourceId: '1',
    jobId: null,
    ...over,
  };
}

async function addJob(db: import('../../src/store/db.js').Database, key: string, state: string, finishedAt: number | null): Promise<number> {
  const [row] = await db('jobs')
    .insert({ key, kind: 'export', route: 'r', source_id: key, payload: '{}', state, attempts: 1, max_attempts: 3, run_after: 0, created_at: 0, updated_at: 0, finished_at: finishedAt })
    .returning<{ id: number }[]>('id');
  await db('job_attempts').insert({ job_id: row!.id, attempt: 1, started_at: finishedAt ?? 0, finished_at: finishedAt ?? 0, outcome: state === 'dead' ? 'error' : 'ok' });
  return row!.id;
}

for (const backend of backends()) {
  t.test(`${backend.name}: each kind of record goes after its own window, in small batches; bindings and dead jobs stay`, async (t) => {
    const { db, config } = await backend.open(t);
    const clock = new ManualClock(Date.parse('2027-06-01T00:00:00Z'));
    const now = clock.now();
    const pruner = new Pruner({ db, clock, logger: capturedLogger('silent').logger, retention, walBytes: () => walFileBytes(config) });

    const oldDone = await addJob(db, 'old-done', 'done', now - 20 * day);
    const oldDead = await addJob(db, 'old-dead', 'dead', now - 20 * day);
    const recentDone = await addJob(db, 'recent-done', 'done', now - 3 * day);
    await ensureBinding(db, { route: 'r', sourceId: 'old-done', sourceNumber: 'S1' }, now - 20 * day);

    const rows: NewExchange[] = [];
    // 25 calls of a done job and 3 of the dead one, 10 days ago; 25 status reads, 2 and 0.5 days ago; 12 calls of a job 3 days ago.
    for (let i = 0; i < 25; i++) rows.push(exchange(now - 10 * day + i, { jobId: oldDone }));
    for (let i = 0; i < 3; i++) rows.push(exchange(now - 10 * day + i, { jobId: oldDead, sourceId: 'old-dead' }));
    for (let i = 0; i < 25; i++) rows.push(exchange(now - 2 * day + i, { connector: 'ysell', operation: 'GET /api/orders/status', requestBody: '', responseBody: '{"status":"New"}' }));
    for (let i = 0; i < 25; i++) rows.push(exchange(now - 12 * hour + i, { connector: 'ysell', operation: 'GET /api/orders/status', requestBody: '', responseBody: '{"status":"New"}' }));
    for (let i = 0; i < 12; i++) rows.push(exchange(now - 3 * day + i, { jobId: recentDone }));
    // A poll's page: no order, no job.
    rows.push(exchange(now - 3 * day, { sourceId: null }));
    await insertExchanges(db, rows);

    const batches: number[] = [];
    const summary = await pruner.run(new AbortController().signal, (s) => batches.push(Object.values(s.removed).reduce((a, b) => a + b, 0)));
    t.same(summary.removed, { exchangeBodies: 13, statusReads: 25, exchanges: 25, jobAttempts: 0, finishedJobs: 1 });
    t.ok(batches.length >= 8, `${batches.length} steps of at most 10 records`);

    const left = await listExchanges(db, { limit: 1000 });
    t.equal(left.filter((e) => e.jobId === oldDone).length, 0, 'the done job’s calls older than 7 days are gone');
    t.equal(left.filter((e) => e.jobId === oldDead).length, 3, 'a dead job keeps its calls');
    t.ok(left.filter((e) => e.jobId === oldDead).every((e) => e.responseBody.startsWith('<methodResponse>')), '…with their bodies');
    t.equal(left.filter((e) => e.operation === 'GET /api/orders/status').length, 25, 'status reads older than a day are gone, the last day’s stay');
    const emptied = left.filter((e) => e.jobId === recentDone);
    t.equal(emptied.length, 12, 'calls of 3 days ago stay');
    t.ok(emptied.every((e) => e.responseBody === removedBody), '…without their bodies');
    t.equal(emptied[1]?.requestBody, removedBody);
    t.equal(left.filter((e) => e.sourceId === null)[0]?.responseBody, removedBody, 'a poll’s call loses its body too');

    t.same((await db('jobs').select('id').orderBy('id')).map((r: { id: number }) => r.id), [oldDead, recentDone], 'the old done job is gone, the dead one stays');
    t.same((await db('job_attempts').select('job_id').orderBy('job_id')).map((r: { job_id: number }) => r.job_id), [oldDead, recentDone], 'its attempts with it');
    t.equal((await db('bindings').count<{ n: number }[]>('* as n'))[0]?.n, 1, 'bindings are kept');

    clock.advance(day);
    const again = await pruner.run(new AbortController().signal);
    t.same(again.removed, { exchangeBodies: 0, statusReads: 25, exchanges: 0, jobAttempts: 0, finishedJobs: 0 }, 'the next run starts where this one stopped');
    t.equal(pruner.lastRun(), again);
  });

  t.test(`${backend.name}: a run stops between two batches when told to`, async (t) => {
    const { db, config } = await backend.open(t);
    const clock = new ManualClock();
    const pruner = new Pruner({ db, clock, logger: capturedLogger('silent').logger, retention, walBytes: () => walFileBytes(config) });
    await insertExchanges(db, Array.from({ length: 40 }, (_, i) => exchange(clock.now() - 30 * day + i, { jobId: 1 })));
    const stop = new AbortController();
    await t.rejects(pruner.run(stop.signal, (s) => s.removed.exchanges >= 20 && stop.abort(new Error('shutting down'))), /shutting down/);
    t.equal((await listExchanges(db)).length, 20, 'two batches done, the rest left for the next run');
  });
}

t.test('sqlite: the pages the pruning frees are given back to the disk', async (t) => {
  const { db, config } = await backends()[0]!.open(t);
  const clock = new ManualClock();
  const pruner = new Pruner({ db, clock, logger: capturedLogger('silent').logger, retention: { ...retention, batchSize: 500 }, walBytes: () => walFileBytes(config) });
  // Bodies that do not compress, so that 2,000 calls fill some pages.
  const random = () => randomBytes(1500).toString('base64');
  await insertExchanges(db, Array.from({ length: 2000 }, (_, i) => exchange(clock.now() - 30 * day + i, { jobId: 1, requestBody: random(), responseBody: random() })));
  const before = await pruner.size();
  const summary = await pruner.run(new AbortController().signal);
  await db.raw('pragma wal_checkpoint(TRUNCATE)');
  const after = await pruner.size();
  t.equal(summary.removed.exchanges, 2000);
  t.ok(summary.freedBytes > 4 * 1024 * 1024, `${summary.freedBytes} bytes given back`);
  t.ok(after.bytes < before.bytes / 4, `the file shrank from ${before.bytes} to ${after.bytes} bytes`);
  t.equal(after.freeBytes, 0, 'no free page is left inside it');
});
