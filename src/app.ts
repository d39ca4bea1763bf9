import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { reconcileDefaults, type ResolvedConfig } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Connector, SalesSession, SessionInfo } from './core/connector.js';
import { SecretScrubber } from './core/redact.js';
import type { ConnectorRegistry } from './core/registry.js';
import { JobEngine, type JobKind } from './engine/engine.js';
import { ExchangeRecorder } from './exchange/recorder.js';
import { buildHttpServer } from './http/server.js';
import { Operations } from './ops/operations.js';
import { deliveredJobKind } from './routes/delivered-job.js';
import { exportJobKind } from './routes/export-job.js';
import { notifyJobKind, queueFailureNotice } from './routes/notify.js';
import { pollRoute, type PollSummary } from './routes/poll.js';
import { enqueueExport, type EnqueueOutcome } from './routes/enqueue.js';
import { reconcileRoute, type ReconcileSummary } from './routes/reconcile.js';
import { checkStatuses, type StatusCheckSummary } from './routes/status-check.js';
import type { RouteRuntime } from './routes/runtime.js';
import { connectorState } from './store/cursors.js';
import { migrate, openDatabase, walFileBytes, type Database } from './store/db.js';
import { probeStore } from './store/probe.js';
import type { StoreSize } from './store/retention.js';
import { ExclusiveRuns } from './schedule/exclusive-runs.js';
import { RouteRuns } from './schedule/route-runs.js';
import { pruneLockName, schedulePruning, scheduleRouteRuns, startScheduler } from './schedule/timers.js';
import { Pruner, type PruneSummary } from './ops/prune.js';
import { WebhookIntake } from './routes/intake.js';

export interface AppOptions {
  config: ResolvedConfig;
  registry: ConnectorRegistry;
  logger: Logger;
  clock?: Clock;
  /** Start the scheduled polls and status checks (off for one-shot CLI commands and most tests). */
  schedule?: boolean;
}

export interface App {
  config: ResolvedConfig;
  db: Database;
  engine: JobEngine;
  http: FastifyInstance;
  routes: ReadonlyMap<string, RouteRuntime>;
  scrubber: SecretScrubber;
  recorder: ExchangeRecorder;
  /** Last contacts, last runs, job attempts and metrics: what /ready, /metrics and the admin API show. */
  ops: Operations;
  /** Listens for webhooks and starts the job engine; resolves with the listening address. */
  start(): Promise<string>;
  /** Polls now; fails with RUN_LOCKED while another process polls this route. */
  pollNow(route: string, options?: RunOptions<PollSummary>): Promise<PollSummary>;
  /** Checks statuses now; fails with RUN_LOCKED while another process checks this route. */
  checkStatusNow(route: string, options?: RunOptions<StatusCheckSummary>): Promise<StatusCheckSummary>;
  /** Reconciles statuses now; fails with RUN_LOCKED while another process reconciles this route. */
  reconcileNow(route: string, options?: RunOptions<ReconcileSummary> & { days?: number }): Promise<ReconcileSummary>;
  /**
   * What the schedule runs for a route's poll: the poll, and with a sales session that closes after each
   * run, the close once the jobs it queued are done.
   */
  scheduledPoll(route: string): Promise<PollSummary>;
  /** Queues these source orders for export now (for sources without a change list, or to resend by hand). */
  queueExports(route: string, sourceIds: readonly string[]): Promise<EnqueueOutcome[]>;
  /** The destination's sales session (MoySklad's retail shift): open or reuse, or close; one process at a time. */
  openSession(route: string): Promise<SessionInfo>;
  closeSession(route: string): Promise<SessionInfo | null>;
  /** Removes what is older than its retention window now; fails with RUN_LOCKED while another process prunes. */
  pruneNow(onProgress?: (summary: PruneSummary) => void): Promise<PruneSummary>;
  /** What the store takes on disk. */
  storeSize(): Promise<StoreSize>;
  /** Stops taking work, gives running jobs `graceMs` (default `shutdownGrace`) to finish, releases the rest. */
  stop(graceMs?: number): Promise<void>;
}

