import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import t from 'tap';
import { createLogger } from '../../src/cli/logger.js';
import { isIntegrationError } from '../../src/core/errors.js';
import { countJobsByState } from '../../src/store/jobs.js';
import { confirmedOrders } from '../helpers/orders.js';
import { ROUTE, startStack } from '../../src/sandbox/stack.js';
import { backends, sqliteFile } from '../helpers/db.js';

for (const backend of backends()) {
  t.test(`${backend.name}: a poll or status check asked for while another replica runs it is refused, and runs once that replica's lease ran out`, async (t) => {
    const { config: database } = await backend.open(t);
    const stack = await startStack({ database, start: false });
    t.teardown(() => stack.close());
    confirmedOrders(stack.odoo, 3);
    const { app } = stack;
    const now = Date.now();
    await app.db('run_locks').insert([
      { name: `poll:${ROUTE}`, owner: '4242-dead1234', token: 'theirs', lease_until: now + 60_000 },
      { name: `status:${ROUTE}`, owner: '4242-dead1234', token: 'theirs', lease_until: now + 60_000 },
    ]);

    const refused = await app.pollNow(ROUTE).then(
      () => null,
      (err: unknown) => err,
    );
    t.ok(isIntegrationError(refused) && refused.code === 'RUN_LOCKED' && refused.kind === 'retryable', 'a typed, retryable refusal');
    t.match(refused, { message: `the poll of route "${ROUTE}" is already running in another process (held by 4242-dead1234); try again when it has finished` });
    await t.rejects(app.checkStatusNow(ROUTE), { code: 'RUN_LOCKED', message: /status check of route "odoo-to-ysell" is already running/ });
    t.equal((await countJobsByState(app.db)).pending, 0, 'nothing was polled');

    // The holder died: its lease runs out and nobody renews it.
    await app.db('run_locks').update({ lease_until: now - 1 });
    t.match(await app.pollNow(ROUTE), { queued: 3 });
    t.match(await app.checkStatusNow(ROUTE), { checked: 0 });
    t.match(await app.db('run_locks').orderBy('name'), [
      { name: `poll:${ROUTE}`, owner: null, token: null, lease_until: null },
      { name: `status:${ROUTE}`, owner: null, token: null, lease_until: null },
    ], 'released after the run');
  });
}

/** A logger whose lines are kept; `when(pattern)` resolves at the first line that matches. */
function watchedLogger(): { logger: Logger; lines: string[]; when(pattern: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) {
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
      done();
    },
  });
  return {
    logger: createLogger('debug', stream),
    lines,
    when: (pattern) => new Promise((resolve) => waiters.push({ pattern, resolve })),
  };
}

const lockStates = [
  { reason: 'held', row: () => ({ owner: 'other-replica', token: 'theirs', lease_until: Date.now() + 60_000 }), logged: /"reason":"held","holder":"other-replica"/ },
  { reason: 'recent', row: () => ({ last_done_at: Date.now() - 1000 }), logged: /"reason":"recent","lastDoneAt":\d+/ },
];
for (const state of lockStates) {
  t.test(`a scheduled poll is skipped quietly when another replica ${state.reason === 'held' ? 'holds it' : 'has just done it'}`, async (t) => {
    const { db, config: database } = await sqliteFile(t);
    await db('run_locks').insert({ name: `poll:${ROUTE}`, ...state.row() });
    const { logger, lines, when } = watchedLogger();
    const skipped = when(/scheduled run skipped/);
    const stack = await startStack({ logger, database, schedule: true, start: false });
    t.teardown(() => stack.close());
    t.match(await skipped, /"task":"poll:odoo-to-ysell"/);
    t.match(await skipped, state.logged);
    t.notOk(lines.some((l) => l.includes('"msg":"poll finished"')), 'this replica did not poll');
    t.notOk(lines.some((l) => /"level":(50|60)/.test(l)), 'nothing logged as an error');
  });
}
