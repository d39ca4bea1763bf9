/**
 * SaleApp's Orders API over real HTTP, for tests of our client and connector.
 *
 * Verified in the user's document (docs/seeds/saleapp-orders-api.uk.txt, the authority; contract notes §6
 * has only an excerpt of it) [V]:
 * - one URL, `/server/api/Orders?secret_key={key}` (host apps.conwix.com); the PHP examples post a form
 *   (curl with an array: multipart/form-data) whose `method_type` is GET, POST, PUT or DELETE;
 * - two kinds of key: the organization's global key (orders name client_id, curency_id [sic], warehouse_id,
 *   and products are matched by external_id) and a counterparty key (client, currency and warehouse fixed by
 *   the key, products matched by supplier_id, i.e. the supplier code);
 * - GET searches by id, number and external_id "in this priority", and answers `{error:"false", error_description:"",
 *   response:[…]}` with every value a string ("74"), `type` as [{id,name}], products with allocated_qty and
 *   supplier_ids [{code, supplier_id}];
 * - POST answers `create_id` as a number (134) and "Документ успішно створено!";
 * - delivery_types 1 pickup, 2 own delivery, 3 Nova Poshta branch, 5 Nova Poshta address; city_ref required
 *   unless the type is 1 or 2, branch_ref required for 3; on PUT the type is required when the city, branch
 *   or address changes; receiver_phone keeps only its digits; insurance and cash-on-delivery are integers;
 *   `type` is tag ids joined by commas; products and custom_fields are json_encode'd; funnel is ignored on PUT;
 * - products are found by id, then external_id or supplier_id (by key), then sku;
 * - PUT and DELETE find the order by id or external_id, id first; DELETE only in statuses 0 New, 1 Fully reserved,
 *   2 Partially reserved, and answers `deleted`.
 *
 * Money and identity, from the same document [V]: each product line has `cost` (price of one unit) and
 * `discount_percent` ("Відсоток знижки на дану позицію"); the order names its currency by `curency_id`
 * [sic] with an organization key, while a counterparty key books every order "у валюті … вказані при
 * генеруванні ключа"; the order model answered by GET has no currency and no order sum; `external_id` is
 * "Зовнішній ідентифікатор … що був переданий при створенні", and the same external_id may exist for
 * different clients (PUT's client_id note); receiver_name is "ПІБ отримувача".
 *
 * Our decision, where the document is silent:
 * - a line comes to cost × qty × (100 − discount_percent) / 100, rounded to the kopeck, and the order to the
 *   sum of its lines (`saleAppLineAmount`); discount_percent keeps the decimals it was sent with; cost is
 *   kept to the kopeck;
 * - every error is HTTP 200 with `{error:"true", error_description}` (or `true`, with errorFlag "boolean"),
 *   the first problem found, worded in Ukrainian like the document's own messages; a wrong or missing key
 *   is such an envelope too;
 * - the product line's price field is `cost` as in the PHP example (the field list's "cos (tnumber)" is a
 *   typo), and optional: the catalogue price is used without it;
 * - delivery_types is required on POST; unknown tag ids, products and JSON that does not parse are refused;
 * - external_id is not unique (the document mentions equal external_ids across clients): look-before-create
 *   is the caller's job; a PUT by an external_id that matches several orders is refused;
 * - client_id, when sent with an organization key, scopes every search (GET, PUT, DELETE);
 * - `deleted` holds `{id, number, external_id}` items (the sketch after the response fields); a DELETE by
 *   external_id deletes every match, or none when one of them is in a later status;
 * - "priority" is read as a fallback (the first given field that finds something wins), because that is
 *   how the document words the product search and how its GET example (id 66, number 1056, external_id
 *   100222312 answering order 74/1057) comes out; the example's `"response"::` is a typo;
 * - a search that finds nothing answers `response: []`; one without any of its fields is refused;
 * - a request that is not a form POST has no form fields (PHP's $_POST), so it lacks method_type;
 * - a path other than /server/api/Orders is a 404 HTML page;
 * - dates are wall-clock time in the account's zone (Europe/Kyiv by default);
 * - no rate limit is documented: an optional fixed window on the fake's clock (429 with Retry-After and an
 *   envelope) stands in; it counts requests with a valid key only.
 *
 * Injected faults stand for what is around the application (a proxy, the network, a crash): decided when a
 * request arrives, before authentication; one fault at most per request.
 */
