import type { Knex } from 'knex';
import type { Clock } from '../core/clock.js';
import type { ConnectorState } from '../core/connector.js';
import type { Database } from './db.js';

type Db = Database | Knex.Transaction;

export async function readCursor(db: Db, name: string): Promise<string | null> {
  const row = await db<{ name: string; value: string }>('cursors').where({ name }).first();
  return row?.value ?? null;
}

export async function writeCursor(db: Db, name: string, value: string, now: number): Promise<void> {
  await db('cursors').insert({ name, value, updated_at: now }).onConflict('name').merge(['value', 'updated_at']);
}

/** A connection's durable values share the cursors table, under names no route cursor can take. */
export function connectorState(db: Database, connection: string, clock: Clock): ConnectorState {
  const name = (key: string): string => `state:${connection}:${key}`;
  return {
    get: (key) => readCursor(db, name(key)),
    set: (key, value) => writeCursor(db, name(key), value, clock.now()),
  };
}
