import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { WebhookIntake } from '../../src/routes/intake.js';
import type { RouteRuntime } from '../../src/routes/runtime.js';
import { ensureBinding, markBindingExported } from '../../src/store/bindings.js';
import { listJobs } from '../../src/store/jobs.js';
import { backends } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logger.js';

/** What the intake reads of a route: its name, webhook delay and attempts. */
function route(name: string, maxAttempts: number = 5): RouteRuntime {
  return { name, maxAttempts, config: { webhook: { token: 'x'.repeat(16), delay: 3000 } } } as unknown as RouteRuntime;
}

for (const backend of backends()) {
  t.test(`${backend.name}: webhooks that arrive together are stored together, each with the outcome it would have had alone`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    let transactions = 0;
    db.on('query', (query: { sql: string }) => {
      if (/^begin/i.test(query.sql)) transactions += 1;
    });
    let wakes = 0;
    const intake = new WebhookIntake({ db, clock, logger: capturedLogger('silent').logger, onQueued: () => (wakes += 1) });
    await ensureBinding(db, { route: 'a', sourceId: 'exported', sourceNumber: 'S9' }, clock.now());
    await markBindingExported(db, 'a', 'exported', { sourceNumber: 'S9', destinationId: 'Y9', destinationStatus: null }, clock.now());

    const wanted = (id: string) => ({ sourceId: id, number: `S${id}`, revision: null });
    const ids = Array.from({ length: 300 }, (_, i) => String(i));
    const answers = await Promise.all([
      ...ids.map((id) => intake.submit(route(Number(id) % 2 === 0 ? 'a' : 'b'), wanted(id))),
      ...ids.slice(0, 50).map((id) => intake.submit(route(Number(id) % 2 === 0 ? 'a' : 'b'), wanted(id))),
      intake.submit(route('a'), wanted('exported')),
    ]);
    t.equal(answers.slice(0, 300).filter((a) => a.outcome === 'queued').length, 300, 'each new order queued');
    t.ok(answers.slice(300, 350).every((a, i) => a.outcome === 'already-queued' && a.jobId === answers[i]!.jobId), 'a repeat lands on the job just made');
    t.same(answers[350], { outcome: 'already-exported', jobId: null });
    t.ok(transactions <= 5, `${transactions} transactions for 351 webhooks`);
    t.ok(wakes >= 1, 'the workers were told');
    t.notOk(intake.busy());
    const jobs = await listJobs(db, { limit: 1000 });
    t.equal(jobs.length, 300);
    t.ok(jobs.every((j) => j.runAfter === clock.now() + 3000 && j.maxAttempts === 5), "each waits the route's webhook delay");
    t.equal(new Set(jobs.map((j) => j.id)).size, 300);
  });

  t.test(`${backend.name}: one webhook that cannot be stored fails alone; the others of its batch are stored`, async (t) => {
    const { db } = await backend.open(t);
    const clock = new ManualClock();
    const intake = new WebhookIntake({ db, clock, logger: capturedLogger('silent').logger, onQueued: () => undefined });
    const broken = route('a', null as unknown as number);
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => intake.submit(route('a'), { sourceId: `ok-${i}`, number: null, revision: null })),
      intake.submit(broken, { sourceId: 'bad', number: null, revision: null }),
      ...Array.from({ length: 20 }, (_, i) => intake.submit(route('a'), { sourceId: `ok-${20 + i}`, number: null, revision: null })),
    ]);
    t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 40);
    t.equal(outcomes[20]?.status, 'rejected', 'the one that cannot be stored is refused (its sender gets a 500)');
    t.equal((await listJobs(db, { limit: 100 })).length, 40);
  });
}
