import type { Clock } from '../core/clock.js';

export type RunTask = 'poll' | 'statusCheck' | 'reconcile';

export interface RunRecord {
  startedAt: number;
  finishedAt: number | null;
  outcome: 'running' | 'ok' | 'failed';
  /** What the run did, as counts (e.g. seen, queued); null until it finished well. */
  summary: Readonly<Record<string, number>> | null;
  /** Why it failed, scrubbed of secrets. */
  error: string | null;
}

export type RunListener = (route: string, task: RunTask, run: RunRecord) => void;

/**
 * The last run of each route's poll and status check in this process, for the admin API and /metrics.
 * Kept in memory: after a restart the next run fills it in (the poll cursor's time is in the database).
 */
export class RunTracker {
  private readonly last = new Map<string, RunRecord>();
  private readonly listeners: RunListener[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly scrub: (text: string) => string,
  ) {}

  onFinished(listener: RunListener): void {
    this.listeners.push(listener);
  }

  lastRun(route: string, task: RunTask): RunRecord | null {
    return this.last.get(`${task}:${route}`) ?? null;
  }

  /** Runs `work` and records its start, end and outcome; the result or error passes through unchanged. */
  async track<T>(route: string, task: RunTask, work: () => Promise<T>, summarize: (result: T) => Record<string, number>): Promise<T> {
    const run: RunRecord = { startedAt: this.clock.now(), finishedAt: null, outcome: 'running', summary: null, error: null };
    this.last.set(`${task}:${route}`, run);
    try {
      const result = await work();
      Object.assign(run, { finishedAt: this.clock.now(), outcome: 'ok', summary: summarize(result) });
      return result;
    } catch (err) {
      Object.assign(run, { finishedAt: this.clock.now(), outcome: 'failed', error: this.scrub(err instanceof Error ? err.message : String(err)) });
      throw err;
    } finally {
      for (const listener of this.listeners) listener(route, task, { ...run });
    }
  }
}
