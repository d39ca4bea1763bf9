import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { ExchangeEntry } from '../core/exchange.js';
import type { JobRunEvent } from '../ops/job-observer.js';
import type { RunRecord, RunTask } from '../ops/runs.js';
import { bindingStages, type BindingStage } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import type { JobState } from '../store/jobs.js';
import { countBindings, countJobs, oldestDueJobs } from '../store/ops-queries.js';
import { OperationLabels } from './operation-label.js';

export interface MetricsOptions {
  db: Database;
  clock: Clock;
  /** Route names, so that every route has its series (at 0) before anything happened on it. */
  routes: readonly string[];
}

const jobStates: readonly JobState[] = ['pending', 'running', 'done', 'dead'];
const stages: readonly BindingStage[] = bindingStages;

/**
 * The Prometheus metrics of one service instance. Counters and histograms are fed as things happen
 * (exchange entries, job runs, route runs); the queue's state is read from the database at each scrape,
 * so it is right for every replica sharing that database.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new OperationLabels();

  private readonly callDuration = new Histogram({
    name: 'order_bridge_external_call_duration_seconds',
    help: 'Duration of calls to external systems, by connection, connector and operation',
    labelNames: ['connection', 'connector', 'operation'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly calls = new Counter({
    name: 'order_bridge_external_calls_total',
    help: 'Calls to external systems by HTTP status ("none": no answer) and result ("ok": a working system answered)',
    labelNames: ['connection', 'connector', 'operation', 'status', 'result'],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'order_bridge_external_rate_limited_total',
    help: 'HTTP 429 answers received from external systems',
    labelNames: ['connection', 'connector', 'operation'],
    registers: [this.registry],
  });
  private readonly jobRuns = new Counter({
    name: 'order_bridge_job_runs_total',
    help: 'Job runs by route, kind (export, delivered, notify) and outcome (ok, error)',
    labelNames: ['route', 'kind', 'outcome'],
    registers: [this.registry],
  });
  private readonly jobsDead = new Counter({
    name: 'order_bridge_jobs_dead_total',
    help: 'Jobs that failed for good (a person must act), by route and kind',
    labelNames: ['route', 'kind'],
    registers: [this.registry],
  });
  private readonly jobRunDuration = new Histogram({
    name: 'order_bridge_job_run_duration_seconds',
    help: 'Duration of job runs by route and kind',
    labelNames: ['route', 'kind'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly routeRuns = new Counter({
    name: 'order_bridge_route_runs_total',
    help: 'Polls, status checks and status reconciliations by route, task and outcome (ok, failed)',
    labelNames: ['route', 'task', 'outcome'],
    registers: [this.registry],
  });
  private readonly routeRunLastSuccess = new Gauge({
    name: 'order_bridge_route_run_last_success_timestamp_seconds',
    help: 'When the last poll or status check of a route finished well (Unix time)',
    labelNames: ['route', 'task'],
    registers: [this.registry],
  });
  private readonly jobs = new Gauge({
    name: 'order_bridge_jobs',
    help: 'Jobs in the queue by route, kind and state (pending, running, done, dead)',
    labelNames: ['route', 'kind', 'state'],
    registers: [this.registry],
  });
  private readonly orders = new Gauge({
    name: 'order_bridge_orders',
    help: 'Orders by route and stage (queued, exported, delivered, finished, skipped, failed)',
    labelNames: ['route', 'stage'],
    registers: [this.registry],
  });
  private readonly queueLag = new Gauge({
    name: 'order_bridge_queue_lag_seconds',
    help: 'How long the longest-waiting due job of a route has waited for a worker (0: none waits)',
    labelNames: ['route'],
    registers: [this.registry],
  });
  private readonly databaseUp = new Gauge({
    name: 'order_bridge_database_up',
    help: '1 when the last scrape could read the queue from the database, else 0',
    registers: [this.registry],
  });

  constructor(private readonly options: MetricsOptions) {
    // CPU, memory, event loop lag and GC of this process, under the usual process_* and nodejs_* names.
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observeExchange(connection: string, entry: ExchangeEntry, reachedWorkingSystem: boolean): void {
    const connector = entry.connector;
    const operation = this.operations.label(connection, entry.operation);
    this.callDuration.observe({ connection, connector, operation }, entry.durationMs / 1000);
    const status = entry.httpStatus === null ? 'none' : String(entry.httpStatus);
    this.calls.inc({ connection, connector, operation, status, result: reachedWorkingSystem ? 'ok' : 'error' });
    if (entry.httpStatus === 429) this.rateLimited.inc({ connection, connector, operation });
  }

  observeJobRun(event: JobRunEvent): void {
    if (event.outcome === 'dead') {
      this.jobsDead.inc({ route: event.route, kind: event.kind });
      return;
    }
    this.jobRuns.inc({ route: event.route, kind: event.kind, outcome: event.outcome });
    this.jobRunDuration.observe({ route: event.route, kind: event.kind }, event.durationMs / 1000);
  }

  observeRouteRun(route: string, task: RunTask, run: RunRecord): void {
    if (run.outcome === 'running') return;
    this.routeRuns.inc({ route, task, outcome: run.outcome });
    if (run.outcome === 'ok' && run.finishedAt !== null) this.routeRunLastSuccess.set({ route, task }, run.finishedAt / 1000);
  }

  /** The Prometheus text exposition, with the queue read from the database now. */
  async render(): Promise<string> {
    await this.readQueue();
    return this.registry.metrics();
  }

  private async readQueue(): Promise<void> {
    const { db, clock, routes } = this.options;
    this.jobs.reset();
    this.orders.reset();
    this.queueLag.reset();
    try {
      const now = clock.now();
      const [jobCounts, stageCounts, oldest] = await Promise.all([countJobs(db), countBindings(db), oldestDueJobs(db, now)]);
      const pairs = new Set(jobCounts.map((c) => `${c.route}\n${c.kind}`));
      for (const pair of pairs) {
        const [route = '', kind = ''] = pair.split('\n');
        for (const state of jobStates) this.jobs.set({ route, kind, state }, 0);
      }
      for (const c of jobCounts) this.jobs.set({ route: c.route, kind: c.kind, state: c.state }, c.count);
      for (const route of routes) for (const stage of stages) this.orders.set({ route, stage }, 0);
      for (const c of stageCounts) this.orders.set({ route: c.route, stage: c.stage }, c.count);
      for (const route of new Set([...routes, ...oldest.keys()])) {
        const since = oldest.get(route);
        this.queueLag.set({ route }, since === undefined ? 0 : Math.max(0, now - since) / 1000);
      }
      this.databaseUp.set(1);
    } catch {
      this.databaseUp.set(0);
    }
  }
}
