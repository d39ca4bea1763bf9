import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { builtinConnectors } from '../../src/connectors/index.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';

const valid = {
  connections: {
    odoo: { type: 'odoo', url: 'https://erp.example.com', db: 'prod', login: 'bridge', secret: '${ODOO_KEY}' },
    ysell: { type: 'ysell', baseUrl: 'https://719.eu6.ysell.pro' },
  },
  routes: [{ name: 'odoo-to-ysell', from: 'odoo', to: 'ysell', webhook: { token: '${HOOK_TOKEN}' } }],
};
const env = { ODOO_KEY: 'k-123456789', HOOK_TOKEN: 'a-long-random-token-1234' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

t.test('a valid config gets its defaults and its ${ENV} secrets', async (t) => {
  const config = parseConfig(valid, builtinConnectors(), env);
  t.same(config.database, { client: 'sqlite', filename: './data/order-bridge.sqlite' });
  t.equal(config.routes[0]?.webhook?.token, env.HOOK_TOKEN);
  const poll = config.routes[0]?.poll;
  t.equal(poll === false ? 0 : poll?.every, 300_000, 'polls every 5 minutes by default');
  const odoo = config.connections['odoo']?.settings as { secret: string; fields: { destinationProductId: string } };
  t.equal(odoo.secret, env.ODOO_KEY);
  t.equal(odoo.fields.destinationProductId, 'ysell_product_id');
  const ysell = config.connections['ysell']?.settings as { apiKey: unknown; paths: { create: string } };
  t.same(ysell.apiKey, { fromConnection: 'odoo', parameter: 'ysell.api_key' }, 'the Ysell key is read from Odoo by default');
  t.equal(ysell.paths.create, '/api/orders/create');
});

const broken = {
  connections: {
    odoo: { type: 'odoo', url: 'http://erp.example.com', db: '', login: 'bridge', secret: '${MISSING_KEY}' },
    ysell: { type: 'ysell', baseUrl: 'https://719.eu6.ysell.pro', paths: { create: 'no-slash' } },
    mystery: { type: 'carrier-pigeon' },
  },
  routes: [
    { name: 'Bad Name', from: 'odoo', to: 'nowhere', webhook: { token: 'short' } },
    { name: 'backwards', from: 'ysell', to: 'odoo' },
  ],
};

t.test('every problem in the outline is listed by its path', async (t) => {
  const text = problemsOf(() => parseConfig({ ...broken, extra: true }, builtinConnectors(), {})).join('\n');
  t.match(text, /connections\.odoo\.secret: environment variable MISSING_KEY is not set/);
  t.match(text, /\(root\): Unrecognized key: "extra"/);
  t.match(text, /routes\[0\]\.name: use lower-case/);
  t.match(text, /routes\[0\]\.webhook\.token: use at least 16/);
});

t.test('connector settings and route ends are checked once the outline is valid', async (t) => {
  const outlineOk = { ...broken, routes: [{ name: 'one', from: 'odoo', to: 'nowhere' }, broken.routes[1]] };
  const text = problemsOf(() => parseConfig(outlineOk, builtinConnectors(), { MISSING_KEY: 'set-now' })).join('\n');
  t.match(text, /connections\.odoo\.url: must use https:\/\//);
  t.match(text, /connections\.odoo\.db: /);
  t.match(text, /connections\.ysell\.paths\.create: expected a path/);
  t.match(text, /connections\.mystery\.type: unknown connector "carrier-pigeon"/);
  t.match(text, /routes\[0\]\.to: no connection named "nowhere"/);
  t.match(text, /routes\[1\]\.from: connection "ysell" cannot be a source/);
  t.match(text, /routes\[1\]\.to: connection "odoo" cannot be a destination/);
});

t.test('a poll that asks a source for more than its API allows is refused at load, naming the limit', async (t) => {
  const ozonToMoySklad = (poll: Record<string, unknown>, ozon: Record<string, unknown> = {}) => ({
    connections: {
      ozon: { type: 'ozon', clientId: '836123', apiKey: 'ozon-api-key-123', ...ozon },
      moysklad: {
        type: 'moysklad',
        token: 'moysklad-token',
        organization: '7944ef04-f831-11e5-7a69-971500188b19',
        store: '7a6b5a1e-f831-11e5-7a69-971500188b1b',
        retailStore: '8d7b1f2e-0a1c-11e6-7a69-8f55000a2c1d',
        agent: '9a3c2f10-f831-11e5-7a69-971500188b20',
      },
    },
    routes: [{ name: 'ozon-to-moysklad', from: 'ozon', to: 'moysklad', poll }],
  });
  t.same(
    problemsOf(() => parseConfig(ozonToMoySklad({ pageSize: 1000 }), builtinConnectors(), {})),
    [
      'routes[0].poll.pageSize: 1000 is more than "ozon" allows: Ozon lists at most 100 postings a page ("limit" maximum 100 in /v4/posting/fbs/list and /v3/posting/fbo/list); set it to 100 or less',
    ],
  );
  t.same(problemsOf(() => parseConfig(ozonToMoySklad({ pageSize: 100 }), builtinConnectors(), {})), [], '100 is fine');
  const defaults = parseConfig(ozonToMoySklad({}), builtinConnectors(), {});
  const poll = defaults.routes[0]?.poll;
  t.equal(poll === false ? 0 : poll?.pageSize, 100, 'the default page is Ozon\'s maximum');
  const ozon = defaults.connections['ozon']?.settings as { fbsList: string; fboList: string; paths: Record<string, string> };
  t.same([ozon.fbsList, ozon.fboList], ['v4', 'v3'], 'the current lists by default');
  t.equal(ozon.paths['fboListV3'], '/v3/posting/fbo/list');
  t.match(problemsOf(() => parseConfig(ozonToMoySklad({}, { paths: { fboList: '/v3/posting/fbo/list' } }), builtinConnectors(), {})).join('\n'), /connections\.ozon\.paths: Unrecognized key: "fboList"/);
  t.same(problemsOf(() => parseConfig({ ...valid, routes: [{ ...valid.routes[0], poll: { pageSize: 1000 } }] }, builtinConnectors(), env)), [], 'Odoo pages as large as the route says');
});

t.test('files: unreadable and not JSON are config errors, not crashes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-config-'));
  t.match(problemsOf(() => loadConfigFile(join(dir, 'none.json'), builtinConnectors())), [/cannot read .*ENOENT/]);
  writeFileSync(join(dir, 'bad.json'), '{ "routes": [ }');
  t.match(problemsOf(() => loadConfigFile(join(dir, 'bad.json'), builtinConnectors())), [/is not valid JSON/]);
});