import { BigNumber } from 'bignumber.js';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerUnder, FaultPlan, type CommonFault, type FaultOptions as SharedFaultOptions } from '../shared/faults.js';
import { closeServer, Delays, errorPage, listen, readBody, type Answer, type RecordedRequestBase } from '../shared/http.js';
import { wallClock } from '../shared/wall-time.js';

export const ordersPath = '/server/api/Orders';

export type SaleAppFault =
  | CommonFault
  /** The request is carried out, then the connection drops before the answer: the caller never learns of it. */
  | { kind: 'lost-answer' };

/** A fault's `match` sees SaleApp's operation (`method_type`), not the HTTP method. */
type FaultRequest = { methodType: string | null; path: string };

export type FaultOptions = SharedFaultOptions<FaultRequest>;

export type FakeKey =
  | { secretKey: string; kind: 'organization' }
  | { secretKey: string; kind: 'counterparty'; clientId: string; currencyId: string; warehouseId: string };

export interface FakeProduct {
  id: number;
  name: string;
  sku: string;
  price: number;
  externalId?: string;
  supplierCodes?: { code: string; supplierId: string }[];
}

export interface FakeOrderLine {
  productId: number;
  qty: number;
  cost: number;
  discountPercent: number;
}

export interface FakeOrder {
  id: number;
  number: number;
  externalId: string | null;
  clientId: string;
  currencyId: string;
  warehouseId: string;
  statusId: number;
  statusName: string;
  deliveryType: number;
  receiverName: string | null;
  receiverPhone: string | null;
  city: string | null;
  cityRef: string | null;
  addres: string | null;
  branchRef: string | null;
  insuranceAmount: number | null;
  deliveryAmount: number | null;
  tagIds: number[];
  ttn: string | null;
  ttnRef: string | null;
  customFields: Record<string, unknown>;
  funnel: string | null;
  lines: FakeOrderLine[];
  dateEntered: string;
  dateUpdate: string;
}

/** `method` is the HTTP method; SaleApp's operation is in `methodType`. */
export interface RecordedRequest extends RecordedRequestBase {
  query: Record<string, string>;
  /** The form fields, as PHP's $_POST would have them. */
  fields: Record<string, string>;
  methodType: string | null;
}

export interface SaleAppFakeOptions {
  port?: number;
  /** Default: one organization key, random. */
  keys?: FakeKey[];
  products?: FakeProduct[];
  tags?: Record<number, string>;
  /** How the envelope writes `error`: the document's strings, or JSON booleans. */
  errorFlag?: 'string' | 'boolean';
  rateLimit?: { limit: number; windowMs: number };
  /** The fake's clock: dates it writes and its rate-limit window. */
  now?: () => Date;
  timeZone?: string;
}

