/**
 * A MoySklad JSON API 1.2 account over real HTTP, for tests of our client and of the Ozon → MoySklad flow
 * (retail shift, retail demands with Ozon attributes).
 *
 * Source: MoySklad's documentation repository (moysklad/api-remap-1.2-doc, files under md/; commit 1bc738fe of
 * 2026-08-07) and its OpenAPI repository (moysklad/api-remap-1.2-openapi-specification). Per contract point:
 * - `Accept-Encoding` must name gzip, else 415 with no body, before anything else; answers are gzip
 *   (md/_general.md, "Сжатие содержимого ответов");
 * - `Authorization: Bearer <token>` or `Basic base64(login:password)`; `POST /security/token` (Basic) issues
 *   a new token and revokes the previous one; a bad credential is 401 code 1056 (md/_general.md,
 *   "Аутентификация", "Получение нового токена"; md/_errors.md);
 * - the budget: a sliding 3-s window of 45 units per user or solution; a solution token's request weighs 1, a
 *   user's (token or login and password) 2 from 2026-05-12, 3 from 2026-09-01 and 4 from 2026-12-01 by the
 *   fake's clock; at most 5 requests in parallel; over it, 429 code 1049 (budget) or 1073 (parallel)
 *   (md/_restrictions.md, "Лимиты и ограничения в JSON API", "Лимит запросов за 3-секундный период";
 *   md/_errors.md) with `X-Lognex-Retry-TimeInterval`, `X-Lognex-Retry-After`, `X-Lognex-Reset`,
 *   `X-RateLimit-Limit`, `X-RateLimit-Remaining` (md/_general.md, "Обработка ошибок"); every other answer
 *   carries the same five headers, `X-Lognex-Reset` and `X-Lognex-Retry-After` being 0 (the docs' curl transcript);
 * - at most 8 KB of request headers, the URL among them (md/_restrictions.md): longer is 414, "Превышена
 *   допустимая длина URL" (md/_general.md, "Возвращаемые HTTP статусы ошибок");
 * - errors `{"errors":[{error, code, parameter?, moreInfo}]}` with the catalogue's codes and texts
 *   (md/_general.md, "Обработка ошибок"; md/_errors.md):
 *   1000, 1002, 1005, 1014, 1021, 1027, 1030, 1034, 1035, 1037, 1039, 1040, 1042, 1047, 1049, 1052, 1056, 1060,
 *   1063, 1073, 1074, 1999, 2000, 2001, 2005, 2007, 2009, 2010, 2011, 2013, 2014, 2016, 2022, 2024, 2027, 2028,
 *   3000, 3001, 3002, 3003, 3006, 3007;
 * - meta `{href, metadataHref, type, mediaType, uuidHref}`; lists `{context, meta:{size, limit, offset,
 *   nextHref?, previousHref?}, rows}`, `limit` 1..1000 (default 1000), `expand` only when `limit` ≤ 100;
 *   `order=field,desc;field2` (md/_general.md, "Метаданные", "Сортировка объектов", "Замена ссылок объектами
 *   с помощью expand");
 * - the filter grammar (filter.ts; md/_general.md, "Фильтрация выборки с помощью параметра filter");
 * - dates as Moscow-time text "YYYY-MM-DD HH:mm:ss.SSS"; `moment` set and shown to the minute, seconds and
 *   milliseconds 00 (md/_general.md, "Формат даты и времени"); money in kopecks as JSON numbers for the
 *   built-in prices and sums, custom double attributes as the number given (md/documents/_retaildemand.md,
 *   price and sum «в копейках»; md/_general.md, "Работа с дополнительными полями": «Число дробное» → number);
 *   unset optional fields are left out of answers (md/_general.md, "Пустые поля");
 * - `retailshift`: `organization` and `retailStore` required, `store` from the retail store, `name` a
 *   five-digit sequence ("00001"), `moment` and `externalCode` generated; closed by PUT with `closeDate`
 *   (md/documents/_retailshift.md);
 * - `retaildemand`: only `retailShift` required, the shift must be open, and the sale's `moment` must be later
 *   than the shift's `moment`, else an error (md/documents/_retaildemand.md, "Создать Розничную продажу");
 *   `positions` inline on create and replaced as a whole on update, shown as a collection meta unless
 *   expanded; `syncId` makes a create idempotent (md/_general.md, "Назначение поля syncId"); `sum` read-only;
 *   the payments (`cashSum`, `noCashSum`, `qrSum`) add up to the sum, the remainder going to `cashSum`, else
 *   `noCashSum`; `description` at most 4096 characters (the OpenAPI repository's retailDemand.yaml);
 * - a POST body that is an array (≤ 1000, else 413) creates or updates (element with `meta.href`) each
 *   element on its own: the answer is 200 with one object or one `{errors}` per element, in order
 *   (md/_general.md, "Создание и обновление нескольких объектов"; md/_restrictions.md).
 *
 * Our decision where the documents are silent:
 * - one user: Bearer and Basic share one budget and one parallel count; Basic works only when both `login`
 *   and `password` are given; the limiter runs on the real clock (the `now` option dates documents and picks
 *   the day's request weight);
 * - a request over the header limit is refused first, by the proxy in front (nginx's HTML 414 page, no rate
 *   headers, no budget spent);
 * - a request refused with 429 does not spend budget; `X-Lognex-Retry-After` is the wait until this request
 *   would fit, `X-Lognex-Reset` the wait until the window is empty; 415 and 401 carry no rate headers;
 *   `stats.maxInFlight` counts the arriving request too, so it shows what the client attempted (6 when a
 *   sixth request was refused);
 * - `latencyMs` delays every answer; the work itself is done on arrival (a client that gives up still
 *   leaves the document created);
 * - statuses: a referenced entity that does not exist is 404 code 1021 (parameter = field); missing
 *   required field 412/3000; type errors 400/2016 (2028 for a non-numeric double attribute); closed shift and
 *   sale before the shift 412/3007; closing a closed shift again (even with the same date) or reopening it
 *   412/3001 on `closeDate`; a shift's `organization`, `retailStore`, `moment` cannot change (412/3001); a
 *   sale whose moment (to the minute) is not later than its shift's 412/3007 on `moment`;
 *   duplicate `name` among documents of one type 412/3006; quantity ≤ 0 412/3003; negative price 412/3002;
 *   discount over 100 % and payments that cannot add up to the sum 412/3007; bad `limit`/`offset` 400/1040;
 *   unknown filter field or operator 400/1034; a malformed id in the URL 404/1000; no body 400/1027; a body
 *   that is not JSON by Content-Type 415/1037;
 * - a document's generated `name` is the highest number in use among its type plus one, so a refused create
 *   uses up no number; a sale given no `moment` is dated now (to the minute), so it is refused in the minute
 *   its shift opened;
 * - `agent` defaults to the pre-seeded retail customer, `organization`, `store`, `retailStore` to the
 *   shift's; meta hrefs are matched on their path whatever the host, and `meta.type` must be present and
 *   agree with the href; numbers must be JSON numbers (no numeric strings); unknown fields are ignored;
 * - a position's sum is price × quantity × (1 − discount/100), rounded to whole kopecks (`positionSum`:
 *   price is "Цена товара/услуги в копейках", discount "Процент скидки" as a Float, md/documents/_retaildemand.md);
 *   parameters of position errors are written `positions[i].field`;
 * - `rate.currency` names the document's currency ("Валюта", same page; the account's RUB is pre-seeded, others
 *   are added with `addCurrency`), an unknown one is 404/1021; a position may refer to a `service` (`addService`);
 * - updates to a demand in a closed shift are allowed (statuses change after the shift closed); moving a
 *   demand to another shift requires that shift to be open;
 * - POST creates exist for `retailshift` and `retaildemand` only; other entities are read-only here (405);
 * - `Lognex-Pretty-Print-JSON: true` indents the answer.
 *
 * Injected faults stand for what is in front of or around the service (a proxy, the network, a crash):
 * they are decided when a request arrives, before the gzip and auth checks, one at most per request. A request
 * that a fault answers or drops (`status`, `reset`, `garbage`, `html-429`) neither spends budget nor counts in
 * `stats.rejected429`; `delay` and `reset-after-create` requests go through the service as usual.
 */
