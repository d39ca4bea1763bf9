import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import t from 'tap';
import { builtinConnectors } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import { serve } from '../helpers/service.js';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;
const run = promisify(execFile);

interface SandboxConfig {
  database: { filename: string };
  connections: Record<string, { type: string }>;
  routes: { name: string }[];
}

t.test('order-bridge sandbox prints a configuration for stand-ins of every system, tries it and stops', async (t) => {
  const { stdout, stderr } = await run(process.execPath, [bin, 'sandbox'], { maxBuffer: 1 << 24 });
  const config = JSON.parse(stdout) as SandboxConfig;
  const registry = builtinConnectors();
  t.doesNotThrow(() => parseConfig(config, registry, {}), 'the printed configuration is valid as it stands');
  const types = new Set(Object.values(config.connections).map((c) => c.type));
  t.same(registry.types().filter((type) => !types.has(type)), [], 'a connection to a stand-in for every connector type');
  for (const route of config.routes) t.match(stderr, new RegExp(`\\n  ${route.name} +\\S+ → \\S+ +(\\d+) +\\1 +0\\n`), `${route.name}: everything read was exported, nothing refused`);
  t.match(stderr, /The configuration works/);
  t.notOk(existsSync(dirname(config.database.filename)), 'its database went with the stand-ins');
});

t.test('order-bridge sandbox --keep runs until a signal, and order-bridge works against it as the guide says', async (t) => {
  const sandbox = spawn(process.execPath, [bin, 'sandbox', '--keep'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => sandbox.on('exit', resolve));
  t.teardown(() => sandbox.kill('SIGKILL'));
  let stdout = '';
  sandbox.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const guide: string[] = [];
  await new Promise<void>((resolve) =>
    createInterface({ input: sandbox.stderr }).on('line', (line) => {
      guide.push(line);
      if (line.startsWith('Running until Ctrl-C')) resolve();
    }),
  );

  const dir = mkdtempSync(join(tmpdir(), 'ob-sandbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sandbox.json');
  writeFileSync(path, stdout);
  const config = JSON.parse(stdout) as SandboxConfig;

  const check = await run(process.execPath, [bin, 'check-config', '--config', path]);
  t.match(check.stdout, /valid \(4 route\(s\), 8 connection\(s\)\)/);
  const poll = await run(process.execPath, [bin, 'poll', 'odoo-to-ysell', '--config', path]);
  t.match(JSON.parse(poll.stdout.slice(poll.stdout.indexOf('{\n'))), { seen: 4, queued: 4, deadJobs: 0 }, 'the seeded confirmed orders, exported');

  // The quotation the guide names, confirmed with the command it prints: Odoo's webhook reaches the service.
  const quotation = /quotation (S\d+)/.exec(guide.join('\n'))?.[1];
  const confirmCommand = guide.find((line) => line.trim().startsWith('python3 -c'))?.trim();
  t.ok(quotation !== undefined && confirmCommand !== undefined, 'the guide names a quotation and how to confirm it');
  const service = serve(path);
  t.teardown(() => service.child.kill('SIGKILL'));
  await service.logged(/order-bridge is serving/);
  const exported = service.logged(new RegExp(`"order":"${quotation!}".*"msg":"order exported"`));
  await run('sh', ['-c', confirmCommand!]);
  const line = await exported;
  t.match(line, /"destinationId":"\d+"/);
  t.match(line, /"route":"odoo-to-ysell"/);
  service.child.kill('SIGTERM');
  t.equal(await service.exited, 0);

  sandbox.kill('SIGTERM');
  t.equal(await exited, 0, 'a signal stops it cleanly');
  t.notOk(existsSync(dirname(config.database.filename)), 'its database is removed at the stop');
});
