/**
 * An Ozon Seller API account over real HTTP, for tests of our client and of the posting import.
 *
 * Verified from the contract notes (docs/api-contracts.md §2), sources [V]/[C]:
 * - every method is a POST with a JSON body, authenticated by the `Client-Id` and `Api-Key` headers [V];
 *   both missing → 401 `{"code": 16, "message": "Client-Id and Api-Key headers are required"}` [C]
 *   (diPhantxm/ozon-api-client test fixtures);
 * - `/v4/posting/fbs/list`: `filter.since`/`filter.to` required, `filter.statuses[]`, `limit` 1..1000,
 *   `cursor` ("" first), `sort_dir`, `with.*`; the answer is not wrapped: `{cursor, has_next, postings}` [V];
 *   products carry `price` as a money object `{amount: "<decimal>", currency}` and the financial lines a
 *   `commission {amount, currency, percent}` and a `customer_price` money object [C] (a Go client);
 * - `/v3/posting/fbs/list`: `filter.status` single, `limit` 1..1000 and `offset` required, `dir`,
 *   `{result: {has_next, postings}}`; `products[].price` a decimal string, `financial_data.products[].price`
 *   a number [V]; the period since..to at most one year [V];
 * - `/v2/posting/fbo/list`: `filter{since, to, status}`, `limit` 1..1000, `offset` at most 20000,
 *   `{result: [...]}` with no `has_next`; items carry `created_at`, `cancel_reason_id`, `digital_codes`,
 *   `additional_data`, analytics with `warehouse_name` and `client_delivery_date_*` [V];
 * - errors are rpcStatus `{code, message, details: []}` [V]; the rate limit is 50 requests a second per
 *   Client-Id over all methods, answered 429 `{"code": 8, "message": "You have reached request rate limit
 *   per second"}` [C]; `item_services`/`posting_services` were removed on 2024-05-24 [V];
 * - times are RFC 3339 UTC with `Z`, sometimes with fractional seconds, "" when missing [V]/[C].
 *
 * Our decision, where the notes are silent:
 * - a wrong Client-Id or Api-Key → 403 `{"code": 7, "message": "Invalid Api-Key, please contact support"}`;
 *   one header missing is answered like both missing (401, code 16);
 * - the order of checks: injected fault, credentials, rate limit, path (404 code 5 "Not Found"), verb (405
 *   code 12 "Method Not Allowed" with `Allow: POST`), JSON (400 code 3), then the method's own validation;
 * - the rate limit is a sliding one-second log of the requests it let through (a refused one does not
 *   count, nor does one refused for its credentials); there is one account, so one log; no `Retry-After`;
 * - validation failures are 400 code 3 whose message names the field (`filter.since`, `limit`, ...);
 *   integers may come as numbers or as integer strings (protobuf's JSON mapping allows both); unknown
 *   fields and the filters we do not model (`order_id`, `warehouse_ids`, `last_changed_status_date`, ...)
 *   are accepted and ignored; `since`/`to` must end in `Z`; `since` after `to` is refused;
 * - the v4 cursor is opaque base64url of the last posting's sort key and a hash of the filter and sort
 *   direction: a later page is stable under inserts, a cursor sent with another filter is refused (400
 *   code 3), and the cursor is "" on the last page;
 * - order: by `in_process_at` then `posting_number` (FBO: by `created_at`, the field its window filters on,
 *   so that a client may continue an FBO listing from the last `created_at` it read);
 * - `with.financial_data` / `with.analytics_data` false or absent → `null`, as are `barcodes` and
 *   `legal_info` unless asked; `substatus` follows the status unless the posting sets one;
 * - `/v3/posting/fbs/get` and `/v2/posting/fbo/get` answer `{result}` in the v3 / v2 shape; a posting of
 *   the other scheme is as unknown as a missing one: 404 `{"code": 5, "message": "Posting not found"}`;
 * - a posting the fake cannot render (a test broke it on purpose beyond JSON) → 500 code 13.
 *
 * Injected faults stand for what is in front of the application (a proxy, the network, a crash): they are
 * decided when a request arrives, before authentication; one fault at most per request.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerUnder, FaultPlan, type CommonFault, type FaultOptions as SharedFaultOptions } from '../shared/faults.js';
import { closeServer, Delays, errorPage, jsonOrText, listen, nginxReason, readBody, type Answer } from '../shared/http.js';
import { legacyServiceKeys } from './postings.js';

export type OzonScheme = 'fbs' | 'fbo';

export const ozonPaths = {
  fbsListV4: '/v4/posting/fbs/list',
  fbsListV3: '/v3/posting/fbs/list',
  fboList: '/v2/posting/fbo/list',
  fbsGet: '/v3/posting/fbs/get',
  fboGet: '/v2/posting/fbo/get',
} as const;

export interface FakeProduct {
  sku: number;
  offer_id: string;
  name: string;
  quantity: number;
  /** Decimal string with kopecks, as v3 sends it ("1249.90"). */
  price: string;
  currency_code: string;
}

