import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import type { Test } from 'tap';
import { migrate, openDatabase, type Database, type DatabaseConfig } from '../../src/store/db.js';

export interface TestDatabase {
  db: Database;
  config: DatabaseConfig;
}

/** A fresh SQLite file per test, migrated; removed when the test ends. */
export async function sqliteFile(t: Test): Promise<TestDatabase & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'order-bridge-test-'));
  const config: DatabaseConfig = { client: 'sqlite', filename: join(dir, 'store.sqlite') };
  const db = await openDatabase(config);
  await migrate(db);
  t.teardown(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, config, dir };
}

/** A fresh PostgreSQL database per test on the server named by TEST_DATABASE_URL; dropped at the end. */
export async function postgresDatabase(t: Test, serverUrl: string): Promise<TestDatabase> {
  const name = `order_bridge_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const config: DatabaseConfig = { client: 'pg', connection: url.toString(), poolMax: 10 };
  const db = await openDatabase(config);
  await migrate(db);
  t.teardown(async () => {
    await db.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });
  return { db, config };
}

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export function backends(): { name: string; open(t: Test): Promise<TestDatabase> }[] {
  const list: { name: string; open(t: Test): Promise<TestDatabase> }[] = [{ name: 'sqlite', open: sqliteFile }];
  const url = process.env['TEST_DATABASE_URL'];
  if (url) list.push({ name: 'postgres', open: (t) => postgresDatabase(t, url) });
  return list;
}
