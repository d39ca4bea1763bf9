import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { builtinConnectors } from '../../src/connectors/index.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';

const base = {
  connections: {
    odoo: { type: 'odoo', url: 'https://erp.example.com', db: 'prod', login: 'bridge', secret: 'k-123456789' },
    ysell: { type: 'ysell', baseUrl: 'https://719.eu6.ysell.pro' },
  },
  routes: [{ name: 'odoo-to-ysell', from: 'odoo', to: 'ysell' }],
};

function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, builtinConnectors(), env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

t.test('zero and absurd durations and sizes are refused, naming the setting and the bound', async (t) => {
  const problems = problemsOf({
    ...base,
    http: { bodyLimitBytes: 1e12, headersTimeout: '0s' },
    worker: { lease: '0s', idlePoll: '2h', backoffBase: '1m', backoffMax: '10s' },
    shutdownGrace: '1h',
    routes: [{ name: 'odoo-to-ysell', from: 'odoo', to: 'ysell', poll: { every: '0s' }, statusCheck: { every: '30d' }, webhook: { token: 'a-long-random-token-1234', delay: '0s' } }],
  }).join('\n');
  t.match(problems, /worker\.lease: must be at least 1s \(got 0ms\)/);
  t.match(problems, /worker\.idlePoll: must be at most 1m \(got 2h\)/);
  t.match(problems, /routes\[0\]\.poll\.every: must be at least 1s \(got 0ms\)/);
  t.match(problems, /routes\[0\]\.statusCheck\.every: must be at most 7d \(got 30d\)/);
  t.match(problems, /routes\[0\]\.webhook\.delay: must be at least 1ms/);
  t.match(problems, /http\.bodyLimitBytes: must be at most 16 MiB \(got 1000000000000\)/);
  t.match(problems, /http\.headersTimeout: must be at least 500ms/);
  t.match(problems, /shutdownGrace: must be at most 10m \(got 1h\)/);
});

t.test('settings that must agree with each other', async (t) => {
  const problems = problemsOf({
    ...base,
    http: { headersTimeout: '10s', requestTimeout: '5s' },
    worker: { backoffBase: '1m', backoffMax: '10s' },
    retention: { exchanges: '3d', exchangeBodies: '7d', statusReads: '4d' },
  }).join('\n');
  t.match(problems, /http\.headersTimeout: headersTimeout must not be longer than requestTimeout/);
  t.match(problems, /worker\.backoffMax: backoffMax must not be shorter than backoffBase/);
  t.match(problems, /retention\.exchangeBodies: must not be longer than retention\.exchanges/);
  t.match(problems, /retention\.statusReads: must not be longer than retention\.exchanges/);
});

t.test('retention: defaults, days as a unit, and bounds', async (t) => {
  const config = parseConfig({ ...base, retention: { exchanges: '30d', jobAttempts: '90d' } }, builtinConnectors(), {});
  t.same(config.retention, { exchanges: 30 * 86_400_000, exchangeBodies: 7 * 86_400_000, statusReads: 86_400_000, jobAttempts: 90 * 86_400_000, finishedJobs: 14 * 86_400_000, every: 600_000, batchSize: 500 });
  t.match(problemsOf({ ...base, retention: { finishedJobs: '1m', batchSize: 1 } }).join('\n'), /retention\.finishedJobs: must be at least 1h[\s\S]*retention\.batchSize/);
});

t.test("a connector's own durations are not zero either", async (t) => {
  const raw = { ...base, connections: { ...base.connections, odoo: { ...base.connections.odoo, timeout: '0s' } } };
  t.match(problemsOf(raw), [/connections\.odoo\.timeout: must be at least 1ms/]);
});

t.test('credentials in URLs are refused: they belong in their own settings, from the environment', async (t) => {
  const raw = { ...base, connections: { ...base.connections, odoo: { ...base.connections.odoo, url: 'https://admin:hunter2@erp.example.com' } } };
  t.match(problemsOf(raw), [/connections\.odoo\.url: must not contain a user name or password/]);
  const literal = problemsOf({ ...base, database: { client: 'pg', connection: 'postgres://bridge:s3cret@db.example.com/orders' } });
  t.match(literal, [/database\.connection: holds a password; put the whole URL \(or the password\) in an environment variable/]);
  t.notOk(literal.join().includes('s3cret'), 'the message does not repeat it');
  t.same(problemsOf({ ...base, database: { client: 'pg', connection: '${DATABASE_URL}' } }, { DATABASE_URL: 'postgres://bridge:s3cret@db.example.com/orders' }), [], 'from the environment it is fine');
  t.same(problemsOf({ ...base, database: { client: 'pg', connection: 'postgres://bridge:${PGPASS}@db.example.com/orders' } }, { PGPASS: 's3cret' }), []);
});

t.test('a config file saved with a UTF-8 byte order mark is read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-config-bom-'));
  const path = join(dir, 'order-bridge.json');
  writeFileSync(path, `\uFEFF${JSON.stringify(base)}`, 'utf8');
  t.equal(loadConfigFile(path, builtinConnectors(), {}).routes[0]?.name, 'odoo-to-ysell');
});
