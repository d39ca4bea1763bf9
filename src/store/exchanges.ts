import { packBodies, unpackBodies } from '../exchange/bodies.js';
import { whereGiven, type Database } from './db.js';

export interface StoredExchange {
  id: number;
  connector: string;
  operation: string;
  url: string;
  requestBody: string;
  responseBody: string;
  httpStatus: number | null;
  fault: string | null;
  error: string | null;
  durationMs: number;
  startedAt: number;
  route: string | null;
  sourceId: string | null;
  jobId: number | null;
}

export type NewExchange = Omit<StoredExchange, 'id'>;

export interface ExchangeRecord {
  id: number;
  connector: string;
  operation: string;
  url: string;
  request_body: string;
  response_body: string;
  /** The two bodies, compressed (src/exchange/bodies.ts); null in rows written before, which have them in the text columns. */
  bodies: Buffer | Uint8Array | null;
  http_status: number | null;
  fault: string | null;
  error: string | null;
  duration_ms: number;
  started_at: number;
  route: string | null;
  source_id: string | null;
  job_id: number | null;
}

export async function insertExchanges(db: Database, exchanges: readonly NewExchange[]): Promise<void> {
  if (exchanges.length === 0) return;
  const bodies = await Promise.all(exchanges.map((e) => packBodies(e.requestBody, e.responseBody)));
  const rows = exchanges.map((e, i) => ({
    connector: e.connector,
    operation: e.operation,
    url: e.url,
    request_body: '',
    response_body: '',
    bodies: bodies[i],
    http_status: e.httpStatus,
    fault: e.fault,
    error: e.error,
    duration_ms: e.durationMs,
    started_at: e.startedAt,
    route: e.route,
    source_id: e.sourceId,
    job_id: e.jobId,
  }));
  // SQLite allows 999 bound variables per statement by default builds; 15 columns × 50 rows stays under.
  for (let i = 0; i < rows.length; i += 50) await db('exchanges').insert(rows.slice(i, i + 50));
}

export interface ExchangeFilter {
  route?: string;
  sourceId?: string;
  connector?: string;
  limit?: number;
}

export async function listExchanges(db: Database, filter: ExchangeFilter = {}): Promise<StoredExchange[]> {
  const query = db<ExchangeRecord>('exchanges').orderBy('id', 'asc').limit(filter.limit ?? 1000);
  whereGiven(query, { route: filter.route, source_id: filter.sourceId, connector: filter.connector });
  return (await query).map(toStoredExchange);
}

export function toStoredExchange(r: ExchangeRecord): StoredExchange {
  const [requestBody, responseBody] = r.bodies === null ? [r.request_body, r.response_body] : unpackBodies(r.bodies);
  return {
    id: r.id,
    connector: r.connector,
    operation: r.operation,
    url: r.url,
    requestBody,
    responseBody,
    httpStatus: r.http_status,
    fault: r.fault,
    error: r.error,
    durationMs: r.duration_ms,
    startedAt: Number(r.started_at),
    route: r.route,
    sourceId: r.source_id,
    jobId: r.job_id,
  };
}

export async function countExchanges(db: Database, filter: { route?: string; sourceId?: string } = {}): Promise<number> {
  const query = whereGiven(db('exchanges'), { route: filter.route, source_id: filter.sourceId });
  const row = await query.count<{ n: number | string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}
