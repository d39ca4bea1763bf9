/**
 * bench/ozon-moysklad: Ozon postings (FBS and FBO, with the charges Ozon has accrued on them) into retail
 * sales, against an Ozon stand-in and a MoySklad stand-in that enforces its budget (45 units per 3 s, at most 5
 * requests in parallel) and answers each call 20 ms late. The MoySklad connection uses a user token, which
 * MoySklad weighs by date (4 units a request since 2026-12-01: 11 requests per 3 s).
 *
 * Prints the Ozon requests (lists, accrual reads), the MoySklad requests, the 429s received (target 0), the
 * wall time (target under 30 s for 1,000) and the time MoySklad's budget itself needs for the MoySklad
 * requests made: with k = floor(45 / weight) requests per 3-s window, n requests need at least
 * (ceil(n / k) − 1) × 3 s between the first and the last. Target: wall time within 1.5× of that.
 *
 *   npx tsx bench/ozon-moysklad.ts [postings] [--solution]   (--solution: a solution token, 1 unit, for comparison)
 */
import { requestWeight } from '../src/connectors/moysklad/config.js';
import { countJobsByState } from '../src/store/jobs.js';
import { OZON_ROUTE, startOzonMoySkladStack } from '../src/sandbox/ozon-moysklad.js';
import { ozonPaths } from '../src/sandbox/ozon/server.js';

const args = process.argv.slice(2);
const postings = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const tokenKind = args.includes('--solution') ? 'solution' : 'user';
const units = 45;
const windowSeconds = 3;

/** The least time MoySklad's sliding window lets `requests` of `weight` units through in. */
function budgetSeconds(requests: number, weight: number): number {
  const perWindow = Math.floor(units / weight);
  return Math.max(0, Math.ceil(requests / perWindow) - 1) * windowSeconds;
}

const weight = requestWeight({ tokenKind, requestWeight: undefined }, new Date());
const stack = await startOzonMoySkladStack({ moysklad: { tokenKind, latencyMs: 20 }, worker: { concurrency: 64 } });
let ok = false;
try {
  const fbo = Math.floor(postings / 4);
  stack.addPostings(postings - fbo);
  stack.addPostings(fbo, { scheme: 'fbo' });
  const started = performance.now();
  await stack.app.openSession(OZON_ROUTE);
  const poll = await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  const seconds = (performance.now() - started) / 1000;
  const counts = await countJobsByState(stack.app.db);
  const sales = stack.moysklad.demands().length;
  const requests = stack.moysklad.stats.requests;
  const budget = budgetSeconds(requests, weight);
  const ozon = stack.ozon.count();
  const accruals = stack.ozon.count(ozonPaths.accrualPostings);
  const rejected = stack.moysklad.stats.rejected429;
  const ratio = budget > 0 ? seconds / budget : Number.POSITIVE_INFINITY;
  console.log(`bench/ozon-moysklad: Ozon → MoySklad, SQLite, MoySklad stand-in enforcing ${units} units / ${windowSeconds} s, 5 in parallel, 20 ms per call`);
  console.log(`${postings} postings (${postings - fbo} FBS, ${fbo} FBO), ${tokenKind} token: ${weight} unit(s) per request, worker concurrency ${stack.app.config.worker.concurrency}`);
  console.log(`  retail sales created:    ${sales} (jobs done ${counts.done}, dead ${counts.dead})`);
  console.log(`  Ozon requests:           ${ozon} (${poll.pages} pages listed, ${accruals} accrual reads)`);
  console.log(`  MoySklad requests:       ${requests} (${(requests / postings).toFixed(3)} per posting)`);
  console.log(`  429s received:           ${rejected} (target 0)`);
  console.log(`  wall time:               ${seconds.toFixed(1)} s (target < 30 s)`);
  console.log(`  MoySklad's budget time:  ${budget.toFixed(1)} s for ${requests} requests of ${weight} unit(s): wall time ${ratio.toFixed(2)}× of it (target ≤ 1.5×)`);
  ok = sales === postings && rejected === 0 && seconds < 30 && (tokenKind === 'solution' || ratio <= 1.5);
} finally {
  await stack.close();
}
if (!ok) process.exitCode = 1;
