/**
 * An Ozon Seller API account over real HTTP, for tests of our client and of the posting import.
 *
 * Source: Ozon's own OpenAPI document "Документация Ozon Seller API" 2.1 (public repository MissiaL/ozon-api,
 * references/ozon-seller-openapi.json; the copy read is /work/refs/ozon-seller-openapi.json). Per contract point:
 * - every method is a POST with a JSON body and the `Client-Id` and `Api-Key` headers
 *   (components.parameters Client-Id / Api-Key, referenced by every path);
 * - errors are `rpcStatus` / `googlerpcStatus` `{code, message, details: []}` (components.schemas.rpcStatus, the
 *   400/403/404/409/500 responses of the posting methods, the `default` response of the accrual methods); the
 *   messages "Invalid Api-Key, please check the key and try again", "You have reached request rate limit per
 *   second" (at most 50 requests a second per Client-Id) and "method is not allowed" (the method does not exist)
 *   are the texts of tag "Errors" (Частые ошибки), section "Все методы";
 * - `POST /v4/posting/fbs/list` (operationId PostingFbsList): `posting.v4.PostingFbsListRequest`, `filter` and
 *   `limit` required, `filter.since`/`filter.to` required, `limit` minimum 1 maximum 100, `cursor`, `sort_dir`
 *   ASC|DESC, `filter.statuses[]`, `with.*`; the period at most one year (the method's description); the answer
 *   `posting.v4.PostingFbsListResponse` `{cursor, has_next, postings}` unwrapped, products' `price` and the
 *   financial `customer_price` as `money.postingMoney {amount: string, currency}`, the financial `commission`
 *   `{amount: number, currency, percent}`, `addressee {name}`;
 * - `POST /v3/posting/fbo/list` (operationId PostingFboList): `posting.v3.PostingFboListRequest`, `limit`
 *   minimum 1 maximum 100, `cursor`, `sort_dir`, `filter {since, to, statuses[], posting_numbers[] (≤ 1000),
 *   order_numbers[] (≤ 1000)}`, nothing required; a period over a year is `PERIOD_IS_TOO_LONG` (description);
 *   the answer `posting.v3.PostingFboListResponse` `{cursor, has_next, postings}` with `price` as
 *   `money.postingMoney`, the financial `commission {amount, currency, percent}` and no financial `quantity`;
 * - `POST /v3/posting/fbs/list` and `POST /v2/posting/fbo/list` are `deprecated: true` with "С 1 июня 2026 года
 *   метод будет отключён" (changelog tag "News", 30 April 2026): switched off, they answer 404 "method is not
 *   allowed" unless the fake is started with `legacyLists` (an account that still answers them); then they are
 *   `postingv3GetFbsPostingListRequest` / `postingGetFboPostingListRequest`: `limit` 1..1000, `offset` (FBO at
 *   most 20000), `{result: {has_next, postings}}` / `{result: [...]}`, prices as decimal strings;
 * - `POST /v3/posting/fbs/get` (`postingv3GetFbsPostingRequest`, `posting_number` required) and
 *   `POST /v2/posting/fbo/get` (`postingGetFboPostingRequest`) answer `{result}` in the v3 / v2 shape;
 * - `financial_data.posting_services` / `financial_data.products.item_services` are in no answer: Ozon removed them
 *   from every posting method on 11 April 2025 (changelog tag "News", "11 апреля 2025");
 * - `POST /v1/finance/accrual/postings` (GetFinanceAccrualPostings, beta): `posting_numbers` required, 1..200
 *   items; the answer `{posting_accruals: [{posting_number, accruals: [{accrual_date "YYYY-MM-DD", accrued
 *   {amount: string, may be negative, currency}, quantity (nullable), seller_price {amount, currency} (nullable,
 *   negative for the sale commission), sku (nullable), type_id}]}]}`;
 * - `POST /v1/finance/accrual/types` (GetFinanceAccrualTypes, beta, no request body declared):
 *   `{accrual_types: [{id, name, description}]}`;
 * - times are RFC 3339 UTC with `Z`, with or without fractional seconds (the methods' examples).
 *
 * Our assumptions, where the document is silent:
 * - no credential header → 401 code 16 "Client-Id and Api-Key headers are required" (third-party client fixtures);
 *   a wrong Client-Id or Api-Key → 403 code 7; the rate-limit refusal is 429 code 8 with no `Retry-After`, the
 *   limit a sliding one-second log of the requests let through (a refused one does not count);
 * - the order of checks: injected fault, credentials, rate limit, path (404 code 5), verb (405 code 12), JSON
 *   (400 code 3), then the method's validation: 400 code 3 whose message names the field (a `limit` over the
 *   maximum: "limit: value must be inside range [1, 100], got 1000"), `PERIOD_IS_TOO_LONG` as that message with
 *   code 3; a missing `limit` is protobuf's 0, out of range; integers as numbers or integer strings; unknown
 *   fields and the filters not modelled here (`order_id`, `warehouse_ids`, `last_changed_status_date`, …)
 *   are accepted and ignored; `since`/`to` must end in `Z`; `since` after `to` is refused; on v3 FBO
 *   `since` and `to` go together (both or neither; neither: no time bound);
 * - the cursors are opaque base64url of the last posting's sort key and a hash of the filter and sort direction:
 *   a later page is stable under inserts, a cursor sent with another filter is refused, and it is "" on the last
 *   page;
 * - FBS lists filter and sort on `in_process_at`, FBO lists on `created_at`, then `posting_number`;
 * - `with.financial_data` / `with.analytics_data` false or absent → `null`, as are `barcodes` and
 *   `legal_info` unless asked; `substatus` follows the status unless the posting sets one;
 * - a posting of the other scheme is as unknown to a get as a missing one: 404 code 5 "Posting not found";
 * - accruals: numbers the account does not have are left out of `posting_accruals`; a known posting without
 *   accruals yet is listed with `accruals: []`; the type dictionary (ids and names below) is ours, Ozon's ids are
 *   not published in the document;
 * - a posting the fake cannot render (a test broke it on purpose beyond JSON) → 500 code 13.
 *
 * Injected faults stand for what is in front of the application (a proxy, the network, a crash): they are
 * decided when a request arrives, before authentication; one fault at most per request.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerUnder, FaultPlan, type CommonFault, type FaultOptions as SharedFaultOptions } from '../shared/faults.js';
import { closeServer, Delays, errorPage, jsonOrText, listen, nginxReason, readBody, type Answer, type RecordedRequestBase } from '../shared/http.js';

export type OzonScheme = 'fbs' | 'fbo';

export const ozonPaths = {
  fbsListV4: '/v4/posting/fbs/list',
  fboListV3: '/v3/posting/fbo/list',
  fbsListV3: '/v3/posting/fbs/list',
  fboListV2: '/v2/posting/fbo/list',
  fbsGet: '/v3/posting/fbs/get',
  fboGet: '/v2/posting/fbo/get',
  accrualPostings: '/v1/finance/accrual/postings',
  accrualTypes: '/v1/finance/accrual/types',
} as const;

/** Accrual types of this account (ours: the document publishes no list). */
export const accrualTypes = [
  { id: 1, name: 'Выручка', description: 'Выручка от продажи товара покупателю' },
  { id: 2, name: 'Вознаграждение за продажу', description: 'Комиссия Ozon за продажу товара' },
  { id: 10, name: 'Обработка отправления', description: 'Обработка отправления в пункте приёма' },
  { id: 11, name: 'Логистика', description: 'Доставка товара со склада до места выдачи' },
  { id: 12, name: 'Последняя миля', description: 'Доставка товара покупателю' },
  { id: 13, name: 'Эквайринг', description: 'Оплата эквайринга' },
  { id: 14, name: 'Обратная логистика', description: 'Возврат товара продавцу' },
] as const;

