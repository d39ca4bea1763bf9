import type { Knex } from 'knex';
import { whereGiven, type Database } from './db.js';

/**
 * Where one source order is in its life on one route:
 * queued (a job will export it) → created (the destination gave an id for it, not yet read back) →
 * exported (the destination has it; its status is checked) →
 * delivered (the destination says so; the on-delivered action is queued) → finished (the action is
 * done), or skipped (not exportable, e.g. cancelled before it left) / failed (its job died).
 */
export const bindingStages = ['queued', 'created', 'exported', 'delivered', 'finished', 'skipped', 'failed'] as const;
export type BindingStage = (typeof bindingStages)[number];

export interface Binding {
  id: number;
  route: string;
  sourceId: string;
  sourceNumber: string | null;
  destinationId: string | null;
  destinationStatus: string | null;
  stage: BindingStage;
  lastError: string | null;
  /** Why it was skipped or failed, as a code (e.g. SOURCE_ORDER_MISSING). */
  lastErrorCode: string | null;
  createdAt: number;
  updatedAt: number;
  exportedAt: number | null;
  statusCheckedAt: number | null;
  deliveredAt: number | null;
  feedbackRef: string | null;
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
  last_error_code: string | null;
  created_at: number;
  updated_at: number;
  exported_at: number | null;
  status_checked_at: number | null;
  delivered_at: number | null;
  feedback_ref: string | null;
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
    lastErrorCode: row.last_error_code ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    exportedAt: row.exported_at === null ? null : Number(row.exported_at),
    statusCheckedAt: row.status_checked_at === null ? null : Number(row.status_checked_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    feedbackRef: row.feedback_ref,
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

/** Rows per statement in bulk writes: well inside SQLite's limit on bound values. */
const chunk = 200;

export function bindingKey(route: string, sourceId: string): string {
  return `${route}\n${sourceId}`;
}

/**
 * ensureBinding for many orders at once (the webhook intake's group commit): two statements per chunk
 * instead of two per order. Returns the bindings as stored, keyed by `bindingKey(route, sourceId)`.
 */
export async function ensureBindings(
  db: Db,
  keys: readonly { route: string; sourceId: string; sourceNumber: string | null }[],
  now: number,
): Promise<Map<string, Binding>> {
  const found = new Map<string, Binding>();
  const firsts = new Map<string, (typeof keys)[number]>();
  for (const k of keys) if (!firsts.has(bindingKey(k.route, k.sourceId))) firsts.set(bindingKey(k.route, k.sourceId), k);
  const unique = [...firsts.values()];
  for (let i = 0; i < unique.length; i += chunk) {
    const part = unique.slice(i, i + chunk);
    await db('bindings')
      .insert(part.map((k) => ({ route: k.route, source_id: k.sourceId, source_number: k.sourceNumber, stage: 'queued', created_at: now, updated_at: now })))
      .onConflict(['route', 'source_id'])
      .ignore();
    const byRoute = new Map<string, string[]>();
    for (const k of part) byRoute.set(k.route, [...(byRoute.get(k.route) ?? []), k.sourceId]);
    for (const [route, ids] of byRoute) {
      const rows = await db<BindingRecord>('bindings').where({ route }).whereIn('source_id', ids);
      for (const row of rows) found.set(bindingKey(row.route, row.source_id), toBinding(row));
    }
  }
  for (const k of unique) {
    const binding = found.get(bindingKey(k.route, k.sourceId));
    if (binding === undefined) throw new Error(`binding ${k.route}/${k.sourceId} vanished while being created`);
    if (binding.sourceNumber === null && k.sourceNumber !== null) {
      await db('bindings').where({ id: binding.id }).update({ source_number: k.sourceNumber });
      binding.sourceNumber = k.sourceNumber;
    }
  }
  return found;
}

export async function getBinding(db: Db, route: string, sourceId: string): Promise<Binding | null> {
  const row = await db<BindingRecord>('bindings').where({ route, source_id: sourceId }).first();
  return row === undefined ? null : toBinding(row);
}

export async function setBindingStage(
  db: Db,
  route: string,
  sourceId: string,
  change: { stage: BindingStage; lastError?: string | null; lastErrorCode?: string | null; sourceNumber?: string | null },
  now: number,
): Promise<void> {
  const update: Record<string, unknown> = { stage: change.stage, updated_at: now, last_error_code: change.lastErrorCode ?? null };
  if (change.lastError !== undefined) update['last_error'] = change.lastError;
  if (change.sourceNumber !== undefined && change.sourceNumber !== null) update['source_number'] = change.sourceNumber;
  // An order that reached the destination stays there whatever happens to a later job about it; one
  // whose create was answered but not yet read back keeps its stage (and id) until it is.
  await db('bindings').where({ route, source_id: sourceId }).whereIn('stage', ['queued', 'skipped', 'failed']).update(update);
}

/**
 * The destination answered a create with this id: kept at once, before anything else can fail, so that
 * a later attempt reads the order back by id instead of creating it again.
 */
export async function markBindingCreated(db: Db, route: string, sourceId: string, result: { sourceNumber: string; destinationId: string }, now: number): Promise<void> {
  await db('bindings')
    .where({ route, source_id: sourceId })
    .update({ stage: 'created', source_number: result.sourceNumber, destination_id: result.destinationId, updated_at: now });
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
    last_error_code: null,
    exported_at: now,
    updated_at: now,
  });
}

/** Exported orders whose status is still to be checked, least recently checked first. */
export async function bindingsAwaitingDelivery(db: Db, route: string, limit: number, afterId = 0): Promise<Binding[]> {
  const rows = await db<BindingRecord>('bindings')
    .where({ route, stage: 'exported' })
    .whereNotNull('destination_id')
    .andWhere('id', '>', afterId)
    .orderBy('id', 'asc')
    .limit(limit);
  return rows.map(toBinding);
}

export async function recordDestinationStatus(
  db: Db,
  id: number,
  change: { status: string; delivered: boolean },
  now: number,
): Promise<void> {
  const update: Record<string, unknown> = { destination_status: change.status, status_checked_at: now, updated_at: now };
  if (change.delivered) Object.assign(update, { stage: 'delivered', delivered_at: now });
  await db('bindings').where({ id, stage: 'exported' }).update(update);
}

export async function markBindingFinished(db: Db, route: string, sourceId: string, feedbackRef: string, now: number): Promise<void> {
  await db('bindings').where({ route, source_id: sourceId }).update({ stage: 'finished', feedback_ref: feedbackRef, last_error: null, updated_at: now });
}

export async function setBindingError(db: Db, route: string, sourceId: string, error: string | null, now: number): Promise<void> {
  await db('bindings').where({ route, source_id: sourceId }).update({ last_error: error, updated_at: now });
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
  whereGiven(query, { route: filter.route, source_number: filter.sourceNumber, destination_id: filter.destinationId, stage: filter.stage });
  return (await query).map(toBinding);
}
