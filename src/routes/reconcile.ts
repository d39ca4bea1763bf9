import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { TrackedChange } from '../core/connector.js';
import { permanent } from '../core/errors.js';
import type { Fee } from '../core/order.js';
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
  /**
   * Documents whose charges were brought up to date (routes whose source reports charges that accrue
   * after the sale, into a destination that shows them); these are read whatever their status.
   */
  chargesChanged: number;
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
 * Brings what destination documents record of their source order up to date: read the documents of the
 * last `days`, read the source's current statuses for the same period, and write back only what differs,
 * one bulk update per page of documents. The status is compared on documents whose recorded status may
 * still change; when the source reports charges that accrue later and the destination shows them, every
 * document of the period is read and its charges compared too (delivery and returns are charged after the
 * status stopped changing).
 */
export async function reconcileRoute(
  deps: { clock: Clock; logger: Logger },
  route: RouteRuntime,
  options: ReconcileOptions,
  signal: AbortSignal,
): Promise<ReconcileSummary> {
  const keeper = route.destination.sourceStatuses;
  const source = route.source;
  const readStatuses = source.statusesSince?.bind(source);
  if (keeper === undefined || readStatuses === undefined) {
    throw permanent('RECONCILE_UNSUPPORTED', `route ${route.name}: ${route.from} → ${route.to} cannot reconcile statuses (configure the destination's source-status attribute)`);
  }
  const summary: ReconcileSummary = { route: route.name, days: options.days, checked: 0, changed: 0, unchanged: 0, missing: 0, chargesChanged: 0 };
  const since = new Date(deps.clock.now() - options.days * 86_400_000);
  const showCharges = keeper.showCharges?.bind(keeper);
  const chargesOf = source.chargesOf?.bind(source);
  const withCharges = showCharges !== undefined && chargesOf !== undefined;
  const open = new Set(options.statuses);
  await withCallContext({ route: route.name, sourceId: null, jobId: null }, async () => {
    const current = await readStatuses(new Date(since.getTime() - sourceMarginMs), signal);
    for await (const page of keeper.listTracked(since, withCharges ? null : options.statuses, signal)) {
      const charges = withCharges && chargesOf !== undefined && page.length > 0 ? await chargesOf(page.map((tracked) => tracked.number), signal) : new Map<string, Fee[]>();
      const changes: TrackedChange[] = [];
      for (const tracked of page) {
        const change: TrackedChange = { tracked };
        if (open.has(tracked.sourceStatus)) {
          summary.checked += 1;
          const status = current.get(tracked.number);
          if (status === undefined) summary.missing += 1;
          else if (status === tracked.sourceStatus) summary.unchanged += 1;
          else {
            change.sourceStatus = status;
            summary.changed += 1;
          }
        }
        const fees = charges.get(tracked.number);
        if (fees !== undefined && showCharges !== undefined && showCharges(fees) !== tracked.shownCharges) {
          change.fees = fees;
          summary.chargesChanged += 1;
        }
        if (change.sourceStatus !== undefined || change.fees !== undefined) changes.push(change);
      }
      if (changes.length > 0) await keeper.update(changes, signal);
      options.onProgress?.(summary);
    }
  });
  deps.logger.info(summary, 'status reconciliation finished');
  return summary;
}