import { BigNumber } from 'bignumber.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  FaultPlan,
  type DelayFault,
  type FaultOptions as SharedFaultOptions,
  type GarbageFault,
  type ResetFault,
} from '../shared/faults.js';
import { closeServer, Delays, errorPageText, jsonOrText, listen, nginxReason, readBody, type RecordedRequestBase } from '../shared/http.js';
import { compileFilter, FilterError, hrefTarget, parseMoscowText, type FilterField } from './filter.js';

export const API_PATH = '/api/remap/1.2';

/** An entity as the fake stores it: at least `id`, `meta`, `name`, `externalCode`, `created`, `updated`. */
export type FakeEntity = Record<string, unknown>;

export type MoySkladFault =
  /** 500 (JSON, code 1999), 502/504 (nginx HTML page), 503 (JSON, code 1074), 429 (JSON, code 1049). */
  | { kind: 'status'; status: 500 | 502 | 503 | 504 | 429; retryAfterMs?: number }
  | DelayFault
  | ResetFault
  | GarbageFault
  /** Only on a POST create: the create is done, then the socket is destroyed before the answer. */
  | { kind: 'reset-after-create' }
  /** 429 with a proxy's HTML page and none of the rate headers. */
  | { kind: 'html-429' };

/** `path` is the full URL path, e.g. "/api/remap/1.2/entity/retaildemand". */
type FaultRequest = { method: string; path: string };

export type FaultOptions = SharedFaultOptions<FaultRequest>;

/** `path` is the full URL path, e.g. "/api/remap/1.2/entity/retaildemand". */
export interface RecordedRequest extends RecordedRequestBase {
  query: Record<string, string>;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface MoySkladFakeOptions {
  /** Bearer token accepted (default random). */
  token?: string;
  /** Basic auth is accepted only when both are given. */
  login?: string;
  password?: string;
  /** Units per window, default 45. */
  budget?: number;
  /** Sliding window, default 3000 ms. */
  windowMs?: number;
  /**
   * What the Bearer token is: a user's (default; what `POST /security/token` issues) or a solution's. A user's
   * requests weigh by MoySklad's schedule for the day (`now`), a solution's 1 unit.
   */
  tokenKind?: 'user' | 'solution';
  /** Units each request costs, whatever the token: overrides the schedule. */
  weight?: number;
  /** Requests in flight at once, default 5; one more is 429 code 1073. */
  maxParallel?: number;
  /** Added to every answer (default 0), so that parallelism is observable. */
  latencyMs?: number;
  /** Clock for `created`, `updated` and default `moment`s. */
  now?: () => Date;
}

export interface MoySkladFake {
  /** Base API URL: http://127.0.0.1:<port>/api/remap/1.2 */
  readonly url: string;
  /** The current Bearer token (`POST /security/token` replaces it). */
  readonly token: string;
  /** Whose token it is: what a connection to this fake says as its `tokenKind`. */
  readonly tokenKind: 'user' | 'solution';
  readonly ids: { organization: string; store: string; retailStore: string; agent: string };
  /**
   * Retail demand attribute ids: "Статус Ozon", "Номер Ozon" (string), "Комиссия Ozon", "Услуги Ozon" (double),
   * "Начисления Ozon" (text).
   */
  readonly attributes: { ozonStatus: string; ozonNumber: string; commission: string; services: string; charges: string };
  addProduct(p: { article: string; name?: string; code?: string }): string;
  /** A service (e.g. "Доставка") that positions may refer to. */
  addService(name: string): string;
  /** A currency besides the account's RUB; returns its id. */
  addCurrency(isoCode: string): string;
  products(): FakeEntity[];
  shifts(): FakeEntity[];
  /** As stored: positions inline. */
  demands(): FakeEntity[];
  demand(id: string): FakeEntity | undefined;
  readonly requests: RecordedRequest[];
  /**
   * `requests`: every request received, faulted ones included; `rejected429`: refusals by the limiter (1049,
   * 1073), not injected 429s; `rejected414`: requests refused for headers over 8 KB; `maxInFlight`: the most
   * requests open at once, counting each arriving one;
   * `creates`: documents created over HTTP (a `syncId` replay creates nothing).
   */
  readonly stats: { requests: number; rejected429: number; rejected414: number; maxInFlight: number; creates: number };
  /** Called after each create is stored, before the answer is sent. */
  onCreate(listener: (entity: FakeEntity) => void): void;
  inject(fault: MoySkladFault, options?: FaultOptions): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const MSK_OFFSET_MS = 3 * 60 * 60 * 1000;

/** "YYYY-MM-DD HH:mm:ss.SSS" in Moscow time (UTC+3, no DST). */
export function toMoscowText(date: Date): string {
  return new Date(date.getTime() + MSK_OFFSET_MS).toISOString().replace('T', ' ').replace('Z', '');
}

// ---------------------------------------------------------------------------------------------------------
// Errors

interface MsError {
  error: string;
  code: number;
  parameter?: string;
  moreInfo: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: MsError[],
  ) {
    super(errors[0]?.error ?? `HTTP ${status}`);
  }
}

function msError(code: number, error: string, parameter?: string): MsError {
  const moreInfo = `https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-${code}`;
  return parameter === undefined ? { error, code, moreInfo } : { error, code, parameter, moreInfo };
}

function fail(status: number, code: number, error: string, parameter?: string): never {
  throw new ApiError(status, [msError(code, error, parameter)]);
}

function typeError(field: string, typeName: string): never {
  fail(400, 2016, `Ошибка формата: значение поля '${field}' не соответствует типу ${typeName}`, field);
}

function requiredError(field: string): never {
  fail(412, 3000, `Ошибка сохранения объекта: поле '${field}' не может быть пустым или отсутствовать`, field);
}

function readOnlyError(field: string): never {
  fail(412, 3001, `Ошибка сохранения объекта: поле '${field}' не может быть изменено`, field);
}

function validationError(text: string, parameter: string): never {
  fail(412, 3007, `Ошибка валидации сохраняемого объекта: ${text}`, parameter);
}

function notFound(type: string, id: string, parameter?: string): never {
  fail(404, 1021, `Объект с типом '${type}' и идентификатором '${id}' не найден`, parameter);
}

// ---------------------------------------------------------------------------------------------------------
// Input reading

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEDIA_TYPE = 'application/json';

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(input: Json, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(input, key);
}

function optString(input: Json, field: string, label = field): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') typeError(label, 'String');
  return v;
}

function optNumber(input: Json, field: string, label = field): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) typeError(label, 'Float');
  return v;
}

function optBoolean(input: Json, field: string): boolean | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') typeError(field, 'Boolean');
  return v;
}

/** A DateTime field, normalized to "YYYY-MM-DD HH:mm:ss.SSS". */
function optDate(input: Json, field: string): string | undefined {
  const v = optString(input, field);
  if (v === undefined) return undefined;
  const ms = parseMoscowText(v);
  if (ms === undefined) typeError(field, 'DateTime');
  return toMoscowText(new Date(ms));
}

const MINUTE_MS = 60_000;

/** MoySklad sets and shows `moment` to the minute, seconds and milliseconds 00 (md/_general.md, "Формат даты и времени"). */
function toMinute(text: string): string {
  const ms = parseMoscowText(text);
  return ms === undefined ? text : toMoscowText(new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS));
}

function optMoment(input: Json): string | undefined {
  const moment = optDate(input, 'moment');
  return moment === undefined ? undefined : toMinute(moment);
}

function dateMs(text: unknown): number {
  return typeof text === 'string' ? (parseMoscowText(text) ?? Number.NaN) : Number.NaN;
}

/** A required-if-present text field: "" is as bad as missing. */
function optNonEmpty(input: Json, field: string): string | undefined {
  const v = optString(input, field);
  if (v !== undefined && v.trim() === '') requiredError(field);
  return v;
}

function refHref(value: unknown): string | undefined {
  if (!isRecord(value) || !isRecord(value['meta'])) return undefined;
  const href = value['meta']['href'];
  return typeof href === 'string' ? href : undefined;
}

