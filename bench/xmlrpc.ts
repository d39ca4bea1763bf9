/**
 * Measures one Odoo `execute_kw sale.order search_read` returning 10,000 records (about 14 MB of
 * XML-RPC, shaped like Odoo 17's answer: ints, doubles, `False` for empty fields, many2one
 * `[id, "name"]` pairs, id lists, datetimes as "YYYY-MM-DD HH:MM:SS" strings, non-ASCII text), end to
 * end over HTTP from a local `node:http` server that sends a pre-serialized body, so the server costs
 * the same for both sides. It times our XmlRpcClient.call (fetch + saxes-based parser) against the
 * `odoo-xmlrpc` package (which wraps the `xmlrpc` package: http + sax), interleaving the two so
 * that neither gets a warmer heap, then reports the median of the measured runs, their ratio and
 * whether both decoded the same data. Run with `npx tsx bench/xmlrpc.ts [runs]`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
// @ts-expect-error odoo-xmlrpc ships no type declarations; its shape is described by OdooXmlRpc below.
import Odoo from 'odoo-xmlrpc';
import { XmlRpcClient } from '../src/xmlrpc/client.js';
import { parseMethodCall } from '../src/xmlrpc/parse.js';
import { serializeFault, serializeMethodResponse } from '../src/xmlrpc/serialize.js';
import type { XmlRpcValue } from '../src/xmlrpc/value.js';

type Callback = (error: unknown, value: unknown) => void;
interface OdooXmlRpc {
  connect(callback: Callback): void;
  execute_kw(model: string, method: string, params: unknown[], callback: Callback): void;
}
const OdooClient = Odoo as new (config: { url: string; port: number; db: string; username: string; password: string }) => OdooXmlRpc;

const RECORDS = 10_000;
const WARMUPS = 2;
const RUNS = Number(process.argv[2] ?? 7);
const DB = 'bench';
const UID = 2;
const PASSWORD = 'bench-api-key';
const FIELDS = [
  'id', 'name', 'partner_id', 'user_id', 'currency_id', 'date_order', 'state', 'client_order_ref',
  'note', 'amount_total', 'order_line', 'picking_ids',
];
const DOMAIN: XmlRpcValue = [['state', '=', 'sale']];

const PARTNERS = [
  'Gemini Furniture', 'Deco Addict', 'Azure Interior', 'Lumber Inc', 'Ready Mat', 'Wood Corner',
  'Jörg Müller GmbH', 'Société Générale de Meubles', 'Ñandú Muebles S.A.', '北京家具有限公司',
];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function saleOrder(i: number): { [key: string]: XmlRpcValue } {
  const partner = PARTNERS[i % PARTNERS.length] as string;
  const partnerId = 7 + (i % 97);
  const day = pad(1 + (i % 28), 2);
  return {
    id: i + 1,
    name: `S${pad(i + 1, 5)}`,
    partner_id: [partnerId, partner],
    user_id: [2, 'Mitchell Admin'],
    currency_id: [125, 'EUR'],
    date_order: `2026-11-${day} ${pad(i % 24, 2)}:02:07`,
    state: 'sale',
    client_order_ref: i % 4 === 0 ? false : `OZ-${1_000_000 + i}-0001`,
    note: i % 3 === 0 ? false : `<p>Bitte vor 10 Uhr liefern — Größe prüfen. Спасибо! Ref ${i} & co</p>`,
    amount_total: Math.round(i * 163.47) / 100 + 0.75,
    order_line: [i * 3 + 1, i * 3 + 2, i * 3 + 3],
    picking_ids: [i + 1],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const records = Array.from({ length: RECORDS }, (_, i) => saleOrder(i));
const searchReadBody = Buffer.from(serializeMethodResponse(records));
const versionBody = Buffer.from(
  serializeMethodResponse({
    server_version: '17.0',
    server_version_info: [17, 0, 0, 'final', 0, ''],
    server_serie: '17.0',
    protocol_version: 1,
  }),
);
const authenticateBody = Buffer.from(serializeMethodResponse(UID));

function answer(path: string, method: string): Buffer {
  if (path === '/xmlrpc/2/common' && method === 'version') return versionBody;
  if (path === '/xmlrpc/2/common' && method === 'authenticate') return authenticateBody;
  if (path === '/xmlrpc/2/object' && method === 'execute_kw') return searchReadBody;
  return Buffer.from(serializeFault(1, `unknown method ${method} on ${path}`));
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const { method } = parseMethodCall(Buffer.concat(chunks).toString('utf8'));
    const body = answer(req.url ?? '', method);
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': body.length });
    res.end(body);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

const ours = new XmlRpcClient({ baseUrl: `http://127.0.0.1:${port}`, connector: 'odoo', timeoutMs: 120_000 });
const theirs = new OdooClient({ url: 'http://127.0.0.1', port, db: DB, username: 'admin', password: PASSWORD });

function callOurs(): Promise<XmlRpcValue> {
  return ours.call(
    '/xmlrpc/2/object',
    'execute_kw',
    [DB, UID, PASSWORD, 'sale.order', 'search_read', [DOMAIN], { fields: FIELDS, limit: RECORDS }],
    { idempotent: true, operation: 'execute_kw sale.order.search_read' },
  );
}

function callTheirs(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    theirs.execute_kw('sale.order', 'search_read', [[DOMAIN], { fields: FIELDS, limit: RECORDS }], (error, value) =>
      error === null || error === undefined ? resolve(value) : reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

await ours.call('/xmlrpc/2/common', 'version', []);
await new Promise<void>((resolve, reject) =>
  theirs.connect((error) => (error === null || error === undefined ? resolve() : reject(new Error(String(error))))),
);

const oursMs: number[] = [];
const theirsMs: number[] = [];
let oursValue: unknown;
let theirsValue: unknown;
for (let run = 0; run < WARMUPS + RUNS; run++) {
  const a = await timed(callOurs);
  const b = await timed(callTheirs);
  if (run >= WARMUPS) {
    oursMs.push(a.ms);
    theirsMs.push(b.ms);
  }
  oursValue = a.value;
  theirsValue = b.value;
}
server.close();
server.closeAllConnections();

// Nothing needs normalising: Odoo sends datetimes as strings and this payload has no dateTime.iso8601,
// base64 or i8 (where the xmlrpc package's Date-in-local-time and i8-as-string would differ).
const matched = isDeepStrictEqual(oursValue, theirsValue) && isDeepStrictEqual(oursValue, records);
const oursMedian = median(oursMs);
const theirsMedian = median(theirsMs);
const mb = (searchReadBody.length / 1024 / 1024).toFixed(1);

console.log(`XML-RPC search_read of ${RECORDS} sale.order records, ${mb} MB (${Math.round(searchReadBody.length / RECORDS)} bytes/record)`);
console.log(`runs: ${RUNS} measured after ${WARMUPS} warm-ups, interleaved`);
console.log(`ours (XmlRpcClient, fetch + saxes):  median ${oursMedian.toFixed(0)} ms  [${oursMs.map((v) => v.toFixed(0)).join(', ')}]`);
console.log(`odoo-xmlrpc (xmlrpc + sax):          median ${theirsMedian.toFixed(0)} ms  [${theirsMs.map((v) => v.toFixed(0)).join(', ')}]`);
console.log(`ratio: ours is ${(theirsMedian / oursMedian).toFixed(1)}x faster`);
console.log('normalisation: none needed (no dateTime.iso8601, base64 or i8 in an Odoo search_read)');
console.log(`data matched: ${matched ? 'yes' : 'NO'}`);
if (!matched) process.exitCode = 1;
