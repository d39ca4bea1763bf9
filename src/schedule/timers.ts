import fastifySchedule from '@fastify/schedule';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AsyncTask, CronJob, SimpleIntervalJob } from 'toad-scheduler';
import { cronPeriodMs } from '../engine/periods.js';
import type { RunTracker } from '../ops/runs.js';
import { canReconcile } from '../routes/reconcile.js';
import type { RouteRuntime } from '../routes/runtime.js';
import type { ExclusiveRuns } from './exclusive-runs.js';
import { routeLockName, trackedRun, type RouteRun } from './route-runs.js';

/** What each route's timers run. */
export interface ScheduledWork {
  poll: RouteRun<unknown>;
  statusCheck: RouteRun<unknown>;
  reconcile: RouteRun<unknown>;
}

export interface TimerOptions {
  routes: ReadonlyMap<string, RouteRuntime>;
  exclusive: ExclusiveRuns;
  runs: RunTracker;
  logger: Logger;
  shutdown: AbortSignal;
  work: ScheduledWork;
}

export type Timing = { every: number; cron?: string | undefined };

/**
 * Every replica has its own timer; the lock lets one of them run at a time, and a run completed
 * within half a period elsewhere makes the others skip theirs, so a task runs about once per period.
 */
function scheduledTask(options: Pick<TimerOptions, 'exclusive' | 'logger' | 'shutdown'>, task: string, periodMs: number, run: (signal: AbortSignal) => Promise<unknown>, context: Record<string, string>): AsyncTask {
  const { exclusive, logger, shutdown } = options;
  return new AsyncTask(
    task,
    async () => {
      const outcome = await exclusive.run(task, run, Math.floor(periodMs / 2));
      if (!outcome.ran) logger.debug({ task, ...outcome }, 'scheduled run skipped: another replica runs it or has just run it');
    },
    (err) => {
      if (shutdown.aborted) logger.info({ task }, 'scheduled run interrupted by the shutdown; what it committed stays');
      else logger.error({ err, task, ...context }, 'scheduled run failed; the next one will try again');
    },
  );
}

/** Adds one timer for `task` (also its run lock's name). preventOverrun: a slow run is never started twice at once here. */
export function addTimer(
  http: FastifyInstance,
  options: Pick<TimerOptions, 'exclusive' | 'logger' | 'shutdown'>,
  task: string,
  timing: Timing,
  run: (signal: AbortSignal) => Promise<unknown>,
  extra: { runImmediately?: boolean; context?: Record<string, string> } = {},
): void {
  const context = extra.context ?? {};
  if (timing.cron !== undefined) {
    http.scheduler.addCronJob(new CronJob({ cronExpression: timing.cron }, scheduledTask(options, task, cronPeriodMs(timing.cron), run, context), { id: task, preventOverrun: true }));
  } else {
    http.scheduler.addSimpleIntervalJob(
      new SimpleIntervalJob({ milliseconds: timing.every, runImmediately: extra.runImmediately ?? false }, scheduledTask(options, task, timing.every, run, context), { id: task, preventOverrun: true }),
    );
  }
}

/** Registers the scheduler on the HTTP server (it stops with it). */
export async function startScheduler(http: FastifyInstance): Promise<void> {
  await http.register(fastifySchedule);
}

/** Each route's poll, status check and reconciliation on its own timer, as configured. */
export function scheduleRouteRuns(http: FastifyInstance, options: TimerOptions): void {
  const { runs, work } = options;
  const add = (task: 'poll' | 'statusCheck' | 'reconcile', route: RouteRuntime, timing: Timing, runImmediately = false): void => {
    // A scheduled run is recorded only when this replica runs it (not when it skips it for another).
    const run = trackedRun(runs, task, work[task]);
    addTimer(http, options, routeLockName(task, route.name), timing, (signal) => run(route, signal), { runImmediately, context: { route: route.name } });
  };
  for (const route of options.routes.values()) {
    const { poll, statusCheck, reconcile } = route.config;
    if (poll !== false) add('poll', route, poll, true);
    if (statusCheck !== false && route.destination.readStatus !== undefined) add('statusCheck', route, statusCheck);
    if (reconcile !== false && canReconcile(route)) add('reconcile', route, reconcile);
  }
}

/** The store's pruning, on every replica's timer; one of them runs it at a time, about once per period. */
export function schedulePruning(
  http: FastifyInstance,
  options: Pick<TimerOptions, 'exclusive' | 'logger' | 'shutdown'>,
  every: number,
  prune: (signal: AbortSignal) => Promise<unknown>,
): void {
  addTimer(http, options, pruneLockName, { every }, prune);
}

/** The run lock (and timer id) of the pruning: one name for the timers and `order-bridge prune`. */
export const pruneLockName = 'prune';
