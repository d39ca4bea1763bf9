import type { Knex } from 'knex';
import { readCursor, writeCursor } from './cursors.js';
import { isPostgres, type Database } from './db.js';

/**
 * The kinds of record that are removed once older than their window. Bindings (what was exported where)
 * are never removed; nor is anything about a dead job, which waits for a person.
 */
export type RecordKind = 'exchangeBodies' | 'exchanges' | 'statusReads' | 'jobAttempts' | 'finishedJobs';

/** In this order: rows that go whole first, so that no body is emptied just before its row goes. */
export const recordKinds: readonly RecordKind[] = ['statusReads', 'exchanges', 'exchangeBodies', 'finishedJobs', 'jobAttempts'];

/** What an exchange's bodies become once older than retention.exchangeBodies. */
export const removedBody = '[removed by retention.exchangeBodies]';

const bodiesWatermark = 'retention:exchange-bodies';
const statusReadsWatermark = 'retention:status-reads';

const deadJobs = (db: Database) => db('jobs').select('id').where({ state: 'dead' });

/**
 * Removes (or, for bodies, empties) at most `limit` records of `kind` older than `cutoff` (epoch ms),
 * oldest first, in one short statement; returns how many it touched. Fewer than `limit` means none
 * is left. Each call is its own transaction, so the work between calls is never held up for long.
 */
export async function pruneBatch(db: Database, kind: RecordKind, cutoff: number, limit: number, now: number): Promise<number> {
  switch (kind) {
    case 'exchangeBodies':
      return emptyExchangeBodies(db, cutoff, limit, now);
    case 'statusReads':
      return deleteStatusReads(db, cutoff, limit, now);
    case 'exchanges':
      return db('exchanges')
        .whereIn(
          'id',
          db('exchanges')
            .select('id')
            .where('started_at', '<', cutoff)
            .andWhere((q) => q.whereNull('job_id').orWhereNotIn('job_id', deadJobs(db)))
            .orderBy('started_at')
            .limit(limit),
        )
        .del();
    case 'jobAttempts':
      return db('job_attempts')
        .whereIn('id', db('job_attempts').select('id').where('finished_at', '<', cutoff).whereNotIn('job_id', deadJobs(db)).orderBy('finished_at').limit(limit))
        .del();
    case 'finishedJobs':
      return deleteFinishedJobs(db, cutoff, limit);
  }
}

/** Where a walk through the exchanges, oldest first, has got to: (started_at, id) of the last row it saw. */
interface Watermark {
  at: number;
  id: number;
}

async function readWatermark(db: Database, name: string): Promise<Watermark> {
  const [at, id] = ((await readCursor(db, name)) ?? '0:0').split(':').map(Number);
  return { at: at ?? 0, id: id ?? 0 };
}

/** Exchanges after the watermark and older than the cutoff, oldest first. */
function exchangesAfter(db: Database, mark: Watermark, cutoff: number, limit: number): Knex.QueryBuilder {
  return db('exchanges')
    .select('id', 'started_at')
    .where((q) => q.where('started_at', '>', mark.at).orWhere((same) => same.where('started_at', mark.at).andWhere('id', '>', mark.id)))
    .andWhere('started_at', '<', cutoff)
    .orderBy([{ column: 'started_at' }, { column: 'id' }])
    .limit(limit);
}

/**
 * Walks the exchanges from a watermark, so that the rows kept after an earlier run (other kinds of call,
 * rows whose bodies are gone) are not read again each time: `act` handles the ids of one batch, and the
 * watermark moves past them in the same transaction.
 */
async function walkExchanges(
  db: Database,
  name: string,
  query: (from: Watermark) => Knex.QueryBuilder,
  act: (trx: Knex.Transaction, ids: number[]) => Promise<void>,
  limit: number,
  now: number,
): Promise<number> {
  const rows = (await query(await readWatermark(db, name))) as { id: number; started_at: number | string }[];
  if (rows.length === 0) return 0;
  const last = rows[rows.length - 1]!;
  await db.transaction(async (trx) => {
    await act(
      trx,
      rows.map((r) => r.id),
    );
    await writeCursor(trx, name, `${Number(last.started_at)}:${last.id}`, now);
  });
  return rows.length < limit ? rows.length : limit;
}

/** Bodies are emptied; the row (what was called, when, with what status) stays until retention.exchanges. The rows of a dead job keep theirs. */
function emptyExchangeBodies(db: Database, cutoff: number, limit: number, now: number): Promise<number> {
  return walkExchanges(
    db,
    bodiesWatermark,
    (from) => exchangesAfter(db, from, cutoff, limit).andWhere((q) => q.whereNull('job_id').orWhereNotIn('job_id', deadJobs(db))),
    async (trx, ids) => {
      await trx('exchanges').whereIn('id', ids).update({ bodies: null, request_body: removedBody, response_body: removedBody });
    },
    limit,
    now,
  );
}