function refId(value: unknown): string | undefined {
  const href = refHref(value);
  return href === undefined ? undefined : hrefTarget(href)?.id;
}

function alphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

function roundKopecks(value: number): number {
  return Math.round(value);
}

/**
 * A position's sum in kopecks: price × quantity × (1 − discount/100), rounded to a whole kopeck, in decimal
 * arithmetic (binary floats would round some half-kopecks the other way).
 */
export function positionSum(price: number, quantity: number, discount: number): number {
  return new BigNumber(price).times(quantity).times(new BigNumber(100).minus(discount)).dividedBy(100).integerValue(BigNumber.ROUND_HALF_UP).toNumber();
}

// ---------------------------------------------------------------------------------------------------------
// The account

const ENTITY_TYPES = new Set([
  'organization',
  'store',
  'retailstore',
  'counterparty',
  'product',
  'service',
  'currency',
  'employee',
  'group',
  'retailshift',
  'retaildemand',
]);
const CREATABLE = new Set(['retailshift', 'retaildemand']);
const ASSORTMENT_TYPES = ['product', 'service', 'variant', 'bundle'];

interface AttributeDef {
  id: string;
  name: string;
  type: 'string' | 'text' | 'double';
}

/** A tree of `expand` paths: "positions.assortment,agent". */
type Expand = Map<string, Expand>;

function parseExpand(text: string | null): Expand {
  const root: Expand = new Map();
  for (const path of (text ?? '').split(',')) {
    let node = root;
    for (const part of path.trim().split('.').filter((p) => p !== '').slice(0, 3)) {
      const next = node.get(part) ?? new Map();
      node.set(part, next);
      node = next;
    }
  }
  return root;
}

interface Payments {
  cashSum: number;
  noCashSum: number;
  qrSum: number;
}

/** The stored entities of one account, and the rules of creating and changing them. */
class Account {
  readonly accountId = randomUUID();
  private readonly entities = new Map<string, Map<string, FakeEntity>>();
  readonly attributeDefs: AttributeDef[];
  readonly employeeId = randomUUID();
  private readonly groupId = randomUUID();
  readonly seeded: { organization: string; store: string; retailStore: string; agent: string };

  constructor(
    readonly base: string,
    private readonly origin: string,
    private readonly now: () => Date,
  ) {
    for (const type of ENTITY_TYPES) this.entities.set(type, new Map());
    this.attributeDefs = [
      { id: randomUUID(), name: 'Статус Ozon', type: 'string' },
      { id: randomUUID(), name: 'Номер Ozon', type: 'string' },
      { id: randomUUID(), name: 'Комиссия Ozon', type: 'double' },
      { id: randomUUID(), name: 'Услуги Ozon', type: 'double' },
      { id: randomUUID(), name: 'Начисления Ozon', type: 'text' },
    ];
    this.store('group', this.entity('group', { name: 'Основной', index: 0 }, this.groupId));
    this.store(
      'employee',
      this.entity('employee', { name: 'Администратор', uid: 'admin@order-bridge', shortFio: 'Администратор', archived: false }, this.employeeId),
    );
    const organization = this.store(
      'organization',
      this.entity('organization', {
        name: 'ИП Тестов',
        legalTitle: 'Индивидуальный предприниматель Тестов',
        companyType: 'entrepreneur',
        archived: false,
      }),
    );
    const store = this.store('store', this.entity('store', { name: 'Основной склад', archived: false, pathName: '' }));
    const retailStore = this.store(
      'retailstore',
      this.entity('retailstore', {
        name: 'Ozon',
        active: true,
        archived: false,
        organization: this.ref('organization', organization.id),
        store: this.ref('store', store.id),
      }),
    );
    const agent = this.store(
      'counterparty',
      this.entity('counterparty', { name: 'Розничный покупатель', companyType: 'individual', archived: false }),
    );
    this.seeded = { organization: organization.id, store: store.id, retailStore: retailStore.id, agent: agent.id };
    this.store('currency', this.entity('currency', { name: 'руб', isoCode: 'RUB', fullName: 'Российский рубль', default: true, archived: false }));
  }

  stamp(): string {
    return toMoscowText(this.now());
  }

  meta(type: string, id: string): Json {
    return {
      href: `${this.base}/entity/${type}/${id}`,
      metadataHref: `${this.base}/entity/${type}/metadata`,
      type,
      mediaType: MEDIA_TYPE,
      uuidHref: `${this.origin}/app/#${type}/edit?id=${id}`,
    };
  }

  ref(type: string, id: string): Json {
    return { meta: this.meta(type, id) };
  }

  employeeMeta(): Json {
    return {
      href: `${this.base}/context/employee`,
      metadataHref: `${this.base}/entity/employee/metadata`,
      type: 'employee',
      mediaType: MEDIA_TYPE,
    };
  }

  attributeHref(id: string): string {
    return `${this.base}/entity/retaildemand/metadata/attributes/${id}`;
  }

  attributeMetadata(def: AttributeDef): Json {
    return {
      meta: { href: this.attributeHref(def.id), type: 'attributemetadata', mediaType: MEDIA_TYPE },
      id: def.id,
      name: def.name,
      type: def.type,
      required: false,
      show: true,
    };
  }

  /** The fields every entity has, with `fields` after them. */
  entity(type: string, fields: Json, id: string = randomUUID()): { id: string } & Json {
    const stamp = this.stamp();
    return {
      meta: this.meta(type, id),
      id,
      accountId: this.accountId,
      owner: this.ref('employee', this.employeeId),
      shared: false,
      group: this.ref('group', this.groupId),
      updated: stamp,
      externalCode: alphanumeric(22),
      created: stamp,
      ...fields,
    };
  }

  store<T extends { id: string }>(type: string, entity: T): T {
    this.table(type).set(entity.id, entity as unknown as FakeEntity);
    return entity;
  }

  table(type: string): Map<string, FakeEntity> {
    const table = this.entities.get(type);
    if (table === undefined) throw new Error(`MoySklad fake: no table ${type}`);
    return table;
  }

  find(type: string, id: string): FakeEntity | undefined {
    return this.table(type).get(id.toLowerCase());
  }

  rows(type: string): FakeEntity[] {
    return [...this.table(type).values()];
  }

  addService(name: string): string {
    return this.store('service', this.entity('service', { name, archived: false, pathName: '', paymentItemType: 'SERVICE' })).id;
  }

  addCurrency(isoCode: string): string {
    return this.store('currency', this.entity('currency', { name: isoCode, isoCode, fullName: isoCode, default: false, archived: false })).id;
  }

  addProduct(p: { article: string; name?: string; code?: string }): string {
    const fields: Json = { name: p.name ?? p.article, article: p.article, archived: false, pathName: '', paymentItemType: 'GOOD' };
    if (p.code !== undefined) fields['code'] = p.code;
    return this.store('product', this.entity('product', fields)).id;
  }

  // ---- references

  /** Reads `{meta:{href, type}}` pointing at an existing entity of one of the allowed types. */
  readRef(value: unknown, field: string, allowed: readonly string[]): FakeEntity {
    if (!isRecord(value) || !isRecord(value['meta'])) {
      fail(400, 2014, `Ошибка формата: отсутствует meta для поля '${field}'`, field);
    }
    const meta = value['meta'];
    if (typeof meta['href'] !== 'string') fail(400, 2010, `Ошибка формата: отсутствует href для meta поля '${field}'`, field);
    if (typeof meta['type'] !== 'string') fail(400, 2011, `Ошибка формата: отсутствует type для meta поля '${field}'`, field);
    const target = hrefTarget(meta['href']);
    if (target === undefined) fail(400, 2013, `Ошибка формата: неправильное значение href для meta поля '${field}'`, field);
    if (meta['type'] !== target.type) fail(400, 1060, 'Некорректный тип данных в meta сущности, поле type', field);
    if (!allowed.includes(target.type)) {
      fail(
        400,
        2027,
        `Ошибка формата: href указывает на сущность неправильного типа '${target.type}', допустимые значения: '${allowed.join(', ')}'`,
        field,
      );
    }
    const found = ENTITY_TYPES.has(target.type) ? this.find(target.type, target.id) : undefined;
    if (found === undefined) notFound(target.type, target.id, field);
    return found;
  }

