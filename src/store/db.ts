import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import knex, { type Knex } from 'knex';
import pg from 'pg';

export type DatabaseConfig =
  | { client: 'sqlite'; filename: string }
  | { client: 'pg'; connection: string; poolMax: number };

export type Database = Knex;

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * knex records a migration's file name with its extension; running .ts in development and compiled .js
 * in production against one database would then look like two different migrations. Names here carry
 * no extension, and either file kind is loaded.
 */
const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const names = readdirSync(migrationsDir)
      .filter((file) => /^\d+_.+\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
      .map((file) => file.replace(/\.(ts|js)$/, ''));
    return [...new Set(names)].sort();
  },
  getMigrationName(name) {
    return name;
  },
  async getMigration(name) {
    const files = readdirSync(migrationsDir);
    const file = files.find((f) => f === `${name}.js`) ?? files.find((f) => f === `${name}.ts`);
    if (file === undefined) throw new Error(`migration ${name} has no file in ${migrationsDir}`);
    return (await import(pathToFileURL(join(migrationsDir, file)).href)) as Migration;
  },
};

let pgTypesSet = false;

/**
 * Opens the store. `connections` caps the PostgreSQL pool below `poolMax` (SQLite always has one
 * connection per handle): the webhook intake opens a handle of its own with one, so that its writes never
 * queue behind the jobs' and the exchange log's.
 */
export async function openDatabase(config: DatabaseConfig, options: { connections?: number } = {}): Promise<Database> {
  if (config.client === 'pg') {
    if (!pgTypesSet) {
      // bigint columns hold epoch milliseconds, far inside Number's exact range; count() is bigint too.
      pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
      pgTypesSet = true;
    }
    return knex({ client: 'pg', connection: config.connection, pool: { min: 0, max: options.connections ?? config.poolMax } });
  }
  if (config.filename !== ':memory:') checkSqliteFile(config.filename);
  const db = knex({
    client: 'sqlite3',
    connection: { filename: config.filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { run(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        // busy_timeout makes a second process wait for the lock instead of failing at once. WAL lets readers
        // (another CLI process, the admin API) run beside the writer.
        // SQLite answers a journal-mode change with SQLITE_BUSY at once, without the busy handler, while
        // another process opens the same file: try again for a while (WAL stays set in the file once made).
        const toWal = (triesLeft: number): void =>
          conn.run('PRAGMA journal_mode = WAL', (e2) => {
            if (e2 && (e2 as { code?: string }).code === 'SQLITE_BUSY' && triesLeft > 0) {
              setTimeout(() => toWal(triesLeft - 1), 25);
              return;
            }
            if (e2) return done(e2, conn);
            // journal_size_limit: the log file shrinks back after a checkpoint instead of keeping its largest size.
            conn.run('PRAGMA synchronous = NORMAL', (e3) => (e3 ? done(e3, conn) : conn.run('PRAGMA journal_size_limit = 67108864', (e4) => done(e4, conn))));
          });
        conn.run('PRAGMA busy_timeout = 10000', (e1) => {
          if (e1) return done(e1, conn);
          // Takes effect only in a file that has no table yet: the pages the pruning frees can then be
          // given back to the disk (src/store/retention.ts). Older files: order-bridge prune --vacuum.
          conn.run('PRAGMA auto_vacuum = INCREMENTAL', (e5) => (e5 ? done(e5, conn) : toWal(200)));
        });
      },
    },
  });
  try {
    // Opens the file now, and reads its schema: a file that is not a database fails here, named.
    await db.raw('select count(*) as tables from sqlite_master');
  } catch (err) {
    await db.destroy();
    throw new Error(`cannot open the SQLite database ${config.filename}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return db;
}

/** How long a 0-byte database file may be another process's brand-new one, still being set up. */
const freshFileMs = 10_000;

/**
 * The folder is made if missing. A path that is a folder, or a database file of 0 bytes that is not brand
 * new, is refused: an empty file is what a failed copy or restore, or a full disk, leaves behind, and
 * starting on it as on a new database would forget every order already exported.
 */
function checkSqliteFile(filename: string): void {
  try {
    mkdirSync(dirname(filename), { recursive: true });
  } catch (err) {
    throw new Error(`cannot make the folder of the SQLite database ${filename}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  let stat;
  try {
    stat = statSync(filename);
  } catch {
    return;
  }
  if (stat.isDirectory()) throw new Error(`cannot open the SQLite database ${filename}: it is a folder (database.filename names the file)`);
  if (stat.size === 0 && Date.now() - stat.mtimeMs > freshFileMs) {
    throw new Error(
      `the SQLite database ${filename} is empty (0 bytes), as a failed copy or a full disk leaves a file: if it held order-bridge's data, restore it from a backup; to start a new database, delete the file`,
    );
  }
}

/** The size of SQLite's write-ahead log beside the file (0 when there is none, and for PostgreSQL). */
export function walFileBytes(config: DatabaseConfig): number {
  if (config.client !== 'sqlite' || config.filename === ':memory:') return 0;
  try {
    return statSync(`${config.filename}-wal`).size;
  } catch {
    return 0;
  }
}

/** Any constant: the key of the PostgreSQL advisory lock that migrations take. */
const migrationLockKey = 0x0b51d6e;

/**
 * Applies pending migrations; returns the names applied now. Processes that start together on an empty
 * database race to create knex's own bookkeeping tables: all but one fail, and on SQLite each may add a
 * row to knex's lock table, which then reads as locked for ever. On PostgreSQL (replicas) they take turns
 * under an advisory lock, held by a connection of its own so that a replica dying meanwhile frees it. On
 * SQLite the bookkeeping tables are created here first, by statements that are each atomic and
 * idempotent; knex's own lock then makes a second process wait for the first one's migrations.
 */
export async function migrate(db: Database): Promise<string[]> {
  const latest = async (): Promise<string[]> => {
    const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  };
  if (!isPostgres(db)) {
    // The same tables knex creates, so that it finds them and creates nothing.
    await db.raw('create table if not exists `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)');
    await db.raw('create table if not exists `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer)');
    await db.raw('insert or ignore into `knex_migrations_lock` (`index`, `is_locked`) values (1, 0)');
    return latest();
  }
  const session = new pg.Client(db.client.connectionSettings as pg.ClientConfig);
  await session.connect();
  try {
    await session.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    return await latest();
  } finally {
    await session.end();
  }
}

export function isPostgres(db: Database): boolean {
  return db.client.config.client === 'pg';
}

/** Adds `column = value` for every condition that is given: the optional filters of the list queries. */
export function whereGiven<Q extends Knex.QueryBuilder>(query: Q, conditions: Record<string, string | number | undefined>): Q {
  for (const [column, value] of Object.entries(conditions)) if (value !== undefined) void query.where(column, value);
  return query;
}
