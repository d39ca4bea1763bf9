import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { withCallContext } from '../exchange/context.js';
import { readCursor, writeCursor } from '../store/cursors.js';
import type { Database } from '../store/db.js';
import { enqueueExport } from './enqueue.js';
import type { RouteRuntime } from './runtime.js';

export interface PollSummary {
  route: string;
  pages: number;
  seen: number;
  queued: number;
  alreadyExported: number;
  unchanged: number;
  skipped: number;
}

export function pollCursorName(route: string): string {
  return `poll:${route}`;
}

/**
 * Reads what changed at the source since the last poll and queues an export for each order not yet
 * exported. Each page's jobs and the cursor after it commit together: a crash re-reads at most one page,
 * and re-reading is harmless because queueing is idempotent.
 */
export async function pollRoute(
  deps: { db: Database; clock: Clock; logger: Logger; onProgress?: ((summary: PollSummary) => void) | undefined },
  route: RouteRuntime,
  signal: AbortSignal,
): Promise<PollSummary> {
  const { db, clock, logger } = deps;
  const summary: PollSummary = { route: route.name, pages: 0, seen: 0, queued: 0, alreadyExported: 0, unchanged: 0, skipped: 0 };
  const poll = route.config.poll;
  if (poll === false) return summary;
  const cursorName = pollCursorName(route.name);
  const cursor = await readCursor(db, cursorName);
  const window = {
    since: poll.since !== undefined ? new Date(poll.since) : new Date(clock.now() - poll.lookback),
    pageSize: poll.pageSize,
    overlapMs: poll.overlap,
  };

  await withCallContext({ route: route.name, sourceId: null, jobId: null }, async () => {
    for await (const page of route.source.changedOrders(cursor, window, signal)) {
      summary.pages += 1;
      await db.transaction(async (trx) => {
        const now = clock.now();
        for (const [sourceId, fetched] of page.orders) {
          summary.seen += 1;
          if (fetched.kind === 'skip') {
            summary.skipped += 1;
            continue;
          }
          const { outcome } = await enqueueExport(
            trx,
            route,
            {
              sourceId,
              number: fetched.number,
              revision: fetched.revision,
              via: 'poll',
              snapshot: fetched.kind === 'ready' ? fetched.order : null,
            },
            now,
          );
          if (outcome === 'queued') summary.queued += 1;
          else if (outcome === 'already-exported') summary.alreadyExported += 1;
          else summary.unchanged += 1;
        }
        await writeCursor(trx, cursorName, page.cursor, now);
      });
      deps.onProgress?.(summary);
    }
  });
  logger.info(summary, 'poll finished');
  return summary;
}