export interface RunOptions<Summary> {
  /** Called as the run goes (after each page or order) with the counts so far; read them at once. */
  onProgress?: (summary: Summary) => void;
}

/** The password inside a PostgreSQL connection string, so that no error message or log shows it. */
export function databasePassword(database: ResolvedConfig['database']): string | undefined {
  if (database.client !== 'pg') return undefined;
  try {
    return decodeURIComponent(new URL(database.connection).password) || undefined;
  } catch {
    return undefined;
  }
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, registry, logger } = options;
  const clock = options.clock ?? systemClock;
  const scrubber = new SecretScrubber();
  scrubber.add(config.admin?.token);
  for (const route of config.routes) scrubber.add(route.webhook?.token);
  scrubber.add(databasePassword(config.database));

  const db = await openDatabase(config.database);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const recorder = new ExchangeRecorder({ db, scrubber, logger, maxBodyChars: 64 * 1024 });
  const connectionTypes = Object.fromEntries(Object.entries(config.connections).map(([name, c]) => [name, c.type]));
  const ops = new Operations({
    db,
    clock,
    logger,
    scrub: (text) => scrubber.scrub(text),
    routes: config.routes.filter((r) => r.enabled).map((r) => r.name),
    connections: connectionTypes,
  });

  /** Unique per process: written on the jobs and run locks it holds. */
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const shutdown = new AbortController();
  const exclusive = new ExclusiveRuns({ db, owner, leaseMs: config.worker.lease, clock, shutdown: shutdown.signal });

  const connections = new Map<string, Connector>();
  for (const [name, connection] of Object.entries(config.connections)) {
    const definition = registry.get(connection.type);
    if (definition === undefined) throw new Error(`connector type "${connection.type}" is not registered`);
    connections.set(
      name,
      definition.create(connection.settings, {
        name,
        exchanges: ops.exchangeSink(name, recorder.sink),
        scrubber,
        logger: logger.child({ connection: name }),
        connection(other) {
          const found = connections.get(other);
          if (found === undefined) throw new Error(`no connection named "${other}"`);
          return found;
        },
        state: connectorState(db, name, clock),
        exclusive: (key, fn) => exclusive.runOrRefuse(`connection:${name}:${key}`, `${key} of connection "${name}"`, fn),
      }),
    );
  }

  for (const [name, connector] of connections) {
    if (connector.describe !== undefined) ops.contacts.describe(name, () => connector.describe!());
  }

  const routes = new Map<string, RouteRuntime>();
  const sourceTypes = new Map<string, string>();
  for (const route of config.routes.filter((r) => r.enabled)) {
    const source = connections.get(route.from)?.source;
    const destination = connections.get(route.to)?.destination;
    if (source === undefined || destination === undefined) throw new Error(`route ${route.name}: its connections lack a source or destination`);
    routes.set(route.name, {
      name: route.name,
      config: route,
      from: route.from,
      to: route.to,
      source,
      destination,
      maxAttempts: route.maxAttempts ?? config.worker.maxAttempts,
    });
    sourceTypes.set(route.name, config.connections[route.from]?.type ?? route.from);
  }

  /** A dead export or delivery also tells the people at the source, once per failure. */
  const withFailureNotice = (kind: JobKind): JobKind => ({
    ...kind,
    async onDead(job, error) {
      await kind.onDead?.(job, error);
      const route = routes.get(job.route);
      if (route === undefined) return;
      await queueFailureNotice(db, clock, route, job);
      engine.wake();
    },
  });
  const kinds = new Map<string, JobKind>([
    ['export', ops.observeJobs('export', withFailureNotice(exportJobKind({ db, clock, routes })))],
    ['delivered', ops.observeJobs('delivered', withFailureNotice(deliveredJobKind({ db, clock, routes })))],
    ['notify', ops.observeJobs('notify', notifyJobKind({ db, routes }))],
  ]);
  const engine = new JobEngine({
    db,
    owner,
    clock,
    logger: logger.child({ component: 'jobs' }),
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.lease,
    idlePollMs: config.worker.idlePoll,
    backoff: { baseMs: config.worker.backoffBase, maxMs: config.worker.backoffMax },
    kinds,
    scrub: (text) => scrubber.scrub(text),
    beforeOutcome: () => recorder.flush(),
    holdClaims: () => intake.busy(),
  });

  const pruner = new Pruner({ db, clock, logger, retention: config.retention, walBytes: () => walFileBytes(config.database) });
  // The webhook intake writes through a connection of its own: its commits wait for no job, exchange-log
  // or pruning statement queued on the main pool (SQLite's WAL lets both connections work on one file).
  const intakeDb = config.database.client === 'sqlite' && config.database.filename === ':memory:' ? db : await openDatabase(config.database, { connections: 1 });
  const intake = new WebhookIntake({ db: intakeDb, clock, logger, onQueued: () => engine.wake() });

  const http = buildHttpServer({
    db,
    clock,
    routes,
    sourceTypes,
    intake,
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    timeouts: { headersMs: config.http.headersTimeout, requestMs: config.http.requestTimeout, idleMs: config.http.idleTimeout },
    scrub: (text) => scrubber.scrub(text),
    onQueued: () => engine.wake(),
    adminToken: config.admin?.token,
    ops,
    connectionTypes,
    control: { pollNow: (route) => pollNow(route), checkStatusNow: (route) => checkStatusNow(route), reconcileNow: (route) => reconcileNow(route) },
    store: { size: () => pruner.size(), lastPrune: () => pruner.lastRun(), retention: config.retention },
    readyProbe: () => probeStore(db, config.database, clock.now()),
  });

  const routeRuns = new RouteRuns({ routes, exclusive, runs: ops.runs });

  async function poll(route: RouteRuntime, signal: AbortSignal, onProgress?: (summary: PollSummary) => void): Promise<PollSummary> {
    // A poll that fails has its calls stored too before its error is told: that is when they are looked at.
    const summary = await pollRoute({ db, clock, logger, onProgress }, route, signal).finally(() => recorder.flush());
    if (summary.queued > 0) engine.wake();
    return summary;
  }

  async function checkStatus(route: RouteRuntime, signal: AbortSignal, onProgress?: (summary: StatusCheckSummary) => void): Promise<StatusCheckSummary> {
    const summary = await checkStatuses({ db, clock, logger, onProgress }, route, signal);
    await recorder.flush();
    if (summary.delivered > 0) engine.wake();
    return summary;
  }

  async function reconcile(route: RouteRuntime, signal: AbortSignal, run: RunOptions<ReconcileSummary> & { days?: number } = {}): Promise<ReconcileSummary> {
    const settings = route.config.reconcile === false ? reconcileDefaults : route.config.reconcile;
    const summary = await reconcileRoute(
      { clock, logger },
      route,
      { days: run.days ?? settings.days, statuses: settings.statuses, ...(run.onProgress === undefined ? {} : { onProgress: run.onProgress }) },
      signal,
    );
    await recorder.flush();
    return summary;
  }

  /** The scheduled poll: with a sales session that closes after each run, the close once the run's jobs are done. */
  async function pollThenClose(route: RouteRuntime, signal: AbortSignal): Promise<PollSummary> {
    const summary = await poll(route, signal);
    if (route.destination.session?.closeAfterRun === true) {
      await engine.whenIdle();
      const closed = await closeSession(route.name);
      if (closed !== null) logger.info({ route: route.name, shift: closed.name }, 'sales session closed after the run');
    }
    return summary;
  }

  function pollNow(name: string, options: RunOptions<PollSummary> = {}): Promise<PollSummary> {
    return routeRuns.now(name, 'poll', (route, signal) => poll(route, signal, options.onProgress));
  }

  function checkStatusNow(name: string, options: RunOptions<StatusCheckSummary> = {}): Promise<StatusCheckSummary> {
    return routeRuns.now(name, 'statusCheck', (route, signal) => checkStatus(route, signal, options.onProgress));
  }

  function reconcileNow(name: string, run: RunOptions<ReconcileSummary> & { days?: number } = {}): Promise<ReconcileSummary> {
    return routeRuns.now(name, 'reconcile', (route, signal) => reconcile(route, signal, run));
  }

  function scheduledPoll(name: string): Promise<PollSummary> {
    return routeRuns.now(name, 'poll', pollThenClose);
  }

  async function queueExports(name: string, sourceIds: readonly string[]): Promise<EnqueueOutcome[]> {
    const route = routeRuns.route(name);
    const outcomes: EnqueueOutcome[] = [];
    for (const sourceId of sourceIds) {
      const { outcome } = await enqueueExport(db, route, { sourceId, number: null, revision: null, via: 'manual', snapshot: null }, clock.now());
      outcomes.push(outcome);
    }
    engine.wake();
    return outcomes;
  }

  function sessionOf(name: string): SalesSession {
    const route = routeRuns.route(name);
    const session = route.destination.session;
    if (session === undefined) throw new Error(`route ${name}: ${route.to} has no sales session (retail shift) to open or close`);
    return session;
  }

  async function sessionCall<T>(name: string, call: (session: SalesSession, signal: AbortSignal) => Promise<T>): Promise<T> {
    const session = sessionOf(name);
    try {
      return await call(session, shutdown.signal);
    } finally {
      await recorder.flush();
    }
  }

  function openSession(name: string): Promise<SessionInfo> {
    return sessionCall(name, (session, signal) => session.open(signal));
  }

  function closeSession(name: string): Promise<SessionInfo | null> {
    return sessionCall(name, (session, signal) => session.close(signal));
  }

  const pruneNow = (onProgress?: (summary: PruneSummary) => void): Promise<PruneSummary> =>
    exclusive.runOrRefuse(pruneLockName, 'pruning of the store', (signal) => pruner.run(signal, onProgress));

  if (options.schedule === true) {
    await startScheduler(http);
    schedulePruning(http, { exclusive, logger, shutdown: shutdown.signal }, config.retention.every, (signal) => pruner.run(signal));
    scheduleRouteRuns(http, {
      routes,
      exclusive,
      runs: ops.runs,
      logger,
      shutdown: shutdown.signal,
      work: { poll: pollThenClose, statusCheck: (route, signal) => checkStatus(route, signal), reconcile: (route, signal) => reconcile(route, signal) },
    });
  }

  let started = false;
  return {
    config,
    db,
    engine,
    http,
    routes,
    scrubber,
    recorder,
    ops,
    async start() {
      // Node's default backlog (511) drops the connections of a larger burst, and their senders try
      // again only after a second: past Odoo's patience. The system caps it (net.core.somaxconn).
      const address = await http.listen({ host: config.http.host, port: config.http.port, backlog: 4096 });
      engine.start();
      started = true;
      return address;
    },
    pollNow,
    checkStatusNow,
    reconcileNow,
    scheduledPoll,
    queueExports,
    openSession,
    closeSession,
    pruneNow,
    storeSize: () => pruner.size(),
    async stop(graceMs = config.shutdownGrace) {
      shutdown.abort(new Error('service is shutting down'));
      // Also stops the scheduler; webhooks arriving meanwhile get 503 (the poll catches them later).
      await http.close();
      // An aborted poll or status check has committed whole pages only; the next run goes on from there.
      await exclusive.settled();
      if (started) await engine.stop(graceMs);
      await recorder.flush();
      for (const connection of connections.values()) await connection.close?.();
      if (intakeDb !== db) await intakeDb.destroy();
      await db.destroy();
    },
  };
}
