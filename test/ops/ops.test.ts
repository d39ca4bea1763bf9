import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { OperationLabels, operationLabel } from '../../src/metrics/operation-label.js';
import { ContactTracker, reachedWorkingSystem } from '../../src/ops/contacts.js';
import { RunTracker, type RunRecord } from '../../src/ops/runs.js';

function entry(part: Partial<ExchangeEntry>): ExchangeEntry {
  return {
    connector: 'shop',
    operation: 'GET /orders',
    url: 'https://shop.example.com/orders',
    requestBody: '',
    httpStatus: 200,
    responseBody: '[]',
    fault: null,
    error: null,
    durationMs: 12,
    startedAt: new Date(),
    ...part,
  };
}

t.test('operation labels: ids in paths become :id, query strings go, names stay', async (t) => {
  t.equal(operationLabel('GET /entity/customerorder/7944ef04-f831-11e5-7a69-971500188b19'), 'GET /entity/customerorder/:id');
  t.equal(operationLabel('GET /api/v1/order/1042?expand=items'), 'GET /api/v1/order/:id');
  t.equal(operationLabel('POST /v3/posting/fbs/get'), 'POST /v3/posting/fbs/get', 'words are not ids');
  t.equal(operationLabel('GET /v2/posting/0123456789-0001-1/x'), 'GET /v2/posting/:id/x', 'long opaque tokens with digits');
  t.equal(operationLabel('execute_kw sale.order.search_read'), 'execute_kw sale.order.search_read');
  t.equal(operationLabel('GET /orders/ab12cd34ef56ab78cd90'), 'GET /orders/:id', 'long hex');
  const labels = new OperationLabels(2);
  t.equal(labels.label('shop', 'GET /a'), 'GET /a');
  t.equal(labels.label('shop', 'GET /b'), 'GET /b');
  t.equal(labels.label('shop', 'GET /c'), 'other', 'past the cap, new operations share one series');
  t.equal(labels.label('shop', 'GET /a'), 'GET /a', 'known ones keep theirs');
  t.equal(labels.label('erp', 'GET /c'), 'GET /c', 'the cap is per connection');
});

t.test('a call reached a working system unless it got no answer, a 5xx, a 429, refused credentials or an unreadable body', async (t) => {
  t.ok(reachedWorkingSystem(entry({ httpStatus: 200 })));
  t.ok(reachedWorkingSystem(entry({ httpStatus: 422 })), 'a refusal of our data is an answer');
  t.ok(reachedWorkingSystem(entry({ httpStatus: 200, fault: '2: access denied on record' })), 'an Odoo fault is an answer');
  t.ok(reachedWorkingSystem(entry({ httpStatus: 404 })));
  for (const status of [500, 502, 503, 429, 401, 403]) t.notOk(reachedWorkingSystem(entry({ httpStatus: status })), `HTTP ${status}`);
  t.notOk(reachedWorkingSystem(entry({ httpStatus: null, error: 'timed out' })), 'no answer');
  t.notOk(reachedWorkingSystem(entry({ httpStatus: 200, error: 'the body is not JSON' })), 'an unreadable answer');
});

t.test('the contact tracker keeps the last contact per connection, counting failures in a row', async (t) => {
  const clock = new ManualClock(1_000);
  const contacts = new ContactTracker(clock, { shop: 'shop', erp: 'odoo' });
  contacts.observe('shop', entry({ httpStatus: 200 }));
  clock.advance(500);
  contacts.observe('shop', entry({ httpStatus: 503 }));
  clock.advance(500);
  contacts.observe('shop', entry({ httpStatus: null, error: 'reset' }));
  contacts.observe('unknown-connection', entry({}));
  t.same(contacts.snapshot(), [
    { connection: 'shop', connector: 'shop', status: 'failing', lastContactAt: 2_000, lastSuccessAt: 1_000, lastHttpStatus: null, consecutiveFailures: 2 },
    { connection: 'erp', connector: 'odoo', status: 'unknown', lastContactAt: null, lastSuccessAt: null, lastHttpStatus: null, consecutiveFailures: 0 },
  ]);
  contacts.observe('shop', entry({ httpStatus: 201 }));
  t.match(contacts.snapshot()[0], { status: 'ok', consecutiveFailures: 0, lastHttpStatus: 201 });
});

t.test('the run tracker records the last run of each route and task, with scrubbed errors', async (t) => {
  const clock = new ManualClock(10_000);
  const runs = new RunTracker(clock, (text) => text.replaceAll('s3cret-key', '[REDACTED]'));
  const finished: [string, string, RunRecord][] = [];
  runs.onFinished((route, task, run) => finished.push([route, task, run]));
  let finish: (value: { seen: number }) => void = () => undefined;
  const running = runs.track('r', 'poll', () => new Promise<{ seen: number }>((resolve) => (finish = resolve)), (s) => ({ seen: s.seen }));
  t.match(runs.lastRun('r', 'poll'), { startedAt: 10_000, finishedAt: null, outcome: 'running' }, 'recorded as it starts');
  clock.advance(250);
  finish({ seen: 7 });
  t.same(await running, { seen: 7 }, 'the result passes through');
  t.same(runs.lastRun('r', 'poll'), { startedAt: 10_000, finishedAt: 10_250, outcome: 'ok', summary: { seen: 7 }, error: null });
  t.equal(runs.lastRun('r', 'statusCheck'), null);

  await t.rejects(
    runs.track('r', 'statusCheck', () => Promise.reject(new Error('401 for key s3cret-key')), () => ({})),
    { message: '401 for key s3cret-key' },
    'the error passes through unchanged',
  );
  t.match(runs.lastRun('r', 'statusCheck'), { outcome: 'failed', error: '401 for key [REDACTED]', summary: null });
  t.same(finished.map(([route, task, run]) => [route, task, run.outcome]), [['r', 'poll', 'ok'], ['r', 'statusCheck', 'failed']]);
});
