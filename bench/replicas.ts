/**
 * bench/replicas: throughput of one and two `order-bridge serve` processes on PostgreSQL, and of one on
 * SQLite, for 2,000 confirmed orders arriving by webhook. The stand-ins answer every call 20 ms late, as a
 * network and a busy server would. Prints, per set-up, orders per second (first webhook to last order
 * exported) and the p50 and p99 time from an order's webhook to its export: the Ysell create answered and
 * recorded (taken from the service's own "order exported" log line, which comes right after).
 *
 * Webhooks are spread round-robin over the replicas, as a load balancer would. First the burst: all 2,000
 * as fast as 50 connections go, so its p99 is mostly the wait behind the backlog, close to the whole run.
 * Then 400 more at a steady 40 per second, below what one process manages, whose p50/p99 are the time an
 * order takes when nothing is queued before it. Each process runs 16 jobs at once. The stand-ins run in
 * this process; the CPU columns show where the machine's time went.
 *
 *   npx tsx bench/replicas.ts [orders]          PostgreSQL: $TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import { migrate, openDatabase, type DatabaseConfig } from '../src/store/db.js';
import { countJobsByState } from '../src/store/jobs.js';
import { startStandIns, writeProcessConfig } from '../src/sandbox/stack.js';
import { confirmedOrders, orderNames } from '../test/helpers/orders.js';
import { serve } from '../test/helpers/service.js';

const orders = Number(process.argv[2] ?? 2000);
const latencyMs = 20;
const senders = 50;
const paced = 400;
const pacedRate = 40;
const token = 'bench-hook-token-3c9f1a7e';
const serverUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function database(kind: 'sqlite' | 'pg', dir: string): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { config: { client: 'sqlite', filename: join(dir, 'store.sqlite') }, drop: async () => undefined };
  const name = `order_bridge_bench_${randomBytes(4).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { client: 'pg', connection: url.toString(), poolMax: 10 },
    async drop() {
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

/** CPU seconds a process has used so far (Linux /proc), to show where the machine's time went. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function run(kind: 'sqlite' | 'pg', replicas: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ob-bench-replicas-'));
  const { odoo, ysell, close } = await startStandIns();
  const ids = confirmedOrders(odoo, orders + paced);
  const names = orderNames(odoo, ids);
  odoo.inject({ kind: 'delay', ms: latencyMs });
  ysell.inject({ kind: 'delay', ms: latencyMs }, { share: 1 });
  const db = await database(kind, dir);
  const store = await openDatabase(db.config);
  await migrate(store);

  const config = writeProcessConfig(dir, odoo, ysell, {
    database: db.config,
    log: { level: 'info' },
    worker: { concurrency: 16, lease: '30s', idlePoll: '200ms' },
    routes: [{ name: 'r', from: 'odoo', to: 'ysell', webhook: { token, delay: 1 }, poll: false, statusCheck: false }],
  });
  const sentAt = new Map<string, number>();
  const exportedAt = new Map<string, number>();
  let waiting: { count: number; resolve: () => void } | null = null;
  const exportedCount = (count: number) => new Promise<void>((resolve) => (waiting = { count, resolve }));
  const services = Array.from({ length: replicas }, () => serve(config));
  for (const service of services) {
    service.onLine((line) => {
      if (!line.includes('"msg":"order exported"')) return;
      const { order, time } = JSON.parse(line) as { order: string; time: number };
      exportedAt.set(order, time);
      if (waiting !== null && exportedAt.size >= waiting.count) waiting.resolve();
    });
  }
  const hooks = await Promise.all(
    services.map(async (s) => `${(JSON.parse(await s.logged(/"msg":"order-bridge is serving"/)) as { address: string }).address}/hooks/odoo/r?token=${token}`),
  );
  let sent = 0;
  async function post(id: number): Promise<void> {
    sentAt.set(names.get(id)!, Date.now());
    const answer = await fetch(hooks[sent++ % hooks.length]!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _id: id, _model: 'sale.order', name: names.get(id), state: 'sale' }),
    });
    await answer.arrayBuffer();
    if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`);
  }
  const latencies = (part: number[]) => part.map((id) => exportedAt.get(names.get(id)!)! - sentAt.get(names.get(id)!)!).sort((a, b) => a - b);

  // The burst: every order at once, as fast as `senders` connections go.
  const burst = ids.slice(0, orders);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const serviceCpuBefore = services.map((s) => cpuSeconds(s.child.pid));
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < burst.length) await post(burst[next++]!);
    }),
  );
  await exportedCount(orders);
  const seconds = (Math.max(...burst.map((id) => exportedAt.get(names.get(id)!)!)) - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const standInCpu = (cpu.user + cpu.system) / 1e6;
  const serviceCpu = services.reduce((sum, s, i) => sum + cpuSeconds(s.child.pid) - serviceCpuBefore[i]!, 0);

  // Then a steady trickle well below capacity: the time an order takes when nothing is queued before it.
  const trickle = ids.slice(orders);
  await Promise.all(trickle.map((id, i) => new Promise((resolve) => setTimeout(resolve, (i * 1000) / pacedRate)).then(() => post(id))));
  await exportedCount(orders + paced);

  for (const s of services) s.child.kill('SIGTERM');
  const exitCodes = await Promise.all(services.map((s) => s.exited));
  const counts = await countJobsByState(store);
  await store.destroy();
  await db.drop();
  await close();
  rmSync(dir, { recursive: true, force: true });

  const burstLatencies = latencies(burst);
  const trickleLatencies = latencies(trickle);
  const label = `${replicas} replica${replicas > 1 ? 's' : ''}, ${kind === 'pg' ? 'PostgreSQL' : 'SQLite'}`;
  const duplicates = ysell.orders().length - new Set(ysell.orders().map((o) => o.order_num)).size;
  const healthy = counts.done === orders + paced && duplicates === 0 && exitCodes.every((c) => c === 0);
  const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    [
      label.padEnd(24),
      (orders / seconds).toFixed(1).padStart(8),
      s2(percentile(burstLatencies, 50)).padStart(9),
      s2(percentile(burstLatencies, 99)).padStart(9),
      s2(percentile(trickleLatencies, 50)).padStart(9),
      s2(percentile(trickleLatencies, 99)).padStart(9),
      `${serviceCpu.toFixed(1)} s`.padStart(11),
      `${standInCpu.toFixed(1)} s`.padStart(12),
    ].join('  ') + (healthy ? '' : `  (jobs done ${counts.done}, duplicates ${duplicates}, exits ${exitCodes.join('/')})`)
  );
}

console.log(`bench/replicas: ${orders} orders by webhook at once, then ${paced} at ${pacedRate}/s; ${latencyMs} ms added to every call to Odoo and Ysell; 16 jobs at once per process`);
console.log(
  ['set-up'.padEnd(24), 'orders/s'.padStart(8), 'burst p50'.padStart(9), 'burst p99'.padStart(9), ' 40/s p50'.padStart(9), ' 40/s p99'.padStart(9), 'service CPU'.padStart(11), 'stand-in CPU'.padStart(12)].join('  '),
);
console.log(await run('sqlite', 1));
console.log(await run('pg', 1));
console.log(await run('pg', 2));
console.log('orders/s and CPU: the burst, first webhook to last export; p50/p99: from an order\'s webhook to its export');