  private sameRef(entity: FakeEntity, type: string): Json {
    return this.ref(type, String(entity['id']));
  }

  // ---- names

  /** The highest five-digit number in use, plus one: a refused create uses up no number. */
  private nextName(type: string): string {
    const numbers = this.rows(type).map((e) => (/^\d+$/.test(String(e['name'])) ? Number(e['name']) : 0));
    return String(Math.max(0, ...numbers) + 1).padStart(5, '0');
  }

  private name(type: string, input: Json, previous: FakeEntity | undefined): string {
    const given = optNonEmpty(input, 'name');
    if (given === undefined) return previous === undefined ? this.nextName(type) : String(previous['name']);
    const clash = this.rows(type).some((e) => e['name'] === given && e['id'] !== previous?.['id']);
    if (clash) fail(412, 3006, "Ошибка сохранения объекта: нарушено ограничение уникальности параметра 'name'", 'name');
    return given;
  }

  private commonText(input: Json, previous: FakeEntity | undefined, into: Json): void {
    into['externalCode'] = optNonEmpty(input, 'externalCode') ?? previous?.['externalCode'] ?? alphanumeric(22);
    const description = has(input, 'description') ? optString(input, 'description') : (previous?.['description'] as string | undefined);
    if (description !== undefined) into['description'] = description;
  }

  // ---- create and update

  /** Create, or update when the object carries `meta.href`; a known `syncId` returns the existing object. */
  create(type: string, input: Json): { entity: FakeEntity; created: boolean } {
    if (isRecord(input['meta'])) {
      const href = input['meta']['href'];
      const target = typeof href === 'string' ? hrefTarget(href) : undefined;
      if (target === undefined) fail(400, 2013, "Ошибка формата: неправильное значение href для meta поля 'meta'", 'meta');
      if (target.type !== type) {
        fail(400, 2024, `Ошибка формата: href указывает на сущность неправильного типа '${target.type}', требуется '${type}'`, 'meta');
      }
      return { entity: this.update(type, target.id, input), created: false };
    }
    const syncId = optString(input, 'syncId');
    if (syncId !== undefined) {
      if (!UUID.test(syncId)) fail(400, 1052, 'Неверный формат UUID', 'syncId');
      const existing = this.rows(type).find((e) => e['syncId'] === syncId.toLowerCase());
      if (existing !== undefined) return { entity: existing, created: false };
    }
    const entity = type === 'retailshift' ? this.writeShift(input, undefined) : this.writeDemand(input, undefined);
    if (syncId !== undefined) entity['syncId'] = syncId.toLowerCase();
    return { entity: this.store(type, entity), created: true };
  }

  update(type: string, id: string, input: Json): FakeEntity {
    const previous = this.find(type, id);
    if (previous === undefined) notFound(type, id);
    const syncId = input['syncId'];
    if (has(input, 'syncId') && (typeof syncId === 'string' ? syncId.toLowerCase() : syncId) !== previous['syncId']) {
      fail(400, 1047, 'Вы не можете обновить поле syncId в запросе на обновление сущности', 'syncId');
    }
    const entity = type === 'retailshift' ? this.writeShift(input, previous) : this.writeDemand(input, previous);
    entity['updated'] = this.stamp();
    return this.store(type, entity);
  }

  private writeShift(input: Json, previous: FakeEntity | undefined): { id: string } & Json {
    const fixed = (field: string, type: string): FakeEntity => {
      if (previous === undefined) {
        if (input[field] === undefined || input[field] === null) requiredError(field);
        return this.readRef(input[field], field, [type]);
      }
      const current = this.find(type, refId(previous[field]) ?? '');
      if (current === undefined) notFound(type, refId(previous[field]) ?? '', field);
      if (has(input, field) && this.readRef(input[field], field, [type])['id'] !== current['id']) readOnlyError(field);
      return current;
    };
    const organization = fixed('organization', 'organization');
    const retailStore = fixed('retailStore', 'retailstore');

    let store: FakeEntity | undefined;
    if (input['store'] !== undefined && input['store'] !== null) store = this.readRef(input['store'], 'store', ['store']);
    const storeRef = store !== undefined ? this.sameRef(store, 'store') : (previous?.['store'] ?? retailStore['store']);

    let moment = optMoment(input);
    if (previous !== undefined) {
      if (moment !== undefined && moment !== previous['moment']) readOnlyError('moment');
      moment = String(previous['moment']);
    }
    moment ??= toMinute(this.stamp());

    const fields: Json = { name: this.name('retailshift', input, previous) };
    this.commonText(input, previous, fields);
    fields['moment'] = moment;
    fields['organization'] = this.sameRef(organization, 'organization');
    fields['store'] = storeRef;
    fields['retailStore'] = this.sameRef(retailStore, 'retailstore');

    let closeDate = previous?.['closeDate'] as string | undefined;
    if (has(input, 'closeDate')) {
      if (closeDate !== undefined) readOnlyError('closeDate');
      closeDate = optDate(input, 'closeDate');
      if (closeDate !== undefined && dateMs(closeDate) < dateMs(moment)) {
        validationError('дата закрытия смены раньше даты её открытия', 'closeDate');
      }
    }
    if (closeDate !== undefined) fields['closeDate'] = closeDate;
    Object.assign(fields, {
      bankPercent: 0,
      bankComission: 0,
      qrBankPercent: 0,
      qrBankComission: 0,
      vatEnabled: true,
      vatIncluded: true,
      printed: false,
      published: false,
      cheque: {},
    });

    const base = previous ?? this.entity('retailshift', {});
    const { id, meta, accountId, owner, shared, group, updated, created } = base;
    const kept: Json = { meta, id, accountId, owner, shared, group, updated, created };
    if (previous?.['syncId'] !== undefined) kept['syncId'] = previous['syncId'];
    return { ...kept, ...fields, id: String(id) };
  }

