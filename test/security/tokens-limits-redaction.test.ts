import t from 'tap';
import type { Test } from 'tap';
import { databasePassword } from '../../src/app.js';
import { listExchanges } from '../../src/store/exchanges.js';
import { listJobs } from '../../src/store/jobs.js';
import { ADMIN_TOKEN, admin } from '../helpers/admin.js';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { HOOK_TOKEN, ROUTE, startStack, type Stack } from '../../src/sandbox/stack.js';

async function stackFor(t: Test): Promise<{ stack: Stack; lines: string[] }> {
  const { logger, lines } = capturedLogger('debug');
  const stack = await startStack({ logger, adminToken: ADMIN_TOKEN });
  t.teardown(() => stack.close());
  return { stack, lines };
}

/** Every admin operation the OpenAPI document lists, with its path parameters filled in. */
async function adminOperations(stack: Stack): Promise<{ method: string; path: string }[]> {
  const doc = (await (await fetch(`${stack.baseUrl}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/admin/') && path !== '/admin/')
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace('{route}', ROUTE).replace(/\{[^}]+\}/g, '1') })),
    );
}

t.test('every admin endpoint refuses a missing, wrong, malformed or query-string token', async (t) => {
  const { stack } = await stackFor(t);
  const operations = await adminOperations(stack);
  t.ok(operations.length >= 8, `${operations.length} admin operations`);
  const refused: [string, Record<string, string>, string][] = [
    ['no token', {}, ''],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }, ''],
    ['the token as Basic', { authorization: `Basic ${ADMIN_TOKEN}` }, ''],
    ['the token without "Bearer"', { authorization: ADMIN_TOKEN }, ''],
    ['a prefix of the token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }, ''],
    ['the token in the query string', {}, `?token=${ADMIN_TOKEN}`],
  ];
  for (const { method, path } of operations) {
    for (const [what, headers, query] of refused) {
      const response = await fetch(`${stack.baseUrl}${path}${query}`, { method, headers });
      t.equal(response.status, 401, `${method} ${path} with ${what}`);
      t.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
    const allowed = await fetch(`${stack.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    t.not(allowed.status, 401, `${method} ${path} with the token`);
  }
  t.equal((await fetch(`${stack.baseUrl}/admin/`)).status, 200, 'the page itself loads (it holds no data)');
});

t.test('webhooks refuse a missing, wrong or header-borne token and store nothing', async (t) => {
  const { stack } = await stackFor(t);
  const url = `${stack.baseUrl}/hooks/odoo/${ROUTE}`;
  const body = JSON.stringify({ _id: 1, _model: 'sale.order', state: 'sale' });
  const post = (suffix: string, headers: Record<string, string> = {}, path = url) =>
    fetch(`${path}${suffix}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const unknownRoute = await post(`?token=${HOOK_TOKEN}`, {}, `${stack.baseUrl}/hooks/odoo/no-such-route`);
  t.equal(unknownRoute.status, 404);
  const refusal = await unknownRoute.text();
  const refused: [string, Response][] = [
    ['no token', await post('')],
    ['an empty token', await post('?token=')],
    ['a part of the token', await post(`?token=${HOOK_TOKEN.slice(1)}`)],
    ['the token in a header only', await post('?token=wrong', { authorization: `Bearer ${HOOK_TOKEN}` })],
    ['the admin token', await post(`?token=${ADMIN_TOKEN}`)],
    ['the token twice', await post(`?token=${HOOK_TOKEN}&token=${HOOK_TOKEN}`)],
    ['the token under another source type', await post(`?token=${HOOK_TOKEN}`, {}, `${stack.baseUrl}/hooks/ozon/${ROUTE}`)],
  ];
  for (const [what, response] of refused) {
    t.equal(response.status, 404, `${what}: refused`);
    t.equal(await response.text(), refusal, `${what}: the same answer as a route that does not exist`);
    t.equal(response.headers.get('connection'), 'close', `${what}: the connection is closed`);
  }
  t.equal((await listJobs(stack.app.db)).length, 0);
  t.equal((await post(`?token=${HOOK_TOKEN}`)).status, 202, 'the right token is let in');
});

t.test('the webhook token is accepted in any percent-encoding, and shows in no encoding in the access log', async (t) => {
  const { stack, lines } = await stackFor(t);
  const encodeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  const hook = (query: string, id: number) =>
    fetch(`${stack.baseUrl}/hooks/odoo/${ROUTE}?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _id: id, _model: 'sale.order', state: 'sale' }) });
  const spellings = [`%74oken=${HOOK_TOKEN}`, `token=${encodeAll(HOOK_TOKEN)}`, `%54OKEN=x&%74%6f%6b%65%6e=%64${HOOK_TOKEN.slice(1)}`];
  for (const [i, query] of spellings.entries()) t.equal((await hook(query, 100 + i)).status, 202, `?${query.slice(0, 24)}… is the token`);
  const accessLog = lines.filter((l) => l.includes('"msg":"request"')).join('\n');
  t.match(accessLog, /token=\[REDACTED\]/, 'the token parameter is logged, its value blanked');
  for (const text of [HOOK_TOKEN, encodeAll(HOOK_TOKEN), HOOK_TOKEN.slice(1), encodeAll(HOOK_TOKEN).slice(3)]) {
    t.notOk(accessLog.includes(text), `the log holds no form of the token (${text.slice(0, 12)}…)`);
  }
});

