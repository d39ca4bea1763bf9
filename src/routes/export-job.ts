import type { Clock } from '../core/clock.js';
import { permanent, retryable } from '../core/errors.js';
import type { DestinationRef, FetchedOrder } from '../core/connector.js';
import { checkOrderAmounts } from '../core/order-amounts.js';
import type { Order } from '../core/order.js';
import type { JobDeferral, JobKind } from '../engine/engine.js';
import { getBinding, markBindingCreated, markBindingExported, setBindingError, setBindingStage } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import { setJobRevision, type Job } from '../store/jobs.js';
import { exportPayloadSchema, sourceOrderMissing } from './enqueue.js';
import type { RouteRuntime } from './runtime.js';

/** How often a webhook job re-reads an order that its webhook called confirmed before believing otherwise. */
const uncommittedAttempts = 3;

export interface ExportJobDeps {
  db: Database;
  clock: Clock;
  routes: ReadonlyMap<string, RouteRuntime>;
}

function routeOf(deps: ExportJobDeps, job: Job): RouteRuntime {
  const route = deps.routes.get(job.route);
  if (route === undefined) throw permanent('UNKNOWN_ROUTE', `route "${job.route}" is no longer configured`);
  return route;
}

/**
 * Look before creating; once the destination has answered a create with an id, keep that id at once,
 * before reading the order back: a crash or a failed read-back then leads the next attempt to read it
 * back by id, never to create it again.
 */
async function findOrCreate(
  route: RouteRuntime,
  order: Order,
  sourceId: string,
  signal: AbortSignal,
  logger: { info: (obj: object, msg: string) => void },
  deps: ExportJobDeps,
): Promise<DestinationRef> {
  const existing = await route.destination.find(order, signal);
  if (existing !== null) {
    logger.info({ order: order.number, destinationId: existing.id }, 'order was already at the destination');
    return existing;
  }
  const created = await route.destination.create(order, signal);
  logger.info({ order: order.number, destinationId: created.id }, 'order exported');
  if (route.destination.readBack === undefined) return created;
  await markBindingCreated(deps.db, route.name, sourceId, { sourceNumber: order.number, destinationId: created.id }, deps.clock.now());
  return readBack(route, order, created.id, signal);
}

/**
 * The order an earlier create made, read back by its id. A destination may show a new order late (a read
 * replica behind), so a miss is tried again with the job's backoff; a lasting one ends the job for a person,
 * and a replay reads back again: an id the destination gave is never followed by a second create.
 */
async function readBack(route: RouteRuntime, order: Order, destinationId: string, signal: AbortSignal): Promise<DestinationRef> {
  const found = await route.destination.readBack!(order, destinationId, signal);
  if (found !== null) return found;
  throw retryable(
    'CREATED_ORDER_MISSING',
    `${route.to} answered the create of order ${order.number} with id ${destinationId}, but does not show an order with that id; it is read again by that id, never created a second time. ` +
      `If this lasts, look for order ${order.number} (id ${destinationId}) in ${route.to}: it may have been deleted there`,
    { context: { system: route.to, order: order.number, destinationId } },
  );
}

/**
 * Exports one source order, exactly once: record intent (the binding), look before creating at the
 * destination, record the result, then tell the source. A crash anywhere re-runs the job after its
 * lease expires, and the look-up finds what the crashed run created.
 */
