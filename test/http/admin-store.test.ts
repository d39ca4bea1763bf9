import t from 'tap';
import { HOOK_TOKEN, ROUTE, startStack } from '../../src/sandbox/stack.js';
import { ADMIN_TOKEN, admin } from '../helpers/admin.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';

interface StoreAnswer {
  client: string;
  bytes: number;
  freeBytes: number | null;
  tables: Record<string, number> | null;
  retention: Record<string, string>;
  lastPrune: { removed: Record<string, number>; freedBytes: number } | null;
}

for (const backend of backends()) {
  t.test(`${backend.name}: GET /admin/store shows the store's size, the retention windows and the last pruning`, async (t) => {
    const { config: database } = await backend.open(t);
    const stack = await startStack({ logger: capturedLogger('silent').logger, database, adminToken: ADMIN_TOKEN, retention: { exchanges: '30d', statusReads: '12h' } });
    t.teardown(() => stack.close());
    const first = await admin<StoreAnswer>(stack, 'GET', '/admin/store');
    t.equal(first.status, 200);
    t.ok(first.body.bytes > 0, `${first.body.bytes} bytes`);
    t.same(first.body.retention, { exchanges: '30d', exchangeBodies: '7d', statusReads: '12h', jobAttempts: '14d', finishedJobs: '14d', every: '10m' });
    t.equal(first.body.lastPrune, null, 'not pruned since the start');
    if (backend.name === 'sqlite') {
      t.match(first.body, { client: 'sqlite', tables: null });
      t.equal(typeof first.body.freeBytes, 'number');
    } else {
      t.match(first.body, { client: 'pg', freeBytes: null });
      t.ok((first.body.tables?.['exchanges'] ?? 0) > 0, 'each table with its size');
    }
    await stack.app.pruneNow();
    t.match((await admin<StoreAnswer>(stack, 'GET', '/admin/store')).body.lastPrune, { removed: { exchanges: 0, statusReads: 0 }, freedBytes: 0 });
  });
}

t.test('answers are not cached and their type is not guessed: admin API (refusals too), webhooks, /ready', async (t) => {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN_TOKEN });
  t.teardown(() => stack.close());
  const answers: [string, Response][] = [
    ['GET /admin/jobs', await fetch(`${stack.baseUrl}/admin/jobs`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })],
    ['GET /admin/jobs without the token', await fetch(`${stack.baseUrl}/admin/jobs`)],
    ['GET /admin/store', await fetch(`${stack.baseUrl}/admin/store`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })],
    ['GET /admin/', await fetch(`${stack.baseUrl}/admin/`)],
    ['a webhook', await fetch(stack.hookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _id: 1, _model: 'sale.order', state: 'sale' }) })],
    ['a refused webhook', await fetch(`${stack.baseUrl}/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}x`, { method: 'POST' })],
    ['GET /ready', await fetch(`${stack.baseUrl}/ready`)],
    ['an unknown path', await fetch(`${stack.baseUrl}/nope`)],
  ];
  for (const [what, response] of answers) {
    t.equal(response.headers.get('cache-control'), 'no-store', `${what}: no-store`);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
    await response.arrayBuffer();
  }
});