export interface FakeFinancialProduct {
  product_id: number;
  price: number;
  old_price: number;
  payout: number;
  commission_amount: number;
  commission_percent: number;
  commissions_currency_code: string;
  currency_code: string;
  quantity: number;
  total_discount_value: number;
  total_discount_percent: number;
  actions: string[];
  item_services?: Record<string, number>;
}

export interface FakeAnalytics {
  city: string;
  region: string;
  delivery_type: string;
  warehouse: string;
  warehouse_id?: number;
  is_premium?: boolean;
  payment_type_group_name?: string;
  tpl_provider?: string;
  tpl_provider_id?: number;
  delivery_date_begin?: string;
  delivery_date_end?: string;
  is_legal?: boolean;
}

/** Stored in the v3 shape, the source of truth; every endpoint renders it in its own shape. */
export interface FakePosting {
  scheme: OzonScheme;
  posting_number: string;
  order_id: number;
  order_number: string;
  status: string;
  /** Derived from `status` when absent. */
  substatus?: string;
  in_process_at: string;
  created_at: string;
  shipment_date: string;
  products: FakeProduct[];
  financial_data: {
    products: FakeFinancialProduct[];
    posting_services?: Record<string, number>;
    cluster_from: string;
    cluster_to: string;
  };
  analytics_data: FakeAnalytics;
  addressee: { name: string; phone: string } | null;
  customer: null;
}

export type OzonFault = CommonFault;

export interface FaultRequest {
  method: string;
  path: string;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
}

export type FaultOptions = SharedFaultOptions<FaultRequest>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  /** null while unanswered, when a fault dropped the answer, and when the client left before it. */
  status: number | null;
}

export interface OzonFakeOptions {
  /** Random when absent (digits, as Ozon's are); exposed on the fake. */
  clientId?: string;
  /** Random UUID when absent, as Ozon's keys look; exposed on the fake. */
  apiKey?: string;
  /** Requests a second for the account, all methods together; default 50. */
  ratePerSecond?: number;
  /** Default true: v4 sends money objects; false: v4 sends the v3 plain values. */
  v4Money?: boolean;
  /** Default false: render `item_services` / `posting_services` (removed by Ozon on 2024-05-24). */
  legacyServices?: boolean;
  /** The rate limiter's clock in ms; a test freezes or advances it instead of waiting. */
  now?: () => number;
}

export interface OzonFake {
  readonly url: string;
  readonly clientId: string;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  /** Keeps the objects given: changing one later changes what the fake answers. */
  add(...postings: FakePosting[]): void;
  addMany(postings: FakePosting[]): void;
  /** The stored object itself. */
  posting(postingNumber: string): FakePosting | undefined;
  setStatus(postingNumber: string, status: string): void;
  inject(fault: OzonFault, options?: FaultOptions): void;
  clearFaults(): void;
  /** Requests answered (any status), those whose path ends with `pathSuffix` when given. */
  count(pathSuffix?: string): number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** A request Ozon would refuse with 400 code 3; the message names the field. */
class BadRequest extends Error {}

/** A lookup Ozon would answer 404 code 5. */
class NotFound extends Error {}

const jsonType = 'application/json';
const rateLimitMessage = 'You have reached request rate limit per second';
const maxPeriodMs = 366 * 86_400_000;
const fboMaxOffset = 20_000;

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(value), headers: { 'Content-Type': jsonType, ...headers } };
}

