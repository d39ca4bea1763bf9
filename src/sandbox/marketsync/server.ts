/**
 * A Marketsync server over real HTTP, for tests of our client and connector (source and destination).
 *
 * Each contract point and the document it follows (the seed is docs/seeds/marketsync-pedidos-api.es.md, a
 * copy of controllers/pedidos.md of the vendor's documentation repository hvalles/marketsync; links/*.md
 * are the same repository's pages, digested in the contract notes §4):
 * - every request carries `token`, `timestamp` (Mexico City wall-clock time, `YYYY-MM-DDTHH:mm:ss`, a
 *   fraction of seconds accepted as in the documented example URL) and `version=1.0` [links/url.md, keys.md];
 * - `signature` is the lowercase hex HMAC-SHA256 (private key) of all other parameters sorted by name, each
 *   `name=value` encoded with PHP's `rawurlencode` (RFC 3986: a space is `%20`), joined by `&`, as the PHP 7
 *   example of links/keys.md builds it; the body of POST/PUT is not signed [links/keys.md, links/url.md];
 * - answers are `{ answer, timestamp }`, the timestamp as `YYYY-MM-DD HH:mm:ss`, order values as strings
 *   ("299.00", "1", "162958"), the charges of /pedidos/totales/{id} as real numbers [seed: GET /pedidos and
 *   GET /pedidos/totales/{id} examples];
 * - an order's `referencia` is "Número de pedido en el market": unique within its marketplace only, so
 *   orders of two marketplaces may share it [seed: Pedido field list]; `precio` and `subtotal` are before
 *   tax, `total` with tax ("Monto antes de impuestos", "Monto con impuestos incluidos") [seed: POST column
 *   table; its GET example: 257.7586 × 1.16 = 299.00]; `comision` and `envio` are not in the total [seed: GET
 *   example, and TOTAL = SUBTOTAL + IVA in the totales example];
 * - GET /api/pedidos filters by `after`/`before` (creation date), `afterid`/`beforeid` (id, both inclusive:
 *   "id >= :afterid", "id <= :beforeid"), `orders`, `ids`, `markets`, and pages by `limit`/`offset`
 *   [links/url.md parameter table]; kit lines carry `kit_id` and `kit[]` with quantities expanded along the
 *   bill of materials [seed: Items]; POST takes an array of orders whose columns (types and sizes from the
 *   table) must all be present, PUT an array of `{referencia, estatus, comentario}` [seed: POST, PUT];
 *   statuses are per marketplace [seed: status table];
 * - a verb a controller does not take is HTTP 404 "Method is not allowed or does not exists." [links/http.md];
 * - GET /api/pedidos/totales/{id} allows 1 call every 2 seconds [seed: totales].
 *
 * Our assumptions, where the documents are silent (the error wrapper is [?] in the notes §4.3):
 * - the server decodes the query like PHP's $_GET and rebuilds the signed string with rawurlencode, so a
 *   signature made with Python's `+` for a space is refused (with `pythonSignatures: true` it accepts both);
 * - errors are `{"error": "Error …", "timestamp"}` with HTTP 400 (bad data), 401 (token, signature,
 *   version or timestamp), 404 (verb or path), 429 (totales too soon, with Retry-After); with
 *   `errorEnvelope: "answer"` the 400 and 401 ones are HTTP 200 `{"answer": "Error …"}` instead;
 * - the first problem found is the one reported, and a POST or PUT with any bad record changes nothing;
 * - the timestamp must be within `timestampWindowMs` (default 5 min) of the fake's Mexico City clock;
 * - `after`/`before` compare with `fecha_orden` (the "fecha de creación" of the field list), inclusive;
 *   `ids` takes Marketsync ids and `orders` referencias (the seed document's "No. de pedido"); lists are in
 *   id order; without `limit` everything is answered, and `maxLimit` (default none) caps a page;
 * - ids are given out as orders are stored, so an order stored late (its `fecha_orden` hours back, as in the
 *   seed's example: ordered at midnight, stored 11:46) has a higher id than orders created after it;
 * - POSTed orders belong to marketplace 8 "E-Commerce" (the document says they are for the web channel),
 *   get id, `fecha_orden` and `fecha` from the fake's clock, keep `orden_id` as sent, start without charges
 *   beyond SUBTOTAL, IVA and TOTAL, and a second order with a referencia already there is accepted (nothing
 *   says it is refused, which is why we look before creating); the create answer is
 *   `{"answer": {"ids": ["…"]}}` (the shape public client code reads for productos; `createAnswer: "result"`
 *   leaves the ids out), the update answer
 *   `{"answer": {"result": "Item(s) updated."}}`;
 * - `readLag(n)`: orders created by POST are left out of the next n list answers that would show them, as a
 *   read replica behind its primary does (the create was done; the read-back does not see it yet);
 * - the totales quota counts only the calls it answered, on its own monotonic clock (`quotaClock`), apart
 *   from `now`, the wall clock that timestamps are checked against and written with.
 *
 * Injected faults stand for what is in front of the application (a proxy, the network, a crash): they are
 * decided when a request arrives, before authentication; one fault at most per request.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerUnder, FaultPlan, type CommonFault, type FaultOptions as SharedFaultOptions } from '../shared/faults.js';
import { closeServer, Delays, errorPageText, jsonOrText, listen, nginxReason, readBody, type Answer, type RecordedRequestBase } from '../shared/http.js';
import { wallClock } from '../shared/wall-time.js';

export const pedidosPath = '/api/pedidos';
export const totalsPrefix = '/api/pedidos/totales/';
export const badVerbMessage = 'Method is not allowed or does not exists.';

export type MarketsyncFault = CommonFault;

type FaultRequest = { method: string; path: string };

export type FaultOptions = SharedFaultOptions<FaultRequest>;

export interface RecordedRequest extends RecordedRequestBase {
  /** The parameters as the server decodes them. */
  query: Record<string, string>;
  /** The query string exactly as it arrived. */
  rawQuery: string;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  /** performance.now() on arrival: for checks of the spacing between calls. */
  receivedAt: number;
}

