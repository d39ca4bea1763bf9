import { randomUUID } from 'node:crypto';
import fastifySchedule from '@fastify/schedule';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AsyncTask, CronJob, SimpleIntervalJob } from 'toad-scheduler';
import type { ResolvedConfig } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Connector } from './core/connector.js';
import { retryable } from './core/errors.js';
import { SecretScrubber } from './core/redact.js';
import type { ConnectorRegistry } from './core/registry.js';
import { JobEngine, type JobKind } from './engine/engine.js';
import { cronPeriodMs } from './engine/periods.js';
import { ExchangeRecorder } from './exchange/recorder.js';
import { buildHttpServer } from './http/server.js';
import { deliveredJobKind } from './routes/delivered-job.js';
import { exportJobKind } from './routes/export-job.js';
import { notifyJobKind, queueFailureNotice } from './routes/notify.js';
import { pollRoute, type PollSummary } from './routes/poll.js';
import { checkStatuses, type StatusCheckSummary } from './routes/status-check.js';
import type { RouteRuntime } from './routes/runtime.js';
import { migrate, openDatabase, type Database } from './store/db.js';
import { withRunLock, type RunLockOutcome } from './store/run-locks.js';

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
  /** Listens for webhooks and starts the job engine; resolves with the listening address. */
  start(): Promise<string>;
  /** Polls now; fails with RUN_LOCKED while another process polls this route. */
  pollNow(route: string): Promise<PollSummary>;
  /** Checks statuses now; fails with RUN_LOCKED while another process checks this route. */
  checkStatusNow(route: string): Promise<StatusCheckSummary>;
  /** Stops taking work, gives running jobs `graceMs` (default `shutdownGrace`) to finish, releases the rest. */
  stop(graceMs?: number): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, registry, logger } = options;
  const clock = options.clock ?? systemClock;
  const scrubber = new SecretScrubber();
  scrubber.add(config.admin?.token);
  for (const route of config.routes) scrubber.add(route.webhook?.token);

  const db = await openDatabase(config.database);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const recorder = new ExchangeRecorder({ db, scrubber, logger, maxBodyChars: 64 * 1024 });

  const connections = new Map<string, Connector>();
  for (const [name, connection] of Object.entries(config.connections)) {
    const definition = registry.get(connection.type);
    if (definition === undefined) throw new Error(`connector type "${connection.type}" is not registered`);
    connections.set(
      name,
      definition.create(connection.settings, {
        name,
        exchanges: recorder.sink,
        scrubber,
        logger: logger.child({ connection: name }),
        connection(other) {
          const found = connections.get(other);
          if (found === undefined) throw new Error(`no connection named "${other}"`);
          return found;
        },
      }),
    );
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
    ['export', withFailureNotice(exportJobKind({ db, clock, routes }))],
    ['delivered', withFailureNotice(deliveredJobKind({ db, clock, routes }))],
    ['notify', notifyJobKind({ db, routes })],
  ]);
  /** Unique per process: written on the jobs and run locks it holds. */
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
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
  });

  const http = buildHttpServer({
    db,
    clock,
    routes,
    sourceTypes,
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    scrub: (text) => scrubber.scrub(text),
    onQueued: () => engine.wake(),
    adminToken: config.admin?.token,
  });

  const shutdown = new AbortController();
  const runningTasks = new Map<string, Promise<RunLockOutcome<unknown>>>();
  /**
   * A route's poll or status check runs in one process at a time across all replicas (a lease in the
   * database, see withRunLock); in this process a second caller shares the run already going.
   */
  function exclusive<T>(task: string, run: (signal: AbortSignal) => Promise<T>, skipIfDoneWithinMs?: number): Promise<RunLockOutcome<T>> {
    const running = runningTasks.get(task);
    if (running !== undefined) return running as Promise<RunLockOutcome<T>>;
    const started = withRunLock(db, task, config.worker.lease, owner, (lost) => run(AbortSignal.any([shutdown.signal, lost])), {
      now: () => clock.now(),
      ...(skipIfDoneWithinMs === undefined ? {} : { skipIfDoneWithinMs }),
    }).finally(() => runningTasks.delete(task));
    runningTasks.set(task, started);
    return started;
  }
  function ranOrBusy<T>(what: string, outcome: RunLockOutcome<T>): T {
    if (outcome.ran) return outcome.value;
    if (outcome.reason === 'recent') throw retryable('RUN_LOCKED', `the ${what} has just been done by another process; try again in a moment`);
    throw retryable('RUN_LOCKED', `the ${what} is already running in another process (held by ${outcome.holder ?? 'an unknown owner'}); try again when it has finished`);
  }
  function routeNamed(name: string): RouteRuntime {
    const route = routes.get(name);
    if (route === undefined) throw new Error(`no enabled route named "${name}"`);
    return route;
  }

  async function poll(route: RouteRuntime, signal: AbortSignal): Promise<PollSummary> {
    const summary = await pollRoute({ db, clock, logger }, route, signal);
    await recorder.flush();
    if (summary.queued > 0) engine.wake();
    return summary;
  }

  async function checkStatus(route: RouteRuntime, signal: AbortSignal): Promise<StatusCheckSummary> {
    const summary = await checkStatuses({ db, clock, logger }, route, signal);
    await recorder.flush();
    if (summary.delivered > 0) engine.wake();
    return summary;
  }

  async function pollNow(name: string): Promise<PollSummary> {
    const route = routeNamed(name);
    return ranOrBusy(`poll of route "${name}"`, await exclusive(`poll:${name}`, (signal) => poll(route, signal)));
  }

  async function checkStatusNow(name: string): Promise<StatusCheckSummary> {
    const route = routeNamed(name);
    return ranOrBusy(`status check of route "${name}"`, await exclusive(`status:${name}`, (signal) => checkStatus(route, signal)));
  }

  /**
   * Every replica has its own timer; the lock lets one of them run at a time, and a run completed
   * within half a period elsewhere makes the others skip theirs, so a route is polled about once per period.
   */
  function scheduledTask(task: string, periodMs: number, route: RouteRuntime, run: (route: RouteRuntime, signal: AbortSignal) => Promise<unknown>): AsyncTask {
    return new AsyncTask(
      task,
      async () => {
        const outcome = await exclusive(task, (signal) => run(route, signal), Math.floor(periodMs / 2));
        if (!outcome.ran) logger.debug({ task, ...outcome }, 'scheduled run skipped: another replica runs it or has just run it');
      },
      (err) => {
        if (shutdown.signal.aborted) logger.info({ task }, 'scheduled run interrupted by the shutdown; what it committed stays');
        else logger.error({ err, task, route: route.name }, 'scheduled run failed; the next one will try again');
      },
    );
  }

  if (options.schedule === true) {
    await http.register(fastifySchedule);
    for (const route of routes.values()) {
      if (route.config.poll !== false) {
        const id = `poll:${route.name}`;
        const task = scheduledTask(id, route.config.poll.every, route, poll);
        // preventOverrun: a slow poll is never run twice at once.
        http.scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: route.config.poll.every, runImmediately: true }, task, { id, preventOverrun: true }));
      }
      const statusCheck = route.config.statusCheck;
      if (statusCheck !== false && route.destination.readStatus !== undefined) {
        const id = `status:${route.name}`;
        if (statusCheck.cron !== undefined) {
          const task = scheduledTask(id, cronPeriodMs(statusCheck.cron), route, checkStatus);
          http.scheduler.addCronJob(new CronJob({ cronExpression: statusCheck.cron }, task, { id, preventOverrun: true }));
        } else {
          const task = scheduledTask(id, statusCheck.every, route, checkStatus);
          http.scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: statusCheck.every }, task, { id, preventOverrun: true }));
        }
      }
    }
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
    async start() {
      const address = await http.listen({ host: config.http.host, port: config.http.port });
      engine.start();
      started = true;
      return address;
    },
    pollNow,
    checkStatusNow,
    async stop(graceMs = config.shutdownGrace) {
      shutdown.abort(new Error('service is shutting down'));
      // Also stops the scheduler; webhooks arriving meanwhile get 503 (the poll catches them later).
      await http.close();
      // An aborted poll or status check has committed whole pages only; the next run goes on from there.
      await Promise.allSettled(runningTasks.values());
      if (started) await engine.stop(graceMs);
      await recorder.flush();
      for (const connection of connections.values()) await connection.close?.();
      await db.destroy();
    },
  };
}
