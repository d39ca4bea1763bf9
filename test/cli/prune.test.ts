import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import t from 'tap';
import { migrate, openDatabase } from '../../src/store/db.js';
import { insertExchanges } from '../../src/store/exchanges.js';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;
const day = 86_400_000;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An order-bridge store made before retention existed: no incremental auto-vacuum, and 60 days of calls. */
async function oldStore(filename: string): Promise<void> {
  const db = knex({ client: 'sqlite3', connection: { filename }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await migrate(db);
  const now = Date.now();
  for (let d = 60; d > 0; d--) {
    await insertExchanges(
      db,
      Array.from({ length: 50 }, (_, i) => ({
        connector: 'odoo',
        operation: 'execute_kw sale.order.read',
        url: 'https://erp.example.com/xmlrpc/2/object',
        requestBody: 'x'.repeat(1500),
        responseBody: 'y'.repeat(3000),
        httpStatus: 200,
        fault: null,
        error: null,
        durationMs: 10,
        startedAt: now - d * day + i,
        route: 'r',
        sourceId: String(i),
        jobId: d * 100 + i,
      })),
    );
  }
  await db.destroy();
}

t.test('order-bridge prune removes what is past its window; --vacuum gives an old file its free space back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-cli-prune-'));
  const filename = join(dir, 'store.sqlite');
  await oldStore(filename);
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      database: { client: 'sqlite', filename },
      connections: {
        odoo: { type: 'odoo', url: 'https://erp.example.com', db: 'x', login: 'y', secret: 'z' },
        ysell: { type: 'ysell', baseUrl: 'https://1.eu1.ysell.pro' },
      },
      routes: [{ name: 'r', from: 'odoo', to: 'ysell' }],
      retention: { exchanges: '10d' },
    }),
  );
  const sizeBefore = statSync(filename).size;
  const first = await run(['prune', '--config', config]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /^removed: statusReads 0, exchanges 2550, exchangeBodies 150, finishedJobs 0, jobAttempts 0$/m, '51 days of 50 calls; the bodies of 3 more days');
  t.match(first.stdout, /store: [\d.]+ MiB before, [\d.]+ MiB now \([\d.]+ MiB of it free for new rows\)/);
  t.match(first.stderr, /prune: .*done in/, 'a progress line');
  const second = await run(['prune', '--config', config]);
  t.match(second.stdout, /^removed: statusReads 0, exchanges 0, exchangeBodies 0, finishedJobs 0, jobAttempts 0$/m, 'nothing left to remove');

  const vacuumed = await run(['prune', '--vacuum', '--config', config]);
  t.equal(vacuumed.code, 0, vacuumed.stderr);
  t.match(vacuumed.stdout, /\(0\.0 MiB of it free for new rows\)/);
  const db = await openDatabase({ client: 'sqlite', filename });
  t.teardown(() => db.destroy());
  t.same(await db.raw('pragma auto_vacuum'), [{ auto_vacuum: 2 }], 'from now on the pruning gives pages back by itself');
  await db.raw('pragma wal_checkpoint(TRUNCATE)');
  t.ok(statSync(filename).size < sizeBefore / 3, `the file shrank from ${sizeBefore} to ${statSync(filename).size} bytes`);
  t.equal((await db('exchanges').count<{ n: number }[]>('* as n'))[0]?.n, 450, 'the calls of the last 10 days stay');
});
