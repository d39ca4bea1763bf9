import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { classify } from '../core/errors.js';
import type { JobDeferral, JobKind } from '../engine/engine.js';
import { insertAttempt } from '../store/attempts.js';
import type { Database } from '../store/db.js';

export interface JobRunEvent {
  route: string;
  kind: string;
  /** ok / error: one run finished or threw; waiting: it must wait (deferred); dead: the job gave up (after its last error). */
  outcome: 'ok' | 'error' | 'waiting' | 'dead';
  durationMs: number;
}

export interface JobObserverDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  scrub: (text: string) => string;
  onEvent: (event: JobRunEvent) => void;
}

/**
 * Wraps a job kind so that every run is stored as an attempt (for an order's history) and reported as an
 * event (for /metrics and progress lines). The job's own behaviour and errors pass through unchanged.
 */
export function observeJobKind(name: string, kind: JobKind, deps: JobObserverDeps): JobKind {
  const { db, clock, logger, scrub, onEvent } = deps;
  return {
    async run(job, run) {
      const startedAt = clock.now();
      let failure: unknown = null;
      let failed = false;
      let deferral: JobDeferral | void = undefined;
      try {
        deferral = await kind.run(job, run);
      } catch (err) {
        failed = true;
        failure = err;
      }
      const finishedAt = clock.now();
      const error = failed ? classify(failure) : null;
      const outcome = error !== null ? 'error' : deferral !== undefined ? 'waiting' : 'ok';
      const reason = error !== null ? { code: error.code, message: error.message } : deferral !== undefined ? deferral : null;
      try {
        await insertAttempt(db, {
          jobId: job.id,
          attempt: job.attempts,
          startedAt,
          finishedAt,
          outcome,
          errorCode: reason?.code ?? null,
          error: reason === null ? null : scrub(reason.message),
        });
      } catch (err) {
        // The history is for people; losing one row of it must not change what happens to the order.
        logger.warn({ err, job: job.id }, 'could not store a job attempt');
      }
      onEvent({ route: job.route, kind: name, outcome, durationMs: finishedAt - startedAt });
      if (failed) throw failure;
      return deferral;
    },
    async onDead(job, error) {
      onEvent({ route: job.route, kind: name, outcome: 'dead', durationMs: 0 });
      await kind.onDead?.(job, error);
    },
  };
}
