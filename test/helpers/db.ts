import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { migrate, openDatabase, type Database, type DatabaseConfig } from '../../src/store/db.js';

/** A fresh SQLite file per test, migrated; removed when the test ends. */
export async function sqliteFile(t: Test): Promise<{ db: Database; config: DatabaseConfig; dir: string }> {
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