function rpc(status: number, code: number, message: string, headers: Record<string, string> = {}): Answer {
  return json(status, { code, message, details: [] }, headers);
}

/** What a proxy that cut the connection mid-answer leaves: a 200 with half a JSON document. */
const garbageBody = '{"result":{"has_next":true,"postings":[{"posting_number":"4863';

const substatuses: Record<string, string> = {
  awaiting_registration: 'posting_awaiting_registration',
  acceptance_in_progress: 'posting_acceptance_in_progress',
  awaiting_approve: 'posting_created',
  awaiting_packaging: 'posting_created',
  awaiting_deliver: 'posting_transferring_to_delivery',
  arbitration: 'posting_in_arbitration',
  client_arbitration: 'posting_in_client_arbitration',
  delivering: 'posting_in_carriage',
  driver_pickup: 'posting_driver_pick_up',
  delivered: 'posting_delivered',
  cancelled: 'posting_canceled',
  cancelled_from_split_pending: 'posting_split_pending',
  not_accepted: 'posting_not_in_sort_center',
};

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(parent: Json, key: string, field: string): Json {
  const value = parent[key];
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new BadRequest(`${field}: must be an object`);
  return value;
}

const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function timeAt(filter: Json, key: 'since' | 'to', field: string): { text: string; ms: number } {
  const value = filter[key];
  if (value === undefined || value === null || value === '') throw new BadRequest(`${field}: value is required`);
  if (typeof value !== 'string' || !rfc3339Utc.test(value) || Number.isNaN(Date.parse(value))) {
    throw new BadRequest(`${field}: expected an RFC 3339 UTC time such as "2026-11-20T10:15:30Z", got ${JSON.stringify(value)}`);
  }
  return { text: value, ms: Date.parse(value) };
}

function integerAt(body: Json, key: string, required: boolean): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw new BadRequest(`${key}: value is required`);
    return undefined;
  }
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new BadRequest(`${key}: expected an integer, got ${JSON.stringify(value)}`);
  return n;
}

function limitOf(body: Json): number {
  const limit = integerAt(body, 'limit', true) ?? 0;
  if (limit < 1 || limit > 1000) throw new BadRequest(`limit: value must be inside range [1, 1000], got ${limit}`);
  return limit;
}

function offsetOf(body: Json, required: boolean, max: number): number {
  const offset = integerAt(body, 'offset', required) ?? 0;
  if (offset < 0 || offset > max) throw new BadRequest(`offset: value must be inside range [0, ${max}], got ${offset}`);
  return offset;
}

type Direction = 'ASC' | 'DESC';

function directionAt(body: Json, key: 'dir' | 'sort_dir'): Direction {
  const value = body[key];
  if (value === undefined || value === null || value === '') return 'ASC';
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    if (upper === 'ASC' || upper === 'DESC') return upper;
  }
  throw new BadRequest(`${key}: expected "ASC" or "DESC", got ${JSON.stringify(value)}`);
}

function statusAt(filter: Json): string[] | null {
  const value = filter['status'];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequest(`filter.status: expected a string, got ${JSON.stringify(value)}`);
  return [value];
}

function statusesAt(filter: Json): string[] | null {
  const value = filter['statuses'];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string')) {
    throw new BadRequest(`filter.statuses: expected an array of strings, got ${JSON.stringify(value)}`);
  }
  return value.length === 0 ? null : value;
}

interface Include {
  financial: boolean;
  analytics: boolean;
  barcodes: boolean;
  legal: boolean;
}

