import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { classify } from '../core/errors.js';
import { withCallContext } from '../exchange/context.js';
import { bindingsAwaitingDelivery, recordDestinationStatus, type Binding } from '../store/bindings.js';
import type { Database } from '../store/db.js';
import { enqueueJob } from '../store/jobs.js';
import type { RouteRuntime } from './runtime.js';

export interface StatusChange {
  sourceId: string;
  number: string | null;
  destinationId: string;
  from: string | null;
  to: string;
  delivered: boolean;
}

export interface StatusCheckSummary {
  route: string;
  checked: number;
  changed: StatusChange[];
  delivered: number;
  failed: { sourceId: string; number: string | null; error: string }[];
}

export function deliveredJobKey(route: string, sourceId: string): string {
  return `delivered:${route}:${sourceId}`;
}

/** After this many failures in a row the destination itself is unwell (or our key is wrong): stop asking. */
const consecutiveFailureLimit = 10;
const pageSize = 200;

/**
 * Asks the destination for the status of every exported order that is not delivered yet. Only a
 * delivered status leads anywhere: it queues the on-delivered job, in the same transaction that records
 * the status, so a crash cannot lose it. Other statuses are recorded on the binding and left alone.
 */
export async function checkStatuses(
  deps: { db: Database; clock: Clock; logger: Logger; onProgress?: ((summary: StatusCheckSummary) => void) | undefined },
  route: RouteRuntime,
  signal: AbortSignal,
): Promise<StatusCheckSummary> {
  const { db, clock, logger } = deps;
  const summary: StatusCheckSummary = { route: route.name, checked: 0, changed: [], delivered: 0, failed: [] };
  const settings = route.config.statusCheck;
  if (settings === false || route.destination.readStatus === undefined) return summary;
  const readStatus = route.destination.readStatus.bind(route.destination);
  const deliveredNames = new Set(settings.deliveredStatuses);
  let consecutiveFailures = 0;

  async function checkOne(binding: Binding): Promise<void> {
    const destinationId = binding.destinationId!;
    try {
      const status = await withCallContext({ route: route.name, sourceId: binding.sourceId, jobId: null }, () => readStatus(destinationId, signal));
      consecutiveFailures = 0;
      summary.checked += 1;
      if (status === null) return;
      const delivered = deliveredNames.has(status);
      if (status === binding.destinationStatus && !delivered) return;
      summary.changed.push({ sourceId: binding.sourceId, number: binding.sourceNumber, destinationId, from: binding.destinationStatus, to: status, delivered });
      await db.transaction(async (trx) => {
        const now = clock.now();
        await recordDestinationStatus(trx, binding.id, { status, delivered }, now);
        if (!delivered) return;
        summary.delivered += 1;
        await enqueueJob(
          trx,
          {
            key: deliveredJobKey(route.name, binding.sourceId),
            kind: 'delivered',
            route: route.name,
            sourceId: binding.sourceId,
            payload: { destinationId, status },
            revision: null,
            maxAttempts: route.maxAttempts,
          },
          now,
        );
      });
    } catch (err) {
      const error = classify(err);
      consecutiveFailures += 1;
      summary.failed.push({ sourceId: binding.sourceId, number: binding.sourceNumber, error: error.message });
      if (consecutiveFailures >= consecutiveFailureLimit) throw error;
    }
  }

  let afterId = 0;
  for (;;) {
    const page = await bindingsAwaitingDelivery(db, route.name, pageSize, afterId);
    if (page.length === 0) break;
    afterId = page[page.length - 1]!.id;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < page.length && !signal.aborted) {
        await checkOne(page[next++]!);
        deps.onProgress?.(summary);
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, page.length) }, worker));
    if (page.length < pageSize || signal.aborted) break;
  }
  logger.info({ route: route.name, checked: summary.checked, changed: summary.changed.length, delivered: summary.delivered, failed: summary.failed.length }, 'status check finished');
  return summary;
}
