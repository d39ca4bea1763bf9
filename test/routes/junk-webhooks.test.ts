import t from 'tap';
import { getBinding, listBindings } from '../../src/store/bindings.js';
import { countJobsByState, listJobs } from '../../src/store/jobs.js';
import { ROUTE, startStack } from '../../src/sandbox/stack.js';
import { ADMIN_TOKEN, admin, metricValue } from '../helpers/admin.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';
import { confirmedOrders } from '../helpers/orders.js';
import { settle } from '../helpers/settle.js';

const JUNK = 200;

for (const backend of backends()) {
  t.test(`${backend.name}: webhooks for orders Odoo does not have end as skipped, not dead; replaying them does nothing new`, async (t) => {
    const { config: database } = await backend.open(t);
    const stack = await startStack({ logger: capturedLogger('silent').logger, database, adminToken: ADMIN_TOKEN });
    t.teardown(() => stack.close());
    const { odoo, app } = stack;
    const [real] = confirmedOrders(odoo, 1);
    await odoo.webhooksSettled();
    await settle(app);
    const junk = Array.from({ length: JUNK }, (_, i) => 900_000 + i);
    const post = (id: number) =>
      fetch(stack.hookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _id: id, _model: 'sale.order', state: 'sale' }) });

    const callsBefore = odoo.calls.length;
    const first = await Promise.all(junk.map(post));
    t.same([...new Set(first.map((r) => r.status))], [202], 'each answered 202: the id is only read once the job runs');
    await settle(app);
    const reads = odoo.calls.length - callsBefore;
    t.ok(reads <= JUNK, `${reads} Odoo calls for ${JUNK} made-up ids: at most one read each`);

    const states = await countJobsByState(app.db);
    t.same(states, { pending: 0, running: 0, done: JUNK + 1, dead: 0 }, 'no dead job');
    t.equal((await listJobs(app.db, { kind: 'notify' })).length, 0, 'no failure notice queued');
    const skipped = await listBindings(app.db, { stage: 'skipped', limit: 1000 });
    t.equal(skipped.length, JUNK);
    t.match(await getBinding(app.db, ROUTE, '900007'), { stage: 'skipped', lastError: 'odoo has no order 900007', lastErrorCode: 'SOURCE_ORDER_MISSING' });
    t.equal((await getBinding(app.db, ROUTE, String(real)))?.stage, 'exported', 'the real order went through');

    const jobsBefore = await app.db('jobs').select('id', 'state', 'updated_at', 'attempts').orderBy('id');
    const callsAfterFirst = odoo.calls.length;
    const replays = await Promise.all([...junk, ...junk].map(post));
    const answers = await Promise.all(replays.map((r) => r.json()));
    t.same([...new Set(replays.map((r) => r.status))], [202]);
    t.match(answers[3], { status: 'skipped', job: null, reason: 'odoo has no order 900003' }, 'the answer says why');
    t.ok(answers.every((a) => (a as { status: string }).status === 'skipped'));
    await settle(app);
    t.equal(odoo.calls.length, callsAfterFirst, 'replays make no call to Odoo');
    t.same(await app.db('jobs').select('id', 'state', 'updated_at', 'attempts').orderBy('id'), jobsBefore, 'and touch no job');

    const page = await admin<{ bindings: { sourceId: string; stage: string; lastError: string }[] }>(stack, 'GET', '/admin/bindings?stage=skipped&limit=5');
    t.match(page.body.bindings[0], { stage: 'skipped', lastError: /^odoo has no order 9\d+$/ }, 'the admin API (and page) still show them, with the reason');
    const history = await admin<{ binding: { stage: string }; jobs: { state: string }[] }>(stack, 'GET', `/admin/orders/${ROUTE}/900003`);
    t.match(history.body, { binding: { stage: 'skipped' }, jobs: [{ state: 'done' }] });
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    t.equal(metricValue(metrics, 'order_bridge_jobs', { route: ROUTE, kind: 'export', state: 'dead' }), 0, 'nothing to alert on');
    t.equal(metricValue(metrics, 'order_bridge_orders', { route: ROUTE, stage: 'skipped' }), JUNK);
  });
}

t.test('a poll that lists an order whose webhook found nothing queues it again', async (t) => {
  const stack = await startStack({ logger: capturedLogger('silent').logger });
  t.teardown(() => stack.close());
  const { odoo, app } = stack;
  const [id] = confirmedOrders(odoo, 1);
  await odoo.webhooksSettled();
  await settle(app);
  // As if the webhook's job had read the order before Odoo committed it.
  await app.db('bindings').where({ route: ROUTE, source_id: String(id) }).update({ stage: 'skipped', destination_id: null, last_error: `odoo has no order ${id}`, last_error_code: 'SOURCE_ORDER_MISSING' });
  await app.db('jobs').where({ source_id: String(id) }).update({ revision: null });
  odoo.transact((env) => env.write('sale.order', [id!], { note: 'touched' }));
  t.match(await app.pollNow(ROUTE), { queued: 1 });
  await settle(app);
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.stage, 'exported');
});