  private writeDemand(input: Json, previous: FakeEntity | undefined): { id: string } & Json {
    let shift: FakeEntity;
    if (input['retailShift'] !== undefined && input['retailShift'] !== null) {
      shift = this.readRef(input['retailShift'], 'retailShift', ['retailshift']);
      const moved = previous === undefined || refId(previous['retailShift']) !== shift['id'];
      if (moved && shift['closeDate'] !== undefined) validationError('розничная смена закрыта', 'retailShift');
    } else if (previous !== undefined && !has(input, 'retailShift')) {
      const id = refId(previous['retailShift']) ?? '';
      const found = this.find('retailshift', id);
      if (found === undefined) notFound('retailshift', id, 'retailShift');
      shift = found;
    } else {
      requiredError('retailShift');
    }

    const reference = (field: string, types: readonly string[], fallback: () => unknown): unknown => {
      const value = input[field];
      if (value !== undefined && value !== null) {
        const entity = this.readRef(value, field, types);
        return this.sameRef(entity, String((entity['meta'] as Json)['type']));
      }
      return previous?.[field] ?? fallback();
    };
    const organization = reference('organization', ['organization'], () => shift['organization']);
    const store = reference('store', ['store'], () => shift['store']);
    const retailStore = reference('retailStore', ['retailstore'], () => shift['retailStore']);
    const agent = reference('agent', ['counterparty', 'organization'], () => this.ref('counterparty', this.seeded.agent));
    let rate = previous?.['rate'];
    if (isRecord(input['rate'])) {
      const currency = this.readRef(input['rate']['currency'], 'rate.currency', ['currency']);
      rate = { currency: this.sameRef(currency, 'currency') };
    }

    const given = optMoment(input);
    const moment = given ?? (previous?.['moment'] as string | undefined) ?? toMinute(this.stamp());
    // md/documents/_retaildemand.md, "Создать Розничную продажу": the sale's moment must be later than the shift's.
    const inNewShift = previous === undefined || refId(previous['retailShift']) !== shift['id'];
    if ((inNewShift || given !== undefined) && dateMs(moment) <= dateMs(shift['moment'])) {
      validationError(`момент продажи ${moment} должен быть позже момента розничной смены ${String(shift['moment'])}`, 'moment');
    }

    const id = previous === undefined ? randomUUID() : String(previous['id']);
    const previousPositions = (previous?.['positions'] as Json[] | undefined) ?? [];
    let positions = previousPositions;
    if (has(input, 'positions')) {
      positions = input['positions'] === null ? [] : this.readPositions(id, input['positions'], previousPositions);
    }
    let sum = 0;
    let vatSum = 0;
    const vatIncluded = optBoolean(input, 'vatIncluded') ?? (previous?.['vatIncluded'] as boolean | undefined) ?? true;
    const vatEnabled = optBoolean(input, 'vatEnabled') ?? (previous?.['vatEnabled'] as boolean | undefined) ?? true;
    for (const p of positions) {
      const line = positionSum(Number(p['price']), Number(p['quantity']), Number(p['discount']));
      sum += line;
      const vat = Number(p['vat']);
      if (vatEnabled && p['vatEnabled'] === true && vat > 0) {
        vatSum += roundKopecks(vatIncluded ? (line * vat) / (100 + vat) : (line * vat) / 100);
      }
    }
    if (!vatIncluded) sum += vatSum;
    const payments = this.settlePayments(input, sum, previous);

    const fields: Json = { name: this.name('retaildemand', input, previous) };
    this.commonText(input, previous, fields);
    Object.assign(fields, {
      moment,
      applicable: optBoolean(input, 'applicable') ?? (previous?.['applicable'] as boolean | undefined) ?? true,
      vatEnabled,
      vatIncluded,
      sum,
      vatSum,
      payedSum: payments.cashSum + payments.noCashSum + payments.qrSum,
      ...payments,
      prepaymentCashSum: 0,
      prepaymentNoCashSum: 0,
      prepaymentQrSum: 0,
      retailShift: this.sameRef(shift, 'retailshift'),
      ...(rate === undefined ? {} : { rate }),
      retailStore,
      store,
      agent,
      organization,
    });
    const attributes = this.readAttributes(input, (previous?.['attributes'] as Json[] | undefined) ?? []);
    if (attributes.length > 0) fields['attributes'] = attributes;
    fields['positions'] = positions;
    fields['printed'] = false;
    fields['published'] = false;

    const base = previous ?? this.entity('retaildemand', {}, id);
    const { meta, accountId, owner, shared, group, updated, created } = base;
    const kept: Json = { meta, id, accountId, owner, shared, group, updated, created };
    if (previous?.['syncId'] !== undefined) kept['syncId'] = previous['syncId'];
    return { ...kept, ...fields, id };
  }

  private readPositions(demandId: string, value: unknown, previous: Json[]): Json[] {
    if (!Array.isArray(value)) typeError('positions', 'Array(Object)');
    if (value.length > 1000) fail(413, 2022, 'Ошибка формата: слишком большое число элементов вложенной коллекции', 'positions');
    const known = new Set(previous.map((p) => String(p['id'])));
    return value.map((raw: unknown, i) => {
      const at = (field: string): string => `positions[${i}].${field}`;
      if (!isRecord(raw)) fail(400, 2000, 'Ошибка формата: отсутствует начало объекта', `positions[${i}]`);
      if (raw['assortment'] === undefined || raw['assortment'] === null) requiredError(at('assortment'));
      const assortment = this.readRef(raw['assortment'], at('assortment'), ASSORTMENT_TYPES);
      const quantity = optNumber(raw, 'quantity', at('quantity'));
      if (quantity === undefined) requiredError(at('quantity'));
      if (quantity <= 0) fail(412, 3003, `Ошибка сохранения объекта: поле '${at('quantity')}' должно быть больше нуля`, at('quantity'));
      const price = optNumber(raw, 'price', at('price')) ?? 0;
      if (price < 0) fail(412, 3002, `Ошибка сохранения объекта: поле '${at('price')}' не может иметь отрицательное значение`, at('price'));
      const discount = optNumber(raw, 'discount', at('discount')) ?? 0;
      if (discount < 0) fail(412, 3002, `Ошибка сохранения объекта: поле '${at('discount')}' не может иметь отрицательное значение`, at('discount'));
      if (discount > 100) validationError('скидка не может превышать 100%', at('discount'));
      const vat = optNumber(raw, 'vat', at('vat')) ?? 0;
      if (!Number.isInteger(vat) || vat < 0) typeError(at('vat'), 'Int');
      const vatEnabled = optBoolean(raw, 'vatEnabled') ?? vat > 0;
      const fromMeta = hrefPositionId(refHref(raw) ?? '');
      const positionId = fromMeta !== undefined && known.has(fromMeta) ? fromMeta : randomUUID();
      return {
        meta: {
          href: `${this.base}/entity/retaildemand/${demandId}/positions/${positionId}`,
          type: 'retaildemandposition',
          mediaType: MEDIA_TYPE,
        },
        id: positionId,
        accountId: this.accountId,
        quantity,
        price,
        discount,
        vat,
        vatEnabled,
        assortment: this.sameRef(assortment, String((assortment['meta'] as Json)['type'])),
      };
    });
  }

  /** Merged by attribute id; `value: null` removes one. */
  private readAttributes(input: Json, previous: Json[]): Json[] {
    const value = input['attributes'];
    if (value === undefined || value === null) return previous;
    if (!Array.isArray(value)) typeError('attributes', 'Array(Object)');
    const merged = new Map(previous.map((a) => [String(a['id']), a]));
    value.forEach((raw: unknown, i) => {
      const field = `attributes[${i}]`;
      if (!isRecord(raw) || !isRecord(raw['meta'])) fail(400, 2014, `Ошибка формата: отсутствует meta для поля '${field}'`, field);
      const href = raw['meta']['href'];
      if (typeof href !== 'string') fail(400, 2010, `Ошибка формата: отсутствует href для meta поля '${field}'`, field);
      const id = attributeIdOf(href);
      const def = id === undefined ? undefined : this.attributeDefs.find((d) => d.id === id);
      if (def === undefined) notFound('attributemetadata', id ?? href, field);
      const v = raw['value'];
      if (v === null || v === undefined) {
        merged.delete(def.id);
        return;
      }
      if ((def.type === 'string' || def.type === 'text') && typeof v !== 'string') typeError(def.name, 'String');
      if (def.type === 'double' && (typeof v !== 'number' || !Number.isFinite(v))) {
        fail(400, 2028, `Ошибка формата: Доп поле '${def.name}' сущности с id '${def.id}' содержит не числовое значение`, field);
      }
      merged.set(def.id, {
        meta: { href: this.attributeHref(def.id), type: 'attributemetadata', mediaType: MEDIA_TYPE },
        id: def.id,
        name: def.name,
        type: def.type,
        value: v,
      });
    });
    return [...merged.values()];
  }

  /** What is not given of `cashSum` / `noCashSum` takes the remainder, in that order; the rest must add up. */
  private settlePayments(input: Json, sum: number, previous: FakeEntity | undefined): Payments {
    const given = {
      cashSum: optNumber(input, 'cashSum'),
      noCashSum: optNumber(input, 'noCashSum'),
      qrSum: optNumber(input, 'qrSum'),
    };
    const next: Payments = {
      cashSum: given.cashSum ?? Number(previous?.['cashSum'] ?? 0),
      noCashSum: given.noCashSum ?? Number(previous?.['noCashSum'] ?? 0),
      qrSum: given.qrSum ?? Number(previous?.['qrSum'] ?? 0),
    };
    if (given.cashSum === undefined) next.cashSum = sum - next.noCashSum - next.qrSum;
    else if (given.noCashSum === undefined) next.noCashSum = sum - next.cashSum - next.qrSum;
    const total = next.cashSum + next.noCashSum + next.qrSum;
    if (next.cashSum < 0 || next.noCashSum < 0 || next.qrSum < 0 || Math.abs(total - sum) >= 0.01) {
      validationError(`сумма оплат (${total}) не совпадает с суммой продажи (${sum})`, 'cashSum');
    }
    return next;
  }

  // ---- reading