t.test('request bodies have a size limit, checked after the token', async (t) => {
  const { stack } = await stackFor(t);
  const big = JSON.stringify({ _id: 1, _model: 'sale.order', padding: 'x'.repeat(300 * 1024) });
  const hook = await fetch(`${stack.baseUrl}/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  t.equal(hook.status, 413);
  const anonymous = await fetch(`${stack.baseUrl}/admin/jobs/1/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  t.equal(anonymous.status, 401, 'without the token the body is never read');
  const withToken = await fetch(`${stack.baseUrl}/admin/jobs/1/retry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: big,
  });
  t.equal(withToken.status, 413);
  t.equal((await listJobs(stack.app.db)).length, 0);
});

t.test('secrets are redacted in logs, the exchange log, the admin API, error messages, /ready and /metrics', async (t) => {
  const { stack, lines } = await stackFor(t);
  const { odoo, ysell, app, baseUrl } = stack;
  const catalog = seedCatalog(odoo);
  // A secret that reaches data from outside: the product name carries the webhook token into Odoo's
  // answers, the job's error message, and everything shown about the order.
  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { name: `Cabinet ${HOOK_TOKEN}` }));
  const id = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, id);
  const good = createSaleOrder(odoo, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(odoo, good);
  await odoo.webhooksSettled();
  await settle(app);
  await app.recorder.flush();

  const secrets = { odooApiKey: odoo.admin.apiKey, ysellApiKey: ysell.apiKey, hookToken: HOOK_TOKEN, adminToken: ADMIN_TOKEN };
  const seen: Record<string, string> = {
    logs: lines.join('\n'),
    exchanges: JSON.stringify(await listExchanges(app.db)),
    deadJobs: JSON.stringify((await admin(stack, 'GET', '/admin/jobs?state=dead')).body),
    history: JSON.stringify((await admin(stack, 'GET', `/admin/orders/${ROUTE}/${id}`)).body),
    goodHistory: JSON.stringify((await admin(stack, 'GET', `/admin/orders/${ROUTE}/${good}`)).body),
    bindings: JSON.stringify((await admin(stack, 'GET', '/admin/bindings')).body),
    routes: JSON.stringify((await admin(stack, 'GET', '/admin/routes')).body),
    ready: await (await fetch(`${baseUrl}/ready`)).text(),
    metrics: await (await fetch(`${baseUrl}/metrics`)).text(),
    notFound: await (await fetch(`${baseUrl}/nope?token=${HOOK_TOKEN}`)).text(),
    adminNotFound: JSON.stringify((await admin(stack, 'GET', `/admin/orders/${ROUTE}/${ADMIN_TOKEN}`)).body),
    badQuery: JSON.stringify((await admin(stack, 'GET', `/admin/jobs?state=${ADMIN_TOKEN}`)).body),
  };
  for (const [where, text] of Object.entries(seen)) {
    for (const [name, secret] of Object.entries(secrets)) t.notOk(text.includes(secret), `${name} is not in ${where}`);
  }
  t.match(seen['deadJobs'], /Cabinet \[REDACTED\]/, 'the message is there, with the secret blanked');
  t.match(seen['history'], /Cabinet \[REDACTED\]/);
  t.match(seen['exchanges'], /Cabinet \[REDACTED\]/);
  t.match(seen['notFound'], /token=\[REDACTED\]/);
  t.match(seen['adminNotFound'], /no order \[REDACTED\]/);
  t.ok(JSON.parse(seen['goodHistory'] ?? '{}').exchanges.some((e: { connector: string }) => e.connector === 'ysell'), 'the Ysell calls, with their auth, are shown');
});

t.test('the PostgreSQL password is read out of the connection string, for the scrubber', async (t) => {
  t.equal(databasePassword({ client: 'pg', connection: 'postgres://bridge:s%40cret-pass@db.example.com/orders', poolMax: 5 }), 's@cret-pass');
  t.equal(databasePassword({ client: 'pg', connection: 'postgres://bridge@db.example.com/orders', poolMax: 5 }), undefined);
  t.equal(databasePassword({ client: 'sqlite', filename: 'x.sqlite' }), undefined);
});
