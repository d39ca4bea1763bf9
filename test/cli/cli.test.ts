import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { confirm, createSaleOrder, seedCatalog } from '../fakes/odoo/seed.js';
import { startStandIns, writeProcessConfig } from '../fakes/stack.js';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('a bad config stops the start with every problem by path, and no stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-cli-'));
  const path = join(dir, 'bad.json');
  writeFileSync(
    path,
    JSON.stringify({
      connections: { odoo: { type: 'odoo', url: 'http://erp.example.com', db: 'x', login: 'y', secret: '${NOPE_SECRET}' } },
      routes: [{ name: 'r', from: 'odoo', to: 'ysell' }],
    }),
  );
  const result = await run(['serve', '--config', path]);
  t.equal(result.code, 2);
  t.match(result.stderr, /connections\.odoo\.secret: environment variable NOPE_SECRET is not set/);
  t.match(result.stderr, /routes\[0\]\.to: no connection named "ysell"/);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

t.test('migrate applies the migrations once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-cli-'));
  const path = join(dir, 'ok.json');
  writeFileSync(
    path,
    JSON.stringify({
      database: { client: 'sqlite', filename: join(dir, 'db.sqlite') },
      connections: {
        odoo: { type: 'odoo', url: 'https://erp.example.com', db: 'x', login: 'y', secret: 'z' },
        ysell: { type: 'ysell', baseUrl: 'https://1.eu1.ysell.pro' },
      },
      routes: [{ name: 'r', from: 'odoo', to: 'ysell' }],
    }),
  );
  const first = await run(['migrate', '--config', path]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /applied: 20261124000001_initial/);
  const second = await run(['migrate'], { ORDER_BRIDGE_CONFIG: path });
  t.match(second.stdout, /database is up to date/);
});

t.test('poll and status-check run once from the command line and say what they did', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const catalog = seedCatalog(odoo);
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.chair, qty: 2, price: 120 }] });
  confirm(odoo, id);
  const name = String(odoo.record('sale.order', id)?.['name']);
  const path = writeProcessConfig(mkdtempSync(join(tmpdir(), 'ob-cli-')), odoo, ysell, { log: { level: 'silent' } });
  const poll = await run(['poll', 'r', '--config', path]);
  t.equal(poll.code, 0, poll.stderr);
  t.match(JSON.parse(poll.stdout), { queued: 1, deadJobs: 0 });
  t.equal(ysell.orders().length, 1);

  ysell.deliver(ysell.orders()[0]!.id);
  const check = await run(['status-check', 'r', '--config', path]);
  t.equal(check.code, 0, check.stderr);
  t.match(check.stdout, /r: 1 order\(s\) checked, 1 changed, 1 delivered/);
  t.match(check.stdout, new RegExp(`${name} \\(\\d+\\): New → Done → stock\\.picking:\\d+`));
});
