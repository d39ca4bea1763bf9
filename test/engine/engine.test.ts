import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { permanent, retryable, type IntegrationError } from '../../src/core/errors.js';
import { JobEngine, type JobKind } from '../../src/engine/engine.js';
import type { Database } from '../../src/store/db.js';
import { claimJobs, enqueueJob, getJob } from '../../src/store/jobs.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';

function engineWith(db: Database, clock: ManualClock, kind: JobKind, owner = 'test') {
  return new JobEngine({
    db,
    owner,
    clock,
    logger: capturedLogger('silent').logger,
    concurrency: 2,
    leaseMs: 30_000,
    idlePollMs: 50,
    backoff: { baseMs: 1000, maxMs: 60_000 },
    kinds: new Map([['work', kind]]),
    scrub: (s) => s.replace('hunter2', '[REDACTED]'),
    random: () => 0.999,
  });
}

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const newJob = (key: string, maxAttempts = 5) => ({ key, kind: 'work', route: 'r', sourceId: key, payload: {}, revision: null, maxAttempts });

for (const backend of backends()) {
  t.test(`${backend.name}: retryable errors back off (honouring Retry-After), then the job succeeds`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    let calls = 0;
    const engine = engineWith(db, clock, {
      async run() {
        calls += 1;
        if (calls === 1) throw retryable('HTTP_503', 'busy');
        if (calls === 2) throw retryable('HTTP_429', 'slow down', { retryAfterMs: 45_000 });
      },
    });
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    await engine.drain();
    let job = await getJob(db, id);
    t.equal(job?.state, 'pending');
    t.equal(job?.lastErrorCode, 'HTTP_503');
    t.equal(job!.runAfter - clock.now(), 999, 'first retry within the base delay (full jitter)');

    clock.advance(999);
    await engine.drain();
    job = await getJob(db, id);
    t.equal(job!.runAfter - clock.now(), 45_000, 'Retry-After is longer than the drawn delay, so it wins');

    clock.advance(44_999);
    await engine.drain();
    t.equal(calls, 2, 'not run before Retry-After');
    clock.advance(1);
    await engine.drain();
    job = await getJob(db, id);
    t.equal(calls, 3);
    t.equal(job?.state, 'done');
    t.equal(job?.attempts, 3);
  });

  t.test(`${backend.name}: a deferred job waits without spending attempts, then runs`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    let calls = 0;
    const engine = engineWith(db, clock, {
      async run() {
        calls += 1;
        if (calls <= 3) return { until: clock.now() + 60_000, code: 'WAITING_AT_SOURCE', message: 'waiting for hunter2 serials' };
      },
    });
    const { id } = await enqueueJob(db, newJob('w', 2), clock.now());
    for (let look = 1; look <= 3; look++) {
      await engine.drain();
      const job = await getJob(db, id);
      t.match(job, { state: 'pending', attempts: 0, lastErrorCode: 'WAITING_AT_SOURCE', lastError: 'waiting for [REDACTED] serials' }, `look ${look}: waiting, scrubbed, no attempt spent`);
      t.equal(job!.runAfter - clock.now(), 60_000);
      clock.advance(59_999);
      await engine.drain();
      t.equal(calls, look, 'not run before its time');
      clock.advance(1);
    }
    await engine.drain();
    t.match(await getJob(db, id), { state: 'done', attempts: 1 }, 'three waits and a run fit in two attempts');
  });

  t.test(`${backend.name}: a permanent error goes to dead at once and is reported once, scrubbed`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    const reported: IntegrationError[] = [];
    const engine = engineWith(db, clock, {
      async run() {
        throw permanent('MISSING_ID', 'product X has no Ysell id (key hunter2)');
      },
      async onDead(_job, error) {
        reported.push(error);
      },
    });
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    await engine.drain();
    const job = await getJob(db, id);
    t.equal(job?.state, 'dead');
    t.equal(job?.attempts, 1);
    t.equal(job?.lastError, 'product X has no Ysell id (key [REDACTED])');
    t.equal(reported.length, 1);
  });

  t.test(`${backend.name}: retryable errors stop after max attempts`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    let dead = 0;
    const engine = engineWith(db, clock, {
      async run() {
        throw retryable('TIMEOUT', 'Ysell did not answer');
      },
      async onDead() {
        dead += 1;
      },
    });
    const { id } = await enqueueJob(db, newJob('a', 3), clock.now());
    for (let i = 0; i < 5; i++) {
      await engine.drain();
      clock.advance(60_000);
    }
    const job = await getJob(db, id);
    t.equal(job?.state, 'dead');
    t.equal(job?.attempts, 3);
    t.match(job?.lastError, /gave up after 3 attempts/);
    t.equal(dead, 1, 'reported once, not once per retry');
  });

  t.test(`${backend.name}: a job whose worker died is picked up after its lease expires`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    const [lost] = await claimJobs(db, { owner: 'dead-process', now: clock.now(), leaseMs: 30_000, limit: 1 });
    t.equal(lost?.id, id);
    let ran = 0;
    const engine = engineWith(db, clock, {
      async run() {
        ran += 1;
      },
    });
    await engine.drain();
    t.equal(ran, 0, 'not while the lease holds');
    clock.advance(30_001);
    await engine.drain();
    t.equal(ran, 1);
    t.equal((await getJob(db, id))?.state, 'done');
  });

  t.test(`${backend.name}: the running engine picks up work when woken and stops cleanly`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const engine = engineWith(db, clock, {
      async run() {
        release();
      },
    });
    engine.start();
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    engine.wake();
    await done;
    await engine.whenIdle();
    t.equal((await getJob(db, id))?.state, 'done');
    await engine.stop(1000);
  });

  t.test(`${backend.name}: a shutdown waits for a job that ends within the grace period`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    const started = gate();
    const finish = gate();
    const engine = engineWith(db, clock, {
      async run() {
        started.open();
        await finish.opened;
      },
    });
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    engine.start();
    await started.opened;
    const stopping = engine.stop(60_000);
    finish.open();
    await stopping;
    t.equal((await getJob(db, id))?.state, 'done');
  });

  t.test(`${backend.name}: a shutdown aborts what outlasts the grace period and hands it back uncounted`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    const started = gate();
    const engine = engineWith(db, clock, {
      run(_job, { signal }) {
        started.open();
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(retryable('ABORTED', 'cancelled'))));
      },
    });
    const { id } = await enqueueJob(db, newJob('a'), clock.now());
    engine.start();
    await started.opened;
    await engine.stop(1);
    const job = await getJob(db, id);
    t.match(job, { state: 'pending', attempts: 0, runAfter: clock.now(), leaseOwner: null, leaseUntil: null }, 'due again at once, its attempt not counted');
    t.equal(job?.lastErrorCode, null, 'an interruption is not a failure of the job');
    const [next] = await claimJobs(db, { owner: 'other-replica', now: clock.now(), leaseMs: 1000, limit: 1 });
    t.equal(next?.id, id, 'another replica takes it at once, without waiting for a lease to expire');
  });
}
