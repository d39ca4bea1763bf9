import type { RunTask, RunTracker } from '../ops/runs.js';
import { pollCounts, reconcileCounts, statusCheckCounts } from '../ops/run-summaries.js';
import type { RouteRuntime } from '../routes/runtime.js';
import { ranOrBusy, type ExclusiveRuns } from './exclusive-runs.js';

/** A route's run: what it does with the route, stopping when the signal aborts. */
export type RouteRun<T> = (route: RouteRuntime, signal: AbortSignal) => Promise<T>;

const summaries = { poll: pollCounts, statusCheck: statusCheckCounts, reconcile: reconcileCounts } as const;
const lockNames: Record<RunTask, string> = { poll: 'poll', statusCheck: 'status', reconcile: 'reconcile' };
const taskNames: Record<RunTask, string> = { poll: 'poll', statusCheck: 'status check', reconcile: 'status reconciliation' };

/** The run lock of a route's task, e.g. "poll:<route>": one name for the timers, the CLI and the admin API. */
export function routeLockName(task: RunTask, route: string): string {
  return `${lockNames[task]}:${route}`;
}

/** Records a run of a route's task (start, end, counts) for the admin API and /metrics. */
export function trackedRun<T>(runs: RunTracker, task: RunTask, run: RouteRun<T>): RouteRun<T> {
  const summarize = summaries[task] as (result: T) => Record<string, number>;
  return (route, signal) => runs.track(route.name, task, () => run(route, signal), summarize);
}

export interface RouteRunsOptions {
  routes: ReadonlyMap<string, RouteRuntime>;
  exclusive: ExclusiveRuns;
  runs: RunTracker;
}

/**
 * Runs asked for now (CLI, admin API): recorded at once (the admin API shows them running), shared by
 * callers in this process, and refused with RUN_LOCKED while another process runs them.
 */
export class RouteRuns {
  private readonly manual = new Map<string, Promise<unknown>>();

  constructor(private readonly options: RouteRunsOptions) {}

  route(name: string): RouteRuntime {
    const route = this.options.routes.get(name);
    if (route === undefined) throw new Error(`no enabled route named "${name}"`);
    return route;
  }

  now<T>(name: string, task: RunTask, run: RouteRun<T>): Promise<T> {
    const route = this.route(name);
    const lock = routeLockName(task, name);
    const running = this.manual.get(lock);
    if (running !== undefined) return running as Promise<T>;
    const { exclusive, runs } = this.options;
    const summarize = summaries[task] as (result: T) => Record<string, number>;
    const started = runs
      .track(name, task, async () => ranOrBusy(`${taskNames[task]} of route "${name}"`, await exclusive.run(lock, (signal) => run(route, signal))), summarize)
      .finally(() => this.manual.delete(lock));
    this.manual.set(lock, started);
    return started;
  }
}
