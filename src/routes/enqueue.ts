import type { Knex } from 'knex';
import { z } from 'zod';
import { orderSchema, type Order } from '../core/order.js';
import { ensureBinding } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import { enqueueJob } from '../store/jobs.js';
import { exportJobKey, type RouteRuntime } from './runtime.js';

export const exportPayloadSchema = z.object({
  via: z.enum(['webhook', 'poll', 'manual']),
  /** The order as the poll read it, so the job needs no second read; used on the first attempt only. */
  snapshot: orderSchema.nullable(),
});

export type ExportPayload = z.infer<typeof exportPayloadSchema>;

export interface ExportTrigger {
  sourceId: string;
  number: string | null;
  revision: string | null;
  via: ExportPayload['via'];
  snapshot: Order | null;
  /** Wait this long before the job may run. */
  delayMs?: number;
}

export type EnqueueOutcome = 'queued' | 'already-queued' | 'already-exported' | 'unchanged';

/**
 * Records that a source order should be exported: one binding and one job per (route, order), whatever
 * the number of triggers. An order that is already at the destination is not queued again.
 */
export async function enqueueExport(
  db: Database | Knex.Transaction,
  route: RouteRuntime,
  trigger: ExportTrigger,
  now: number,
): Promise<{ outcome: EnqueueOutcome; jobId: number | null }> {
  const binding = await ensureBinding(db, { route: route.name, sourceId: trigger.sourceId, sourceNumber: trigger.number }, now);
  // A create answered but not yet read back still needs its job (which reads it back, never creates again).
  if (binding.destinationId !== null && binding.stage !== 'created') return { outcome: 'already-exported', jobId: null };
  const payload: ExportPayload = { via: trigger.via, snapshot: trigger.snapshot };
  const result = await enqueueJob(
    db,
    {
      key: exportJobKey(route.name, trigger.sourceId),
      kind: 'export',
      route: route.name,
      sourceId: trigger.sourceId,
      payload,
      revision: trigger.revision,
      maxAttempts: route.maxAttempts,
      runAfter: now + (trigger.delayMs ?? 0),
    },
    now,
  );
  const outcome: EnqueueOutcome =
    result.outcome === 'created' || result.outcome === 'revived' ? 'queued' : result.outcome === 'refreshed' ? 'already-queued' : 'unchanged';
  return { outcome, jobId: result.id };
}
