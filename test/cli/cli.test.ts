import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { OZON_ROUTE, startOzonMoySkladStandIns } from '../../src/sandbox/ozon-moysklad.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';

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

t.test('the MoySklad shift and the reconciliation from the command line', async (t) => {
  const standIns = await startOzonMoySkladStandIns();
  t.teardown(standIns.close);
  const [number] = standIns.addPostings(12);
  const dir = mkdtempSync(join(tmpdir(), 'ob-cli-'));
  const path = join(dir, 'ozon.json');
  writeFileSync(
    path,
    JSON.stringify({
      database: { client: 'sqlite', filename: join(dir, 'db.sqlite') },
      log: { level: 'warn' },
      connections: standIns.connections,
      routes: [standIns.route],
    }),
  );
  const opened = await run(['moysklad', 'shift', 'open', OZON_ROUTE, '--config', path]);
  t.equal(opened.code, 0, opened.stderr);
  t.match(opened.stdout, /ozon-to-moysklad: retail shift 00001 \(.+\) opened since \d{4}-/);
  t.match((await run(['moysklad', 'shift', 'open', OZON_ROUTE, '--config', path])).stdout, /retail shift 00001 .* was already open/);

  const polled = await run(['poll', OZON_ROUTE, '--config', path]);
  t.equal(polled.code, 0, polled.stderr);
  t.equal(standIns.moysklad.demands().length, 12);
  standIns.ozon.setStatus(number!, 'delivered');
  const reconciled = await run(['reconcile', OZON_ROUTE, '--days', '45', '--config', path]);
  t.equal(reconciled.code, 0, reconciled.stderr);
  t.match(reconciled.stdout, /12 document\(s\) checked over 45 days, 1 changed, 11 unchanged, 0 missing at the source/);
  t.match(reconciled.stderr, /reconcile ozon-to-moysklad: .*12 checked, 1 changed/, 'a progress line on stderr');
  t.equal((await run(['reconcile', OZON_ROUTE, '--days', '0', '--config', path])).code, 2, '--days is checked');

  const closed = await run(['moysklad', 'shift', 'close', OZON_ROUTE, '--config', path]);
  t.match(closed.stdout, /retail shift 00001 .* closed at \d{4}-/);
  t.ok(standIns.moysklad.shifts()[0]?.['closeDate']);
  t.equal((await run(['moysklad', 'shift', 'reopen', OZON_ROUTE, '--config', path])).code, 2, 'an unknown verb is a usage error');
});

t.test('export exits 0 only when every order is at the destination, and says what happened to each', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const catalog = seedCatalog(odoo);
  const order = (productId: number) => {
    const id = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId, qty: 1, price: 120 }] });
    confirm(odoo, id);
    return String(id);
  };
  const path = writeProcessConfig(mkdtempSync(join(tmpdir(), 'ob-cli-')), odoo, ysell, { log: { level: 'silent' } });

  const good = order(catalog.products.chair);
  const ok = await run(['export', 'r', good, '--config', path]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, new RegExp(`^${good}: exported \\(${ysell.orders()[0]!.id}\\)$`, 'm'));

  const broken = order(catalog.products.unlinked);
  const failed = await run(['export', 'r', broken, good, '--config', path]);
  t.equal(failed.code, 1, 'a job that died is a failed export');
  t.match(failed.stdout, new RegExp(`^${broken}: failed: order S\\d+ cannot be sent to Ysell: .*no Ysell product id`, 'm'));
  t.match(failed.stdout, new RegExp(`^${good}: already exported`, 'm'));

  // Ysell answers 503 asking for an hour: the job is not dead, but the order is not exported either.
  ysell.inject({ kind: 'status', status: 503, retryAfter: 3600 }, { times: 5 });
  const later = order(catalog.products.desk);
  const retrying = await run(['export', 'r', later, '--config', path]);
  t.equal(retrying.code, 1, 'a job waiting for its retry is not an export done');
  t.match(retrying.stdout, new RegExp(`^${later}: not exported yet, attempt 1 failed: .*HTTP 503.* \\(order-bridge serve retries it at \\d{4}-`, 'm'));
});