/**
 * The status check's reads (about one order, outside any job) go sooner than the other exchanges: one
 * per undelivered order per check adds up.
 */
function deleteStatusReads(db: Database, cutoff: number, limit: number, now: number): Promise<number> {
  return walkExchanges(
    db,
    statusReadsWatermark,
    (from) => exchangesAfter(db, from, cutoff, limit).whereNull('job_id').whereNotNull('source_id'),
    async (trx, ids) => {
      await trx('exchanges').whereIn('id', ids).del();
    },
    limit,
    now,
  );
}

/** Done jobs and their attempts. A job revived meanwhile is no longer done, and stays. */
async function deleteFinishedJobs(db: Database, cutoff: number, limit: number): Promise<number> {
  const ids = (await db('jobs').select('id').where({ state: 'done' }).andWhere('finished_at', '<', cutoff).orderBy('finished_at').limit(limit)).map(
    (r: { id: number }) => r.id,
  );
  if (ids.length === 0) return 0;
  return db.transaction(async (trx) => {
    const deleted = await trx('jobs').whereIn('id', ids).andWhere({ state: 'done' }).andWhere('finished_at', '<', cutoff).del();
    await trx('job_attempts').whereIn('job_id', ids).whereNotIn('job_id', trx('jobs').select('id').whereIn('id', ids)).del();
    return deleted;
  });
}

export interface StoreSize {
  client: 'sqlite' | 'pg';
  /** What the store takes on disk (SQLite: the file and its write-ahead log; PostgreSQL: the database). */
  bytes: number;
  /** SQLite: pages inside the file that are free for new rows (given back to the disk by the pruning). */
  freeBytes: number | null;
  /** PostgreSQL: each table with its indexes and TOAST. */
  tables: Record<string, number> | null;
}

export async function storeSize(db: Database, walBytes: () => number): Promise<StoreSize> {
  if (isPostgres(db)) {
    const database = (await db.raw('select pg_database_size(current_database()) as bytes')) as { rows: { bytes: string | number }[] };
    const tables = (await db.raw(
      "select relname as name, pg_total_relation_size(c.oid) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and c.relkind = 'r'",
    )) as { rows: { name: string; bytes: string | number }[] };
    return {
      client: 'pg',
      bytes: Number(database.rows[0]?.bytes ?? 0),
      freeBytes: null,
      tables: Object.fromEntries(tables.rows.map((t) => [t.name, Number(t.bytes)])),
    };
  }
  const pageSize = firstValue(await db.raw('pragma page_size'));
  const pages = firstValue(await db.raw('pragma page_count'));
  const free = firstValue(await db.raw('pragma freelist_count'));
  return { client: 'sqlite', bytes: pages * pageSize + walBytes(), freeBytes: free * pageSize, tables: null };
}

/** The one value a SQLite pragma answers with. */
function firstValue(rows: unknown): number {
  const row = (rows as Record<string, unknown>[])[0] ?? {};
  return Number(Object.values(row)[0] ?? 0);
}

/** Pages given back per step of the incremental vacuum (4 MiB with the default page size): one short write. */
export const vacuumStepPages = 1024;

/**
 * SQLite keeps the pages that deleted rows leave inside its file; with auto_vacuum = incremental they can
 * be given back to the disk, `vacuumStepPages` at a time. Returns the pages given back by this step; 0
 * when none is free, or when the file was made without incremental auto-vacuum (`order-bridge prune
 * --vacuum` converts it).
 */
export async function giveBackFreePages(db: Database): Promise<number> {
  if (isPostgres(db)) return 0;
  if (firstValue(await db.raw('pragma auto_vacuum')) !== 2) return 0;
  const before = firstValue(await db.raw('pragma freelist_count'));
  if (before === 0) return 0;
  await db.raw('pragma incremental_vacuum(1024)');
  return before - firstValue(await db.raw('pragma freelist_count'));
}

/** Rewrites the SQLite file without its free pages, with incremental auto-vacuum from then on (takes the file's size again on disk while it runs). */
export async function vacuumFully(db: Database): Promise<void> {
  if (isPostgres(db)) {
    await db.raw('vacuum analyze');
    return;
  }
  await db.raw('pragma auto_vacuum = incremental');
  await db.raw('vacuum');
}
