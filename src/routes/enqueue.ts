import type { Knex } from 'knex';
import { z } from 'zod';
import { orderSchema, type Order } from '../core/order.js';
import { bindingKey, ensureBinding, ensureBindings, type Binding } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import { enqueueJob, enqueueJobs, type EnqueueResult, type NewJob } from '../store/jobs.js';
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

/** skipped: a webhook for an order the source did not have when its job looked; nothing was queued again. */
export type EnqueueOutcome = 'queued' | 'already-queued' | 'already-exported' | 'unchanged' | 'skipped';

export interface EnqueueAnswer {
  outcome: EnqueueOutcome;
  jobId: number | null;
  /** Why nothing was queued (with skipped). */
  reason?: string;
}

/** The code a binding is skipped with when its export job found no such order at the source. */
export const sourceOrderMissing = 'SOURCE_ORDER_MISSING';

/**
 * What a trigger leads to before any job is touched: nothing for an order already at the destination,
 * and nothing for a webhook about an order the source did not have (a replayed or made-up id costs a
 * read of the binding, not another job, another read at the source and another failure). A poll or a
 * manual export still looks again: they name orders the source has listed, or a person asked for.
 */
function settledBefore(binding: Binding, trigger: ExportTrigger): EnqueueAnswer | null {
  // A create answered but not yet read back still needs its job (which reads it back, never creates again).
  if (binding.destinationId !== null && binding.stage !== 'created') return { outcome: 'already-exported', jobId: null };
  if (trigger.via === 'webhook' && binding.stage === 'skipped' && binding.lastErrorCode === sourceOrderMissing) {
    return { outcome: 'skipped', jobId: null, reason: binding.lastError ?? 'the source does not have this order' };
  }
  return null;
}

function exportJob(route: RouteRuntime, trigger: ExportTrigger, now: number): NewJob {
  const payload: ExportPayload = { via: trigger.via, snapshot: trigger.snapshot };
  return {
    key: exportJobKey(route.name, trigger.sourceId),
    kind: 'export',
    route: route.name,
    sourceId: trigger.sourceId,
    payload,
    revision: trigger.revision,
    maxAttempts: route.maxAttempts,
    runAfter: now + (trigger.delayMs ?? 0),
  };
}

function answerOf(result: EnqueueResult): EnqueueAnswer {
  const outcome: EnqueueOutcome =
    result.outcome === 'created' || result.outcome === 'revived' ? 'queued' : result.outcome === 'refreshed' ? 'already-queued' : 'unchanged';
  return { outcome, jobId: result.id };
}

/**
 * Records that a source order should be exported: one binding and one job per (route, order), whatever
 * the number of triggers. An order that is already at the destination is not queued again.
 */
export async function enqueueExport(db: Database | Knex.Transaction, route: RouteRuntime, trigger: ExportTrigger, now: number): Promise<EnqueueAnswer> {
  const binding = await ensureBinding(db, { route: route.name, sourceId: trigger.sourceId, sourceNumber: trigger.number }, now);
  const settled = settledBefore(binding, trigger);
  if (settled !== null) return settled;
  return answerOf(await enqueueJob(db, exportJob(route, trigger, now), now));
}

/**
 * enqueueExport for many triggers at once, in one transaction (the webhook intake's group commit), with
 * the same outcome for each as if they had come one after another in this order.
 */
export async function enqueueExports(
  db: Database | Knex.Transaction,
  triggers: readonly { route: RouteRuntime; trigger: ExportTrigger }[],
  now: number,
): Promise<EnqueueAnswer[]> {
  const bindings = await ensureBindings(
    db,
    triggers.map(({ route, trigger }) => ({ route: route.name, sourceId: trigger.sourceId, sourceNumber: trigger.number })),
    now,
  );
  const answers: (EnqueueAnswer | null)[] = triggers.map(({ route, trigger }) => settledBefore(bindings.get(bindingKey(route.name, trigger.sourceId))!, trigger));
  const wanted = triggers.flatMap(({ route, trigger }, i) => (answers[i] === null ? [{ i, job: exportJob(route, trigger, now) }] : []));
  const results = await enqueueJobs(
    db,
    wanted.map((w) => w.job),
    now,
  );
  wanted.forEach((w, k) => (answers[w.i] = answerOf(results[k]!)));
  return answers.map((a) => a!);
}
