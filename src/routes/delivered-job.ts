import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { permanent } from '../core/errors.js';
import type { JobKind } from '../engine/engine.js';
import { getBinding, markBindingFinished, setBindingError } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import type { RouteRuntime } from './runtime.js';

const payloadSchema = z.object({ destinationId: z.string(), status: z.string() });

/** Runs the route's on-delivered action once per delivered order (Odoo: one draft delivery). */
export function deliveredJobKind(deps: { db: Database; clock: Clock; routes: ReadonlyMap<string, RouteRuntime> }): JobKind {
  return {
    async run(job, { signal, logger }) {
      const route = deps.routes.get(job.route);
      if (route === undefined) throw permanent('UNKNOWN_ROUTE', `route "${job.route}" is no longer configured`);
      const payload = payloadSchema.safeParse(job.payload);
      if (job.sourceId === null || !payload.success) throw permanent('BAD_JOB', `delivered job ${job.id} has an unreadable payload`);
      const binding = await getBinding(deps.db, route.name, job.sourceId);
      if (binding?.stage === 'finished') return;
      const onDelivered = route.source.onDelivered;
      const ref = onDelivered === undefined
        ? 'none'
        : await onDelivered(
            { route: route.name, sourceId: job.sourceId, number: binding?.sourceNumber ?? null, destinationId: payload.data.destinationId, destinationStatus: payload.data.status },
            signal,
          );
      await markBindingFinished(deps.db, route.name, job.sourceId, ref, deps.clock.now());
      logger.info({ order: binding?.sourceNumber, ref }, 'on-delivered action done');
    },
    async onDead(job) {
      if (job.sourceId !== null) await setBindingError(deps.db, job.route, job.sourceId, job.lastError, deps.clock.now());
    },
  };
}