function includeOf(body: Json): Include {
  const flags = objectAt(body, 'with', 'with');
  const flag = (key: string): boolean => {
    const value = flags[key];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw new BadRequest(`with.${key}: expected a boolean, got ${JSON.stringify(value)}`);
    return value;
  };
  return { financial: flag('financial_data'), analytics: flag('analytics_data'), barcodes: flag('barcodes'), legal: flag('legal_info') };
}

interface Window {
  since: { text: string; ms: number };
  to: { text: string; ms: number };
}

function windowOf(filter: Json, maxMs: number | null): Window {
  const since = timeAt(filter, 'since', 'filter.since');
  const to = timeAt(filter, 'to', 'filter.to');
  if (since.ms > to.ms) throw new BadRequest('filter.since: must not be after filter.to');
  if (maxMs !== null && to.ms - since.ms > maxMs) throw new BadRequest('filter: the period from since to to must not exceed one year');
  return { since, to };
}

function postingNumberOf(body: Json): string {
  const value = body['posting_number'];
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest('posting_number: value is required');
  return value;
}

type SortField = 'in_process_at' | 'created_at';
type SortKey = [number, string];

function sortKey(posting: FakePosting, field: SortField): SortKey {
  const ms = Date.parse(posting[field]);
  return [Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms, posting.posting_number];
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

interface CursorState {
  key: SortKey;
  filter: string;
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ t: state.key[0], n: state.key[1], h: state.filter })).toString('base64url');
}

function decodeCursor(cursor: string): CursorState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('cursor: invalid value');
  }
  if (!isRecord(parsed) || typeof parsed['t'] !== 'number' || typeof parsed['n'] !== 'string' || typeof parsed['h'] !== 'string') {
    throw new BadRequest('cursor: invalid value');
  }
  return { key: [parsed['t'], parsed['n']], filter: parsed['h'] };
}

function filterHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

interface Style {
  /** v4's money objects instead of v3's plain values. */
  money: boolean;
  services: boolean;
}

function services(stored: Record<string, number> | undefined): Record<string, number> {
  return { ...Object.fromEntries(legacyServiceKeys.map((key) => [key, 0])), ...stored };
}

function money(amount: string | number, currency: string): { amount: string; currency: string } {
  return { amount: typeof amount === 'number' ? amount.toFixed(2) : amount, currency };
}

function renderFinancial(posting: FakePosting, style: Style): Json {
  const finance = posting.financial_data;
  const products = finance.products.map((line): Json => {
    const { item_services: itemServices, ...plain } = line;
    const extra = style.services ? { item_services: services(itemServices) } : {};
    if (!style.money) return { ...plain, ...extra };
    return {
      product_id: line.product_id,
      price: line.price,
      old_price: line.old_price,
      payout: line.payout,
      commission: { amount: line.commission_amount, currency: line.commissions_currency_code, percent: line.commission_percent },
      customer_price: money(line.price, line.currency_code),
      quantity: line.quantity,
      total_discount_value: line.total_discount_value,
      total_discount_percent: line.total_discount_percent,
      actions: line.actions,
      ...extra,
    };
  });
  return {
    cluster_from: finance.cluster_from,
    cluster_to: finance.cluster_to,
    products,
    ...(style.services ? { posting_services: services(finance.posting_services) } : {}),
  };
}

function renderFbsProducts(posting: FakePosting, style: Style): Json[] {
  return posting.products.map((p) => ({
    name: p.name,
    offer_id: p.offer_id,
    sku: p.sku,
    quantity: p.quantity,
    ...(style.money ? { price: money(p.price, p.currency_code) } : { price: p.price, currency_code: p.currency_code }),
    is_blr_traceable: false,
    is_marketplace_buyout: false,
  }));
}

function renderFbsAnalytics(a: FakeAnalytics): Json {
  return {
    city: a.city,
    region: a.region,
    delivery_type: a.delivery_type,
    is_premium: a.is_premium ?? false,
    payment_type_group_name: a.payment_type_group_name ?? '',
    warehouse_id: a.warehouse_id ?? 0,
    warehouse: a.warehouse,
    tpl_provider: a.tpl_provider ?? '',
    tpl_provider_id: a.tpl_provider_id ?? 0,
    delivery_date_begin: a.delivery_date_begin ?? '',
    delivery_date_end: a.delivery_date_end ?? '',
    is_legal: a.is_legal ?? false,
  };
}

