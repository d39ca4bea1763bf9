import t from 'tap';
import { withRunLock } from '../../src/store/run-locks.js';
import { backends } from '../helpers/db.js';

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

for (const backend of backends()) {
  t.test(`${backend.name}: one holder at a time; the next one runs once it is released`, async (t) => {
    const { db } = await backend.open(t);
    const release = gate();
    const entered = gate();
    const first = withRunLock(db, 'poll:r', 60_000, 'replica-a', async () => {
      entered.open();
      await release.opened;
      return 'a';
    });
    await entered.opened;
    const second = await withRunLock(db, 'poll:r', 60_000, 'replica-b', async () => 'b');
    t.match(second, { ran: false, reason: 'held', holder: 'replica-a' });
    t.same(await withRunLock(db, 'status:r', 60_000, 'replica-b', async () => 'other name'), { ran: true, value: 'other name' }, 'locks are per name');
    release.open();
    t.same(await first, { ran: true, value: 'a' });
    t.same(await withRunLock(db, 'poll:r', 60_000, 'replica-b', async () => 'b'), { ran: true, value: 'b' });
    const row = await db('run_locks').where({ name: 'poll:r' }).first();
    t.match(row, { owner: null, token: null, lease_until: null }, 'released: nobody holds it');
  });

  t.test(`${backend.name}: of many replicas asking at once, exactly one runs`, async (t) => {
    const { db } = await backend.open(t);
    const release = gate();
    const attempts = Array.from({ length: 6 }, (_, i) =>
      withRunLock(db, 'status:r', 60_000, `replica-${i}`, async () => {
        await release.opened;
        return i;
      }),
    );
    const settled: Awaited<(typeof attempts)[number]>[] = [];
    for (const attempt of attempts) {
      // The losers answer at once; only the winner waits for the gate.
      void attempt.then((outcome) => {
        settled.push(outcome);
        if (settled.length === attempts.length - 1) release.open();
      });
    }
    const outcomes = await Promise.all(attempts);
    t.equal(outcomes.filter((o) => o.ran).length, 1, 'one ran');
    t.equal(outcomes.filter((o) => !o.ran && o.reason === 'held').length, 5, 'the others were told it is held');
  });

  t.test(`${backend.name}: a lock whose holder died is taken once its lease ran out`, async (t) => {
    const { db } = await backend.open(t);
    await db('run_locks').insert({ name: 'poll:r', owner: 'killed-replica', token: 'gone', lease_until: 1500 });
    t.match(await withRunLock(db, 'poll:r', 500, 'replica-b', async () => 'b', { now: () => 1499 }), { ran: false, reason: 'held', holder: 'killed-replica', leaseUntil: 1500 });
    t.same(await withRunLock(db, 'poll:r', 500, 'replica-b', async () => 'b', { now: () => 1501 }), { ran: true, value: 'b' });
  });

  t.test(`${backend.name}: a holder that lost its lease is told through its signal`, async (t) => {
    const { db } = await backend.open(t);
    const entered = gate();
    const stalled = withRunLock(
      db,
      'poll:r',
      30,
      'stalled-replica',
      (signal) =>
        new Promise<string>((resolve) => {
          entered.open();
          signal.addEventListener('abort', () => resolve(String((signal.reason as Error).message)));
        }),
      // Its clock stands still: each renewal extends the lease to the same past moment.
      { now: () => 1000 },
    );
    await entered.opened;
    const other = await withRunLock(
      db,
      'poll:r',
      60_000,
      'replica-b',
      async () => stalled,
      { now: () => 5000 },
    );
    t.match(other, { ran: true, value: { ran: true, value: /taken over by another process/ } }, 'the stalled run ended when it learnt, while the new holder waited for it');
  });

  t.test(`${backend.name}: a failing run releases the lock and passes its error on`, async (t) => {
    const { db } = await backend.open(t);
    await t.rejects(
      withRunLock(db, 'poll:r', 60_000, 'a', async () => {
        throw new Error('Odoo is down');
      }),
      { message: 'Odoo is down' },
    );
    t.same(await withRunLock(db, 'poll:r', 60_000, 'b', async () => 'b'), { ran: true, value: 'b' });
  });

  t.test(`${backend.name}: a run another replica has just completed is skipped; a failed one is not`, async (t) => {
    const { db } = await backend.open(t);
    const every = 1_800_000;
    t.same(await withRunLock(db, 'status:r', 60_000, 'a', async () => 1, { now: () => 10_000, skipIfDoneWithinMs: every }), { ran: true, value: 1 });
    t.same(await withRunLock(db, 'status:r', 60_000, 'b', async () => 2, { now: () => 1_000_000, skipIfDoneWithinMs: every }), {
      ran: false,
      reason: 'recent',
      lastDoneAt: 10_000,
    });
    t.same(await withRunLock(db, 'status:r', 60_000, 'c', async () => 3, { now: () => 1_000_001 }), { ran: true, value: 3 }, 'a run asked for by hand is not held back');
    await t.rejects(
      withRunLock(db, 'status:r', 60_000, 'a', async () => Promise.reject(new Error('Ysell is down')), { now: () => 2_900_000, skipIfDoneWithinMs: every }),
    );
    t.same(await withRunLock(db, 'status:r', 60_000, 'b', async () => 4, { now: () => 2_900_001, skipIfDoneWithinMs: every }), { ran: true, value: 4 }, 'the failed run does not count as done');
  });
}
