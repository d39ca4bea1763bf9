import type { Knex } from 'knex';
import type { Database } from './db.js';

type Db = Database | Knex.Transaction;

export async function readCursor(db: Db, name: string): Promise<string | null> {
  const row = await db<{ name: string; value: string }>('cursors').where({ name }).first();
  return row?.value ?? null;
}

export async function writeCursor(db: Db, name: string, value: string, now: number): Promise<void> {
  await db('cursors').insert({ name, value, updated_at: now }).onConflict('name').merge(['value', 'updated_at']);
}