function cancellation(posting: FakePosting): Json {
  const cancelled = posting.status === 'cancelled';
  return {
    cancel_reason_id: cancelled ? 352 : 0,
    cancel_reason: cancelled ? 'Покупатель отменил заказ' : '',
    cancellation_type: cancelled ? 'client' : '',
    cancelled_after_ship: false,
    affect_cancellation_rating: false,
    cancellation_initiator: cancelled ? 'Покупатель' : '',
  };
}

const shippedStatuses = new Set(['delivering', 'driver_pickup', 'delivered', 'arbitration', 'client_arbitration']);

function renderFbs(posting: FakePosting, include: Include, style: Style): Json {
  const a = posting.analytics_data;
  return {
    posting_number: posting.posting_number,
    order_id: posting.order_id,
    order_number: posting.order_number,
    parent_posting_number: '',
    status: posting.status,
    substatus: posting.substatus ?? substatuses[posting.status] ?? '',
    tpl_integration_type: 'ozon',
    tracking_number: '',
    in_process_at: posting.in_process_at,
    shipment_date: posting.shipment_date,
    delivering_date: shippedStatuses.has(posting.status) ? posting.shipment_date : '',
    products: renderFbsProducts(posting, style),
    financial_data: include.financial ? renderFinancial(posting, style) : null,
    analytics_data: include.analytics ? renderFbsAnalytics(a) : null,
    barcodes: include.barcodes ? { upper_barcode: `%101%${posting.order_id}`, lower_barcode: posting.posting_number.replaceAll('-', '') } : null,
    cancellation: cancellation(posting),
    customer: posting.customer,
    addressee: posting.addressee,
    delivery_method: {
      id: 1_020_000_098_765_000,
      name: `Ozon Логистика, ${a.warehouse}`,
      warehouse_id: a.warehouse_id ?? 0,
      warehouse: a.warehouse,
      tpl_provider: a.tpl_provider ?? '',
      tpl_provider_id: a.tpl_provider_id ?? 0,
    },
    is_express: false,
    is_multibox: false,
    multi_box_qty: 1,
    requirements: { products_requiring_gtd: [], products_requiring_country: [], products_requiring_mandatory_mark: [], products_requiring_rnpt: [] },
    available_actions: [],
    tariffication: [],
    legal_info: include.legal ? { company_name: '', inn: '', kpp: '' } : null,
  };
}

function renderFbo(posting: FakePosting, include: Include, style: Style): Json {
  const a = posting.analytics_data;
  return {
    order_id: posting.order_id,
    order_number: posting.order_number,
    posting_number: posting.posting_number,
    status: posting.status,
    cancel_reason_id: posting.status === 'cancelled' ? 352 : 0,
    created_at: posting.created_at,
    in_process_at: posting.in_process_at,
    products: posting.products.map((p) => ({
      sku: p.sku,
      name: p.name,
      quantity: p.quantity,
      offer_id: p.offer_id,
      price: p.price,
      digital_codes: [],
      currency_code: p.currency_code,
    })),
    analytics_data: include.analytics
      ? {
          city: a.city,
          delivery_type: a.delivery_type,
          is_premium: a.is_premium ?? false,
          payment_type_group_name: a.payment_type_group_name ?? '',
          warehouse_id: a.warehouse_id ?? 0,
          warehouse_name: a.warehouse,
          is_legal: a.is_legal ?? false,
          client_delivery_date_begin: a.delivery_date_begin ?? '',
          client_delivery_date_end: a.delivery_date_end ?? '',
        }
      : null,
    financial_data: include.financial ? renderFinancial(posting, { ...style, money: false }) : null,
    additional_data: [],
    legal_info: include.legal ? { company_name: '', inn: '', kpp: '' } : null,
  };
}

