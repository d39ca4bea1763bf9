/**
 * Makes src/exchange/body-dictionary-<n>.txt: the preset dictionary that exchange bodies are compressed
 * with (src/exchange/bodies.ts). It is the shape of the traffic order-bridge logs (XML-RPC markup and
 * Odoo's field names, Ysell's, Ozon's and MoySklad's JSON), taken from one run against the stand-ins:
 * one request and one answer of each operation, the most frequent last (deflate finds the nearest
 * match first), cut to deflate's 32 KiB window.
 *
 * A dictionary, once released, must never change: bodies stored with it are read back with it. A new
 * one is written under the next number, and bodies.ts gets it as its new version.
 *
 *   npx tsx scripts/body-dictionary.ts 1
 */
import { writeFileSync } from 'node:fs';
import { ROUTE, startStack } from '../src/sandbox/stack.js';
import { OZON_ROUTE, startOzonMoySkladStack } from '../src/sandbox/ozon-moysklad.js';
import { listExchanges, type StoredExchange } from '../src/store/exchanges.js';
import { confirmedOrders } from '../test/helpers/orders.js';
import { settle } from '../test/helpers/settle.js';

const version = Number(process.argv[2]);
if (!Number.isInteger(version) || version < 1) throw new Error('usage: npx tsx scripts/body-dictionary.ts <version>');

async function odooToYsell(): Promise<StoredExchange[]> {
  const stack = await startStack();
  const { odoo, ysell, app } = stack;
  confirmedOrders(odoo, 10);
  await odoo.webhooksSettled();
  await settle(app);
  await app.checkStatusNow(ROUTE);
  for (const order of ysell.orders()) ysell.setStatus(order.id, 'Done');
  await app.checkStatusNow(ROUTE);
  await settle(app);
  await app.pollNow(ROUTE);
  await app.recorder.flush();
  const calls = await listExchanges(app.db, { limit: 100_000 });
  await stack.close();
  return calls;
}

async function ozonToMoySklad(): Promise<StoredExchange[]> {
  const stack = await startOzonMoySkladStack();
  stack.addPostings(10);
  await stack.app.openSession(OZON_ROUTE);
  await stack.app.pollNow(OZON_ROUTE);
  await stack.app.engine.drain();
  await stack.app.recorder.flush();
  const calls = await listExchanges(stack.app.db, { limit: 100_000 });
  await stack.close();
  return calls;
}

const calls = [...(await odooToYsell()), ...(await ozonToMoySklad())];
const byOperation = new Map<string, { sample: string; volume: number }>();
for (const call of calls) {
  const key = `${call.connector} ${call.operation}`;
  const seen = byOperation.get(key);
  const volume = call.requestBody.length + call.responseBody.length;
  if (seen === undefined) byOperation.set(key, { sample: call.requestBody.slice(0, 1500) + call.responseBody.slice(0, 2500), volume });
  else seen.volume += volume;
}
const text = [...byOperation.values()]
  .sort((a, b) => a.volume - b.volume)
  .map((o) => o.sample)
  .join('');
const dictionary = Buffer.from(text, 'utf8').subarray(-32 * 1024).toString('utf8').replace(/^\uFFFD+/, '');
const path = new URL(`../src/exchange/body-dictionary-${version}.txt`, import.meta.url);
writeFileSync(path, dictionary);
console.log(`${path.pathname}: ${Buffer.byteLength(dictionary)} bytes from ${byOperation.size} operations`);
