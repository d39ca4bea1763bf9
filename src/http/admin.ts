import type { FastifyInstance } from 'fastify';
import type { RetentionConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { Clock } from '../core/clock.js';
import type { PruneSummary } from '../ops/prune.js';
import type { StoreSize } from '../store/retention.js';
import type { ContactTracker } from '../ops/contacts.js';
import type { RunTask, RunTracker } from '../ops/runs.js';
import { pollCursorName } from '../routes/poll.js';
import { canReconcile } from '../routes/reconcile.js';
import type { RouteRuntime } from '../routes/runtime.js';
import { listAttempts } from '../store/attempts.js';
import { getBinding, listBindings } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import { getJob, listJobs, retryDeadJob, type Job } from '../store/jobs.js';
import { countJobs, cursorMovedAt, orderKey, recentExchanges, retryDeadJobs, sourceNumbers } from '../store/ops-queries.js';
import {
  attemptView,
  bindingsQuery,
  bindingsResponse,
  bindingView,
  errorSchema,
  exchangeView,
  historyQuery,
  historyResponse,
  jobIdParams,
  jobsQuery,
  jobsResponse,
  jobView,
  orderParams,
  retryDeadQuery,
  retryDeadResponse,
  retryResponse,
  routeParams,
  routesResponse,
  runQuery,
  runResponse,
  runView,
  storeResponse,
} from './admin-schemas.js';
import { requireBearer } from './auth.js';
import type { ZodTypeProvider } from './zod.js';

/** Runs a route's poll or status check now; a run already under way is shared, not started twice. */
const runPaths: Record<RunTask, string> = { poll: 'poll', statusCheck: 'status-check', reconcile: 'reconcile' };

function runEnabled(route: RouteRuntime, task: RunTask): boolean {
  if (task === 'poll') return route.config.poll !== false;
  if (task === 'statusCheck') return route.config.statusCheck !== false && route.destination.readStatus !== undefined;
  return canReconcile(route);
}

export interface RouteControl {
  pollNow(route: string): Promise<unknown>;
  checkStatusNow(route: string): Promise<unknown>;
  reconcileNow(route: string): Promise<unknown>;
}

/** The store's size and its pruning, for GET /admin/store. */
export interface StoreControl {
  size(): Promise<StoreSize>;
  lastPrune(): PruneSummary | null;
  retention: RetentionConfig;
}

export interface AdminDeps {
  db: Database;
  clock: Clock;
  token: string;
  onQueued: () => void;
  scrub: (text: string) => string;
  routes: ReadonlyMap<string, RouteRuntime>;
  /** Connection name → connector type. */
  connectionTypes: Readonly<Record<string, string>>;
  /** What each connection speaks now (Odoo's protocol and version). */
  contacts: ContactTracker;
  runs: RunTracker;
  control: RouteControl;
  store: StoreControl;
}

const security = [{ adminToken: [] }];

async function withNumbers(db: Database, jobs: readonly Job[]) {
  const numbers = await sourceNumbers(
    db,
    jobs.flatMap((j) => (j.sourceId === null ? [] : [{ route: j.route, sourceId: j.sourceId }])),
  );
  return jobs.map((j) => jobView(j, j.sourceId === null ? null : (numbers.get(orderKey(j.route, j.sourceId)) ?? null)));
}

/**
 * The admin API: routes with their schedules and last runs, orders and their history, jobs, retries,
 * and running a route's poll or status check now. Bearer token, compared in constant time; every answer
 * passes the secret scrubber once more on its way out.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const { db, clock, routes, runs, control } = deps;

  void app.register(
    async (plain) => {
      plain.addHook('onRequest', requireBearer(deps.token));
      plain.addHook('onSend', async (_request, reply, payload) => {
        const type = String(reply.getHeader('content-type') ?? '');
        return typeof payload === 'string' && type.includes('json') ? deps.scrub(payload) : payload;
      });
      const admin = plain.withTypeProvider<ZodTypeProvider>();

      admin.get(
        '/routes',
        { schema: { tags: ['admin'], security, summary: 'Routes with their schedules, job counts and last runs', response: { 200: routesResponse } } },
        async () => {
          const jobCounts = await countJobs(db);
          const contacts = new Map(deps.contacts.snapshot().map((c) => [c.connection, c]));
          const end = (connection: string) => {
            const contact = contacts.get(connection);
            return {
              connection,
              type: deps.connectionTypes[connection] ?? connection,
              ...(contact?.protocol === undefined ? {} : { protocol: contact.protocol, version: contact.version ?? null }),
            };
          };
          const list = await Promise.all(
            [...routes.values()].map(async (route) => {
              const jobs = { pending: 0, running: 0, done: 0, dead: 0 };
              for (const c of jobCounts) if (c.route === route.name) jobs[c.state] += c.count;
              const { poll, statusCheck, reconcile, webhook } = route.config;
              const cursorAt = await cursorMovedAt(db, pollCursorName(route.name));
              return {
                name: route.name,
                from: end(route.from),
                to: end(route.to),
                webhook: webhook !== undefined,
                poll: poll === false ? null : { everyMs: poll.every, pageSize: poll.pageSize },
                statusCheck:
                  statusCheck === false || route.destination.readStatus === undefined
                    ? null
                    : { everyMs: statusCheck.cron === undefined ? statusCheck.every : null, cron: statusCheck.cron ?? null },
                reconcile:
                  reconcile === false || !canReconcile(route)
                    ? null
                    : { everyMs: reconcile.cron === undefined ? reconcile.every : null, cron: reconcile.cron ?? null, days: reconcile.days },
                maxAttempts: route.maxAttempts,
                jobs,
                lastPoll: runView(runs.lastRun(route.name, 'poll')),
                lastStatusCheck: runView(runs.lastRun(route.name, 'statusCheck')),
                lastReconcile: runView(runs.lastRun(route.name, 'reconcile')),
                pollCursorAt: cursorAt === null ? null : new Date(cursorAt).toISOString(),
              };
            }),
          );
          return { routes: list };
        },
      );

      admin.get(
        '/jobs',
        {
          schema: {
            tags: ['admin'],
            security,
            summary: 'Jobs, newest first; state=dead lists the failures with their message',
            querystring: jobsQuery,
            response: { 200: jobsResponse, 400: errorSchema },
          },
        },
        async (request) => {
          const { state, route, kind, sourceId, limit } = request.query;
          const jobs = await listJobs(db, { limit, state, route, kind, sourceId });
          return { jobs: await withNumbers(db, jobs) };
        },
      );

      admin.post(
        '/jobs/:id/retry',
        {
          schema: {
            tags: ['admin'],
            security,
            summary: 'Put a dead job back in the queue with fresh attempts',
            params: jobIdParams,
            response: { 202: retryResponse, 404: errorSchema, 409: errorSchema },
          },
        },
        async (request, reply) => {
          const { id } = request.params;
          if (!(await retryDeadJob(db, id, clock.now()))) {
            const job = await getJob(db, id);
            if (job === null) return reply.code(404).send({ error: 'not_found', message: `no job ${id}` });
            return reply.code(409).send({ error: 'not_dead', message: `job ${id} is ${job.state}, not dead` });
          }
          deps.onQueued();
          return reply.code(202).send({ status: 'queued' as const, job: id });
        },
      );

      admin.post(
        '/routes/:route/retry-dead',
        {
          schema: {
            tags: ['admin'],
            security,
            summary: "Put every dead job of a route (of one kind, if given) back in the queue",
            params: routeParams,
            querystring: retryDeadQuery,
            response: { 202: retryDeadResponse, 404: errorSchema },
          },
        },
        async (request, reply) => {
          const { route } = request.params;
          if (!routes.has(route)) return reply.code(404).send({ error: 'not_found', message: `no enabled route named "${route}"` });
          const count = await retryDeadJobs(db, { route, kind: request.query.kind }, clock.now());
          if (count > 0) deps.onQueued();
          return reply.code(202).send({ status: 'queued' as const, jobs: count });
        },
      );

      admin.get(
        '/bindings',
        {
          schema: {
            tags: ['admin'],
            security,
            summary: 'Orders (one binding per route and source order), newest first; search by route, order number or destination id',
            querystring: bindingsQuery,
            response: { 200: bindingsResponse, 400: errorSchema },
          },
        },
        async (request) => {
          const bindings = await listBindings(db, request.query);
          return { bindings: bindings.map(bindingView) };
        },
      );

      admin.get(
        '/orders/:route/:sourceId',
        {
          schema: {
            tags: ['admin'],
            security,
            summary: "An order's full history: its binding, jobs with every attempt, and the calls made for it",
            params: orderParams,
            querystring: historyQuery,
            response: { 200: historyResponse, 404: errorSchema },
          },
        },
        async (request, reply) => {
          const { route, sourceId } = request.params;
          const [binding, jobs] = await Promise.all([getBinding(db, route, sourceId), listJobs(db, { route, sourceId, limit: 1000 })]);
          if (binding === null && jobs.length === 0) {
            return reply.code(404).send({ error: 'not_found', message: `route "${route}" has no order ${sourceId}` });
          }
          const [attempts, exchanges] = await Promise.all([
            listAttempts(db, jobs.map((j) => j.id)),
            recentExchanges(db, { route, sourceId, limit: request.query.exchanges }),
          ]);
          const number = binding?.sourceNumber ?? null;
          return {
            route,
            sourceId,
            binding: binding === null ? null : bindingView(binding),
            jobs: jobs.map((job) => ({ ...jobView(job, number), history: attempts.filter((a) => a.jobId === job.id).map(attemptView) })),
            exchanges: exchanges.map(exchangeView),
          };
        },
      );

      admin.get(
        '/store',
        { schema: { tags: ['admin'], security, summary: "The store's size on disk, how long each kind of record is kept, and the last pruning", response: { 200: storeResponse } } },
        async () => {
          const { retention } = deps.store;
          const last = deps.store.lastPrune();
          return {
            ...(await deps.store.size()),
            retention: {
              exchanges: formatDuration(retention.exchanges),
              exchangeBodies: formatDuration(retention.exchangeBodies),
              statusReads: formatDuration(retention.statusReads),
              jobAttempts: formatDuration(retention.jobAttempts),
              finishedJobs: formatDuration(retention.finishedJobs),
              every: formatDuration(retention.every),
            },
            lastPrune:
              last === null
                ? null
                : { startedAt: new Date(last.startedAt).toISOString(), finishedAt: new Date(last.finishedAt).toISOString(), removed: last.removed, freedBytes: last.freedBytes },
          };
        },
      );

      const runNow = (task: RunTask, summary: string, start: (route: string) => Promise<unknown>) =>
        admin.post(
          `/routes/:route/${runPaths[task]}`,
          {
            schema: {
              tags: ['admin'],
              security,
              summary,
              params: routeParams,
              querystring: runQuery,
              response: { 200: runResponse, 202: runResponse, 404: errorSchema, 409: errorSchema },
            },
          },
          async (request, reply) => {
            const { route: name } = request.params;
            const route = routes.get(name);
            if (route === undefined) return reply.code(404).send({ error: 'not_found', message: `no enabled route named "${name}"` });
            if (!runEnabled(route, task)) return reply.code(409).send({ error: 'not_configured', message: `route "${name}" has no ${runPaths[task].replace('-', ' ')}` });
            const alreadyRunning = runs.lastRun(name, task)?.outcome === 'running';
            const running = start(name);
            if (request.query.wait) {
              // A failed run is an answer too: its record carries the error.
              await running.catch(() => undefined);
              return reply.code(200).send({ status: 'finished' as const, run: currentRun(runs, name, task) });
            }
            running.catch((err: unknown) => request.log.error({ err, route: name, task }, 'run started from the admin API failed'));
            return reply.code(202).send({ status: alreadyRunning ? ('already-running' as const) : ('started' as const), run: currentRun(runs, name, task) });
          },
        );
      runNow('poll', "Run the route's poll now (?wait=true answers when it has finished)", (route) => control.pollNow(route));
      runNow('statusCheck', "Ask the destination for delivery statuses now (?wait=true answers when it has finished)", (route) => control.checkStatusNow(route));
      runNow('reconcile', 'Correct the source status kept on destination documents now (?wait=true answers when it has finished)', (route) => control.reconcileNow(route));
    },
    { prefix: '/admin' },
  );
}

/** The record of the run just started or finished (the tracker records a run as it starts). */
function currentRun(runs: RunTracker, route: string, task: RunTask) {
  const run = runView(runs.lastRun(route, task));
  if (run === null) throw new Error(`the ${task} of route "${route}" was started but left no record`);
  return run;
}