export function exportJobKind(deps: ExportJobDeps): JobKind {
  return {
    async run(job, { signal, logger }): Promise<void | JobDeferral> {
      const { db, clock } = deps;
      const route = routeOf(deps, job);
      const sourceId = job.sourceId;
      if (sourceId === null) throw permanent('BAD_JOB', `export job ${job.id} has no source order id`);
      const parsed = exportPayloadSchema.safeParse(job.payload);
      if (!parsed.success) throw permanent('BAD_JOB', `export job ${job.id} has an unreadable payload: ${parsed.error.message}`);
      const payload = parsed.data;

      const binding = await getBinding(db, route.name, sourceId);
      const createdId = binding?.destinationId ?? null;
      if (createdId !== null && (binding?.stage !== 'created' || route.destination.readBack === undefined)) {
        // Exported by an earlier run that stopped before telling the source.
        await route.source.markExported?.(sourceId, { id: createdId, status: binding?.destinationStatus ?? null }, signal);
        return;
      }

      let fetched: FetchedOrder | undefined;
      // The poll's snapshot serves the first run only; after any failure or wait the order is read afresh.
      if (payload.snapshot !== null && job.attempts === 1 && job.lastErrorCode === null) {
        fetched = { kind: 'ready', order: payload.snapshot, number: payload.snapshot.number, revision: job.revision };
      } else {
        fetched = (await route.source.fetchOrders([sourceId], signal)).get(sourceId);
      }
      if (fetched === undefined) {
        // Nothing to export and nobody to tell (a made-up or deleted id): skipped, not dead. A webhook
        // naming it again is answered from the binding; a poll that lists it after all queues it again.
        const reason = `${route.from} has no order ${sourceId}`;
        await setBindingStage(db, route.name, sourceId, { stage: 'skipped', lastError: reason, lastErrorCode: sourceOrderMissing }, clock.now());
        logger.info({ reason }, 'order not exported: the source does not have it');
        return;
      }
      if (fetched.revision !== job.revision) await setJobRevision(db, job.id, fetched.revision);
      if (fetched.kind === 'skip' && payload.via === 'webhook' && job.attempts < uncommittedAttempts) {
        // The webhook said "confirmed" but the order reads otherwise: Odoo has not committed yet.
        throw retryable('SOURCE_NOT_COMMITTED', `${route.from} announced order ${sourceId} as confirmed but it reads as not confirmed yet: ${fetched.reason}`);
      }
      if (fetched.kind === 'skip') {
        await setBindingStage(db, route.name, sourceId, { stage: 'skipped', lastError: fetched.reason, sourceNumber: fetched.number }, clock.now());
        logger.info({ reason: fetched.reason }, 'order not exported');
        return;
      }
      if (fetched.kind === 'invalid') throw fetched.error;

      const order = fetched.order;
      const awaited = fetched.awaited;
      if (createdId === null) {
        // What would refuse the order anyway is said now, not after it waited.
        checkOrderAmounts(order);
        route.destination.check(order);
        if (awaited !== undefined && clock.now() < awaited.until) {
          await route.source.markWaiting?.(sourceId, awaited.waiting, signal);
          await setBindingError(db, route.name, sourceId, awaited.waiting, clock.now());
          logger.info({ order: order.number, until: new Date(awaited.until).toISOString() }, 'order waits at the source');
          return { until: Math.min(awaited.until, clock.now() + awaited.everyMs), code: 'WAITING_AT_SOURCE', message: awaited.waiting };
        }
      }
      const ref = createdId !== null ? await readBack(route, order, createdId, signal) : await findOrCreate(route, order, sourceId, signal, logger, deps);
      await markBindingExported(
        db,
        route.name,
        sourceId,
        { sourceNumber: order.number, destinationId: ref.id, destinationStatus: ref.status },
        clock.now(),
      );
      await route.source.markExported?.(sourceId, ref, signal, { order, warnings: awaited === undefined ? [] : [awaited.warning] });
    },

    async onDead(job) {
      if (job.sourceId === null) return;
      const now = deps.clock.now();
      await setBindingStage(deps.db, job.route, job.sourceId, { stage: 'failed', lastError: job.lastError }, now);
      // A created order keeps its stage and id (a replay reads it back), and shows why it is stuck.
      const binding = await getBinding(deps.db, job.route, job.sourceId);
      if (binding?.stage === 'created') await setBindingError(deps.db, job.route, job.sourceId, job.lastError, now);
    },
  };
}