export interface FakeKitInput {
  sku: string;
  nombre?: string;
  cantidad: number;
  product_id?: number;
  color?: string;
  talla?: string;
}

export interface FakeItemInput {
  sku: string;
  descripcion?: string;
  cantidad: number;
  precio: number;
  product_id?: number;
  fulfillment?: 0 | 1;
  kit_id?: number;
  kit?: FakeKitInput[];
}

/** An order to put in the fake, as a marketplace would have brought it; numbers become strings on the wire. */
export interface FakeOrderInput {
  referencia: string;
  market_id?: number;
  estatus?: string;
  /** Mexico City time, "YYYY-MM-DD HH:mm:ss"; default the fake's now. */
  fecha_orden?: string;
  fecha_pedido?: string;
  fecha?: string;
  total?: number;
  subtotal?: number;
  envio?: number;
  comision?: number;
  entregara?: string;
  email?: string;
  telefono?: string;
  direccion?: string;
  entrecalles?: string;
  colonia?: string;
  ciudad?: string;
  estado?: string;
  cp?: string;
  observaciones?: string;
  items?: FakeItemInput[];
}

export type WireOrder = Record<string, unknown>;

export interface HistoryEntry {
  estatus: string;
  comentario: string;
  fecha: string;
}

export interface MarketsyncFakeOptions {
  port?: number;
  token?: string;
  privateKey?: string;
  /** The fake's clock in ms since the epoch (default Date.now): request timestamps are checked against it. */
  now?: () => number;
  timestampWindowMs?: number;
  totalsIntervalMs?: number;
  /** The monotonic clock of the totales quota, in ms (default performance.now). */
  quotaClock?: () => number;
  maxLimit?: number;
  errorEnvelope?: 'error' | 'answer';
  /** Also accept signatures over Python's quote_plus encoding (a space as `+`). */
  pythonSignatures?: boolean;
  /** The create answer names the new ids (default), or only says it worked (`{"result": "Item(s) created."}`). */
  createAnswer?: 'ids' | 'result';
}

