import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { migrate, openDatabase } from '../../src/store/db.js';

function folder(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ob-open-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a database file of 0 bytes that is not brand new is refused, named, with what to do', async (t) => {
  const file = join(folder(t), 'order-bridge.sqlite');
  writeFileSync(file, '');
  utimesSync(file, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  await t.rejects(openDatabase({ client: 'sqlite', filename: file }), {
    message: `the SQLite database ${file} is empty (0 bytes), as a failed copy or a full disk leaves a file: if it held order-bridge's data, restore it from a backup; to start a new database, delete the file`,
  });
});

t.test('a 0-byte file another process has just made is its new database, not a lost one', async (t) => {
  const file = join(folder(t), 'order-bridge.sqlite');
  writeFileSync(file, '');
  const db = await openDatabase({ client: 'sqlite', filename: file });
  t.teardown(() => db.destroy());
  t.ok((await migrate(db)).length > 0);
});

t.test('a file that cannot be opened is named in the error', async (t) => {
  const dir = folder(t);
  const notADatabase = join(dir, 'notes.sqlite');
  writeFileSync(notADatabase, 'these are my notes, not a database '.repeat(200));
  await t.rejects(openDatabase({ client: 'sqlite', filename: notADatabase }), { message: `cannot open the SQLite database ${notADatabase}: SQLITE_NOTADB: file is not a database` });
  const aFolder = join(dir, 'store.sqlite');
  mkdirSync(aFolder);
  await t.rejects(openDatabase({ client: 'sqlite', filename: aFolder }), { message: new RegExp(`cannot open the SQLite database ${aFolder}: it is a folder`) });
});

t.test('a new SQLite file gives the pages freed by the pruning back to the disk (incremental auto-vacuum)', async (t) => {
  const db = await openDatabase({ client: 'sqlite', filename: join(folder(t), 'new.sqlite') });
  t.teardown(() => db.destroy());
  await migrate(db);
  t.same(await db.raw('pragma auto_vacuum'), [{ auto_vacuum: 2 }]);
  t.same(await db.raw('pragma journal_mode'), [{ journal_mode: 'wal' }]);
});
