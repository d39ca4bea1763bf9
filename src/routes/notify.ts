import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { permanent } from '../core/errors.js';
import type { JobKind } from '../engine/engine.js';
import type { Database } from '../store/db.js';
import { adoptRevision, enqueueJob, getJob, type Job } from '../store/jobs.js';
import type { RouteRuntime } from './runtime.js';

const payloadSchema = z.object({
  marker: z.string(),
  title: z.string(),
  message: z.string(),
  failedJob: z.number().int(),
  failedRevision: z.string().nullable(),
  /** When the failed job died: the notice is about that death only (absent in notices queued by older versions). */
  failedAt: z.number().int().nullable().optional(),
});

const titles: Record<string, (route: RouteRuntime) => string> = {
  export: (route) => `order-bridge: sending this order to ${route.to} failed`,
  delivered: () => 'order-bridge: the delivery could not be recorded',
};

/**
 * Queues a notice to the people at the source about a job that died: a job of its own, so that the
 * notice survives the source being down at the moment of the failure, and one per failure (the key
 * carries the time of death), not one per retry.
 */
export async function queueFailureNotice(db: Database, clock: Clock, route: RouteRuntime, dead: Job): Promise<void> {
  if (dead.sourceId === null || route.source.notifyFailure === undefined) return;
  const marker = `order-bridge:${dead.kind}:${dead.id}:${clock.now()}`;
  const advice =
    dead.kind === 'export'
      ? `Fix it, then change the order (the next poll sends it again) or retry job ${dead.id} in order-bridge.`
      : `Fix it, then retry job ${dead.id} in order-bridge.`;
  await enqueueJob(
    db,
    {
      key: `notify:${marker}`,
      kind: 'notify',
      route: route.name,
      sourceId: dead.sourceId,
      payload: {
        marker,
        title: (titles[dead.kind] ?? titles['export']!)(route),
        message: `${dead.lastError ?? 'unknown error'}\n${advice}`,
        failedJob: dead.id,
        failedRevision: dead.revision,
        failedAt: dead.finishedAt,
      },
      revision: null,
      maxAttempts: route.maxAttempts,
    },
    clock.now(),
  );
}

export function notifyJobKind(deps: { db: Database; routes: ReadonlyMap<string, RouteRuntime> }): JobKind {
  return {
    async run(job, { signal, logger }) {
      const route = deps.routes.get(job.route);
      const payload = payloadSchema.safeParse(job.payload);
      if (route === undefined || job.sourceId === null || !payload.success) throw permanent('BAD_JOB', `notify job ${job.id} cannot run`);
      const notifyFailure = route.source.notifyFailure;
      if (notifyFailure === undefined || (route.config.notify.chatter === false && route.config.notify.activity === false)) return;
      const { marker, title, message, failedJob, failedRevision, failedAt } = payload.data;
      // A notice replayed after its job was retried (retry-dead puts both back) would tell of a failure
      // that is over, or being tried again: only a job still dead of that very death is reported.
      const failed = await getJob(deps.db, failedJob);
      if (failed === null || failed.state !== 'dead' || (failedAt !== undefined && failedAt !== null && failed.finishedAt !== failedAt)) {
        logger.info({ failedJob, state: failed?.state ?? 'gone' }, 'failure notice skipped: the failed job was retried since');
        return;
      }
      const { revision } = await notifyFailure({ route: route.name, sourceId: job.sourceId, marker, title, message, ...route.config.notify }, signal);
      // Our own note changed the order's revision: adopt it, so the next poll does not take it for a fix.
      if (revision !== null) await adoptRevision(deps.db, failedJob, failedRevision, revision);
    },
  };
}