export async function startOzonFake(options: OzonFakeOptions = {}): Promise<OzonFake> {
  const clientId = options.clientId ?? String(randomInt(100_000, 9_999_999));
  const apiKey = options.apiKey ?? randomUUID();
  const ratePerSecond = options.ratePerSecond ?? 50;
  const style: Style = { money: options.v4Money ?? true, services: options.legacyServices ?? false };
  const now = options.now ?? Date.now;

  const postings = new Map<string, FakePosting>();
  const requests: RecordedRequest[] = [];
  const faults = new FaultPlan<OzonFault, FaultRequest>();
  const granted: number[] = [];
  const delays = new Delays();

  function authFailure(headers: IncomingHttpHeaders): Answer | undefined {
    const id = headers['client-id'];
    const key = headers['api-key'];
    if (typeof id !== 'string' || id.trim() === '' || typeof key !== 'string' || key.trim() === '') {
      return rpc(401, 16, 'Client-Id and Api-Key headers are required');
    }
    if (id.trim() !== clientId || key.trim() !== apiKey) return rpc(403, 7, 'Invalid Api-Key, please contact support');
    return undefined;
  }

  /** Sliding one-second log of the requests let through. */
  function spendRate(): Answer | undefined {
    const at = now();
    while (granted.length > 0 && (granted[0] ?? 0) <= at - 1000) granted.shift();
    if (granted.length >= ratePerSecond) return rpc(429, 8, rateLimitMessage);
    granted.push(at);
    return undefined;
  }

  function select(scheme: OzonScheme, field: SortField, window: Window, statuses: string[] | null, dir: Direction): FakePosting[] {
    const found = [...postings.values()].filter((p) => {
      if (p.scheme !== scheme) return false;
      if (statuses !== null && !statuses.includes(p.status)) return false;
      const ms = Date.parse(p[field]);
      return !Number.isNaN(ms) && ms >= window.since.ms && ms <= window.to.ms;
    });
    const sign = dir === 'ASC' ? 1 : -1;
    return found.sort((a, b) => sign * compareKeys(sortKey(a, field), sortKey(b, field)));
  }

  function listFbsV4(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, maxPeriodMs);
    const statuses = statusesAt(filter);
    const limit = limitOf(body);
    const dir = directionAt(body, 'sort_dir');
    const include = includeOf(body);
    const cursorIn = body['cursor'];
    if (cursorIn !== undefined && cursorIn !== null && typeof cursorIn !== 'string') throw new BadRequest('cursor: expected a string');
    const hash = filterHash([window.since.text, window.to.text, statuses === null ? null : [...statuses].sort(), dir]);

    const found = select('fbs', 'in_process_at', window, statuses, dir);
    let start = 0;
    if (typeof cursorIn === 'string' && cursorIn !== '') {
      const cursor = decodeCursor(cursorIn);
      if (cursor.filter !== hash) throw new BadRequest('cursor: it was issued for another filter or sort_dir; start again with an empty cursor');
      const sign = dir === 'ASC' ? 1 : -1;
      const next = found.findIndex((p) => sign * compareKeys(sortKey(p, 'in_process_at'), cursor.key) > 0);
      start = next === -1 ? found.length : next;
    }
    const page = found.slice(start, start + limit);
    const hasNext = start + limit < found.length;
    const last = page.at(-1);
    return json(200, {
      cursor: hasNext && last !== undefined ? encodeCursor({ key: sortKey(last, 'in_process_at'), filter: hash }) : '',
      has_next: hasNext,
      postings: page.map((p) => renderFbs(p, include, style)),
    });
  }

  function listFbsV3(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, maxPeriodMs);
    const statuses = statusAt(filter);
    const limit = limitOf(body);
    const offset = offsetOf(body, true, Number.MAX_SAFE_INTEGER);
    const include = includeOf(body);
    const found = select('fbs', 'in_process_at', window, statuses, directionAt(body, 'dir'));
    const page = found.slice(offset, offset + limit);
    const plain = { ...style, money: false };
    return json(200, { result: { has_next: offset + limit < found.length, postings: page.map((p) => renderFbs(p, include, plain)) } });
  }

  function listFbo(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, null);
    const statuses = statusAt(filter);
    const limit = limitOf(body);
    const offset = offsetOf(body, false, fboMaxOffset);
    const include = includeOf(body);
    const found = select('fbo', 'created_at', window, statuses, directionAt(body, 'dir'));
    return json(200, { result: found.slice(offset, offset + limit).map((p) => renderFbo(p, include, style)) });
  }

  function getPosting(scheme: OzonScheme, body: Json): Answer {
    const number = postingNumberOf(body);
    const include = includeOf(body);
    const posting = postings.get(number);
    if (posting === undefined || posting.scheme !== scheme) throw new NotFound('Posting not found');
    const result = scheme === 'fbs' ? renderFbs(posting, include, { ...style, money: false }) : renderFbo(posting, include, style);
    return json(200, { result });
  }

  const routes = new Map<string, (body: Json) => Answer>([
    [ozonPaths.fbsListV4, listFbsV4],
    [ozonPaths.fbsListV3, listFbsV3],
    [ozonPaths.fboList, listFbo],
    [ozonPaths.fbsGet, (body) => getPosting('fbs', body)],
    [ozonPaths.fboGet, (body) => getPosting('fbo', body)],
  ]);

  function answerRequest(method: string, path: string, headers: IncomingHttpHeaders, rawBody: string): Answer {
    const refused = authFailure(headers) ?? spendRate();
    if (refused !== undefined) return refused;
    const handler = routes.get(path);
    if (handler === undefined) return rpc(404, 5, 'Not Found');
    if (method !== 'POST') return rpc(405, 12, 'Method Not Allowed', { Allow: 'POST' });
    let body: unknown;
    try {
      body = rawBody.trim() === '' ? {} : JSON.parse(rawBody);
    } catch (err) {
      return rpc(400, 3, `proto: syntax error: the request body is not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!isRecord(body)) return rpc(400, 3, 'proto: syntax error: the request body must be a JSON object');
    try {
      return handler(body);
    } catch (err) {
      if (err instanceof BadRequest) return rpc(400, 3, err.message);
      if (err instanceof NotFound) return rpc(404, 5, err.message);
      return rpc(500, 13, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake.invalid').pathname;
    const rawBody = raw.toString('utf8');
    const body = jsonOrText(raw, rawBody);
    const record: RecordedRequest = { method, path, headers: req.headers, body, status: null };
    requests.push(record);

    answerUnder(faults.take({ method, path, body }), { req, res, record }, {
      answer: () => answerRequest(method, path, req.headers, rawBody),
      status: (status) =>
        status === 429 ? rpc(429, 8, rateLimitMessage) : status === 500 ? rpc(500, 13, 'internal error') : errorPage(status, nginxReason(status)),
      garbage: { status: 200, body: garbageBody, headers: { 'Content-Type': jsonType } },
      delays,
    });
  }

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => handle(req, res, raw));
  });
  const url = await listen(server);

  function addMany(list: FakePosting[]): void {
    for (const posting of list) {
      if (postings.has(posting.posting_number)) throw new Error(`Ozon fake: posting ${posting.posting_number} was added twice`);
      postings.set(posting.posting_number, posting);
    }
  }

  return {
    url,
    clientId,
    apiKey,
    requests,
    add(...list) {
      addMany(list);
    },
    addMany,
    posting(postingNumber) {
      return postings.get(postingNumber);
    },
    setStatus(postingNumber, status) {
      const posting = postings.get(postingNumber);
      if (posting === undefined) throw new Error(`Ozon fake: no posting ${postingNumber}`);
      posting.status = status;
      delete posting.substatus;
    },
    inject: faults.inject,
    clearFaults: faults.clear,
    count(pathSuffix) {
      return requests.filter((r) => r.status !== null && (pathSuffix === undefined || r.path.endsWith(pathSuffix))).length;
    },
    close() {
      delays.cancelAll();
      return closeServer(server);
    },
  };
}
