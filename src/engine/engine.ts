import type { Logger } from 'pino';
import { retryDelayMs, type BackoffPolicy } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import { classify, permanent, type IntegrationError } from '../core/errors.js';
import { withCallContext } from '../exchange/context.js';
import type { Database } from '../store/db.js';
import { claimJobs, deferJob, finishJob, markDead, releaseJob, renewLease, scheduleRetry, type Job } from '../store/jobs.js';

export interface JobRun {
  /** Aborted when the lease is lost or the service shuts down: stop before the next external call. */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * A run that found its job cannot be done yet, through no failure (e.g. an order waiting for its serial
 * numbers): the job waits until `until` without spending an attempt, and `message` says why meanwhile.
 */
export interface JobDeferral {
  until: number;
  code: string;
  message: string;
}

export interface JobKind {
  /** Resolves when the job is done, or with a deferral when it must wait; throws when it failed. */
  run(job: Job, run: JobRun): Promise<void | JobDeferral>;
  /** Called once when the job dies (permanent error or attempts used up) with the job as stored dead. */
  onDead?(job: Job, error: IntegrationError): Promise<void>;
}

export interface JobEngineOptions {
  db: Database;
  /** Unique per process: written on the jobs it holds. */
  owner: string;
  clock: Clock;
  logger: Logger;
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
  backoff: BackoffPolicy;
  kinds: ReadonlyMap<string, JobKind>;
  scrub: (text: string) => string;
  /** Awaited before a job's outcome is written, so its exchange log rows are stored with it. */
  beforeOutcome?: () => Promise<void>;
  /**
   * While this says so, no new job is started (running ones go on): webhooks are being stored, and their
   * answers, which Odoo waits 1 s for, go before work that can wait. Call wake() when it stops.
   */
  holdClaims?: () => boolean;
  random?: () => number;
}

/**
 * Runs durable jobs: claims them with a lease, keeps the lease alive while a job runs, and records the
 * outcome only while it still holds the lease (a job whose lease expired belongs to whoever took it).
 */
export class JobEngine {
  private readonly active = new Map<number, Promise<void>>();
  private readonly controllers = new Map<number, AbortController>();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: JobEngineOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** New work was queued in this process: look now instead of at the next idle poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs`, then aborts the rest; an aborted
   * job goes back to the queue at once (its lease is released), so nothing waits for it to expire.
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    const all = Promise.allSettled([...this.active.values()]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const controller of this.controllers.values()) controller.abort(new Error('service is shutting down'));
      await all;
    }
  }

  /** Runs every job that is due now, and the jobs those create, until none is left. For CLI runs and tests. */
  async drain(): Promise<void> {
    for (;;) {
      const free = this.options.concurrency - this.active.size;
      const jobs = free > 0 ? await this.claim(free) : [];
      for (const job of jobs) this.launch(job);
      if (this.active.size === 0) return;
      await Promise.race(this.active.values());
    }
  }

  /** Resolves the next time the running engine finds nothing due and nothing running. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wake();
    });
  }

  private async loop(): Promise<void> {
    const { logger, idlePollMs, concurrency } = this.options;
    while (this.running) {
      const free = concurrency - this.active.size;
      let claimed = 0;
      if (free > 0 && this.options.holdClaims?.() !== true) {
        try {
          const jobs = await this.claim(free);
          for (const job of jobs) this.launch(job);
          claimed = jobs.length;
        } catch (err) {
          logger.error({ err }, 'could not claim jobs; trying again');
        }
      }
      if (!this.running) break;
      if (claimed > 0 && claimed === free) continue;
      if (claimed === 0 && this.active.size === 0 && this.idleWaiters.length > 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, idlePollMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = null;
    }
  }

  private claim(limit: number): Promise<Job[]> {
    const { db, owner, clock, leaseMs } = this.options;
    return claimJobs(db, { owner, now: clock.now(), leaseMs, limit });
  }

  private launch(job: Job): void {
    const promise = this.execute(job)
      .catch((err: unknown) => this.options.logger.error({ err, job: job.id }, 'could not record a job outcome'))
      .finally(() => {
        this.active.delete(job.id);
        this.controllers.delete(job.id);
        this.wake();
      });
    this.active.set(job.id, promise);
  }

  private async execute(job: Job): Promise<void> {
    const { db, owner, clock, logger, leaseMs, kinds } = this.options;
    const log = logger.child({ job: job.id, kind: job.kind, route: job.route, sourceId: job.sourceId, attempt: job.attempts });
    const kind = kinds.get(job.kind);
    if (kind === undefined) {
      await this.fail(job, undefined, permanent('UNKNOWN_JOB_KIND', `no handler for job kind "${job.kind}"`), log);
      return;
    }
    if (job.attempts > job.maxAttempts) {
      const error = permanent(
        'WORKER_LOST',
        `the job was still running when its worker stopped, ${job.maxAttempts} times; see the service log around those times`,
      );
      await this.fail(job, kind, error, log);
      return;
    }

    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    const heartbeat = setInterval(() => {
      renewLease(db, job.id, owner, clock.now() + leaseMs)
        .then((held) => {
          if (!held) controller.abort(new Error('lease lost: another worker took this job over'));
        })
        .catch((err: unknown) => log.warn({ err }, 'could not renew the job lease'));
    }, Math.max(10, Math.floor(leaseMs / 3)));

    try {
      const deferral = await withCallContext({ route: job.route, sourceId: job.sourceId, jobId: job.id }, () =>
        kind.run(job, { signal: controller.signal, logger: log }),
      );
      clearInterval(heartbeat);
      await this.options.beforeOutcome?.();
      if (deferral !== undefined) {
        const message = this.options.scrub(deferral.message);
        if (await deferJob(db, job.id, owner, { runAfter: deferral.until, code: deferral.code, message }, clock.now())) {
          log.info({ code: deferral.code, until: new Date(deferral.until).toISOString() }, 'job waits');
        }
        return;
      }
      if (!(await finishJob(db, job.id, owner, clock.now()))) log.warn('job finished after its lease was lost; the new holder decides');
      else log.debug('job done');
    } catch (err) {
      clearInterval(heartbeat);
      await this.options.beforeOutcome?.();
      if (controller.signal.aborted && !this.running) {
        await releaseJob(db, job.id, owner, clock.now());
        log.info('job interrupted by shutdown; back in the queue');
        return;
      }
      const error = classify(err);
      if (error.kind === 'permanent' || job.attempts >= job.maxAttempts) {
        await this.fail(job, kind, error, log);
        return;
      }
      const delay = retryDelayMs(job.attempts, this.options.backoff, error.retryAfterMs, this.options.random);
      const message = this.options.scrub(error.message);
      log.warn({ code: error.code, err: message, retryInMs: delay }, 'job failed; will retry');
      await scheduleRetry(db, job.id, owner, { runAfter: clock.now() + delay, code: error.code, message }, clock.now());
    }
  }

  private async fail(job: Job, kind: JobKind | undefined, error: IntegrationError, log: Logger): Promise<void> {
    const message = this.options.scrub(
      error.kind === 'retryable' ? `${error.message} (gave up after ${job.attempts} attempts)` : error.message,
    );
    const dead = await markDead(this.options.db, job.id, this.options.owner, { code: error.code, message }, this.options.clock.now());
    if (dead === null) return;
    log.error({ code: error.code, err: message }, 'job dead');
    const onDead = kind?.onDead?.bind(kind);
    if (onDead === undefined) return;
    try {
      await withCallContext({ route: job.route, sourceId: job.sourceId, jobId: job.id }, () => onDead(dead, error));
    } catch (err) {
      log.error({ err }, 'could not report a dead job');
    }
  }
}