export interface SaleAppFake {
  /** The server's origin. */
  readonly url: string;
  /** What a client is configured with: the origin plus `/server/api`. */
  readonly baseUrl: string;
  /** The first key. */
  readonly secretKey: string;
  orders(): FakeOrder[];
  order(id: number): FakeOrder | undefined;
  ordersByExternalId(externalId: string): FakeOrder[];
  /** An order as a person makes it in SaleApp (no API call); unset fields get plain defaults. */
  addOrder(order: Partial<FakeOrder>): FakeOrder;
  setStatus(id: number, statusId: number, statusName?: string): void;
  /** Values shown instead of the stored ones in GET answers, to serve data the client must cope with. */
  override(id: number, fields: Record<string, unknown>): void;
  inject(fault: SaleAppFault, options?: FaultOptions): void;
  clearFaults(): void;
  readonly requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

type Account = { clientId: string; currencyId: string; warehouseId: string };

export const deliveryTypeNames: Record<number, string> = {
  1: 'Самовивіз',
  2: 'Своя доставка',
  3: 'Нова Пошта відділення',
  5: 'Нова Пошта адреса',
};

export const statusNames: Record<number, string> = { 0: 'Новий', 1: 'Повністю зарезервований', 2: 'Частково зарезервований' };

/** The document's own example products (ids 40 and 42). */
export const defaultProducts: FakeProduct[] = [
  { id: 40, name: 'Test 4', sku: 'UA23', price: 12.98, supplierCodes: [{ code: '232334', supplierId: '39' }] },
  { id: 42, name: 'Test 6', sku: 'UA25', price: 49.79, externalId: '232336', supplierCodes: [{ code: '234561', supplierId: '39' }] },
];

const defaultTags: Record<number, string> = { 3: 'Терміново', 8: 'Спец умови' };

const jsonType = 'application/json; charset=utf-8';

/** A PHP warning printed ahead of the JSON, and the JSON cut short: what a broken PHP backend sends. */
const garbageBody =
  '<br />\n<b>Warning</b>:  Undefined array key "client_id" in <b>/var/www/server/api/Orders.php</b> on line <b>57</b><br />\n{"error":"false","error_description":"","respo';

/** A refusal of the request: becomes the error envelope. */
class Refusal extends Error {}

function refuse(description: string): never {
  throw new Refusal(description);
}

function blank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function wholeNumber(value: string | undefined, field: string): number | null {
  if (blank(value)) return null;
  if (!/^\s*\d+\s*$/.test(value)) refuse(`Поле ${field} має бути цілим числом`);
  return Number(value);
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function present(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** What SaleApp shows for one product line (our reading: see the header), exact decimal arithmetic. */
export function saleAppLineAmount(cost: number | string, qty: number | string, discountPercent: number | string): string {
  return new BigNumber(cost).times(qty).times(new BigNumber(100).minus(discountPercent)).dividedBy(100).toFixed(2, BigNumber.ROUND_HALF_UP);
}

/** The sum of an order's lines, as SaleApp would book it. */
export function saleAppOrderSum(lines: readonly Pick<FakeOrderLine, 'cost' | 'qty' | 'discountPercent'>[]): string {
  return lines.reduce((total, line) => total.plus(saleAppLineAmount(line.cost, line.qty, line.discountPercent)), new BigNumber(0)).toFixed(2);
}

export async function startSaleAppFake(options: SaleAppFakeOptions = {}): Promise<SaleAppFake> {
  const keys = options.keys ?? [{ secretKey: randomBytes(18).toString('hex'), kind: 'organization' }];
  const products = options.products ?? defaultProducts;
  const tags = options.tags ?? defaultTags;
  const now = options.now ?? (() => new Date());
  const wallTime = wallClock(options.timeZone ?? 'Europe/Kyiv');
  const stamp = (): string => wallTime(now());
  const flag = (error: boolean): string | boolean => (options.errorFlag === 'boolean' ? error : String(error));

  let orders: FakeOrder[] = [];
  let overrides = new Map<number, Record<string, unknown>>();
  let nextId = 74;
  let nextNumber = 1057;
  const faults = new FaultPlan<SaleAppFault, FaultRequest>();
  const requests: RecordedRequest[] = [];
  let windowStart = 0;
  let windowCount = 0;
  const delays = new Delays();

  function envelope(status: number, error: boolean, description: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Answer {
    return { status, body: JSON.stringify({ error: flag(error), error_description: description, ...extra }), headers: { 'Content-Type': jsonType, ...headers } };
  }

  /** Consumes one unit of the window; an answer when the limit is exceeded. */
  function spendRate(): Answer | undefined {
    const limit = options.rateLimit;
    if (limit === undefined) return undefined;
    const at = now().getTime();
    if (at - windowStart >= limit.windowMs) {
      windowStart = at;
      windowCount = 0;
    }
    if (windowCount >= limit.limit) {
      const wait = Math.max(1, Math.ceil((windowStart + limit.windowMs - at) / 1000));
      return envelope(429, true, 'Забагато запитів, спробуйте пізніше', {}, { 'Retry-After': String(wait) });
    }
    windowCount += 1;
    return undefined;
  }

  function presentOrder(order: FakeOrder): Record<string, unknown> {
    const lines = order.lines.map((line) => {
      const product = products.find((p) => p.id === line.productId);
      return {
        id: String(line.productId),
        name: product?.name ?? '',
        sku: product?.sku ?? '',
        external_id: product?.externalId ?? '0',
        qty: String(line.qty),
        allocated_qty: order.statusId === 1 ? String(line.qty) : '0',
        cost: line.cost.toFixed(2),
        discount_percent: String(line.discountPercent),
        supplier_ids: (product?.supplierCodes ?? []).map((s) => ({ code: s.code, supplier_id: s.supplierId })),
      };
    });
    const amount = (value: number | null): string | null => (value === null ? null : String(value));
    return {
      id: String(order.id),
      number: String(order.number),
      external_id: order.externalId,
      status_id: String(order.statusId),
      delivery_type_name: deliveryTypeNames[order.deliveryType] ?? '',
      delivery_types: String(order.deliveryType),
      receiver_name: order.receiverName,
      receiver_phone: order.receiverPhone,
      city: order.city,
      city_ref: order.cityRef,
      addres: order.addres,
      branch_ref: order.branchRef,
      insurance_amount: amount(order.insuranceAmount),
      delivery_amount: amount(order.deliveryAmount),
      type_ids: order.tagIds.join(','),
      date_entered: order.dateEntered,
      date_update: order.dateUpdate,
      type: order.tagIds.map((id) => ({ id: String(id), name: tags[id] ?? '' })),
      products: lines,
      status_name: order.statusName,
      ttn: order.ttn,
      ttn_ref: order.ttnRef,
      seats_number: '0',
      custom_fields: order.customFields,
      funnel: order.funnel,
      funnel_name: order.funnel === null ? null : `Воронка ${order.funnel}`,
      ...overrides.get(order.id),
    };
  }

  /** Which orders a request may see: a counterparty key its own client's, client_id narrows the global key. */
  function inScope(key: FakeKey, fields: Record<string, string>): (order: FakeOrder) => boolean {
    if (key.kind === 'counterparty') return (order) => order.clientId === key.clientId;
    const clientId = fields['client_id'];
    return blank(clientId) ? () => true : (order) => order.clientId === clientId.trim();
  }

  /**
   * "In the given priority": the first field that finds something, as the product search is worded; the
   * document's GET example (id 66, number 1056, external_id 100222312 answering order 74/1057) reads so.
   */
  function search(key: FakeKey, fields: Record<string, string>, by: readonly ('id' | 'number' | 'external_id')[]): FakeOrder[] {
    const given = by.filter((name) => !blank(fields[name]));
    if (given.length === 0) refuse(`Не вказано ${by.join(', ')}`);
    const visible = orders.filter(inScope(key, fields));
    const valueOf = { id: (o: FakeOrder) => String(o.id), number: (o: FakeOrder) => String(o.number), external_id: (o: FakeOrder) => o.externalId };
    for (const name of given) {
      const wanted = fields[name]?.trim();
      const found = visible.filter((o) => valueOf[name](o) === wanted);
      if (found.length > 0) return found;
    }
    return [];
  }

  function readDelivery(fields: Record<string, string>, creating: boolean): Partial<FakeOrder> {
    const raw = fields['delivery_types'];
    const changed: Partial<FakeOrder> = {};
    const text = (name: string): string | null | undefined => (fields[name] === undefined ? undefined : blank(fields[name]) ? null : fields[name].trim());
    const city = text('city');
    const cityRef = text('city_ref');
    const addres = text('addres');
    const branchRef = text('branch_ref');
    if (blank(raw)) {
      if (creating) refuse('Не вказано тип доставки (delivery_types)');
      if ([city, cityRef, addres, branchRef].some((v) => v !== undefined)) {
        refuse('Для зміни міста, відділення або адреси доставки вкажіть тип доставки (delivery_types)');
      }
      return changed;
    }
    const type = Number(raw);
    if (deliveryTypeNames[type] === undefined) refuse(`Невідомий тип доставки: ${raw}`);
    if (type !== 1 && type !== 2 && (cityRef ?? null) === null) refuse("Поле city_ref обов'язкове для обраного типу доставки");
    if (type === 3 && (branchRef ?? null) === null) refuse("Поле branch_ref обов'язкове для доставки у відділення Нової Пошти");
    changed.deliveryType = type;
    if (city !== undefined) changed.city = city;
    if (cityRef !== undefined) changed.cityRef = cityRef;
    if (addres !== undefined) changed.addres = addres;
    if (branchRef !== undefined) changed.branchRef = branchRef;
    return changed;
  }

  function findProduct(key: FakeKey, item: Record<string, unknown>): FakeProduct | undefined {
    const id = present(item['id']);
    const byId = id === undefined ? undefined : products.find((p) => String(p.id) === id);
    if (byId !== undefined) return byId;
    if (key.kind === 'organization') {
      const externalId = present(item['external_id']);
      const found = externalId === undefined ? undefined : products.find((p) => p.externalId === externalId);
      if (found !== undefined) return found;
    } else {
      const code = present(item['supplier_id']);
      const found = code === undefined ? undefined : products.find((p) => p.supplierCodes?.some((s) => s.code === code));
      if (found !== undefined) return found;
    }
    const sku = present(item['sku']);
    return sku === undefined ? undefined : products.find((p) => p.sku === sku);
  }

  function readLines(key: FakeKey, raw: string | undefined): FakeOrderLine[] {
    if (blank(raw)) refuse('Не вказано товари (products)');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      refuse('Невірний формат products: очікується json_encode масиву товарів');
    }
    if (!Array.isArray(parsed)) refuse('Невірний формат products: очікується json_encode масиву товарів');
    if (parsed.length === 0) refuse('Не вказано товари (products)');
    return parsed.map((item: unknown) => {
      if (!isRecord(item)) refuse('Невірний формат products: очікується json_encode масиву товарів');
      const product = findProduct(key, item);
      if (product === undefined) refuse(`Товар не знайдено: ${JSON.stringify(item)}`);
      const qty = numeric(item['qty']);
      if (qty === undefined || qty <= 0) refuse(`Невірна кількість товару ${product.sku}`);
      const cost = item['cost'] === undefined ? product.price : numeric(item['cost']);
      if (cost === undefined || cost < 0) refuse(`Невірна ціна товару ${product.sku}`);
      const discount = item['discount_percent'] === undefined ? 0 : numeric(item['discount_percent']);
      if (discount === undefined || discount < 0 || discount > 100) refuse(`Невірна знижка товару ${product.sku}`);
      return { productId: product.id, qty, cost: Number(new BigNumber(cost).toFixed(2)), discountPercent: discount };
    });
  }

  function readTags(raw: string | undefined): number[] | undefined {
    if (raw === undefined) return undefined;
    const ids = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
    for (const id of ids) if (!/^\d+$/.test(id) || tags[Number(id)] === undefined) refuse(`Тег ${id} не знайдено`);
    return ids.map(Number);
  }

  function readCustomFields(raw: string | undefined): Record<string, unknown> {
    if (blank(raw)) return {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isRecord(parsed)) return parsed;
    } catch {
      // Falls through to the refusal below.
    }
    refuse('Невірний формат custom_fields: очікується json_encode масиву');
  }

  function readContact(fields: Record<string, string>): Partial<FakeOrder> {
    const changed: Partial<FakeOrder> = {};
    if (fields['receiver_name'] !== undefined) changed.receiverName = blank(fields['receiver_name']) ? null : fields['receiver_name'].trim();
    if (fields['receiver_phone'] !== undefined) changed.receiverPhone = fields['receiver_phone'].replace(/\D+/g, '') || null;
    if (fields['insurance_amount'] !== undefined) changed.insuranceAmount = wholeNumber(fields['insurance_amount'], 'insurance_amount');
    if (fields['delivery_amount'] !== undefined) changed.deliveryAmount = wholeNumber(fields['delivery_amount'], 'delivery_amount');
    return changed;
  }

  function accountOf(key: FakeKey, fields: Record<string, string>): Account {
    if (key.kind === 'counterparty') return { clientId: key.clientId, currencyId: key.currencyId, warehouseId: key.warehouseId };
    const required = (name: string): string => {
      const value = fields[name];
      if (blank(value)) refuse(`Не вказано ${name}`);
      return value.trim();
    };
    return { clientId: required('client_id'), currencyId: required('curency_id'), warehouseId: required('warehouse_id') };
  }

  function getOrders(key: FakeKey, fields: Record<string, string>): Answer {
    return envelope(200, false, '', { response: search(key, fields, ['id', 'number', 'external_id']).map(presentOrder) });
  }

  function createOrder(key: FakeKey, fields: Record<string, string>): Answer {
    const account = accountOf(key, fields);
    const delivery = readDelivery(fields, true);
    const contact = readContact(fields);
    const lines = readLines(key, fields['products']);
    const tagIds = readTags(fields['type']) ?? [];
    const customFields = readCustomFields(fields['custom_fields']);
    const at = stamp();
    const order = fake.addOrder({
      ...account,
      ...delivery,
      ...contact,
      externalId: blank(fields['external_id']) ? null : fields['external_id'].trim(),
      tagIds,
      customFields,
      funnel: blank(fields['funnel']) ? null : fields['funnel'].trim(),
      lines,
      dateEntered: at,
      dateUpdate: at,
    });
    return envelope(200, false, 'Документ успішно створено!', { create_id: order.id });
  }

  function updateOrder(key: FakeKey, fields: Record<string, string>): Answer {
    const found = search(key, fields, ['id', 'external_id']);
    if (found.length === 0) refuse('Замовлення не знайдено');
    if (found.length > 1) refuse(`Знайдено декілька замовлень з external_id ${fields['external_id'] ?? ''}: вкажіть id або client_id`);
    const order = found[0]!;
    const changes: Partial<FakeOrder> = { ...readDelivery(fields, false), ...readContact(fields) };
    const tagIds = readTags(fields['type']);
    if (tagIds !== undefined) changes.tagIds = tagIds;
    if (fields['products'] !== undefined) changes.lines = readLines(key, fields['products']);
    if (key.kind === 'organization') {
      if (!blank(fields['curency_id'])) changes.currencyId = fields['curency_id'].trim();
      if (!blank(fields['warehouse_id'])) changes.warehouseId = fields['warehouse_id'].trim();
    }
    Object.assign(order, changes, { dateUpdate: stamp() });
    return envelope(200, false, 'Документ успішно оновлено!');
  }

  function deleteOrders(key: FakeKey, fields: Record<string, string>): Answer {
    const found = search(key, fields, ['id', 'external_id']);
    if (found.length === 0) refuse('Замовлення не знайдено');
    const locked = found.find((o) => o.statusId > 2);
    if (locked !== undefined) {
      refuse(
        `Видалення замовлення №${locked.number} заборонено: по API дозволено видаляти лише замовлення у статусах Новий, Повністю зарезервований, Частково зарезервований`,
      );
    }
    orders = orders.filter((o) => !found.includes(o));
    const deleted = found.map((o) => ({ id: String(o.id), number: String(o.number), external_id: o.externalId }));
    return envelope(200, false, 'Документ успішно видалено!', { deleted });
  }

  function answerRequest(path: string, query: URLSearchParams, fields: Record<string, string>): Answer {
    if (path !== ordersPath) return errorPage(404, 'Not Found');
    const secret = query.get('secret_key');
    if (secret === null || secret.trim() === '') return envelope(200, true, 'Не вказано secret_key');
    const key = keys.find((k) => k.secretKey === secret);
    if (key === undefined) return envelope(200, true, 'Невірний secret_key');
    const limited = spendRate();
    if (limited !== undefined) return limited;
    try {
      const methodType = fields['method_type'];
      if (blank(methodType)) refuse('Не вказано method_type');
      switch (methodType) {
        case 'GET':
          return getOrders(key, fields);
        case 'POST':
          return createOrder(key, fields);
        case 'PUT':
          return updateOrder(key, fields);
        case 'DELETE':
          return deleteOrders(key, fields);
        default:
          refuse(`Невідомий method_type: ${methodType}`);
      }
    } catch (err) {
      if (err instanceof Refusal) return envelope(200, true, err.message);
      throw err;
    }
  }

  /** PHP fills $_POST from url-encoded and multipart bodies only. */
  async function formFields(req: IncomingMessage, raw: Buffer): Promise<Record<string, string>> {
    const contentType = req.headers['content-type'] ?? '';
    if (req.method !== 'POST' || !/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(contentType)) return {};
    try {
      const form = await new Response(new Uint8Array(raw), { headers: { 'Content-Type': contentType } }).formData();
      const fields: Record<string, string> = {};
      for (const [name, value] of form) if (typeof value === 'string') fields[name] = value;
      return fields;
    } catch {
      return {};
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const fields = await formFields(req, raw);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      fields,
      methodType: fields['method_type'] ?? null,
      status: null,
    };
    requests.push(record);
    const answer = (): Answer => answerRequest(path, url.searchParams, fields);

    const fault = faults.take({ methodType: record.methodType, path });
    if (fault?.kind === 'lost-answer') {
      answer();
      req.socket.destroy();
      return;
    }
    // Under a delay the work is done even when the client gave up meanwhile, as a real backend does.
    answerUnder(fault, { req, res, record }, {
      answer,
      status: (status) =>
        status === 429
          ? envelope(429, true, 'Забагато запитів, спробуйте пізніше')
          : status === 500
            ? errorPage(500, 'Internal Server Error', 'Apache')
            : errorPage(status, status === 502 ? 'Bad Gateway' : 'Service Unavailable'),
      garbage: { status: 200, body: garbageBody, headers: { 'Content-Type': 'text/html; charset=UTF-8' } },
      delays,
    });
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
  });
  const url = await listen(server, options.port);
  const firstKey = keys[0];
  if (firstKey === undefined) throw new Error('SaleApp fake: at least one key is needed');

  const fake: SaleAppFake = {
    url,
    baseUrl: `${url}/server/api`,
    secretKey: firstKey.secretKey,
    orders() {
      return orders.slice();
    },
    order(id) {
      return orders.find((o) => o.id === id);
    },
    ordersByExternalId(externalId) {
      return orders.filter((o) => o.externalId === externalId);
    },
    addOrder(input) {
      const at = stamp();
      const order: FakeOrder = {
        number: nextNumber,
        externalId: null,
        clientId: '50',
        currencyId: '6',
        warehouseId: '7',
        statusId: 0,
        statusName: statusNames[input.statusId ?? 0] ?? '',
        deliveryType: 1,
        receiverName: null,
        receiverPhone: null,
        city: null,
        cityRef: null,
        addres: null,
        branchRef: null,
        insuranceAmount: null,
        deliveryAmount: null,
        tagIds: [],
        ttn: null,
        ttnRef: null,
        customFields: {},
        funnel: null,
        lines: [],
        dateEntered: at,
        dateUpdate: at,
        ...input,
        id: input.id ?? nextId,
      };
      nextId = Math.max(nextId, order.id) + 1;
      nextNumber = Math.max(nextNumber, order.number) + 1;
      orders.push(order);
      return order;
    },
    setStatus(id, statusId, statusName) {
      const order = fake.order(id);
      if (order === undefined) throw new Error(`SaleApp fake: no order with id ${id}`);
      const name = statusName ?? statusNames[statusId];
      if (name === undefined) throw new Error(`SaleApp fake: status ${statusId} needs a name`);
      order.statusId = statusId;
      order.statusName = name;
      order.dateUpdate = stamp();
    },
    override(id, fields) {
      overrides.set(id, { ...overrides.get(id), ...fields });
    },
    inject: faults.inject,
    clearFaults: faults.clear,
    requests,
    reset() {
      orders = [];
      overrides = new Map();
      requests.length = 0;
      faults.clear();
      windowStart = 0;
      windowCount = 0;
    },
    close() {
      delays.cancelAll();
      return closeServer(server);
    },
  };
  return fake;
}
