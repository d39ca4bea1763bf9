/**
 * bench/retention: how big the store gets. A year at 10,000 orders a day, in compressed time, with the
 * default retention settings, on SQLite (or PostgreSQL with --pg).
 *
 * First the real thing, small: the service exports 20 orders from the Odoo stand-in to the Ysell stand-in
 * by webhook, checks their statuses, Ysell says Done, and the pickings are made in Odoo; one poll runs.
 * The rows it left in the store (per order: its binding, 2 jobs and their attempts, the calls of its
 * export and of its delivery, one status read; the calls of the poll) are the templates. Then the simulation writes those rows,
 * as the service would, order after order, for every 10 minutes of the simulated year:
 *   - 10,000 orders a day, evenly spread; each exported when it arrives and delivered 2 days later (so
 *     20,000 orders are always waiting, and read by the hourly status check: 480,000 status reads a day);
 *   - a poll every 5 minutes;
 *   - the service's own pruning (src/ops/prune.ts, with the default windows) every 10 minutes, on the
 *     simulated clock, followed on SQLite by its giving back of free pages; on PostgreSQL a VACUUM every
 *     6 simulated hours stands for autovacuum, which compressed time leaves no time to run.
 * Prints the store's size at the end of each month, the bytes per order at steady state (what the store
 * grows by per order once every window is full: the binding, kept for good) and what a full window
 * holds, and the size after the year.
 *
 *   npx tsx bench/retention.ts [--days 365] [--per-day 10000] [--pg]
 *   PostgreSQL: $TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres (a database of its own is made and dropped)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import knex from 'knex';
import { parseConfig } from '../src/config/load.js';
import { builtinConnectors } from '../src/connectors/index.js';
import { ManualClock } from '../src/core/clock.js';
import { Pruner } from '../src/ops/prune.js';
import { ROUTE, startStack } from '../src/sandbox/stack.js';
import { migrate, openDatabase, walFileBytes, type Database, type DatabaseConfig } from '../src/store/db.js';
import { capturedLogger } from '../test/helpers/logger.js';
import { confirmedOrders } from '../test/helpers/orders.js';
import { settle } from '../test/helpers/settle.js';

const { values } = parseArgs({ options: { days: { type: 'string', default: '365' }, 'per-day': { type: 'string', default: '10000' }, pg: { type: 'boolean', default: false } } });
const days = Number(values.days);
const perDay = Number(values['per-day']);
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const step = 10 * minute;
const deliveredAfter = 2 * day;
const serverUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Row = Record<string, string | number | Buffer | null>;

interface Templates {
  /** The calls of one order's export job, its delivery job, one status read, one poll; relative times. */
  exportCalls: Row[];
  deliveryCalls: Row[];
  statusRead: Row;
  pollCalls: Row[];
  binding: Row;
  exportJob: Row;
  deliveryJob: Row;
}

/** The rows the real service leaves for one order, taken from a small real run. */
async function templates(): Promise<Templates> {
  const stack = await startStack({ logger: capturedLogger('silent').logger });
  const { odoo, ysell, app } = stack;
  const ids = confirmedOrders(odoo, 20);
  await odoo.webhooksSettled();
  await settle(app);
  await app.checkStatusNow(ROUTE);
  for (const order of ysell.orders()) ysell.setStatus(order.id, 'Done');
  await app.checkStatusNow(ROUTE);
  await settle(app);
  await app.pollNow(ROUTE);
  await app.recorder.flush();
  const db = app.db;
  const sourceId = String(ids[5]);
  const jobs = (await db('jobs').where({ source_id: sourceId })) as Row[];
  const exportJob = jobs.find((j) => j['kind'] === 'export')!;
  const deliveryJob = jobs.find((j) => j['kind'] === 'delivered')!;
  const strip = (row: Row): Row => {
    const { id: _id, ...rest } = row;
    return rest;
  };
  const calls = (await db('exchanges').where({ source_id: sourceId }).orderBy('id')) as Row[];
  const result: Templates = {
    exportCalls: calls.filter((c) => c['job_id'] === exportJob['id']).map(strip),
    deliveryCalls: calls.filter((c) => c['job_id'] === deliveryJob['id']).map(strip),
    statusRead: strip(calls.find((c) => c['job_id'] === null)!),
    pollCalls: ((await db('exchanges').whereNull('source_id').whereNull('job_id').orderBy('id', 'desc').limit(20)) as Row[]).filter((c) => String(c['operation']).includes('sale.order')).slice(0, 4).map(strip),
    binding: strip((await db('bindings').where({ source_id: sourceId }).first()) as Row),
    exportJob: strip(exportJob),
    deliveryJob: strip(deliveryJob),
  };
  await stack.close();
  return result;
}

