import type { Clock } from '../core/clock.js';
import { permanent, retryable } from '../core/errors.js';
import type { FetchedOrder } from '../core/connector.js';
import type { JobKind } from '../engine/engine.js';
import { getBinding, markBindingExported, setBindingStage } from '../store/bindings.js';
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
 * Exports one source order, exactly once: record intent (the binding), look before creating at the
 * destination, record the result, then tell the source. A crash anywhere re-runs the job after its
 * lease expires, and the look-up finds what the crashed run created.
 */
export function exportJobKind(deps: ExportJobDeps): JobKind {
  return {
    async run(job, { signal, logger }) {
      const { db, clock } = deps;
      const route = routeOf(deps, job);
      const sourceId = job.sourceId;
      if (sourceId === null) throw permanent('BAD_JOB', `export job ${job.id} has no source order id`);
      const parsed = exportPayloadSchema.safeParse(job.payload);
      if (!parsed.success) throw permanent('BAD_JOB', `export job ${job.id} has an unreadable payload: ${parsed.error.message}`);
      const payload = parsed.data;

      const binding = await getBinding(db, route.name, sourceId);
      if (binding?.destinationId != null) {
        // Exported by an earlier run that stopped before telling the source.
        await route.source.markExported?.(sourceId, { id: binding.destinationId, status: binding.destinationStatus }, signal);
        return;
      }

      let fetched: FetchedOrder | undefined;
      if (payload.snapshot !== null && job.attempts === 1) {
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
      route.destination.check(order);
      const existing = await route.destination.findByExternalId(order.number, signal);
      const ref = existing ?? (await route.destination.create(order, signal));
      await markBindingExported(
        db,
        route.name,
        sourceId,
        { sourceNumber: order.number, destinationId: ref.id, destinationStatus: ref.status },
        clock.now(),
      );
      logger.info({ order: order.number, destinationId: ref.id, found: existing !== null }, existing ? 'order was already at the destination' : 'order exported');
      await route.source.markExported?.(sourceId, ref, signal);
    },

    async onDead(job) {
      if (job.sourceId === null) return;
      await setBindingStage(deps.db, job.route, job.sourceId, { stage: 'failed', lastError: job.lastError }, deps.clock.now());
    },
  };
}
