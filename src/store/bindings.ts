import type { Knex } from 'knex';
import type { Database } from './db.js';

/**
 * Where one source order is in its life on one route:
 * queued (a job will export it) → exported (the destination has it), or skipped (not exportable, e.g.
 * cancelled before it left) / failed (its job died; a person must act).
 */
export type BindingStage = 'queued' | 'exported' | 'skipped' | 'failed';

export interface Binding {
  id: number;
  route: string;
  sourceId: string;
  sourceNumber: string | null;
  destinationId: string | null;
  destinationStatus: string | null;
  stage: BindingStage;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  exportedAt: number | null;
}

interface BindingRecord {
  id: number;
  route: string;
  source_id: string;
  source_number: string | null;
  destination_id: string | null;
  destination_status: string | null;
  stage: BindingStage;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  exported_at: number | null;
}

function toBinding(row: BindingRecord): Binding {
  return {
    id: row.id,
    route: row.route,
    sourceId: row.source_id,
    sourceNumber: row.source_number,
    destinationId: row.destination_id,
    destinationStatus: row.destination_status,
    stage: row.stage,
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    exportedAt: row.exported_at === null ? null : Number(row.exported_at),
  };
}

type Db = Database | Knex.Transaction;

/** Creates the binding if it does not exist yet and returns it as stored. */
export async function ensureBinding(
  db: Db,
  key: { route: string; sourceId: string; sourceNumber: string | null },
  now: number,
): Promise<Binding> {
  await db('bindings')
    .insert({
      route: key.route,
      source_id: key.sourceId,
      source_number: key.sourceNumber,
      stage: 'queued',
      created_at: now,
      updated_at: now,
    })
    .onConflict(['route', 'source_id'])
    .ignore();
  const row = await db<BindingRecord>('bindings').where({ route: key.route, source_id: key.sourceId }).first();
  if (row === undefined) throw new Error(`binding ${key.route}/${key.sourceId} vanished while being created`);
  if (row.source_number === null && key.sourceNumber !== null) {
    await db('bindings').where({ id: row.id }).update({ source_number: key.sourceNumber });
    row.source_number = key.sourceNumber;
  }
  return toBinding(row);
}

export async function getBinding(db: Db, route: string, sourceId: string): Promise<Binding | null> {
  const row = await db<BindingRecord>('bindings').where({ route, source_id: sourceId }).first();
  return row === undefined ? null : toBinding(row);
}

export async function setBindingStage(
  db: Db,
  route: string,
  sourceId: string,
  change: { stage: BindingStage; lastError?: string | null; sourceNumber?: string | null },
  now: number,
): Promise<void> {
  const update: Record<string, unknown> = { stage: change.stage, updated_at: now };
  if (change.lastError !== undefined) update['last_error'] = change.lastError;
  if (change.sourceNumber !== undefined && change.sourceNumber !== null) update['source_number'] = change.sourceNumber;
  // An exported order stays exported whatever happens to a later job about it.
  await db('bindings').where({ route, source_id: sourceId }).whereNot('stage', 'exported').update(update);
}

export async function markBindingExported(
  db: Db,
  route: string,
  sourceId: string,
  result: { sourceNumber: string; destinationId: string; destinationStatus: string | null },
  now: number,
): Promise<void> {
  await db('bindings').where({ route, source_id: sourceId }).update({
    stage: 'exported',
    source_number: result.sourceNumber,
    destination_id: result.destinationId,
    destination_status: result.destinationStatus,
    last_error: null,
    exported_at: now,
    updated_at: now,
  });
}

export interface BindingFilter {
  route?: string;
  sourceNumber?: string;
  destinationId?: string;
  stage?: BindingStage;
  limit?: number;
}

export async function listBindings(db: Db, filter: BindingFilter = {}): Promise<Binding[]> {
  const query = db<BindingRecord>('bindings').orderBy('id', 'desc').limit(filter.limit ?? 100);
  if (filter.route !== undefined) query.where('route', filter.route);
  if (filter.sourceNumber !== undefined) query.where('source_number', filter.sourceNumber);
  if (filter.destinationId !== undefined) query.where('destination_id', filter.destinationId);
  if (filter.stage !== undefined) query.where('stage', filter.stage);
  return (await query).map(toBinding);
}