export interface MarketsyncFake {
  readonly url: string;
  readonly token: string;
  readonly privateKey: string;
  addOrder(input: FakeOrderInput): WireOrder;
  /** Stores a record exactly as given (to serve broken data). */
  addRawOrder(raw: WireOrder): void;
  orders(): WireOrder[];
  ordersByReference(referencia: string): WireOrder[];
  history(id: string): HistoryEntry[];
  setStatus(id: string, estatus: string): void;
  setTotals(id: string, rows: Record<string, unknown>[]): void;
  /** Orders created by POST from now on are left out of the next `answers` list answers that would show them. */
  readLag(answers: number): void;
  inject(fault: MarketsyncFault, options?: FaultOptions): void;
  clearFaults(): void;
  readonly requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** The seed document's status table, by market_id. */
export const marketStatuses: Record<string, { name: string; statuses: readonly string[] }> = {
  '1': { name: 'Claro', statuses: ['Pendiente', 'entregados', 'embarcados'] },
  '2': { name: 'Linio', statuses: ['pending', 'delivered', 'canceled', 'shipped', 'failed', 'return_waiting_for_approval', 'ready_to_ship'] },
  '4': { name: 'Mercado', statuses: ['paid', 'delivered', 'cancelled'] },
  '5': { name: 'Walmart', statuses: ['WAITING ACCEPTANCE', 'CANCELED', 'RECEIVED', 'REFUSED'] },
  '6': { name: 'Amazon', statuses: ['Shipped', 'Unshipped', 'Canceled'] },
  '8': { name: 'E-Commerce', statuses: ['voided', 'refunded', 'paid', 'authorized', 'pending', 'pendiente'] },
};
const webMarket = '8';

type ColumnKind = 'string' | 'datetime' | 'decimal' | 'integer' | 'array';
interface Column {
  name: string;
  kind: ColumnKind;
  max?: number;
}

const pedidoColumns: Column[] = [
  { name: 'referencia', kind: 'string', max: 30 },
  { name: 'fecha_pedido', kind: 'datetime' },
  { name: 'fecha_autoriza', kind: 'datetime' },
  { name: 'subtotal', kind: 'decimal' },
  { name: 'total', kind: 'decimal' },
  { name: 'email', kind: 'string', max: 50 },
  { name: 'entregara', kind: 'string', max: 120 },
  { name: 'telefono', kind: 'string', max: 20 },
  { name: 'direccion', kind: 'string', max: 100 },
  { name: 'entrecalles', kind: 'string', max: 100 },
  { name: 'colonia', kind: 'string', max: 100 },
  { name: 'ciudad', kind: 'string', max: 100 },
  { name: 'estado', kind: 'string', max: 100 },
  { name: 'observaciones', kind: 'string', max: 200 },
  { name: 'cp', kind: 'string', max: 10 },
  { name: 'estatus', kind: 'string', max: 30 },
  { name: 'mensajeria', kind: 'string', max: 30 },
  { name: 'guias', kind: 'string', max: 100 },
  { name: 'orden_id', kind: 'integer' },
  { name: 'shipping_id', kind: 'string', max: 20 },
  { name: 'fecha_orden', kind: 'datetime' },
  { name: 'fecha', kind: 'datetime' },
  { name: 'lineas', kind: 'array' },
];

const lineaColumns: Column[] = [
  { name: 'product_id', kind: 'integer' },
  { name: 'sku', kind: 'string', max: 18 },
  { name: 'descripcion', kind: 'string', max: 120 },
  { name: 'fulfillment', kind: 'integer' },
  { name: 'cantidad', kind: 'integer' },
  { name: 'precio', kind: 'decimal' },
  { name: 'color', kind: 'string', max: 20 },
  { name: 'referencia', kind: 'string', max: 30 },
  { name: 'variacion', kind: 'string', max: 10 },
];

const jsonType = 'application/json; charset=UTF-8';

/** A PHP notice printed ahead of the JSON, and the JSON cut short: what a broken PHP backend sends. */
const garbageBody = '<br />\n<b>Notice</b>:  Undefined index: kit in <b>/var/www/api/controllers/Pedidos.php</b> on line <b>88</b><br />\n{"answer":[{"id":"16';

const mexicoCity = wallClock('America/Mexico_City');

/** "YYYY-MM-DD HH:mm:ss" in Mexico City. */
export function mexicoCityWallTime(instant: number): string {
  return mexicoCity(instant);
}

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/** A wall time as "YYYY-MM-DD HH:mm:ss" (seconds filled in), or undefined when it is not one. */
function normalizeWallTime(value: string): string | undefined {
  const m = dateTimePattern.exec(value);
  if (m === null) return undefined;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

/** A wall time read as if it were UTC: the difference of two such values is the real one (no DST in Mexico since 2022). */
function wallMillis(value: string): number | undefined {
  const m = dateTimePattern.exec(value);
  if (m === null) return undefined;
  const fraction = Number(`0.${m[7] ?? '0'}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0')) + Math.round(fraction * 1000);
}

/** PHP's rawurlencode (RFC 3986), written independently of the client's version so that each checks the other. */
function phpRawUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Python's quote_plus, for a server that also takes the Python example's encoding. */
function pythonQuotePlus(value: string): string {
  return phpRawUrlEncode(value).replace(/%20/g, '+');
}

/** Like PHP's $_GET: `+` is a space, percent escapes are UTF-8; the last of repeated names wins. */
function decodeQuery(raw: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  if (raw === '') return params;
  try {
    for (const pair of raw.split('&')) {
      if (pair === '') continue;
      const at = pair.indexOf('=');
      const name = decodeURIComponent((at < 0 ? pair : pair.slice(0, at)).replace(/\+/g, ' '));
      const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1).replace(/\+/g, ' '));
      params.set(name, value);
    }
  } catch {
    return undefined;
  }
  return params;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function money(value: number, digits = 2): string {
  return value.toFixed(digits);
}

function checkColumn(column: Column, value: unknown, prefix: string): string | undefined {
  const name = `${prefix}${column.name}`;
  if (value === undefined) return `Error missing field ${name}`;
  const invalid = `Error invalid field ${name}`;
  switch (column.kind) {
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') return invalid;
      return String(value).length > (column.max ?? Infinity) ? invalid : undefined;
    case 'datetime':
      if (value === '' || value === 0) return undefined;
      return typeof value === 'string' && normalizeWallTime(value) !== undefined ? undefined : invalid;
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return undefined;
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? undefined : invalid;
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return undefined;
      return typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? undefined : invalid;
    case 'array':
      return Array.isArray(value) && value.length > 0 ? undefined : invalid;
  }
}

export async function startMarketsyncFake(options: MarketsyncFakeOptions = {}): Promise<MarketsyncFake> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const privateKey = options.privateKey ?? randomBytes(20).toString('hex');
  const now = options.now ?? Date.now;
  const windowMs = options.timestampWindowMs ?? 300_000;
  const totalsIntervalMs = options.totalsIntervalMs ?? 2_000;
  const errorEnvelope = options.errorEnvelope ?? 'error';
  const quotaClock = options.quotaClock ?? (() => performance.now());

  let orders: WireOrder[] = [];
  let histories = new Map<string, HistoryEntry[]>();
  let totals = new Map<string, Record<string, unknown>[]>();
  let nextOrderId = 500_001;
  let nextItemId = 900_001;
  let lastTotalsAt = Number.NEGATIVE_INFINITY;
  let lag = 0;
  let hidden = new Map<string, number>();
  const faults = new FaultPlan<MarketsyncFault, FaultRequest>();
  const requests: RecordedRequest[] = [];
  const delays = new Delays();

  const stamp = (): string => mexicoCityWallTime(now());

  function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
    return { status, body: JSON.stringify(value), headers: { 'Content-Type': jsonType, ...headers } };
  }

  function ok(answer: unknown): Answer {
    return json(200, { answer, timestamp: stamp() });
  }

  function failure(status: number, message: string, headers: Record<string, string> = {}): Answer {
    if (errorEnvelope === 'answer' && (status === 400 || status === 401)) return json(200, { answer: message, timestamp: stamp() });
    return json(status, { error: message, timestamp: stamp() }, headers);
  }

  /** The reason a request is refused, or undefined when its token, signature, version and timestamp hold. */
  function authProblem(params: Map<string, string>): string | undefined {
    const given = params.get('token');
    if (given === undefined || given !== token) return 'Error invalid token';
    const signature = Buffer.from(params.get('signature') ?? '');
    const signs = (encode: (value: string) => string): boolean => {
      const canonical = [...params.keys()]
        .filter((name) => name !== 'signature')
        .sort()
        .map((name) => `${encode(name)}=${encode(params.get(name) ?? '')}`)
        .join('&');
      const expected = Buffer.from(createHmac('sha256', privateKey).update(canonical, 'utf8').digest('hex'));
      return signature.length === expected.length && timingSafeEqual(signature, expected);
    };
    if (!signs(phpRawUrlEncode) && !(options.pythonSignatures === true && signs(pythonQuotePlus))) return 'Error invalid signature';
    if (params.get('version') !== '1.0') return 'Error invalid version';
    const sent = wallMillis(params.get('timestamp') ?? '');
    const current = wallMillis(mexicoCityWallTime(now()));
    if (sent === undefined || current === undefined || Math.abs(sent - current) > windowMs) return 'Error invalid timestamp: out of the allowed window';
    return undefined;
  }

  function listOrders(params: Map<string, string>): Answer {
    let rows = orders.slice();
    const list = (name: string): Set<string> | undefined => {
      const value = params.get(name);
      return value === undefined ? undefined : new Set(value.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    };
    const ids = list('ids');
    if (ids !== undefined) rows = rows.filter((o) => ids.has(String(o['id'])));
    const references = list('orders');
    if (references !== undefined) rows = rows.filter((o) => references.has(String(o['referencia'])));
    const markets = list('markets');
    if (markets !== undefined) rows = rows.filter((o) => markets.has(String(o['market_id'])));
    for (const name of ['afterid', 'beforeid'] as const) {
      const value = params.get(name);
      if (value === undefined) continue;
      if (!/^\d+$/.test(value)) return failure(400, `Error invalid field ${name}`);
      rows = rows.filter((o) => (name === 'afterid' ? Number(o['id']) >= Number(value) : Number(o['id']) <= Number(value)));
    }
    for (const name of ['after', 'before'] as const) {
      const value = params.get(name);
      if (value === undefined) continue;
      const bound = normalizeWallTime(value);
      if (bound === undefined) return failure(400, `Error invalid field ${name}`);
      rows = rows.filter((o) => {
        const created = String(o['fecha_orden'] ?? '');
        return name === 'after' ? created >= bound : created <= bound;
      });
    }
    const count = (name: string): number | undefined | null => {
      const value = params.get(name);
      if (value === undefined) return undefined;
      return /^\d+$/.test(value) ? Number(value) : null;
    };
    const limit = count('limit');
    const offset = count('offset');
    if (limit === null) return failure(400, 'Error invalid field limit');
    if (offset === null) return failure(400, 'Error invalid field offset');
    rows.sort((a, b) => Number(a['id']) - Number(b['id']));
    const size = Math.min(limit ?? Number.POSITIVE_INFINITY, options.maxLimit ?? Number.POSITIVE_INFINITY);
    const start = offset ?? 0;
    const page = rows.slice(start, start + size).filter((o) => {
      const id = String(o['id']);
      const left = hidden.get(id);
      if (left === undefined) return true;
      if (left <= 1) hidden.delete(id);
      else hidden.set(id, left - 1);
      return false;
    });
    return ok(structuredClone(page));
  }

  function wireDate(value: unknown, fallback: string): string {
    return typeof value === 'string' && value !== '' ? (normalizeWallTime(value) ?? fallback) : fallback;
  }

  function createOrders(body: unknown): Answer {
    if (!Array.isArray(body) || body.length === 0) return failure(400, 'Error invalid data: expected an array of orders');
    for (const record of body) {
      if (!isRecord(record)) return failure(400, 'Error invalid data: expected an array of orders');
      for (const column of pedidoColumns) {
        const problem = checkColumn(column, record[column.name], '');
        if (problem !== undefined) return failure(400, problem);
      }
      const estatus = String(record['estatus']);
      if (estatus !== '' && !marketStatuses[webMarket]!.statuses.includes(estatus)) return failure(400, 'Error invalid field estatus');
      for (const line of record['lineas'] as unknown[]) {
        if (!isRecord(line)) return failure(400, 'Error invalid field lineas');
        for (const column of lineaColumns) {
          const problem = checkColumn(column, line[column.name], 'linea.');
          if (problem !== undefined) return failure(400, problem);
        }
      }
    }
    const ids: string[] = [];
    const at = stamp();
    for (const record of body as Record<string, unknown>[]) {
      const id = String(nextOrderId++);
      ids.push(id);
      if (lag > 0) hidden.set(id, lag);
      const text = (name: string): string => String(record[name]);
      orders.push({
        id,
        referencia: text('referencia'),
        fecha_pedido: wireDate(record['fecha_pedido'], at),
        fecha_autoriza: wireDate(record['fecha_autoriza'], at),
        total: money(Number(record['total'])),
        subtotal: money(Number(record['subtotal'])),
        email: text('email'),
        entregara: text('entregara'),
        telefono: text('telefono'),
        direccion: text('direccion'),
        entrecalles: text('entrecalles'),
        colonia: text('colonia'),
        ciudad: text('ciudad'),
        estado: text('estado'),
        observaciones: text('observaciones'),
        cp: text('cp'),
        estatus: text('estatus') || 'pending',
        mensajeria: text('mensajeria'),
        guias: text('guias') === '' ? null : text('guias'),
        orden_id: text('orden_id'),
        shipping_id: text('shipping_id') === '' ? null : text('shipping_id'),
        fecha_orden: at,
        fecha: at,
        envio: '0.00',
        comision: '0.00',
        market_id: webMarket,
        market: marketStatuses[webMarket]!.name,
        items: (record['lineas'] as Record<string, unknown>[]).map((line) => ({
          id: String(nextItemId++),
          pedido: id,
          product_id: String(line['product_id']),
          sku: String(line['sku']),
          modelo: '',
          descripcion: String(line['descripcion']),
          cantidad: String(line['cantidad']),
          precio: money(Number(line['precio']), 4),
          color: String(line['color']),
          variacion: String(line['variacion']),
          fulfillment: String(line['fulfillment']),
          fecha: at,
          kit_id: null,
          kit: [],
        })),
        tablas: [],
        ubicacion: [],
      });
    }
    return ok(options.createAnswer === 'result' ? { result: 'Item(s) created.' } : { ids });
  }

  function updateStatuses(body: unknown): Answer {
    if (!Array.isArray(body) || body.length === 0) return failure(400, 'Error invalid data: expected an array of updates');
    const changes: { targets: WireOrder[]; estatus: string; comentario: string }[] = [];
    for (const record of body) {
      if (!isRecord(record)) return failure(400, 'Error invalid data: expected an array of updates');
      for (const name of ['referencia', 'estatus', 'comentario']) {
        if (record[name] === undefined) return failure(400, `Error missing field ${name}`);
        if (typeof record[name] !== 'string') return failure(400, `Error invalid field ${name}`);
      }
      const targets = orders.filter((o) => o['referencia'] === record['referencia']);
      if (targets.length === 0) return failure(400, 'Error invalid field referencia: order not found');
      const estatus = record['estatus'] as string;
      if (targets.some((o) => !(marketStatuses[String(o['market_id'])]?.statuses.includes(estatus) ?? false))) {
        return failure(400, 'Error invalid field estatus');
      }
      changes.push({ targets, estatus, comentario: record['comentario'] as string });
    }
    const at = stamp();
    for (const change of changes) {
      for (const order of change.targets) {
        order['estatus'] = change.estatus;
        order['fecha'] = at;
        const id = String(order['id']);
        histories.set(id, [...(histories.get(id) ?? []), { estatus: change.estatus, comentario: change.comentario, fecha: at }]);
      }
    }
    return ok({ result: 'Item(s) updated.' });
  }

  function orderTotals(id: string): Answer {
    const elapsed = quotaClock() - lastTotalsAt;
    if (elapsed < totalsIntervalMs) {
      return failure(429, `Error throttled: 1 call every ${totalsIntervalMs / 1000} seconds`, {
        'Retry-After': String(Math.max(1, Math.ceil((totalsIntervalMs - elapsed) / 1000))),
      });
    }
    lastTotalsAt = quotaClock();
    const custom = totals.get(id);
    if (custom !== undefined) return ok(structuredClone(custom));
    const order = orders.find((o) => String(o['id']) === id);
    if (order === undefined) return ok([]);
    const subtotal = Number(order['subtotal']);
    const total = Number(order['total']);
    const fecha = String(order['fecha_orden']).replace(' ', 'T');
    const row = (n: number, concepto: string, amount: number) => ({ id: n, pedido_id: Number(id), concepto, label: '', total: amount, estado: 1, fecha });
    return ok([row(1, 'SUBTOTAL', subtotal), row(2, 'IVA', Math.round((total - subtotal) * 100) / 100), row(3, 'TOTAL', total)]);
  }

  function route(method: string, path: string, params: Map<string, string>, body: unknown): Answer {
    if (path === pedidosPath) {
      if (method === 'GET') return listOrders(params);
      if (method === 'POST') return createOrders(body);
      if (method === 'PUT') return updateStatuses(body);
      return failure(404, badVerbMessage);
    }
    const totalsMatch = path.startsWith(totalsPrefix) ? /^(\d+)$/.exec(path.slice(totalsPrefix.length)) : null;
    if (totalsMatch !== null && method === 'GET') return orderTotals(totalsMatch[1]!);
    return failure(404, badVerbMessage);
  }

  function answerRequest(method: string, path: string, rawQuery: string, body: unknown): Answer {
    const params = decodeQuery(rawQuery);
    if (params === undefined) return failure(401, 'Error invalid signature');
    const problem = authProblem(params);
    if (problem !== undefined) return failure(401, problem);
    return route(method, path, params, body);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, receivedAt: number): void {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const at = target.indexOf('?');
    const path = at < 0 ? target : target.slice(0, at);
    const rawQuery = at < 0 ? '' : target.slice(at + 1);
    const body = jsonOrText(raw);
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(decodeQuery(rawQuery) ?? []),
      rawQuery,
      headers: req.headers,
      body,
      status: null,
      receivedAt,
    };
    requests.push(record);

    // Under a delay the work is done even when the client gave up meanwhile, as a real backend does.
    answerUnder(faults.take({ method, path }), { req, res, record }, {
      answer: () => answerRequest(method, path, rawQuery, body),
      status: (status) =>
        status === 429
          ? json(429, { error: 'Error too many requests', timestamp: stamp() })
          : status === 500
            ? json(500, { error: 'Error internal server error', timestamp: stamp() })
            : { status, body: errorPageText(status, nginxReason(status)), headers: { 'Content-Type': 'text/html' } },
      garbage: { status: 200, body: garbageBody, headers: { 'Content-Type': jsonType } },
      delays,
    });
  }

  const server = createServer((req, res) => {
    const receivedAt = performance.now();
    void readBody(req).then((raw) => handle(req, res, raw, receivedAt));
  });
  const url = await listen(server, options.port);

  function findById(id: string): WireOrder {
    const order = orders.find((o) => String(o['id']) === id);
    if (order === undefined) throw new Error(`Marketsync fake: no order with id ${id}`);
    return order;
  }

  const fake: MarketsyncFake = {
    url,
    token,
    privateKey,
    addOrder(input) {
      const at = stamp();
      const id = String(nextOrderId++);
      const marketId = String(input.market_id ?? 1);
      const items = (input.items ?? [{ sku: `SKU-${id}`, cantidad: 1, precio: 100 }]).map((item) => {
        const itemId = String(nextItemId++);
        return {
          id: itemId,
          pedido: id,
          product_id: String(item.product_id ?? 1000 + Number(itemId) % 1000),
          sku: item.sku,
          modelo: '',
          descripcion: item.descripcion ?? `Product ${item.sku}`,
          cantidad: String(item.cantidad),
          precio: money(item.precio, 4),
          color: '',
          variacion: '',
          fulfillment: String(item.fulfillment ?? 0),
          fecha: input.fecha ?? at,
          kit_id: item.kit === undefined ? null : String(item.kit_id ?? 1200),
          kit: (item.kit ?? []).map((component, n) => ({
            id: String(1200 + n),
            product_id: String(component.product_id ?? 180_000 + n),
            sku: component.sku,
            nombre: component.nombre ?? component.sku,
            color: component.color ?? '',
            talla: component.talla ?? '',
            cantidad: String(component.cantidad),
          })),
        };
      });
      const subtotal = input.subtotal ?? items.reduce((sum, item) => sum + Number(item.precio) * Number(item.cantidad), 0);
      const order: WireOrder = {
        id,
        referencia: input.referencia,
        fecha_pedido: input.fecha_pedido ?? input.fecha_orden ?? at,
        fecha_autoriza: input.fecha_pedido ?? input.fecha_orden ?? at,
        total: money(input.total ?? subtotal * 1.16),
        subtotal: money(subtotal),
        email: input.email ?? 'none@claroshop.com',
        entregara: input.entregara ?? 'Roberto Pérez',
        telefono: input.telefono ?? '',
        direccion: input.direccion ?? 'Lilas 1060',
        entrecalles: input.entrecalles ?? 'Rosas y Helechos',
        colonia: input.colonia ?? 'El Invernadero',
        ciudad: input.ciudad ?? 'Miguel Hidalgo',
        estado: input.estado ?? 'Ciudad de México',
        observaciones: input.observaciones ?? '',
        cp: input.cp ?? '11000',
        estatus: input.estatus ?? marketStatuses[marketId]?.statuses[0] ?? 'pending',
        guias: null,
        orden_id: String(70_000 + Number(id) % 10_000),
        shipping_id: null,
        fecha_orden: input.fecha_orden ?? at,
        fecha: input.fecha ?? input.fecha_orden ?? at,
        envio: money(input.envio ?? 0),
        comision: money(input.comision ?? 0),
        market_id: marketId,
        market: marketStatuses[marketId]?.name ?? 'Unknown',
        items,
        tablas: [],
        ubicacion: [],
      };
      orders.push(order);
      return structuredClone(order);
    },
    addRawOrder(raw) {
      orders.push(structuredClone(raw));
    },
    orders() {
      return structuredClone(orders);
    },
    ordersByReference(referencia) {
      return structuredClone(orders.filter((o) => o['referencia'] === referencia));
    },
    history(id) {
      return structuredClone(histories.get(id) ?? []);
    },
    setStatus(id, estatus) {
      const order = findById(id);
      order['estatus'] = estatus;
      order['fecha'] = stamp();
    },
    setTotals(id, rows) {
      totals.set(id, structuredClone(rows));
    },
    readLag(answers) {
      lag = answers;
    },
    inject: faults.inject,
    clearFaults: faults.clear,
    requests,
    reset() {
      orders = [];
      histories = new Map();
      totals = new Map();
      hidden = new Map();
      lag = 0;
      requests.length = 0;
      faults.clear();
      lastTotalsAt = Number.NEGATIVE_INFINITY;
    },
    close() {
      delays.cancelAll();
      return closeServer(server);
    },
  };
  return fake;
}
