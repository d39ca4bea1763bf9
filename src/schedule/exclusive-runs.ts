import type { Clock } from '../core/clock.js';
import { retryable } from '../core/errors.js';
import type { Database } from '../store/db.js';
import { withRunLock, type RunLockOutcome } from '../store/run-locks.js';

export interface ExclusiveRunsOptions {
  db: Database;
  /** Unique per process: written on the run locks it holds. */
  owner: string;
  leaseMs: number;
  clock: Clock;
  /** Aborts every run when the service shuts down. */
  shutdown: AbortSignal;
}

/**
 * A route's runs (poll, status check, reconciliation), the store's pruning and a connection's exclusive
 * steps (the retail shift) run in one process at a time across all replicas (a lease in the database,
 * see withRunLock); in this process a second caller shares the run already going.
 */
export class ExclusiveRuns {
  private readonly running = new Map<string, Promise<RunLockOutcome<unknown>>>();

  constructor(private readonly options: ExclusiveRunsOptions) {}

  run<T>(task: string, run: (signal: AbortSignal) => Promise<T>, skipIfDoneWithinMs?: number): Promise<RunLockOutcome<T>> {
    const running = this.running.get(task);
    if (running !== undefined) return running as Promise<RunLockOutcome<T>>;
    const { db, owner, leaseMs, clock, shutdown } = this.options;
    const started = withRunLock(db, task, leaseMs, owner, (lost) => run(AbortSignal.any([shutdown, lost])), {
      now: () => clock.now(),
      ...(skipIfDoneWithinMs === undefined ? {} : { skipIfDoneWithinMs }),
    }).finally(() => this.running.delete(task));
    this.running.set(task, started);
    return started;
  }

  /** Runs `run` as `run()` does and gives its value; throws RUN_LOCKED, naming `what`, when another process has it. */
  async runOrRefuse<T>(task: string, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return ranOrBusy(what, await this.run(task, run));
  }

  /** Resolves when every run under way in this process has ended, however it ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.running.values());
  }
}

/** The value of a run that ran; a retryable RUN_LOCKED error, naming `what`, when another process had it. */
export function ranOrBusy<T>(what: string, outcome: RunLockOutcome<T>): T {
  if (outcome.ran) return outcome.value;
  if (outcome.reason === 'recent') throw retryable('RUN_LOCKED', `the ${what} has just been done by another process; try again in a moment`);
  throw retryable('RUN_LOCKED', `the ${what} is already running in another process (held by ${outcome.holder ?? 'an unknown owner'}); try again when it has finished`);
}