async function database(dir: string): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  if (!values.pg) return { config: { client: 'sqlite', filename: join(dir, 'store.sqlite') }, drop: async () => undefined };
  const name = `order_bridge_bench_${randomBytes(4).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { client: 'pg', connection: url.toString(), poolMax: 4 },
    async drop() {
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

/**
 * The rows of orders first..last (their numbers), written from a template table by one statement each: a
 * year is 3.65 million orders and some 200 million rows, too many to send one by one.
 */
interface Writer {
  exported(first: number, last: number, at: number, spacing: number): Promise<void>;
  delivered(first: number, last: number, at: number): Promise<void>;
  statusReads(first: number, last: number, hourStart: number): Promise<void>;
  poll(at: number): Promise<void>;
}

const exchangeColumns = ['connector', 'operation', 'url', 'request_body', 'response_body', 'bodies', 'http_status', 'fault', 'error', 'duration_ms', 'started_at', 'route', 'source_id', 'job_id'];

async function writer(db: Database, t: Templates, pg: boolean): Promise<Writer> {
  await db.schema.createTable('bench_templates', (table) => {
    table.string('kind');
    table.integer('seq');
    for (const c of exchangeColumns) {
      if (c === 'bodies') table.binary(c);
      else table.text(c);
    }
  });
  const rows = (kind: string, calls: Row[]) =>
    calls.map((call, seq) => ({ kind, seq, ...Object.fromEntries(exchangeColumns.map((c) => [c, call[c] === null || c === 'bodies' ? (call[c] ?? null) : String(call[c])])) }));
  await db('bench_templates').insert([...rows('export', t.exportCalls), ...rows('delivery', t.deliveryCalls), ...rows('status', [t.statusRead]), ...rows('poll', t.pollCalls)]);
  // A numbers table for the order range: recursive on SQLite, generate_series on PostgreSQL.
  const numbers = pg ? 'select generate_series(?::bigint, ?::bigint) as k' : 'with recursive n(k) as (select ? union all select k + 1 from n where k < ?) select k from n';
  const text = pg ? (e: string) => `(${e})::text` : (e: string) => `cast(${e} as text)`;
  const int = pg ? (e: string) => `(${e})::bigint` : (e: string) => `cast(${e} as integer)`;
  // A time parameter: PostgreSQL would otherwise guess a 32-bit integer from what it is added to.
  const ts = pg ? '?::bigint' : '?';
  const calls = (kind: string, jobId: string | null, startedAt: string) =>
    `insert into exchanges (${exchangeColumns.join(', ')}) select t.connector, t.operation, t.url, t.request_body, t.response_body, t.bodies, ${int('t.http_status')}, t.fault, t.error, ${int('t.duration_ms')}, ${startedAt}, t.route, ${text('n.k')}, ${jobId ?? 'null'} from (${numbers}) n cross join bench_templates t where t.kind = '${kind}'`;
  const b = t.binding as Record<string, string | number | null>;
  const e = t.exportJob as Record<string, string | number | null>;
  const d = t.deliveryJob as Record<string, string | number | null>;
  const value = (v: string | number | null | undefined): string | number | null => v ?? null;
  return {
    async exported(first, last, at, spacing) {
      if (last < first) return;
      await db.transaction(async (trx) => {
        await trx.raw(
          `insert into bindings (id, route, source_id, source_number, destination_id, destination_status, stage, created_at, updated_at, exported_at) select n.k, ?, ${text('n.k')}, 'S' || ${text('n.k')}, ${text('500000 + n.k')}, ?, 'exported', ? + (n.k - ?) * ?, ? + (n.k - ?) * ?, ? + (n.k - ?) * ? from (${numbers}) n`,
          [value(b['route']), value(b['destination_status']), at, first, spacing, at, first, spacing, at, first, spacing, first, last],
        );
        await trx.raw(
          `insert into jobs (id, key, kind, route, source_id, payload, revision, state, attempts, max_attempts, run_after, created_at, updated_at, finished_at) select 2 * n.k, 'export:' || ? || ':' || ${text('n.k')}, 'export', ?, ${text('n.k')}, ?, ?, 'done', 1, ?, ? + (n.k - ?) * ?, ? + (n.k - ?) * ?, ? + (n.k - ?) * ?, ? + (n.k - ?) * ? from (${numbers}) n`,
          [value(e['route']), value(e['route']), value(e['payload']), value(e['revision']), value(e['max_attempts']), at, first, spacing, at, first, spacing, at, first, spacing, at + 500, first, spacing, first, last],
        );
        await trx.raw(`insert into job_attempts (job_id, attempt, started_at, finished_at, outcome) select 2 * n.k, 1, ? + (n.k - ?) * ?, ? + (n.k - ?) * ?, 'ok' from (${numbers}) n`, [at, first, spacing, at + 500, first, spacing, first, last]);
        await trx.raw(calls('export', '2 * n.k', `${ts} + (n.k - ?) * ? + t.seq * 40`), [at, first, spacing, first, last]);
      });
    },
    async delivered(first, last, at) {
      if (last < first) return;
      await db.transaction(async (trx) => {
        await trx('bindings').whereBetween('id', [first, last]).update({ stage: 'finished', destination_status: 'Done', delivered_at: at, status_checked_at: at, feedback_ref: 'stock.picking:1', updated_at: at });
        await trx.raw(
          `insert into jobs (id, key, kind, route, source_id, payload, revision, state, attempts, max_attempts, run_after, created_at, updated_at, finished_at) select 2 * n.k + 1, 'delivered:' || ? || ':' || ${text('n.k')}, 'delivered', ?, ${text('n.k')}, ?, null, 'done', 1, ?, ?, ?, ?, ? from (${numbers}) n`,
          [value(d['route']), value(d['route']), value(d['payload']), value(d['max_attempts']), at, at, at, at + 300, first, last],
        );
        await trx.raw(`insert into job_attempts (job_id, attempt, started_at, finished_at, outcome) select 2 * n.k + 1, 1, ?, ?, 'ok' from (${numbers}) n`, [at, at + 300, first, last]);
        await trx.raw(calls('delivery', '2 * n.k + 1', `${ts} + t.seq * 40`), [at, first, last]);
      });
    },
    async statusReads(first, last, hourStart) {
      if (last < first) return;
      await db.raw(calls('status', null, `${ts} + (n.k * 97) % ${hour}`), [hourStart, first, last]);
    },
    async poll(at) {
      await db.raw(
        `insert into exchanges (${exchangeColumns.join(', ')}) select connector, operation, url, request_body, response_body, bodies, ${int('http_status')}, fault, error, ${int('duration_ms')}, ${ts} + seq * 50, route, null, null from bench_templates where kind = 'poll'`,
        [at],
      );
    },
  };
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

const template = await templates();
const dir = mkdtempSync(join(tmpdir(), 'ob-bench-retention-'));
const store = await database(dir);
const db = await openDatabase(store.config);
await migrate(db);
const retention = parseConfig(
  { connections: { o: { type: 'odoo', url: 'https://x.example.com', db: 'x', login: 'x', secret: 'x' }, y: { type: 'ysell', baseUrl: 'https://y.example.com' } }, routes: [{ name: 'r', from: 'o', to: 'y' }] },
  builtinConnectors(),
  {},
).retention;
const clock = new ManualClock(Date.parse('2027-01-01T00:00:00Z'));
const pruner = new Pruner({ db, clock, logger: capturedLogger('silent').logger, retention, walBytes: () => walFileBytes(store.config) });
const perStep = perDay / (day / step);

console.log(
  `bench/retention: ${perDay.toLocaleString('en')} orders a day for ${days} simulated days on ${values.pg ? 'PostgreSQL' : 'SQLite'}; each order: ${template.exportCalls.length} calls to export it, ` +
    `a status read an hour until Ysell says Done 2 days later, ${template.deliveryCalls.length} calls to record the delivery; a poll every 5 min; the default retention ` +
    `(exchanges ${retention.exchanges / day}d, bodies ${retention.exchangeBodies / day}d, status reads ${retention.statusReads / day}d, jobs and attempts ${retention.finishedJobs / day}d)`,
);
const write = await writer(db, template, values.pg === true);
if (process.env['BENCH_DEBUG']) {
  const size = (rows: Row[]) => rows.reduce((sum, r) => sum + (r['bodies'] as Buffer | null)!.length + String(r['url']).length, 0);
  console.log('template bytes (bodies compressed): export', size(template.exportCalls), 'delivery', size(template.deliveryCalls), 'status', size([template.statusRead]), 'poll', size(template.pollCalls), template.pollCalls.map((c) => c['operation']));
}
let orders = 0;
let delivered = 0;
const sizes: { day: number; bytes: number; orders: number }[] = [];
const wallStart = performance.now();
let pruneMs = 0;

for (let t = 0; t < days * day; t += step) {
  clock.advance(step);
  const now = clock.now();
  // New orders, exported as they come, evenly spread over the 10 minutes.
  const arrived = Math.round(((t + step) / step) * perStep);
  await write.exported(orders + 1, arrived, now - step, Math.floor(step / Math.max(1, arrived - orders)));
  orders = arrived;
  // Orders exported 2 days ago are Done: their delivery job makes the picking.
  const done = Math.max(0, Math.round(((t + step - deliveredAfter) / step) * perStep));
  await write.delivered(delivered + 1, done, now);
  delivered = done;
  // The hourly status check reads every order exported and not delivered yet.
  if ((t + step) % hour === 0) await write.statusReads(delivered + 1, orders, now - hour);
  for (let p = 0; p < step / (5 * minute); p++) await write.poll(now - step + p * 5 * minute);
  const pruneStarted = performance.now();
  await pruner.run(new AbortController().signal);
  // PostgreSQL reuses the space of removed rows once autovacuum has passed, which it does when about a
  // fifth of a table is dead (hours at this rate, in real time); compressed time leaves it no time.
  if (values.pg && (t + step) % (6 * hour) === 0) await db.raw('vacuum');
  pruneMs += performance.now() - pruneStarted;
  if ((t + step) % day === 0) {
    const simulatedDay = (t + step) / day;
    if (!values.pg) await db.raw('pragma wal_checkpoint(TRUNCATE)');
    const { bytes } = await pruner.size();
    sizes.push({ day: simulatedDay, bytes, orders });
    if (simulatedDay % 30 === 0 || simulatedDay === days || simulatedDay <= 3) {
      const elapsed = (performance.now() - wallStart) / 1000;
      console.log(`  day ${String(simulatedDay).padStart(3)}: ${mib(bytes).padStart(11)}, ${orders.toLocaleString('en')} orders · ${elapsed.toFixed(0)} s so far, ${((100 * pruneMs) / 1000 / elapsed).toFixed(0)} % of it pruning`);
    }
  }
}

const last = sizes[sizes.length - 1]!;
const monthAgo = sizes[Math.max(0, sizes.length - 31)]!;
const perOrder = (last.bytes - monthAgo.bytes) / Math.max(1, last.orders - monthAgo.orders);
const bindingBytes = perOrder * last.orders;
console.log(`after ${days} days (${last.orders.toLocaleString('en')} orders): the store takes ${mib(last.bytes)}`);
console.log(`at steady state it grows by ${perOrder.toFixed(0)} bytes per order (what is kept for good: the binding)`);
console.log(`the windows hold about ${mib(last.bytes - bindingBytes)} (${((last.bytes - bindingBytes) / (perDay * 14)).toFixed(0)} bytes per order of the last 14 days); the rest is the bindings`);
console.log(`target: under 2 GiB after a year at 10,000 orders a day: ${days >= 365 && perDay >= 10_000 ? (last.bytes < 2 * 1024 ** 3 ? 'met' : 'MISSED') : 'run with the defaults to check'}`);

if (process.env['BENCH_DEBUG'] && !values.pg) {
  console.log(await db.raw("select name, sum(pgsize) as bytes, count(*) as pages from dbstat group by name order by bytes desc"));
  console.log(await db.raw("select count(*) as n, sum(job_id is null and source_id is not null) as status, sum(job_id is null and source_id is null) as polls, min(started_at) - ? as oldest from exchanges", [clock.now()]));
}
await db.destroy();
await store.drop();
rmSync(dir, { recursive: true, force: true });
