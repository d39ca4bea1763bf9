import type { BindingStage } from './bindings.js';
import type { Database } from './db.js';
import { toStoredExchange, type ExchangeRecord, type StoredExchange } from './exchanges.js';
import type { JobState } from './jobs.js';

/** Queries for the people who run the service: counts for /metrics and the admin API, bulk retry, history. */

export interface JobCount {
  route: string;
  kind: string;
  state: JobState;
  count: number;
}

export async function countJobs(db: Database): Promise<JobCount[]> {
  const rows = await db('jobs')
    .select('route', 'kind', 'state')
    .count<{ route: string; kind: string; state: JobState; n: number | string }[]>('* as n')
    .groupBy('route', 'kind', 'state');
  return rows.map((r) => ({ route: r.route, kind: r.kind, state: r.state, count: Number(r.n) }));
}

export interface StageCount {
  route: string;
  stage: BindingStage;
  count: number;
}

export async function countBindings(db: Database): Promise<StageCount[]> {
  const rows = await db('bindings')
    .select('route', 'stage')
    .count<{ route: string; stage: BindingStage; n: number | string }[]>('* as n')
    .groupBy('route', 'stage');
  return rows.map((r) => ({ route: r.route, stage: r.stage, count: Number(r.n) }));
}

/** Per route, when the longest-waiting due job became due: how far the workers are behind. */
export async function oldestDueJobs(db: Database, now: number): Promise<Map<string, number>> {
  const rows = await db('jobs')
    .select('route')
    .min<{ route: string; oldest: number | string }[]>('run_after as oldest')
    .where({ state: 'pending' })
    .andWhere('run_after', '<=', now)
    .groupBy('route');
  return new Map(rows.map((r) => [r.route, Number(r.oldest)]));
}

/** Puts every dead job of a route (of one kind, if given) back in the queue with fresh attempts. */
export async function retryDeadJobs(db: Database, filter: { route: string; kind?: string | undefined }, now: number): Promise<number> {
  const query = db('jobs').where({ state: 'dead', route: filter.route });
  if (filter.kind !== undefined) void query.andWhere({ kind: filter.kind });
  return query.update({ state: 'pending', attempts: 0, run_after: now, finished_at: null, updated_at: now });
}

/** The source order numbers of these orders, keyed by `route + "\n" + sourceId`. */
export async function sourceNumbers(db: Database, orders: readonly { route: string; sourceId: string }[]): Promise<Map<string, string>> {
  const byRoute = new Map<string, Set<string>>();
  for (const { route, sourceId } of orders) byRoute.set(route, (byRoute.get(route) ?? new Set()).add(sourceId));
  const numbers = new Map<string, string>();
  for (const [route, ids] of byRoute) {
    const rows = await db<{ route: string; source_id: string; source_number: string | null }>('bindings')
      .select('source_id', 'source_number')
      .where({ route })
      .whereIn('source_id', [...ids]);
    for (const row of rows) if (row.source_number !== null) numbers.set(orderKey(route, row.source_id), row.source_number);
  }
  return numbers;
}

export function orderKey(route: string, sourceId: string): string {
  return `${route}\n${sourceId}`;
}


/** The latest exchanges about one order, the oldest of them first. */
export async function recentExchanges(db: Database, filter: { route: string; sourceId: string; limit: number }): Promise<StoredExchange[]> {
  const rows = await db<ExchangeRecord>('exchanges')
    .where({ route: filter.route, source_id: filter.sourceId })
    .orderBy('id', 'desc')
    .limit(filter.limit);
  return rows.reverse().map(toStoredExchange);
}

/** When a cursor last moved (e.g. the poll's, after each page it read), or null if it never did. */
export async function cursorMovedAt(db: Database, name: string): Promise<number | null> {
  const row = await db<{ name: string; updated_at: number | string }>('cursors').select('updated_at').where({ name }).first();
  return row === undefined ? null : Number(row.updated_at);
}