export const accrualTypeIds = { revenue: 1, saleCommission: 2, processing: 10, logistics: 11, lastMile: 12, acquiring: 13, returnLogistics: 14 } as const;

export interface FakeProduct {
  sku: number;
  offer_id: string;
  name: string;
  quantity: number;
  /** Decimal string with kopecks ("1249.90"). */
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

/** One accrual on a posting, as `/v1/finance/accrual/postings` lists it. */
export interface FakeAccrual {
  type_id: number;
  /** Decimal text; negative when the seller is charged. */
  amount: string;
  /** "YYYY-MM-DD". */
  accrual_date: string;
  sku: number | null;
  quantity: number | null;
  /** Decimal text, for the sale lines (revenue, and the sale commission negative). */
  seller_price: string | null;
}

/** Stored once, the source of truth; every endpoint renders it in its own shape. */
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
    cluster_from: string;
    cluster_to: string;
  };
  analytics_data: FakeAnalytics;
  addressee: { name: string; phone: string } | null;
  customer: null;
  /** What Ozon has charged or paid for this posting so far, oldest first. */
  accruals: FakeAccrual[];
}

export type OzonFault = CommonFault;

export interface FaultRequest {
  method: string;
  path: string;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
}

export type FaultOptions = SharedFaultOptions<FaultRequest>;

