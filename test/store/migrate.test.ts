import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import t from 'tap';
import type { Test } from 'tap';
import { migrate, openDatabase, type DatabaseConfig } from '../../src/store/db.js';

/** A database nobody has migrated yet, as a first deployment finds it. */
async function emptyDatabase(t: Test, backend: 'sqlite' | 'postgres'): Promise<DatabaseConfig> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'order-bridge-migrate-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return { client: 'sqlite', filename: join(dir, 'store.sqlite') };
  }
  const server = process.env['TEST_DATABASE_URL']!;
  const name = `order_bridge_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: server, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  t.teardown(async () => {
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { client: 'pg', connection: url.toString(), poolMax: 4 };
}

const names: ('sqlite' | 'postgres')[] = process.env['TEST_DATABASE_URL'] ? ['sqlite', 'postgres'] : ['sqlite'];
for (const backend of names) {
  t.test(`${backend}: replicas starting together on an empty database all come up, and migrate it once`, async (t) => {
    // The race is lost only now and then: run it a few times.
    for (let round = 1; round <= 4; round++) {
      const config = await emptyDatabase(t, backend);
      const replicas = await Promise.all([1, 2, 3].map(() => openDatabase(config)));
      const applied = await Promise.all(replicas.map((db) => migrate(db)));
      t.equal(applied.filter((names) => names.length > 0).length, 1, `round ${round}: one of them applied the migrations`);
      t.equal(new Set(applied.flat()).size, applied.flat().length, 'each migration applied once');
      t.ok(await replicas[0]!.schema.hasTable('run_locks'), 'the schema is complete');
      t.same(await replicas[1]!('knex_migrations_lock').select('is_locked'), [{ is_locked: 0 }], 'one lock row, free');
      t.same(await migrate(replicas[2]!), [], 'nothing left to apply');
      await Promise.all(replicas.map((db) => db.destroy()));
    }
  });
}