  render(type: string, entity: FakeEntity, expand: Expand): Json {
    const out = structuredClone(entity);
    if (type === 'retaildemand') {
      const positions = (entity['positions'] as Json[] | undefined) ?? [];
      const sub = expand.get('positions');
      const meta = this.positionsMeta(String(entity['id']), positions.length, 1000, 0);
      out['positions'] =
        sub === undefined ? { meta } : { meta, rows: positions.map((p) => this.expandRefs(structuredClone(p), sub)) };
    }
    if (type === 'retailshift') {
      const sales = this.rows('retaildemand').filter((d) => refId(d['retailShift']) === entity['id']);
      const cash = sales.reduce((s, d) => s + Number(d['cashSum']), 0);
      const noCash = sales.reduce((s, d) => s + Number(d['noCashSum']) + Number(d['qrSum']), 0);
      Object.assign(out, { proceedsCash: cash, proceedsNoCash: noCash, receivedCash: cash, receivedNoCash: noCash });
    }
    return this.expandRefs(out, expand);
  }

  positionsMeta(demandId: string, size: number, limit: number, offset: number): Json {
    return {
      href: `${this.base}/entity/retaildemand/${demandId}/positions`,
      type: 'retaildemandposition',
      mediaType: MEDIA_TYPE,
      size,
      limit,
      offset,
    };
  }

  private expandRefs(out: Json, expand: Expand): Json {
    for (const [key, sub] of expand) {
      if (key === 'positions') continue;
      const target = hrefTarget(refHref(out[key]) ?? '');
      const entity = target !== undefined && ENTITY_TYPES.has(target.type) ? this.find(target.type, target.id) : undefined;
      if (target !== undefined && entity !== undefined) out[key] = this.render(target.type, entity, sub);
    }
    return out;
  }

  filterField(type: string, name: string): FilterField | undefined {
    const text = (key: string): FilterField => ({ kind: 'string', read: (e) => e[key] });
    const date = (key: string): FilterField => ({ kind: 'date', read: (e) => e[key] });
    const ref = (key: string): FilterField => ({ kind: 'ref', read: (e) => refHref(e[key]) });
    const common: Record<string, FilterField> = {
      id: { kind: 'id', read: (e) => e['id'] },
      externalCode: text('externalCode'),
      name: text('name'),
      description: text('description'),
      created: date('created'),
      updated: date('updated'),
    };
    const documents: Record<string, FilterField> = {
      moment: date('moment'),
      organization: ref('organization'),
      store: ref('store'),
      retailStore: ref('retailStore'),
      retailstore: ref('retailStore'),
    };
    const extra: Record<string, Record<string, FilterField>> = {
      product: { article: text('article'), code: text('code') },
      retailstore: { organization: ref('organization'), store: ref('store') },
      retailshift: { ...documents, closeDate: date('closeDate') },
      retaildemand: {
        ...documents,
        agent: ref('agent'),
        retailShift: ref('retailShift'),
        sum: { kind: 'number', read: (e) => e['sum'] },
      },
    };
    const field = common[name] ?? extra[type]?.[name];
    if (field !== undefined) return field;
    if (type !== 'retaildemand') return undefined;
    const id = attributeIdOf(name);
    const def = this.attributeDefs.find((d) => d.id === id);
    if (def === undefined) return undefined;
    return {
      kind: def.type === 'double' ? 'number' : 'string',
      read: (e) => ((e['attributes'] as Json[] | undefined) ?? []).find((a) => a['id'] === def.id)?.['value'],
    };
  }
}

function attributeIdOf(href: string): string | undefined {
  const m = /\/api\/remap\/1\.2\/entity\/retaildemand\/metadata\/attributes\/([0-9a-f-]{36})$/i.exec(href);
  return m?.[1]?.toLowerCase();
}

