import { randomUUID } from 'node:crypto';
import type { Database } from './db.js';

/** What became of a request to run under a lock. */
export type RunLockOutcome<T> =
  | { ran: true; value: T }
  /** Another process (or another task of this one) holds the lock. */
  | { ran: false; reason: 'held'; holder: string | null; leaseUntil: number | null }
  /** A run completed less than `skipIfDoneWithinMs` ago: it has been done, wherever it ran. */
  | { ran: false; reason: 'recent'; lastDoneAt: number };

export interface RunLockOptions {
  /** Epoch milliseconds; the lease is compared across processes, so all of them must use the same clock. */
  now?: () => number;
  /**
   * Skip the run when one under this name completed less than this long ago: each replica has its own
   * timer, and one run per period is enough. A run that failed or died does not count.
   */
  skipIfDoneWithinMs?: number;
}

interface RunLockRecord {
  name: string;
  owner: string | null;
  token: string | null;
  lease_until: number | null;
  last_done_at: number | null;
}

/**
 * Runs `fn` only if no other process runs the same `name` now: the scheduled polls and status checks,
 * of which each replica has its own timer. The lock is a lease in the database, renewed every third of
 * `leaseMs` while `fn` runs and released when it ends; a process that died frees it when the lease runs
 * out. `fn` gets a signal that aborts if the lease is lost anyway (the process stalled longer than the
 * lease and another one took over): it should stop before its next external call.
 */
export async function withRunLock<T>(
  db: Database,
  name: string,
  leaseMs: number,
  owner: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: RunLockOptions = {},
): Promise<RunLockOutcome<T>> {
  const now = options.now ?? Date.now;
  const token = randomUUID();
  const startedAt = now();
  await db('run_locks').insert({ name }).onConflict('name').ignore();
  const acquire = db('run_locks')
    .where({ name })
    .andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', startedAt));
  const skipWithin = options.skipIfDoneWithinMs;
  if (skipWithin !== undefined) {
    void acquire.andWhere((q) => q.whereNull('last_done_at').orWhere('last_done_at', '<=', startedAt - skipWithin));
  }
  const acquired = await acquire.update({ owner, token, lease_until: startedAt + leaseMs });
  if (acquired === 0) {
    const row = await db<RunLockRecord>('run_locks').where({ name }).first();
    const leaseUntil = row?.lease_until == null ? null : Number(row.lease_until);
    if (leaseUntil !== null && leaseUntil >= startedAt) return { ran: false, reason: 'held', holder: row?.owner ?? null, leaseUntil };
    return { ran: false, reason: 'recent', lastDoneAt: Number(row?.last_done_at ?? 0) };
  }

  const controller = new AbortController();
  const renewal = setInterval(() => {
    db('run_locks')
      .where({ name, token })
      .update({ lease_until: now() + leaseMs })
      .then(
        (renewed) => {
          if (renewed === 0) controller.abort(new Error(`the lock "${name}" was taken over by another process after its lease ran out`));
        },
        // A failed renewal is tried again at the next tick; the lease covers the gap.
        () => undefined,
      );
  }, Math.max(10, Math.floor(leaseMs / 3)));
  let done = false;
  try {
    const value = await fn(controller.signal);
    done = true;
    return { ran: true, value };
  } finally {
    clearInterval(renewal);
    await db('run_locks')
      .where({ name, token })
      .update({ owner: null, token: null, lease_until: null, ...(done ? { last_done_at: now() } : {}) })
      // A lock that cannot be released now frees itself when its lease runs out.
      .catch(() => undefined);
  }
}
