import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { builtinConnectors } from '../connectors/index.js';
import { parseConfig } from '../config/load.js';
import type { OdooVersion } from '../sandbox/odoo/versions.js';
import { startSandbox, SANDBOX_ODOO_ROUTE, type Sandbox } from '../sandbox/sandbox.js';
import { listBindings } from '../store/bindings.js';
import { listJobs } from '../store/jobs.js';
import { createLogger } from './logger.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`).join('\n');
}

function describe(sandbox: Sandbox, databaseFile: string): string {
  return [
    'order-bridge sandbox: stand-ins for every system, on 127.0.0.1:',
    table(sandbox.systems.map((s) => [s.connection, s.url, s.holds])),
    `The configuration that points order-bridge at them is on standard output; its database is ${databaseFile}.`,
  ].join('\n');
}

function howToTry(sandbox: Sandbox): string {
  const http = sandbox.config['http'] as { port: number };
  const { odoo, quotation } = sandbox;
  return [
    'Save it and try routes of your own from another terminal, for example:',
    '  order-bridge sandbox --keep > sandbox.json     (this command, with its output saved)',
    '  order-bridge check-config --config sandbox.json',
    `  order-bridge poll ${SANDBOX_ODOO_ROUTE} --config sandbox.json`,
    `  order-bridge serve --config sandbox.json        webhooks, polls, jobs; admin page http://127.0.0.1:${http.port}/admin/ (admin.token)`,
    `Confirm quotation ${quotation.name} in the Odoo stand-in and its webhook reaches order-bridge serve:`,
    `  python3 -c "import xmlrpc.client as x; x.ServerProxy('${odoo.url}/xmlrpc/2/object').execute_kw('${odoo.db}', ${odoo.admin.uid}, '${odoo.admin.apiKey}', 'sale.order', 'action_confirm', [[${quotation.id}]])"`,
    ...(odoo.version === '19.0'
      ? [
          '  or over Odoo 19\'s JSON-2 API:',
          `  curl -X POST ${odoo.url}/json/2/sale.order/action_confirm -H 'Authorization: bearer ${odoo.admin.apiKey}' -H 'X-Odoo-Database: ${odoo.db}' -H 'Content-Type: application/json' -d '{"ids": [${quotation.id}]}'`,
        ]
      : []),
    'Running until Ctrl-C (or SIGTERM). The stand-ins hold their data in memory: a new start begins afresh, with',
    'new ports and credentials, and the database above is removed at the stop.',
  ].join('\n');
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Every route of the configuration polled once by order-bridge, in this process: is the configuration good? */
async function tryEveryRoute(sandbox: Sandbox): Promise<boolean> {
  const registry = builtinConnectors();
  const config = parseConfig(sandbox.config, registry, {});
  const app = await createApp({ config, registry, logger: createLogger('silent') });
  try {
    const rows = [['route', 'from → to', 'read', 'exported', 'refused']];
    const refusals: string[] = [];
    let ok = true;
    for (const route of config.routes) {
      const poll = await app.pollNow(route.name);
      await app.engine.drain();
      const exported = (await listBindings(app.db, { route: route.name, limit: 10_000 })).filter((b) => b.destinationId !== null).length;
      const dead = await listJobs(app.db, { route: route.name, state: 'dead' });
      for (const job of dead) refusals.push(`  ${route.name} ${job.sourceId ?? ''}: ${job.lastError ?? 'failed'}`);
      ok &&= poll.queued > 0 && exported === poll.queued && dead.length === 0;
      rows.push([route.name, `${route.from} → ${route.to}`, String(poll.seen), String(exported), String(dead.length)]);
    }
    console.error(`\nEvery route polled once by order-bridge, on that database:\n${table(rows)}`);
    if (refusals.length > 0) console.error(refusals.join('\n'));
    return ok;
  } finally {
    await app.stop();
  }
}

/**
 * `order-bridge sandbox`: the stand-ins for every system and a configuration for them on standard output
 * (nothing else goes there). Without --keep it tries that configuration, every route polled once, and
 * stops; with --keep the stand-ins run until a signal, for a person to try routes of their own.
 */
export async function runSandbox(options: { keep: boolean; odoo: OdooVersion }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'order-bridge-sandbox-'));
  const databaseFile = join(dir, 'order-bridge.sqlite');
  const sandbox = await startSandbox({ databaseFile, odooVersion: options.odoo });
  try {
    process.stdout.write(`${JSON.stringify(sandbox.config, null, 2)}\n`);
    console.error(describe(sandbox, databaseFile));
    if (!options.keep) {
      const ok = await tryEveryRoute(sandbox);
      console.error(
        ok
          ? '\nThe configuration works. `order-bridge sandbox --keep` keeps the stand-ins running for you to try routes of your own.'
          : '\nsandbox: a route did not export what it read, see above',
      );
      return ok ? 0 : 1;
    }
    console.error(howToTry(sandbox));
    await untilStopped();
    console.error('order-bridge sandbox: stopped');
    return 0;
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
