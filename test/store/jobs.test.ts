import t from 'tap';
import { claimJobs, enqueueJob, finishJob, markDead, renewLease, retryDeadJob, scheduleRetry } from '../../src/store/jobs.js';
import { backends } from '../helpers/db.js';

const job = (key: string, revision: string | null = null) => ({
  key,
  kind: 'export',
  route: 'r',
  sourceId: key,
  payload: { n: key },
  revision,
  maxAttempts: 3,
});

for (const backend of backends()) {
  t.test(`${backend.name}: a duplicate trigger lands on the existing job`, async (t) => {
    const { db } = await backend.open(t);
    const first = await enqueueJob(db, job('a'), 1000);
    const second = await enqueueJob(db, job('a'), 1001);
    t.equal(first.outcome, 'created');
    t.equal(second.outcome, 'refreshed');
    t.equal(second.id, first.id);
    const rows = await db('jobs').select('*');
    t.equal(rows.length, 1);
  });

  t.test(`${backend.name}: two claimers never take the same job; an expired lease is taken over`, async (t) => {
    const { db } = await backend.open(t);
    for (const key of ['a', 'b', 'c']) await enqueueJob(db, job(key), 1000);
    const [one, two] = await Promise.all([
      claimJobs(db, { owner: 'w1', now: 2000, leaseMs: 100, limit: 2 }),
      claimJobs(db, { owner: 'w2', now: 2000, leaseMs: 100, limit: 2 }),
    ]);
    const ids = [...one, ...two].map((j) => j.id);
    t.equal(ids.length, 3);
    t.equal(new Set(ids).size, 3, 'no job claimed twice');

    t.same(await claimJobs(db, { owner: 'w3', now: 2050, leaseMs: 100, limit: 5 }), [], 'leases still held');
    const taken = await claimJobs(db, { owner: 'w3', now: 2101, leaseMs: 100, limit: 5 });
    t.equal(taken.length, 3, 'every expired lease is taken over');
    t.ok(taken.every((j) => j.attempts === 2), 'the crashed attempt counts');
    t.notOk(await finishJob(db, taken[0]!.id, 'w1', 2102), 'the old holder cannot record an outcome');
    t.ok(await finishJob(db, taken[0]!.id, 'w3', 2102));
    t.notOk(await renewLease(db, taken[0]!.id, 'w3', 9999), 'a finished job has no lease to renew');
  });

  t.test(`${backend.name}: retry waits for run_after; dead jobs come back only when something changed`, async (t) => {
    const { db } = await backend.open(t);
    const { id } = await enqueueJob(db, job('a', 'v1'), 1000);
    await claimJobs(db, { owner: 'w', now: 1000, leaseMs: 100, limit: 1 });
    t.ok(await scheduleRetry(db, id, 'w', { runAfter: 5000, code: 'HTTP_503', message: 'later' }, 1001));
    t.same(await claimJobs(db, { owner: 'w', now: 4999, leaseMs: 100, limit: 1 }), []);
    const [again] = await claimJobs(db, { owner: 'w', now: 5000, leaseMs: 100, limit: 1 });
    t.equal(again?.lastErrorCode, 'HTTP_503');
    t.match(await markDead(db, id, 'w', { code: 'BAD', message: 'fix it' }, 5001), { state: 'dead', lastError: 'fix it', revision: 'v1' });

    t.equal((await enqueueJob(db, job('a', 'v1'), 6000)).outcome, 'unchanged', 'same revision: stays dead');
    t.equal((await enqueueJob(db, job('a', 'v2'), 6001)).outcome, 'revived', 'new revision: queued again');
    const [revived] = await claimJobs(db, { owner: 'w', now: 6002, leaseMs: 100, limit: 1 });
    t.equal(revived?.attempts, 1, 'a revived job starts with fresh attempts');
    await markDead(db, id, 'w', { code: 'BAD', message: 'fix it' }, 6003);
    t.ok(await retryDeadJob(db, id, 7000));
    t.notOk(await retryDeadJob(db, id, 7001), 'only a dead job can be retried');
  });
}
