/**
 * XML-RPC against JSON-2 on the same Odoo 19.0 (the fake, over real HTTP on 127.0.0.1):
 *
 * 1. Decode time of a 10,000-record `res.partner.search_read`: both answers are fetched once through the
 *    connector's own client (so they hold exactly the same records), then decoded again and again —
 *    our XML-RPC parser against `JSON.parse` — interleaved, median of the measured runs. The end-to-end
 *    time of the call (request, server, transfer, decode) is given beside it.
 * 2. Calls to Odoo per exported order: the real service exports the same confirmed orders through each
 *    transport, found by one poll (the webhook off: read in batches) or each by its webhook (read one by
 *    one), and the Odoo calls are counted, by kind.
 *
 * Run with `npm run bench:odoo-protocols [runs]`.
 */
import { isDeepStrictEqual } from 'node:util';
import { OdooClient, type ProtocolSetting } from '../src/connectors/odoo/client.js';
import type { ExchangeEntry } from '../src/core/exchange.js';
import { createLogger } from '../src/cli/logger.js';
import { confirm, createSaleOrder, seedCatalog } from '../src/sandbox/odoo/seed.js';
import { startOdooFake, type OdooFake } from '../src/sandbox/odoo/server.js';
import { ROUTE, startStack } from '../src/sandbox/stack.js';
import { listBindings } from '../src/store/bindings.js';
import { parseMethodResponse } from '../src/xmlrpc/parse.js';

const RECORDS = 10_000;
const ORDERS = 20;
const WARMUPS = 2;
const RUNS = Number(process.argv[2] ?? 9);
const FIELDS = ['name', 'parent_id', 'street', 'city', 'zip', 'country_id', 'phone', 'email', 'write_date'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function clientOf(odoo: OdooFake, protocol: ProtocolSetting, exchanges: ExchangeEntry[]): OdooClient {
  return new OdooClient({ url: odoo.url, db: odoo.db, login: odoo.admin.login, secret: odoo.admin.apiKey, timeoutMs: 120_000, exchanges: (e) => exchanges.push(e), protocol });
}

async function decodeTimes(): Promise<void> {
  const odoo = await startOdooFake({ version: '19.0' });
  try {
    const countries = [odoo.ref('base.de'), odoo.ref('base.fr'), odoo.ref('base.be')];
    odoo.transact((env) => {
      for (let i = 0; i < RECORDS; i++) {
        env.create('res.partner', {
          name: `Kunde ${i} — Société Müller ${i % 97}`,
          street: `${1 + (i % 200)} Hauptstraße`,
          city: ['Berlin', 'Lyon', 'Bruxelles'][i % 3]!,
          zip: String(10_000 + i),
          country_id: countries[i % 3]!,
          phone: `+49 30 ${1_000_000 + i}`,
          email: `kunde${i}@example.com`,
        });
      }
    });
    const domain = [['email', 'ilike', '@example.com']];
    const bodies: Record<'xmlrpc' | 'json2', string> = { xmlrpc: '', json2: '' };
    const endToEnd: Record<'xmlrpc' | 'json2', number[]> = { xmlrpc: [], json2: [] };
    const answers: Record<'xmlrpc' | 'json2', unknown> = { xmlrpc: null, json2: null };
    for (const protocol of ['xmlrpc', 'json2'] as const) {
      const exchanges: ExchangeEntry[] = [];
      const client = clientOf(odoo, protocol, exchanges);
      await client.session();
      for (let run = 0; run < WARMUPS + RUNS; run++) {
        const started = performance.now();
        answers[protocol] = await client.executeKw('res.partner', 'search_read', [domain], { fields: FIELDS });
        if (run >= WARMUPS) endToEnd[protocol].push(performance.now() - started);
      }
      bodies[protocol] = exchanges.at(-1)!.responseBody;
    }
    const decode: Record<'xmlrpc' | 'json2', number[]> = { xmlrpc: [], json2: [] };
    for (let run = 0; run < WARMUPS + RUNS; run++) {
      for (const protocol of ['xmlrpc', 'json2'] as const) {
        const started = performance.now();
        if (protocol === 'xmlrpc') parseMethodResponse(bodies.xmlrpc);
        else JSON.parse(bodies.json2);
        if (run >= WARMUPS) decode[protocol].push(performance.now() - started);
      }
    }
    const rows = (answers.xmlrpc as unknown[]).length;
    console.log(`1. res.partner.search_read of ${rows} records (${FIELDS.length} fields) from the Odoo 19.0 fake; ${RUNS} measured runs after ${WARMUPS} warm-ups, median`);
    for (const protocol of ['xmlrpc', 'json2'] as const) {
      const kb = Math.round(Buffer.byteLength(bodies[protocol]) / 1024);
      console.log(
        `   ${protocol.padEnd(6)}  body ${String(kb).padStart(5)} KiB  decode ${median(decode[protocol]).toFixed(1).padStart(6)} ms  call end to end ${median(endToEnd[protocol]).toFixed(0).padStart(5)} ms`,
      );
    }
    console.log(`   JSON-2 decodes ${(median(decode.xmlrpc) / median(decode.json2)).toFixed(1)}x faster; the same records: ${isDeepStrictEqual(answers.xmlrpc, answers.json2) ? 'yes' : 'NO'}`);
  } finally {
    await odoo.close();
  }
}

async function callsPerOrder(protocol: 'xmlrpc' | 'json2', trigger: 'poll' | 'webhook'): Promise<{ perOrder: number; byKind: Map<string, number>; exported: number }> {
  const stack = await startStack({ logger: createLogger('silent'), odooVersion: '19.0', odoo: { protocol } });
  try {
    const { odoo, app } = stack;
    const catalog = seedCatalog(odoo);
    if (trigger === 'poll') odoo.setWebhook(null);
    const partners = [catalog.partners.berlin, catalog.partners.lyon, catalog.partners.brussels];
    const before = odoo.calls.length;
    for (let i = 0; i < ORDERS; i++) {
      const id = createSaleOrder(odoo, {
        partnerId: partners[i % partners.length]!,
        lines: [
          { productId: catalog.products.lamp, qty: 1 + (i % 3), price: 45 },
          { productId: catalog.products.desk, qty: 1, price: 310 },
        ],
      });
      confirm(odoo, id);
    }
    if (trigger === 'poll') await app.pollNow(ROUTE);
    else await odoo.webhooksSettled();
    await app.engine.drain();
    const calls = odoo.calls.slice(before);
    const exported = (await listBindings(app.db, { route: ROUTE, limit: 1000 })).filter((b) => b.destinationId !== null).length;
    const byKind = new Map<string, number>();
    for (const c of calls) {
      const kind = c.service === 'object' || c.service === 'json2' ? `${c.model}.${c.modelMethod}` : `${c.service}.${c.method}`;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    return { perOrder: calls.length / exported, byKind, exported };
  } finally {
    await stack.close();
  }
}

await decodeTimes();
console.log(`\n2. Odoo calls per exported order: ${ORDERS} confirmed orders on the Odoo 19.0 fake, exported by the service`);
for (const trigger of ['poll', 'webhook'] as const) {
  for (const protocol of ['xmlrpc', 'json2'] as const) {
    const { perOrder, byKind, exported } = await callsPerOrder(protocol, trigger);
    const kinds = [...byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`   ${trigger.padEnd(7)} ${protocol.padEnd(6)}  ${exported} exported, ${perOrder.toFixed(2)} calls per order (${kinds})`);
  }
}