export interface RecordedRequest extends RecordedRequestBase {
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface OzonFakeOptions {
  /** Random when absent (digits, as Ozon's are); exposed on the fake. */
  clientId?: string;
  /** Random UUID when absent, as Ozon's keys look; exposed on the fake. */
  apiKey?: string;
  /** Requests a second for the account, all methods together; default 50. */
  ratePerSecond?: number;
  /** Default false: `/v3/posting/fbs/list` and `/v2/posting/fbo/list` are switched off, as on Ozon today. */
  legacyLists?: boolean;
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
  /** Ozon books a charge (or a payment) on a posting, as it does over the posting's life. */
  addAccrual(postingNumber: string, accrual: FakeAccrual): void;
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
const noSuchMethod = 'method is not allowed';
const maxPeriodMs = 366 * 86_400_000;
const fboMaxOffset = 20_000;
/** `maximum` of `limit` in the current lists; the switched-off ones allowed 1000. */
const currentMaxLimit = 100;
const legacyMaxLimit = 1000;
const maxAccrualNumbers = 200;
const maxFboNumbers = 1000;

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(value), headers: { 'Content-Type': jsonType, ...headers } };
}

function rpc(status: number, code: number, message: string, headers: Record<string, string> = {}): Answer {
  return json(status, { code, message, details: [] }, headers);
}

/** What a proxy that cut the connection mid-answer leaves: a 200 with half a JSON document. */
const garbageBody = '{"cursor":"eyJ0Ijox","has_next":true,"postings":[{"posting_number":"4863';

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

interface Moment {
  text: string;
  ms: number;
}

function optionalTimeAt(filter: Json, key: 'since' | 'to', field: string): Moment | null {
  const value = filter[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !rfc3339Utc.test(value) || Number.isNaN(Date.parse(value))) {
    throw new BadRequest(`${field}: expected an RFC 3339 UTC time such as "2026-11-20T10:15:30Z", got ${JSON.stringify(value)}`);
  }
  return { text: value, ms: Date.parse(value) };
}

function timeAt(filter: Json, key: 'since' | 'to', field: string): Moment {
  const found = optionalTimeAt(filter, key, field);
  if (found === null) throw new BadRequest(`${field}: value is required`);
  return found;
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

/** A missing `limit` is protobuf's 0, which is out of range like any other. */
function limitOf(body: Json, max: number): number {
  const limit = integerAt(body, 'limit', false) ?? 0;
  if (limit < 1 || limit > max) throw new BadRequest(`limit: value must be inside range [1, ${max}], got ${limit}`);
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

function stringsAt(parent: Json, key: string, field: string, max: number | null): string[] | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string')) {
    throw new BadRequest(`${field}: expected an array of strings, got ${JSON.stringify(value)}`);
  }
  if (max !== null && value.length > max) throw new BadRequest(`${field}: at most ${max} items, got ${value.length}`);
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
  since: Moment;
  to: Moment;
}

