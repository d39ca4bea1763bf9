/**
 * bench/export: 2,000 confirmed orders in the Odoo stand-in exported to the Ysell stand-in by one
 * order-bridge (SQLite, default worker settings), started by one poll. Prints orders per second,
 * XML-RPC calls per order (reading and writing apart; the target for reading is ≤ 0.1: pages and
 * batched reads, never a call per order or line), HTTP calls to Ysell per order (target ≤ 2: one
 * look-up, one create) and peak RSS. The stand-ins run in the same process, so the RSS includes them.
 *
 *   npx tsx bench/export.ts [orders]
 */
import { countJobsByState } from '../src/store/jobs.js';
import { confirm, createSaleOrder, seedCatalog } from '../src/sandbox/odoo/seed.js';
import { ROUTE, startStack } from '../src/sandbox/stack.js';
import { settle } from '../test/helpers/settle.js';

const orders = Number(process.argv[2] ?? 2000);
const stack = await startStack();
const { odoo, ysell, app } = stack;
odoo.setWebhook(null);
const catalog = seedCatalog(odoo);
const partners = Object.values(catalog.partners);
const goods = [catalog.products.lamp, catalog.products.chair, catalog.products.desk, catalog.products.serialized];
for (let i = 0; i < orders; i++) {
  // The serialized product's serials are typed on the line, so that no order waits for a reservation.
  const lines = Array.from({ length: 1 + (i % 3) }, (_, k) => {
    const productId = goods[(i + k) % goods.length]!;
    const qty = 1 + (k % 2);
    const serials = productId === catalog.products.serialized ? Array.from({ length: qty }, (_, n) => `SN-${i}-${k}-${n}`) : undefined;
    return { productId, qty, price: 10 + k, ...(serials ? { serials } : {}) };
  });
  confirm(odoo, createSaleOrder(odoo, { partnerId: partners[i % partners.length]!, lines }));
}

const odooBefore = odoo.calls.length;
const ysellBefore = ysell.requests.length;
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);

const started = performance.now();
const poll = await app.pollNow(ROUTE);
await settle(app);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);

const odooCalls = odoo.calls.slice(odooBefore);
const reads = odooCalls.filter((c) => c.service !== 'object' || ['read', 'search_read', 'search', 'search_count', 'get_param'].includes(c.modelMethod ?? '')).length;
const writes = odooCalls.length - reads;
const exported = ysell.orders().length;
const counts = await countJobsByState(app.db);

const fmt = (n: number, digits = 2) => n.toFixed(digits);
console.log(`bench/export: ${orders} confirmed orders, Odoo → Ysell, one poll (${poll.pages} pages), SQLite, concurrency ${app.config.worker.concurrency}`);
console.log(`exported:                 ${exported} (jobs done ${counts.done}, dead ${counts.dead})`);
console.log(`wall time:                ${fmt(seconds)} s`);
console.log(`orders per second:        ${fmt(exported / seconds, 1)}`);
console.log(`XML-RPC calls per order:  reading ${fmt(reads / orders, 3)} (target ≤ 0.1), writing back ${fmt(writes / orders, 3)}`);
console.log(`Ysell calls per order:    ${fmt((ysell.requests.length - ysellBefore) / orders, 3)} (target ≤ 2)`);
console.log(`peak RSS:                 ${fmt(peakRss / 1024 / 1024, 0)} MiB (service and both stand-ins in one process)`);
await stack.close();
if (exported !== orders) process.exitCode = 1;