function hrefPositionId(href: string): string | undefined {
  return /\/positions\/([0-9a-f-]{36})$/i.exec(href)?.[1]?.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Rate limit

type Spend = { ok: true; remaining: number } | { ok: false; retryAfterMs: number; resetMs: number };

/** Units spent in the last `windowMs`, per request. */
class SlidingWindow {
  private spent: Array<{ at: number; units: number }> = [];

  constructor(
    readonly budget: number,
    readonly windowMs: number,
  ) {}

  private used(now: number): number {
    this.spent = this.spent.filter((s) => s.at > now - this.windowMs);
    return this.spent.reduce((sum, s) => sum + s.units, 0);
  }

  remaining(now: number): number {
    return Math.max(0, this.budget - this.used(now));
  }

  take(units: number, now: number): Spend {
    const used = this.used(now);
    if (used + units <= this.budget) {
      this.spent.push({ at: now, units });
      return { ok: true, remaining: this.budget - used - units };
    }
    let freed = 0;
    let fitsAt = now + this.windowMs;
    for (const s of this.spent) {
      freed += s.units;
      if (used - freed + units <= this.budget) {
        fitsAt = s.at + this.windowMs;
        break;
      }
    }
    const last = this.spent.at(-1)?.at ?? now;
    return { ok: false, retryAfterMs: Math.max(1, fitsAt - now), resetMs: Math.max(1, last + this.windowMs - now) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  headers: Record<string, string>;
  /** Sent as gzip-compressed JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  text?: string;
  contentType?: string;
}

function errorAnswer(error: ApiError, headers: Record<string, string> = {}): Answer {
  return { status: error.status, headers, json: { errors: error.errors } };
}

function nginxPage(status: 414 | 429 | 502 | 504): Answer {
  const reason = status === 414 ? 'Request-URI Too Large' : nginxReason(status);
  return { status, headers: { Server: 'nginx' }, contentType: 'text/html', text: errorPageText(status, reason) };
}

/** gzip with a non-zero q, as the service wants; `*` is not enough. */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  });
}

function isCreatePath(method: string, path: string): boolean {
  return method === 'POST' && /^\/api\/remap\/1\.2\/entity\/(retailshift|retaildemand)\/?$/.test(path);
}

const GARBAGE = '{"context":{"employee":{"meta":{"href":"https://api.moysklad.ru/api/remap/1.2/context/empl';

/**
 * What one request of a user (token or login and password) costs on a day (md/_restrictions.md, "Лимит запросов
 * за 3-секундный период"): 2 units from 12 May 2026, 3 from 1 September 2026, 4 from 1 December 2026.
 */
export function userRequestWeight(day: Date): number {
  const iso = day.toISOString().slice(0, 10);
  if (iso >= '2026-12-01') return 4;
  if (iso >= '2026-09-01') return 3;
  if (iso >= '2026-05-12') return 2;
  return 1;
}

/** At most 8 KB of request headers, URL included (md/_restrictions.md). */
const MAX_HEADER_BYTES = 8 * 1024;

/** The request line and every header as they came over the wire. */
function headerBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`) + 2;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
  return bytes;
}

export async function startMoySkladFake(options: MoySkladFakeOptions = {}): Promise<MoySkladFake> {
  let token = options.token ?? randomBytes(20).toString('hex');
  const tokenKind = options.tokenKind ?? 'user';
  const clock = options.now ?? (() => new Date());
  /** A solution token weighs 1; a user's token (and Basic, always a user) weighs by today's schedule. */
  const weightOf = (auth: 'bearer' | 'basic'): number => options.weight ?? (auth === 'basic' || tokenKind === 'user' ? userRequestWeight(clock()) : 1);
  const maxParallel = options.maxParallel ?? 5;
  const latencyMs = options.latencyMs ?? 0;
  const limiter = new SlidingWindow(options.budget ?? 45, options.windowMs ?? 3000);
  const requests: RecordedRequest[] = [];
  const stats = { requests: 0, rejected429: 0, rejected414: 0, maxInFlight: 0, creates: 0 };
  const createListeners: Array<(entity: FakeEntity) => void> = [];
  const delays = new Delays();
  // A reset-after-create has nothing to reset after on any other request, so it waits for a create.
  const faults = new FaultPlan<MoySkladFault, FaultRequest>(
    (fault, req) => fault.kind !== 'reset-after-create' || isCreatePath(req.method, req.path),
  );
  let active = 0;

  // Headers longer than MoySklad takes are answered 414 below, rather than by Node's own 16 KB limit.
  const server = createServer({ maxHeaderSize: 64 * 1024 });
  const origin = await listen(server);
  const account = new Account(`${origin}${API_PATH}`, origin, options.now ?? (() => new Date()));

  function later(ms: number, run: () => void): void {
    if (ms <= 0) run();
    else delays.after(ms, run);
  }

  function rateHeaders(remaining: number): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(limiter.budget),
      'X-RateLimit-Remaining': String(remaining),
      'X-Lognex-Retry-TimeInterval': String(limiter.windowMs),
      'X-Lognex-Reset': '0',
      'X-Lognex-Retry-After': '0',
    };
  }

  function limitedHeaders(retryAfterMs: number, resetMs: number): Record<string, string> {
    return {
      ...rateHeaders(0),
      'X-Lognex-Reset': String(Math.ceil(resetMs)),
      'X-Lognex-Retry-After': String(Math.ceil(retryAfterMs)),
    };
  }

  function authenticate(header: string | undefined): 'bearer' | 'basic' | undefined {
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (bearer !== null) return bearer[1] === token ? 'bearer' : undefined;
    const basic = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
    if (basic === null || options.login === undefined || options.password === undefined) return undefined;
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return decoded.slice(0, colon) === options.login && decoded.slice(colon + 1) === options.password ? 'basic' : undefined;
  }

  const unauthorized = (): Answer => ({
    status: 401,
    headers: { 'X-Lognex-Auth': '1056' },
    json: {
      errors: [
        msError(1056, 'Ошибка аутентификации: Неправильный пароль или имя пользователя или ключ авторизации'),
      ],
    },
  });

  function list(
    type: string,
    all: FakeEntity[],
    query: URLSearchParams,
    collectionHref: string,
    render: (e: FakeEntity, expand: Expand) => Json,
  ): Answer {
    const bound = (name: string, fallback: number, min: number, max: number): number => {
      const raw = query.get(name);
      if (raw === null) return fallback;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
        fail(400, 1040, `Неверно заданы параметры запроса: параметр '${name}' должен быть целым числом от ${min} до ${max}`, name);
      }
      return n;
    };
    const limit = bound('limit', 1000, 1, 1000);
    const offset = bound('offset', 0, 0, Number.MAX_SAFE_INTEGER);

    let rows = all;
    const filter = query.get('filter');
    if (filter !== null) {
      const test = compileFilter(filter, (name) => account.filterField(type, name));
      rows = rows.filter(test);
    }
    const order = query.get('order');
    if (order !== null) rows = sortRows(type, rows, order);

    const expand = query.has('limit') && limit <= 100 ? parseExpand(query.get('expand')) : new Map();
    const pageHref = (at: number): string => {
      const q = new URLSearchParams(query);
      q.set('offset', String(at));
      q.set('limit', String(limit));
      return `${collectionHref}?${q.toString()}`;
    };
    const meta: Json = {
      href: query.size > 0 ? `${collectionHref}?${query.toString()}` : collectionHref,
      type,
      mediaType: MEDIA_TYPE,
      size: rows.length,
      limit,
      offset,
    };
    if (offset + limit < rows.length) meta['nextHref'] = pageHref(offset + limit);
    if (offset > 0) meta['previousHref'] = pageHref(Math.max(0, offset - limit));
    return {
      status: 200,
      headers: {},
      json: {
        context: { employee: { meta: account.employeeMeta() } },
        meta,
        rows: rows.slice(offset, offset + limit).map((e) => render(e, expand)),
      },
    };
  }

  function sortRows(type: string, rows: FakeEntity[], order: string): FakeEntity[] {
    const sortable = new Set(['id', 'name', 'externalCode', 'created', 'updated', 'moment', 'closeDate', 'article', 'code', 'sum']);
    const keys = order
      .split(';')
      .filter((p) => p.trim() !== '')
      .map((part) => {
        const [field = '', direction = 'asc'] = part.split(',').map((s) => s.trim());
        if (!sortable.has(field) || account.filterField(type, field) === undefined) {
          fail(400, 1063, `Ошибка сортировки: неизвестное поле '${field}' или сортировка для данного поля не поддерживается`, 'order');
        }
        if (direction !== 'asc' && direction !== 'desc') {
          fail(400, 1042, `Неверное значение '${direction}' параметра сортировки '${field}', допустимые значения: 'asc, desc'`, 'order');
        }
        return { field, sign: direction === 'desc' ? -1 : 1 };
      });
    return rows.slice().sort((a, b) => {
      for (const { field, sign } of keys) {
        const x = a[field];
        const y = b[field];
        if (x === y) continue;
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        return ((x as string | number) < (y as string | number) ? -1 : 1) * sign;
      }
      return 0;
    });
  }

  function parseBody(req: IncomingMessage, raw: Buffer): unknown {
    if (raw.length === 0) fail(400, 1027, 'Запрос не содержит объектов');
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      fail(415, 1037, 'Неверно указан Content-Type запроса');
    }
    let body: unknown;
    try {
      body = JSON.parse(decodeBody(req, raw));
    } catch {
      fail(400, 2001, 'Ошибка формата: входящий запрос не соответствует формату JSON');
    }
    if (typeof body !== 'object' || body === null) {
      fail(400, 2005, 'Ошибка формата: входящий JSON должен начинаться либо с объекта, либо с массива');
    }
    return body;
  }

  function created(entity: FakeEntity): void {
    stats.creates += 1;
    for (const listener of createListeners) listener(structuredClone(entity));
  }

  function createMany(type: string, body: unknown, expand: Expand): Answer {
    const one = (input: unknown): Json => {
      if (!isRecord(input)) fail(400, 2000, 'Ошибка формата: отсутствует начало объекта');
      const result = account.create(type, input);
      if (result.created) created(result.entity);
      return account.render(type, result.entity, expand);
    };
    if (!Array.isArray(body)) return { status: 200, headers: {}, json: one(body) };
    if (body.length > 1000) fail(413, 2007, 'Ошибка формата: слишком большое число вложенных объектов');
    const results = body.map((input: unknown) => {
      try {
        return one(input);
      } catch (error) {
        if (error instanceof ApiError) return { errors: error.errors };
        throw error;
      }
    });
    return { status: 200, headers: {}, json: results };
  }

  function route(method: string, path: string, query: URLSearchParams, req: IncomingMessage, raw: Buffer, auth: 'bearer' | 'basic'): Answer {
    const notAllowed = (): never => fail(405, 1039, `Операция ${method} не поддерживается для данного ресурса`);
    const unknownPath = (): never => fail(404, 1002, `Неопознанный путь: ${path}`);
    const ok = (json: unknown): Answer => ({ status: 200, headers: {}, json });
    if (!path.startsWith(`${API_PATH}/`)) unknownPath();
    const parts = path.slice(API_PATH.length + 1).split('/').filter((p) => p !== '');
    const expand = parseExpand(query.get('expand'));

    if (parts[0] === 'security' && parts[1] === 'token' && parts.length === 2) {
      if (method !== 'POST') notAllowed();
      if (auth !== 'basic') return unauthorized();
      token = randomBytes(20).toString('hex');
      return ok({ access_token: token });
    }
    if (parts[0] === 'context' && parts[1] === 'employee' && parts.length === 2) {
      if (method !== 'GET') notAllowed();
      return ok(account.render('employee', account.find('employee', account.employeeId) ?? {}, expand));
    }
    if (parts[0] !== 'entity' || parts[1] === undefined) return unknownPath();
    const type = parts[1];
    if (!ENTITY_TYPES.has(type)) fail(404, 1005, `Неизвестный тип: ${type}`);
    const collection = `${account.base}/entity/${type}`;
    const rest = parts.slice(2);

    if (rest.length === 0) {
      if (method === 'GET') return list(type, account.rows(type), query, collection, (e, x) => account.render(type, e, x));
      if (method === 'POST' && CREATABLE.has(type)) return createMany(type, parseBody(req, raw), expand);
      return notAllowed();
    }
    if (rest[0] === 'metadata') {
      if (method !== 'GET') notAllowed();
      const defs = type === 'retaildemand' ? account.attributeDefs : [];
      if (rest.length === 1) {
        return ok({
          meta: { href: `${collection}/metadata`, mediaType: MEDIA_TYPE },
          attributes: defs.map((d) => account.attributeMetadata(d)),
          createShared: false,
        });
      }
      if (rest[1] !== 'attributes' || rest.length > 3) return unknownPath();
      const rows = defs.map((d) => account.attributeMetadata(d));
      if (rest.length === 2) {
        return list('attributemetadata', rows, query, `${collection}/metadata/attributes`, (e) => e);
      }
      const found = rows.find((r) => r['id'] === rest[2]?.toLowerCase());
      return found === undefined ? notFound('attributemetadata', rest[2] ?? '') : ok(found);
    }

    const id = rest[0] ?? '';
    if (!UUID.test(id)) fail(404, 1000, 'Элемент URI не является идентификатором');
    if (rest.length === 1) {
      if (method === 'GET') {
        const entity = account.find(type, id);
        return entity === undefined ? notFound(type, id) : ok(account.render(type, entity, expand));
      }
      if (method === 'PUT' && CREATABLE.has(type)) {
        const body = parseBody(req, raw);
        if (!isRecord(body)) fail(400, 2009, 'Ошибка формата: запрос на создание/обновление одной сущности не должен содержать массив');
        return ok(account.render(type, account.update(type, id, body), expand));
      }
      return notAllowed();
    }
    if (type === 'retaildemand' && rest[1] === 'positions' && rest.length <= 3) {
      if (method !== 'GET') notAllowed();
      const demand = account.find(type, id);
      if (demand === undefined) notFound(type, id);
      const positions = (demand['positions'] as Json[] | undefined) ?? [];
      if (rest.length === 2) {
        return list('retaildemandposition', positions, query, `${collection}/${id.toLowerCase()}/positions`, (p) => structuredClone(p));
      }
      const position = positions.find((p) => p['id'] === rest[2]?.toLowerCase());
      return position === undefined ? notFound('retaildemandposition', rest[2] ?? '') : ok(structuredClone(position));
    }
    return unknownPath();
  }

  function send(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, answer: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    record.status = answer.status;
    const headers: Record<string, string | number> = { ...answer.headers };
    let payload: Buffer | undefined;
    if (answer.json !== undefined) {
      const pretty = String(req.headers['lognex-pretty-print-json']).toLowerCase() === 'true';
      payload = gzipSync(JSON.stringify(answer.json, null, pretty ? 2 : undefined));
      headers['Content-Type'] = 'application/json;charset=utf-8';
      headers['Content-Encoding'] = 'gzip';
    } else if (answer.text !== undefined) {
      payload = Buffer.from(answer.text, 'utf8');
      headers['Content-Type'] = answer.contentType ?? 'text/plain';
    }
    headers['Content-Length'] = payload?.length ?? 0;
    res.writeHead(answer.status, headers);
    res.end(payload);
  }

  /** The service proper: gzip check, auth, limits, then the resource. */
  function serve(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, raw: Buffer, resetAfter: boolean): void {
    const reply = (answer: Answer): void => later(latencyMs, () => send(req, res, record, answer));
    if (headerBytes(req) > MAX_HEADER_BYTES) {
      stats.rejected414 += 1;
      reply(nginxPage(414));
      return;
    }
    if (!acceptsGzip(req.headers['accept-encoding'])) {
      reply({ status: 415, headers: {} });
      return;
    }
    const auth = authenticate(req.headers.authorization);
    if (auth === undefined) {
      reply(unauthorized());
      return;
    }
    const now = Date.now();
    stats.maxInFlight = Math.max(stats.maxInFlight, active + 1);
    if (active >= maxParallel) {
      stats.rejected429 += 1;
      reply(
        errorAnswer(
          new ApiError(429, [msError(1073, 'Превышено ограничение на одновременное количество запросов')]),
          rateHeaders(limiter.remaining(now)),
        ),
      );
      return;
    }
    const spend = limiter.take(weightOf(auth), now);
    if (!spend.ok) {
      stats.rejected429 += 1;
      reply(
        errorAnswer(
          new ApiError(429, [msError(1049, 'Превышено ограничение на количество запросов в единицу времени')]),
          limitedHeaders(spend.retryAfterMs, spend.resetMs),
        ),
      );
      return;
    }
    active += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      active -= 1;
    };
    res.once('close', release);
    // A client that left during an injected delay is no longer in flight, though its request is still served.
    if (res.destroyed || req.socket.destroyed) release();
    const url = new URL(req.url ?? '/', origin);
    let answer: Answer;
    try {
      answer = route(req.method ?? 'GET', url.pathname, url.searchParams, req, raw, auth);
    } catch (error) {
      if (error instanceof ApiError) answer = errorAnswer(error);
      else if (error instanceof FilterError) answer = errorAnswer(new ApiError(400, [msError(error.code, error.message, error.parameter)]));
      else throw error;
    }
    answer.headers = { ...answer.headers, ...rateHeaders(spend.remaining) };
    if (resetAfter) {
      req.socket.destroy();
      return;
    }
    reply(answer);
  }

  function faultAnswer(fault: Extract<MoySkladFault, { kind: 'status' }>): Answer {
    switch (fault.status) {
      case 500:
        return errorAnswer(new ApiError(500, [msError(1999, 'Неизвестная ошибка')]));
      case 503:
        return errorAnswer(new ApiError(503, [msError(1074, 'Сервис временно недоступен, ведутся технические работы')]));
      case 502:
        return nginxPage(502);
      case 504:
        return nginxPage(504);
      case 429: {
        const wait = fault.retryAfterMs ?? limiter.windowMs;
        return errorAnswer(
          new ApiError(429, [msError(1049, 'Превышено ограничение на количество запросов в единицу времени')]),
          limitedHeaders(wait, wait),
        );
      }
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    stats.requests += 1;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', origin);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: jsonOrText(raw, safeDecode(req, raw)),
      status: null,
    };
    requests.push(record);

    const fault = faults.take({ method, path: url.pathname });
    switch (fault?.kind) {
      case undefined:
        serve(req, res, record, raw, false);
        return;
      case 'delay':
        later(fault.ms, () => serve(req, res, record, raw, false));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-after-create':
        serve(req, res, record, raw, true);
        return;
      case 'status':
        send(req, res, record, faultAnswer(fault));
        return;
      case 'garbage':
        send(req, res, record, { status: 200, headers: {}, text: GARBAGE, contentType: 'application/json;charset=utf-8' });
        return;
      case 'html-429':
        send(req, res, record, nginxPage(429));
        return;
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((raw) => handle(req, res, raw));
  });

  const clone = (rows: FakeEntity[]): FakeEntity[] => rows.map((e) => structuredClone(e));
  const byName = (name: string): string => account.attributeDefs.find((d) => d.name === name)?.id ?? '';

  return {
    url: account.base,
    get token() {
      return token;
    },
    tokenKind,
    ids: { ...account.seeded },
    attributes: {
      ozonStatus: byName('Статус Ozon'),
      ozonNumber: byName('Номер Ozon'),
      commission: byName('Комиссия Ozon'),
      services: byName('Услуги Ozon'),
      charges: byName('Начисления Ozon'),
    },
    addProduct: (p) => account.addProduct(p),
    addService: (name) => account.addService(name),
    addCurrency: (isoCode) => account.addCurrency(isoCode),
    products: () => clone(account.rows('product')),
    shifts: () => clone(account.rows('retailshift')),
    demands: () => clone(account.rows('retaildemand')),
    demand(id) {
      const found = account.find('retaildemand', id);
      return found === undefined ? undefined : structuredClone(found);
    },
    requests,
    stats,
    onCreate(listener) {
      createListeners.push(listener);
    },
    inject: faults.inject,
    clearFaults: faults.clear,
    close() {
      delays.cancelAll();
      return closeServer(server);
    },
  };
}

function decodeBody(req: IncomingMessage, raw: Buffer): string {
  return /gzip/i.test(req.headers['content-encoding'] ?? '') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
}

/** For the request record: never throws, a body that does not gunzip is kept as text. */
function safeDecode(req: IncomingMessage, raw: Buffer): string {
  try {
    return decodeBody(req, raw);
  } catch {
    return raw.toString('utf8');
  }
}