function checkPeriod(since: Moment, to: Moment, maxMs: number | null): void {
  if (since.ms > to.ms) throw new BadRequest('filter.since: must not be after filter.to');
  if (maxMs !== null && to.ms - since.ms > maxMs) throw new BadRequest('PERIOD_IS_TOO_LONG');
}

function windowOf(filter: Json, maxMs: number | null): Window {
  const since = timeAt(filter, 'since', 'filter.since');
  const to = timeAt(filter, 'to', 'filter.to');
  checkPeriod(since, to, maxMs);
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

function money(amount: string | number, currency: string): { amount: string; currency: string } {
  return { amount: typeof amount === 'number' ? amount.toFixed(2) : amount, currency };
}

/** v4 FBS and v3 FBO: the commission as an object, the customer's price as money (FBO without it). */
function renderFinancial(posting: FakePosting, shape: 'v4' | 'v3fbo' | 'plain'): Json {
  const finance = posting.financial_data;
  const products = finance.products.map((line): Json => {
    if (shape === 'plain') return { ...line };
    const common: Json = {
      actions: line.actions,
      commission: { amount: line.commission_amount, currency: line.commissions_currency_code, percent: line.commission_percent },
      old_price: line.old_price,
      payout: line.payout,
      price: line.price,
      product_id: line.product_id,
      total_discount_percent: line.total_discount_percent,
      total_discount_value: line.total_discount_value,
    };
    return shape === 'v4' ? { ...common, customer_price: money(line.price, line.currency_code), quantity: line.quantity } : common;
  });
  return { cluster_from: finance.cluster_from, cluster_to: finance.cluster_to, products };
}

function renderFbsProducts(posting: FakePosting, moneyObjects: boolean): Json[] {
  return posting.products.map((p) => ({
    name: p.name,
    offer_id: p.offer_id,
    sku: p.sku,
    quantity: p.quantity,
    ...(moneyObjects ? { price: money(p.price, p.currency_code), imei: [] } : { price: p.price, currency_code: p.currency_code }),
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

/** The FBS posting of v4's list (`shape` v4) or of v3's list and get (`plain`). */
function renderFbs(posting: FakePosting, include: Include, shape: 'v4' | 'plain'): Json {
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
    products: renderFbsProducts(posting, shape === 'v4'),
    financial_data: include.financial ? renderFinancial(posting, shape) : null,
    analytics_data: include.analytics ? renderFbsAnalytics(a) : null,
    barcodes: include.barcodes ? { upper_barcode: `%101%${posting.order_id}`, lower_barcode: posting.posting_number.replaceAll('-', '') } : null,
    cancellation: cancellation(posting),
    customer: posting.customer,
    addressee: posting.addressee === null ? null : shape === 'v4' ? { name: posting.addressee.name } : posting.addressee,
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
    legal_info: include.legal ? { company_name: '', inn: '', kpp: '' } : null,
    ...(shape === 'v4' ? { delivery_schema: 'fbs', is_presortable: false, external_order: { is_external: false, platform_name: '' } } : { tariffication: [] }),
  };
}

function fboAnalytics(a: FakeAnalytics): Json {
  return {
    city: a.city,
    delivery_type: a.delivery_type,
    is_premium: a.is_premium ?? false,
    payment_type_group_name: a.payment_type_group_name ?? '',
    warehouse_id: a.warehouse_id ?? 0,
    warehouse_name: a.warehouse,
    is_legal: a.is_legal ?? false,
    client_delivery_date_begin: a.delivery_date_begin ?? null,
    client_delivery_date_end: a.delivery_date_end ?? null,
  };
}

/** The FBO posting of v3's list: money objects, a cancellation object, no currency codes on products. */
function renderFboV3(posting: FakePosting, include: Include): Json {
  const cancelled = posting.status === 'cancelled';
  return {
    posting_number: posting.posting_number,
    order_id: posting.order_id,
    order_number: posting.order_number,
    status: posting.status,
    substatus: posting.substatus ?? substatuses[posting.status] ?? '',
    cancellation: cancelled ? { cancel_reason: 'Покупатель отменил заказ', cancellation_initiator: 'Покупатель', cancellation_type: 'client' } : null,
    products: posting.products.map((p) => ({
      is_marketplace_buyout: false,
      offer_id: p.offer_id,
      name: p.name,
      sku: p.sku,
      quantity: p.quantity,
      price: money(p.price, p.currency_code),
      digital_codes: [],
    })),
    analytics_data: include.analytics ? fboAnalytics(posting.analytics_data) : null,
    financial_data: include.financial ? renderFinancial(posting, 'v3fbo') : null,
    legal_info: include.legal ? { company_name: '', inn: '', kpp: '' } : null,
    external_order: { is_external: false, platform_name: '' },
    cancel_reason_id: cancelled ? 352 : 0,
    created_at: posting.created_at,
    in_process_at: posting.in_process_at,
    additional_data: [],
  };
}

/** The FBO posting of v2's list and get: prices as decimal strings, the financial lines flat. */
function renderFboV2(posting: FakePosting, include: Include): Json {
  return {
    order_id: posting.order_id,
    order_number: posting.order_number,
    posting_number: posting.posting_number,
    status: posting.status,
    substatus: posting.substatus ?? substatuses[posting.status] ?? '',
    cancel_reason_id: posting.status === 'cancelled' ? 352 : 0,
    created_at: posting.created_at,
    in_process_at: posting.in_process_at,
    products: posting.products.map((p) => ({
      sku: p.sku,
      name: p.name,
      quantity: p.quantity,
      offer_id: p.offer_id,
      price: p.price,
      is_marketplace_buyout: false,
      digital_codes: [],
      currency_code: p.currency_code,
    })),
    analytics_data: include.analytics ? fboAnalytics(posting.analytics_data) : null,
    financial_data: include.financial ? renderFinancial(posting, 'plain') : null,
    additional_data: [],
    legal_info: include.legal ? { company_name: '', inn: '', kpp: '' } : null,
  };
}

function renderAccrual(accrual: FakeAccrual, currency: string): Json {
  return {
    accrual_date: accrual.accrual_date,
    accrued: { amount: accrual.amount, currency },
    quantity: accrual.quantity,
    seller_price: accrual.seller_price === null ? null : { amount: accrual.seller_price, currency },
    sku: accrual.sku,
    type_id: accrual.type_id,
  };
}

export async function startOzonFake(options: OzonFakeOptions = {}): Promise<OzonFake> {
  const clientId = options.clientId ?? String(randomInt(100_000, 9_999_999));
  const apiKey = options.apiKey ?? randomUUID();
  const ratePerSecond = options.ratePerSecond ?? 50;
  const legacyLists = options.legacyLists ?? false;
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
    if (id.trim() !== clientId || key.trim() !== apiKey) return rpc(403, 7, 'Invalid Api-Key, please check the key and try again');
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

  function select(scheme: OzonScheme, field: SortField, window: Window | null, statuses: string[] | null, dir: Direction, numbers: Set<string> | null = null): FakePosting[] {
    const found = [...postings.values()].filter((p) => {
      if (p.scheme !== scheme) return false;
      if (statuses !== null && !statuses.includes(p.status)) return false;
      if (numbers !== null && !numbers.has(p.posting_number) && !numbers.has(`order:${p.order_number}`)) return false;
      if (window === null) return true;
      const ms = Date.parse(p[field]);
      return !Number.isNaN(ms) && ms >= window.since.ms && ms <= window.to.ms;
    });
    const sign = dir === 'ASC' ? 1 : -1;
    return found.sort((a, b) => sign * compareKeys(sortKey(a, field), sortKey(b, field)));
  }

  /** One page after `cursor` (opaque, bound to `hash`), and the cursor for the next one. */
  function cursorPage(found: FakePosting[], field: SortField, body: Json, hash: string, dir: Direction, limit: number): { page: FakePosting[]; cursor: string; hasNext: boolean } {
    const cursorIn = body['cursor'];
    if (cursorIn !== undefined && cursorIn !== null && typeof cursorIn !== 'string') throw new BadRequest('cursor: expected a string');
    let start = 0;
    if (typeof cursorIn === 'string' && cursorIn !== '') {
      const cursor = decodeCursor(cursorIn);
      if (cursor.filter !== hash) throw new BadRequest('cursor: it was issued for another filter or sort_dir; start again with an empty cursor');
      const sign = dir === 'ASC' ? 1 : -1;
      const next = found.findIndex((p) => sign * compareKeys(sortKey(p, field), cursor.key) > 0);
      start = next === -1 ? found.length : next;
    }
    const page = found.slice(start, start + limit);
    const hasNext = start + limit < found.length;
    const last = page.at(-1);
    return { page, hasNext, cursor: hasNext && last !== undefined ? encodeCursor({ key: sortKey(last, field), filter: hash }) : '' };
  }

  function listFbsV4(body: Json): Answer {
    if (!isRecord(body['filter'])) throw new BadRequest('filter: value is required');
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, maxPeriodMs);
    const statuses = stringsAt(filter, 'statuses', 'filter.statuses', null);
    const orders = stringsAt(filter, 'order_numbers', 'filter.order_numbers', 100);
    const limit = limitOf(body, currentMaxLimit);
    const dir = directionAt(body, 'sort_dir');
    const include = includeOf(body);
    const hash = filterHash(['fbs', window.since.text, window.to.text, statuses === null ? null : [...statuses].sort(), orders === null ? null : [...orders].sort(), dir]);
    const numbers = orders === null ? null : new Set(orders.map((o) => `order:${o}`));
    const found = select('fbs', 'in_process_at', window, statuses, dir, numbers);
    const { page, cursor, hasNext } = cursorPage(found, 'in_process_at', body, hash, dir, limit);
    return json(200, { cursor, has_next: hasNext, postings: page.map((p) => renderFbs(p, include, 'v4')) });
  }

  function listFboV3(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const since = optionalTimeAt(filter, 'since', 'filter.since');
    const to = optionalTimeAt(filter, 'to', 'filter.to');
    if ((since === null) !== (to === null)) throw new BadRequest(`filter.${since === null ? 'since' : 'to'}: give filter.since and filter.to together`);
    const window = since !== null && to !== null ? { since, to } : null;
    if (window !== null) checkPeriod(window.since, window.to, maxPeriodMs);
    const statuses = stringsAt(filter, 'statuses', 'filter.statuses', null);
    const postingNumbers = stringsAt(filter, 'posting_numbers', 'filter.posting_numbers', maxFboNumbers);
    const orderNumbers = stringsAt(filter, 'order_numbers', 'filter.order_numbers', maxFboNumbers);
    const limit = limitOf(body, currentMaxLimit);
    const dir = directionAt(body, 'sort_dir');
    const include = includeOf(body);
    const wanted = postingNumbers === null && orderNumbers === null ? null : new Set([...(postingNumbers ?? []), ...(orderNumbers ?? []).map((o) => `order:${o}`)]);
    const hash = filterHash(['fbo', window?.since.text ?? null, window?.to.text ?? null, statuses === null ? null : [...statuses].sort(), wanted === null ? null : [...wanted].sort(), dir]);
    const found = select('fbo', 'created_at', window, statuses, dir, wanted);
    const { page, cursor, hasNext } = cursorPage(found, 'created_at', body, hash, dir, limit);
    return json(200, { cursor, has_next: hasNext, postings: page.map((p) => renderFboV3(p, include)) });
  }

  function listFbsV3(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, maxPeriodMs);
    const statuses = statusAt(filter);
    const limit = limitOf(body, legacyMaxLimit);
    const offset = offsetOf(body, true, Number.MAX_SAFE_INTEGER);
    const include = includeOf(body);
    const found = select('fbs', 'in_process_at', window, statuses, directionAt(body, 'dir'));
    const page = found.slice(offset, offset + limit);
    return json(200, { result: { has_next: offset + limit < found.length, postings: page.map((p) => renderFbs(p, include, 'plain')) } });
  }

  function listFboV2(body: Json): Answer {
    const filter = objectAt(body, 'filter', 'filter');
    const window = windowOf(filter, maxPeriodMs);
    const statuses = statusAt(filter);
    const limit = limitOf(body, legacyMaxLimit);
    const offset = offsetOf(body, false, fboMaxOffset);
    const include = includeOf(body);
    const found = select('fbo', 'created_at', window, statuses, directionAt(body, 'dir'));
    return json(200, { result: found.slice(offset, offset + limit).map((p) => renderFboV2(p, include)) });
  }

  function getPosting(scheme: OzonScheme, body: Json): Answer {
    const number = postingNumberOf(body);
    const include = includeOf(body);
    const posting = postings.get(number);
    if (posting === undefined || posting.scheme !== scheme) throw new NotFound('Posting not found');
    return json(200, { result: scheme === 'fbs' ? renderFbs(posting, include, 'plain') : renderFboV2(posting, include) });
  }

  function accrualsOf(body: Json): Answer {
    const numbers = stringsAt(body, 'posting_numbers', 'posting_numbers', null);
    if (numbers === null) throw new BadRequest('posting_numbers: value is required');
    if (numbers.length > maxAccrualNumbers) throw new BadRequest(`posting_numbers: at most ${maxAccrualNumbers} items, got ${numbers.length}`);
    const postingAccruals: Json[] = [];
    for (const number of new Set(numbers)) {
      const posting = postings.get(number);
      if (posting === undefined) continue;
      const currency = posting.products[0]?.currency_code ?? 'RUB';
      postingAccruals.push({ posting_number: number, accruals: posting.accruals.map((a) => renderAccrual(a, currency)) });
    }
    return json(200, { posting_accruals: postingAccruals });
  }

  const routes = new Map<string, (body: Json) => Answer>([
    [ozonPaths.fbsListV4, listFbsV4],
    [ozonPaths.fboListV3, listFboV3],
    [ozonPaths.fbsGet, (body) => getPosting('fbs', body)],
    [ozonPaths.fboGet, (body) => getPosting('fbo', body)],
    [ozonPaths.accrualPostings, accrualsOf],
    [ozonPaths.accrualTypes, () => json(200, { accrual_types: accrualTypes })],
  ]);
  if (legacyLists) {
    routes.set(ozonPaths.fbsListV3, listFbsV3);
    routes.set(ozonPaths.fboListV2, listFboV2);
  }

  function answerRequest(method: string, path: string, headers: IncomingHttpHeaders, rawBody: string): Answer {
    const refused = authFailure(headers) ?? spendRate();
    if (refused !== undefined) return refused;
    const handler = routes.get(path);
    if (handler === undefined) return rpc(404, 5, noSuchMethod);
    if (method !== 'POST') return rpc(405, 12, noSuchMethod, { Allow: 'POST' });
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
        status === 429 ? rpc(429, 8, rateLimitMessage) : status === 500 ? rpc(500, 13, 'Internal error') : errorPage(status, nginxReason(status)),
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

  function stored(postingNumber: string): FakePosting {
    const posting = postings.get(postingNumber);
    if (posting === undefined) throw new Error(`Ozon fake: no posting ${postingNumber}`);
    return posting;
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
      const posting = stored(postingNumber);
      posting.status = status;
      delete posting.substatus;
    },
    addAccrual(postingNumber, accrual) {
      stored(postingNumber).accruals.push(accrual);
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
