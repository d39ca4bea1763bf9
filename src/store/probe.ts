import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database, DatabaseConfig } from './db.js';

/** Below this much free space next to the SQLite file, the next commit may fail: the store is not ready. */
export const minFreeDiskBytes = 16 * 1024 * 1024;

class RolledBack extends Error {}

/**
 * Whether the store can take work now: a real read of the queue (the jobs table and its index, where
 * `select 1` touches no table at all and answers over a corrupted file), a write that is rolled back (the
 * schema is there and a write lock can be had), and for SQLite the free space on its disk (a rolled-back
 * write never reaches the disk, so a full one would go unnoticed until the next commit fails). Throws
 * when any of them fails. A few index reads and no lasting write: cheap enough to run on every /ready.
 */
export async function probeStore(db: Database, config: DatabaseConfig, now: number, minFreeBytes: number = minFreeDiskBytes): Promise<void> {
  try {
    await db.transaction(async (trx) => {
      await trx('jobs').select('id').where({ state: 'pending' }).andWhere('run_after', '<=', now).orderBy('run_after').limit(1);
      await trx('jobs').select('id').orderBy('id', 'desc').limit(1);
      await trx('run_locks').insert({ name: 'ready-probe', lease_until: now }).onConflict('name').ignore();
      throw new RolledBack();
    });
  } catch (err) {
    if (!(err instanceof RolledBack)) throw err;
  }
  if (config.client === 'sqlite' && config.filename !== ':memory:') {
    const disk = await statfs(dirname(config.filename));
    const free = disk.bavail * disk.bsize;
    if (free < minFreeBytes) throw new Error(`only ${free} bytes free on the disk of ${config.filename}`);
  }
}
