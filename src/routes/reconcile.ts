import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { permanent } from '../core/errors.js';
import { withCallContext } from '../exchange/context.js';
import type { RouteRuntime } from './runtime.js';

export interface ReconcileSummary {
  route: string;
  days: number;
  /** Destination documents whose recorded source status was still open. */
  checked: number;
  changed: number;
  unchanged: number;
  /** Documents whose order the source no longer lists in the window. */
  missing: number;
}

export interface ReconcileOptions {
  days: number;
  /** Recorded statuses that may still change (e.g. awaiting_packaging, awaiting_deliver, delivering). */
  statuses: readonly string[];
  onProgress?: (summary: ReconcileSummary) => void;
}

/**
 * The source reads its orders by processing date and the destination its documents by creation date; a
 * document made today may be for an order placed a few days earlier, so the source is read this much further back.
 */
const sourceMarginMs = 7 * 86_400_000;

/** True when both ends of the route can take part in a status reconciliation. */
export function canReconcile(route: RouteRuntime): boolean {
  return route.source.statusesSince !== undefined && route.destination.sourceStatuses !== undefined;
}

/**
 * Brings the source status recorded on destination documents up to date: read the documents of the last
 * `days` whose status may still change, read the source's current statuses for the same period, and
 * write back only those that differ (in bulk).
 */
export async function reconcileRoute(
  deps: { clock: Clock; logger: Logger },
  route: RouteRuntime,
  options: ReconcileOptions,
  signal: AbortSignal,
): Promise<ReconcileSummary> {
  const keeper = route.destination.sourceStatuses;
  const readStatuses = route.source.statusesSince;
  if (keeper === undefined || readStatuses === undefined) {
    throw permanent('RECONCILE_UNSUPPORTED', `route ${route.name}: ${route.from} → ${route.to} cannot reconcile statuses (configure the destination's source-status attribute)`);
  }
  const summary: ReconcileSummary = { route: route.name, days: options.days, checked: 0, changed: 0, unchanged: 0, missing: 0 };
  const since = new Date(deps.clock.now() - options.days * 86_400_000);
  await withCallContext({ route: route.name, sourceId: null, jobId: null }, async () => {
    const current = await readStatuses.call(route.source, new Date(since.getTime() - sourceMarginMs), signal);
    for await (const page of keeper.listTracked(since, options.statuses, signal)) {
      const changes: { destinationId: string; sourceStatus: string }[] = [];
      for (const tracked of page) {
        summary.checked += 1;
        const status = current.get(tracked.number);
        if (status === undefined) summary.missing += 1;
        else if (status === tracked.sourceStatus) summary.unchanged += 1;
        else changes.push({ destinationId: tracked.destinationId, sourceStatus: status });
      }
      if (changes.length > 0) await keeper.updateStatuses(changes, signal);
      summary.changed += changes.length;
      options.onProgress?.(summary);
    }
  });
  deps.logger.info(summary, 'status reconciliation finished');
  return summary;
}
