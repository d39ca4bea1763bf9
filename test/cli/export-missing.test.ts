import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';
import { confirmedOrders } from '../helpers/orders.js';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;

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

t.test('order-bridge export of an id the source does not have says so and exits 1; a dead job is not made', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const [real] = confirmedOrders(odoo, 1);
  const config = writeProcessConfig(mkdtempSync(join(tmpdir(), 'ob-cli-export-')), odoo, ysell, { log: { level: 'warn' } });
  const result = await run(['export', 'r', String(real), '987654', '--config', config]);
  t.equal(result.code, 1, result.stderr);
  t.match(result.stdout, /^987654: not exported: odoo has no order 987654$/m);
  t.notMatch(result.stdout, new RegExp(`^${real}: not exported`, 'm'), 'the real one was exported');
  t.equal(ysell.orders().length, 1);
  const jobs = await run(['jobs', '--state', 'dead', '--config', config]);
  t.equal(jobs.stdout.trim(), '', 'no dead job');
});
