import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { isPostgres, type Database } from '../store/db.js';
import { giveBackFreePages, pruneBatch, recordKinds, storeSize, type RecordKind, type StoreSize } from '../store/retention.js';

export interface PruneSummary {
  /** Records removed (for exchangeBodies: rows whose bodies were emptied), by kind. */
  removed: Record<RecordKind, number>;
  /** SQLite: bytes of free pages given back to the disk. */
  freedBytes: number;
  startedAt: number;
  finishedAt: number;
}

export interface PrunerOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  retention: RetentionConfig;
  /** The size of SQLite's write-ahead log file (0 for PostgreSQL). */
  walBytes: () => number;
}

/**
 * Keeps the store bounded: removes what is older than its retention window, kind by kind, oldest first,
 * in batches of `retention.batchSize` records, each its own short transaction, and lets all other work
 * go first between two batches; then gives SQLite's free pages back to the disk, a few MiB at a time.
 * A run stops between two batches when its signal aborts (shutdown, lost lock); the next one goes on.
 */
export class Pruner {
  private last: PruneSummary | null = null;

  constructor(private readonly options: PrunerOptions) {}

  lastRun(): PruneSummary | null {
    return this.last;
  }

  size(): Promise<StoreSize> {
    return storeSize(this.options.db, this.options.walBytes);
  }

  async run(signal: AbortSignal, onProgress?: (summary: PruneSummary) => void): Promise<PruneSummary> {
    const { db, clock, logger, retention } = this.options;
    const startedAt = clock.now();
    const summary: PruneSummary = {
      removed: { statusReads: 0, exchanges: 0, exchangeBodies: 0, finishedJobs: 0, jobAttempts: 0 },
      freedBytes: 0,
      startedAt,
      finishedAt: startedAt,
    };
    for (const kind of recordKinds) {
      // Bodies kept as long as their rows go with them: nothing to empty first.
      if (kind === 'exchangeBodies' && retention.exchangeBodies >= retention.exchanges) continue;
      const cutoff = startedAt - retention[kind];
      for (;;) {
        signal.throwIfAborted();
        const touched = await pruneBatch(db, kind, cutoff, retention.batchSize, clock.now());
        summary.removed[kind] += touched;
        onProgress?.(summary);
        if (touched < retention.batchSize) break;
        await nextTurn();
      }
    }
    const pageSize = isPostgres(db) ? 0 : await sqlitePageSize(db);
    for (;;) {
      signal.throwIfAborted();
      const pages = await giveBackFreePages(db);
      if (pages <= 0) break;
      summary.freedBytes += pages * pageSize;
      onProgress?.(summary);
      await nextTurn();
    }
    summary.finishedAt = clock.now();
    this.last = summary;
    logger.info({ ...summary.removed, freedBytes: summary.freedBytes, ms: summary.finishedAt - startedAt }, 'store pruned');
    return summary;
  }
}

async function sqlitePageSize(db: Database): Promise<number> {
  const rows = (await db.raw('pragma page_size')) as { page_size: number }[];
  return Number(rows[0]?.page_size ?? 4096);
}
