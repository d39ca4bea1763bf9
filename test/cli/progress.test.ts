import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Progress, formatProgress } from '../../src/cli/progress.js';
import { ManualClock } from '../../src/core/clock.js';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { startStandIns, writeProcessConfig } from '../../src/sandbox/stack.js';

function stream(isTTY: boolean): { write(text: string): void; isTTY: boolean; written: string[] } {
  const written: string[] = [];
  return { isTTY, written, write: (text) => void written.push(text) };
}

t.test('a progress line has the counts, the rate of the main one, and the time', async (t) => {
  t.equal(
    formatProgress('poll r', { pages: 3, seen: 300, alreadyExported: 20 }, 'seen', 2000, false),
    'poll r: 3 pages, 300 seen, 20 already exported · 150/s · 2.0 s',
  );
  t.equal(formatProgress('jobs r', { done: 3, failed: 1 }, undefined, 4000, true), 'jobs r: 3 done, 1 failed · 0.8/s · done in 4.0 s', 'the first count by default');
  t.equal(formatProgress('poll r', { seen: 12_345 }, 'seen', 125_000, true), 'poll r: 12,345 seen · 99/s · done in 2 min 5 s');
  t.equal(formatProgress('poll r', {}, undefined, 0, false), 'poll r: nothing yet · 0.0 s');
});

t.test('updates are throttled; the final line is always written, once', async (t) => {
  const clock = new ManualClock(0);
  const out = stream(false);
  const progress = new Progress({ label: 'poll r', stream: out, rateOf: 'seen', everyMs: 1000, now: () => clock.now() });
  progress.update({ seen: 100 });
  clock.advance(400);
  progress.update({ seen: 200 });
  t.same(out.written, [], 'nothing within the first second');
  clock.advance(600);
  progress.update({ seen: 300 });
  clock.advance(10);
  progress.update({ seen: 310 });
  t.same(out.written, ['poll r: 300 seen · 300/s · 1.0 s\n'], 'one line per second at most');
  clock.advance(990);
  progress.finish({ seen: 500 });
  progress.finish({ seen: 900 });
  progress.update({ seen: 1000 });
  t.same(out.written, ['poll r: 300 seen · 300/s · 1.0 s\n', 'poll r: 500 seen · 250/s · done in 2.0 s\n']);
});

t.test('on a terminal the line is rewritten in place and ends with a newline when done', async (t) => {
  const clock = new ManualClock(0);
  const out = stream(true);
  const progress = new Progress({ label: 'status-check r', stream: out, everyMs: 100, now: () => clock.now() });
  clock.advance(100);
  progress.update({ checked: 10 });
  progress.finish();
  t.same(out.written, ['\r\x1b[Kstatus-check r: 10 checked · 100/s · 0.1 s', '\r\x1b[Kstatus-check r: 10 checked · 100/s · done in 0.1 s\n']);
});

t.test('the poll command reports its progress on stderr and keeps stdout for its summary', async (t) => {
  const { odoo, ysell, close } = await startStandIns();
  t.teardown(close);
  const catalog = seedCatalog(odoo);
  for (const partner of [catalog.partners.lyon, catalog.partners.brussels]) {
    confirm(odoo, createSaleOrder(odoo, { partnerId: partner, lines: [{ productId: catalog.products.chair, qty: 1, price: 120 }] }));
  }
  const path = writeProcessConfig(mkdtempSync(join(tmpdir(), 'ob-progress-')), odoo, ysell, { log: { level: 'silent' } });
  const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, 'poll', 'r', '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.equal(result.code, 0, result.stderr);
  t.match(JSON.parse(result.stdout), { queued: 2 }, 'stdout is still the JSON summary');
  t.match(result.stderr, /^poll r: 1 pages, 2 seen, 2 queued, 0 already exported, 0 unchanged, 0 skipped · [\d.]+\/s · done in [\d.]+ s$/m);
  t.match(result.stderr, /^jobs r: 2 done, 0 failed, 0 dead · [\d.]+\/s · done in [\d.]+ s$/m);
  t.equal(ysell.orders().length, 2);
});
