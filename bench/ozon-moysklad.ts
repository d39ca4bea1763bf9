/**
 * bench/ozon-moysklad: Ozon postings into retail sales, against a MoySklad stand-in that enforces its
 * budget (45 units per 3 s, at most 5 requests in parallel) and answers each call 20 ms late. Prints
 * the MoySklad requests sent, the 429s received (target 0), wall time (target under a minute for 1,000)
 * and the speed-up over the approach in the seller's notes: one request per order with a 10 s sleep.
 * Runs twice: with a solution token (1 unit a request) and with a user token, which MoySklad weighs
 * 3 units from 2026-09-01 (so 15 requests per 3 s).
 *
 *   npx tsx bench/ozon-moysklad.ts [postings]
 */
import { countJobsByState } from '../src/store/jobs.js';
import { OZON_ROUTE, startOzonMoySkladStack } from '../src/sandbox/ozon-moysklad.js';

const postings = Number(process.argv[2] ?? 1000);
const notesSeconds = postings * 10;

async function run(label: string, weight: number, tokenKind: 'solution' | 'user'): Promise<boolean> {
  const stack = await startOzonMoySkladStack({
    moysklad: { weight, latencyMs: 20 },
    moyskladSettings: { tokenKind, requestWeight: weight },
    worker: { concurrency: 64 },
  });
  try {
    stack.addPostings(postings);
    const started = performance.now();
    await stack.app.openSession(OZON_ROUTE);
    const poll = await stack.app.pollNow(OZON_ROUTE);
    await stack.app.engine.drain();
    const seconds = (performance.now() - started) / 1000;
    const counts = await countJobsByState(stack.app.db);
    const sales = stack.moysklad.demands().length;
    const requests = stack.moysklad.stats.requests;
    console.log(`\n${label}: ${postings} postings (${poll.pages} Ozon pages), worker concurrency ${stack.app.config.worker.concurrency}`);
    console.log(`  retail sales created:    ${sales} (jobs done ${counts.done}, dead ${counts.dead})`);
    console.log(`  MoySklad requests:       ${requests} (${(requests / postings).toFixed(3)} per posting)`);
    console.log(`  429s received:           ${stack.moysklad.stats.rejected429} (target 0)`);
    console.log(`  wall time:               ${seconds.toFixed(1)} s (target < 60 s)`);
    console.log(`  the notes' way:          ${notesSeconds.toLocaleString('en')} s (one request per order, 10 s sleep): ${(notesSeconds / seconds).toFixed(0)}× faster`);
    return sales === postings && stack.moysklad.stats.rejected429 === 0;
  } finally {
    await stack.close();
  }
}

console.log(`bench/ozon-moysklad: Ozon → MoySklad, SQLite, MoySklad stand-in enforcing 45 units / 3 s, 5 in parallel, 20 ms per call`);
const solution = await run('solution token (1 unit per request)', 1, 'solution');
const user = await run('user token (3 units per request)', 3, 'user');
if (!solution || !user) process.exitCode = 1;
