/**
 * A Ysell.pro tenant over real HTTP, for tests of our client and of the export/status flow.
 *
 * Verified from the contract notes (docs/api-contracts.md §1), sources [V]/[C]:
 * - `Authorization: Bearer <key>`, the key is a per-user API token;
 * - lists are bare JSON arrays paged by `page` (1-based) and `per-page` (at most 50), with the page count in
 *   `X-Pagination-Page-Count`; `sort=-id`;
 * - an order has `id` (int), `order_num`, `company_id`, `purchase_date`, `status` as an object
 *   `{ status_name, short_description }`, `items[]` with `p_id` and `serial_num`, and `shipments[]`;
 * - money is a decimal string ("2.50").
 *
 * Our decision, because Ysell documents none of it (§0.1, §1.4, §1.7 are [?] or [I]):
 * - the endpoints `POST /api/orders/create` (JSON body) and `GET /api/orders/status?id=`, taken from the
 *   project spec; `GET /api/v1/order/{id}` exists so that the `Location` of a create points somewhere;
 * - the create body, its required fields, `order_num` unique per account (422 on a second create), the
 *   201 answer, and `address.country` being satisfied by `country` or `country_code`;
 * - Yii2 defaults for everything else: error bodies `{name, message, code: 0, status}`, 422 as a bare
 *   `[{field, message}]` array, the other `X-Pagination-*` headers and `Link`, a page number past the end
 *   answered with the last page (Yii2's `validatePage`), 405 with `Allow`, 415 for a non-JSON body, 400
 *   for unparseable JSON;
 * - every request is authenticated first, before routing, so an unknown path with a bad key is a 401;
 * - the rate limit is a fixed window per fake (Yii2's is a refilling allowance per user): it counts
 *   authenticated requests only, yet every answer carries the `X-Rate-Limit-*` headers while it is on;
 * - the "delivered" status name is configurable (`deliveredStatusName`, default "Done", the spec's word);
 * - how much an answer shows. The project specification (odoo-ysell-spec.ru.md §3.2) names the two
 *   endpoints and the status "Done" (§2.2), and promises no answer field at all. `answers: 'full'` (the
 *   default) answers with the whole order as the Yii2 REST list does (§1.6: `order_num`, `items[]`, …);
 *   `answers: 'minimal'` answers with only what the specification implies: the id a status check needs and
 *   the status (`{"id", "status": {"status_name", "short_description"}}`) from the create, the status, the
 *   look-up and the view alike, and no `order_num` anywhere.
 *
 * Injected faults stand for what is in front of or around the application (a proxy, the network, a crash):
 * they are decided when a request arrives, before authentication; one fault at most per request.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequestBase } from '../shared/http.js';

export const createPath = '/api/orders/create';
export const statusPath = '/api/orders/status';
export const listPath = '/api/v1/order';

export type YsellFault =
  | { kind: 'status'; status: 500 | 502 | 503 | 429; retryAfter?: number }
  | { kind: 'delay'; ms: number }
  /** The work is done at once and only the answer is late: a caller that dies meanwhile never learns of it. */
  | { kind: 'late-answer'; ms: number }
  | { kind: 'reset' }
  | { kind: 'garbage' }
  | { kind: 'reset-after-create' };

export interface FaultOptions {
  /** How many requests the fault hits; 1 when neither this nor `share` is given, unlimited with `share` alone. */
  times?: number;
  match?: (req: { method: string; path: string }) => boolean;
  /** Probability (0..1) that a matching request is hit. */
  share?: number;
}

export interface RecordedRequest extends RecordedRequestBase {
  query: Record<string, string>;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface FakeOrderItem {
  id: number;
  p_id: number;
  odoo_product_id: number | null;
  sku: string | null;
  title: string | null;
  qty: number;
  price: string | null;
  serial_num: string | null;
}

export interface FakeOrder {
  id: number;
  order_num: string;
  company_id: number;
  purchase_date: string | null;
  comment: string | null;
  currency: string | null;
  recipient: { name: string; phone: string | null; email: string | null; company: string | null };
  address: {
    street: string;
    street2: string | null;
    city: string;
    zip: string | null;
    state: string | null;
    country: string | null;
    country_code: string | null;
  };
  status: { status_name: string; short_description: string };
  items: FakeOrderItem[];
  shipments: unknown[];
}

export interface YsellFakeOptions {
  port?: number;
  apiKey?: string;
  /** Known Ysell product ids; when absent every positive integer is a product. */
  products?: Iterable<number>;
  deliveredStatusName?: string;
  rateLimit?: { limit: number; windowMs: number };
  /** 'minimal': answers carry only `id` and `status` (see the header); default 'full'. */
  answers?: 'full' | 'minimal';
}

export interface YsellFake {
  readonly url: string;
  readonly apiKey: string;
  setApiKey(key: string): void;
  setStatus(id: number, statusName: string, shortDescription?: string): void;
  deliver(id: number): void;
  inject(fault: YsellFault, options?: FaultOptions): void;
  clearFaults(): void;
  orders(): FakeOrder[];
  ordersByNumber(orderNum: string): FakeOrder[];
  readonly requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

interface ActiveFault {
  fault: YsellFault;
  remaining: number;
  match: ((req: { method: string; path: string }) => boolean) | undefined;
  share: number | undefined;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

type FieldError = { field: string; message: string };

const jsonType = 'application/json; charset=UTF-8';
const statusNames: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(value), headers: { 'Content-Type': jsonType, ...headers } };
}

function yiiError(status: number, message: string, headers: Record<string, string> = {}): Answer {
  return json(status, { name: statusNames[status] ?? 'Error', message, code: 0, status }, headers);
}

function nginxPage(status: 502 | 503): Answer {
  const title = `${status} ${statusNames[status]}`;
  return {
    status,
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    headers: { 'Content-Type': 'text/html', Server: 'nginx' },
  };
}

/** A PHP notice printed ahead of the JSON, and the JSON cut short: what a broken PHP backend sends. */
const garbageBody =
  '<br />\n<b>Notice</b>:  Undefined index: serial_num in <b>/var/www/ysell/modules/api/controllers/OrdersController.php</b> on line <b>214</b><br />\n{"id":10';

/**
 * Yii2's attribute label: "order_num" → "Order Num", "recipient.name" → "Recipient Name"; an item is its
 * own model, so "items[0].p_id" → "P Id".
 */
function label(field: string): string {
  return field
    .replace(/^.*\]\./, '')
    .split(/[._]/)
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Yii2's integer validator accepts integer-looking strings too. */
function asInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

class Validator {
  readonly errors: FieldError[] = [];

  required(field: string, value: unknown): boolean {
    if (!isBlank(value)) return true;
    this.errors.push({ field, message: `${label(field)} cannot be blank.` });
    return false;
  }

  /** Required string; returns undefined after recording the error. */
  string(field: string, value: unknown): string | undefined {
    if (!this.required(field, value)) return undefined;
    return this.optionalString(field, value) ?? undefined;
  }

  optionalString(field: string, value: unknown): string | null {
    if (isBlank(value)) return null;
    if (typeof value === 'string') return value;
    this.errors.push({ field, message: `${label(field)} must be a string.` });
    return null;
  }

  optionalInteger(field: string, value: unknown): number | null {
    if (isBlank(value)) return null;
    const n = asInteger(value);
    if (n !== undefined) return n;
    this.errors.push({ field, message: `${label(field)} must be an integer.` });
    return null;
  }
}

export async function startYsellFake(options: YsellFakeOptions = {}): Promise<YsellFake> {
  let apiKey = options.apiKey ?? randomBytes(18).toString('base64url');
  const products = options.products === undefined ? undefined : new Set(options.products);
  const deliveredStatusName = options.deliveredStatusName ?? 'Done';
  const rateLimit = options.rateLimit;
  const minimal = options.answers === 'minimal';
  /** An order as an answer shows it. */
  const shown = (order: FakeOrder): unknown => (minimal ? { id: order.id, status: { ...order.status } } : order);

  let orders: FakeOrder[] = [];
  let nextOrderId = 1001;
  let nextItemId = 1;
  let faults: ActiveFault[] = [];
  const requests: RecordedRequest[] = [];
  let windowStart = 0;
  let windowCount = 0;
  const timers = new Set<NodeJS.Timeout>();

  function rateWindow(now: number): { remaining: number; resetSeconds: number } | undefined {
    if (rateLimit === undefined) return undefined;
    if (now - windowStart >= rateLimit.windowMs) {
      windowStart = now;
      windowCount = 0;
    }
    return {
      remaining: Math.max(0, rateLimit.limit - windowCount),
      resetSeconds: Math.max(1, Math.ceil((windowStart + rateLimit.windowMs - now) / 1000)),
    };
  }

  function rateHeaders(): Record<string, string> {
    const w = rateWindow(Date.now());
    if (rateLimit === undefined || w === undefined) return {};
    return {
      'X-Rate-Limit-Limit': String(rateLimit.limit),
      'X-Rate-Limit-Remaining': String(w.remaining),
      'X-Rate-Limit-Reset': String(w.resetSeconds),
    };
  }

  /** Consumes one unit of the window; an answer when the limit is exceeded. */
  function spendRate(): Answer | undefined {
    const w = rateWindow(Date.now());
    if (w === undefined) return undefined;
    if (w.remaining === 0) {
      return yiiError(429, 'Rate limit exceeded.', { 'Retry-After': String(w.resetSeconds) });
    }
    windowCount += 1;
    return undefined;
  }

  function pickFault(method: string, path: string): YsellFault | undefined {
    for (const active of faults) {
      if (active.remaining <= 0) continue;
      if (active.fault.kind === 'reset-after-create' && !(method === 'POST' && path === createPath)) continue;
      if (active.match !== undefined && !active.match({ method, path })) continue;
      if (active.share !== undefined && Math.random() >= active.share) continue;
      active.remaining -= 1;
      faults = faults.filter((f) => f.remaining > 0);
      return active.fault;
    }
    return undefined;
  }

  function authorized(headers: IncomingHttpHeaders): boolean {
    const match = /^bearer\s+(.+)$/i.exec(headers.authorization?.trim() ?? '');
    return match?.[1] === apiKey;
  }

  function findOrder(id: number): FakeOrder | undefined {
    return orders.find((o) => o.id === id);
  }

  function createOrder(body: unknown): Answer {
    const input = isRecord(body) ? body : {};
    const v = new Validator();

    const orderNum = v.string('order_num', input['order_num']);
    const recipientIn = isRecord(input['recipient']) ? input['recipient'] : {};
    const addressIn = isRecord(input['address']) ? input['address'] : {};
    const recipientName = v.string('recipient.name', recipientIn['name']);
    const street = v.string('address.street', addressIn['street']);
    const city = v.string('address.city', addressIn['city']);
    const country = v.optionalString('address.country', addressIn['country']);
    const countryCode = v.optionalString('address.country_code', addressIn['country_code']);
    if (country === null && countryCode === null) v.required('address.country', undefined);

    const items: FakeOrderItem[] = [];
    const itemsIn = input['items'];
    if (!Array.isArray(itemsIn) || itemsIn.length === 0) {
      v.errors.push({ field: 'items', message: 'Items cannot be blank.' });
    } else {
      itemsIn.forEach((raw: unknown, i) => {
        const item = isRecord(raw) ? raw : {};
        const at = (name: string): string => `items[${i}].${name}`;
        let pId: number | undefined;
        if (v.required(at('p_id'), item['p_id'])) {
          pId = asInteger(item['p_id']);
          if (pId === undefined || pId <= 0) {
            v.errors.push({ field: at('p_id'), message: `${label('p_id')} must be a positive integer.` });
            pId = undefined;
          } else if (products !== undefined && !products.has(pId)) {
            v.errors.push({ field: at('p_id'), message: 'Product not found.' });
            pId = undefined;
          }
        }
        let qty: number | undefined;
        if (v.required(at('qty'), item['qty'])) {
          qty = asNumber(item['qty']);
          if (qty === undefined) v.errors.push({ field: at('qty'), message: 'Qty must be a number.' });
          else if (qty <= 0) {
            v.errors.push({ field: at('qty'), message: 'Qty must be greater than "0".' });
            qty = undefined;
          }
        }
        let price: string | null = null;
        if (!isBlank(item['price'])) {
          const n = asNumber(item['price']);
          if (n === undefined) v.errors.push({ field: at('price'), message: 'Price must be a number.' });
          else price = typeof item['price'] === 'string' ? item['price'].trim() : String(n);
        }
        const odooProductId = v.optionalInteger(at('odoo_product_id'), item['odoo_product_id']);
        const sku = v.optionalString(at('sku'), item['sku']);
        const title = v.optionalString(at('title'), item['title']);
        const serialNum = v.optionalString(at('serial_num'), item['serial_num']);
        if (pId !== undefined && qty !== undefined) {
          items.push({ id: 0, p_id: pId, odoo_product_id: odooProductId, sku, title, qty, price, serial_num: serialNum });
        }
      });
    }

    const purchaseDate = v.optionalString('purchase_date', input['purchase_date']);
    const comment = v.optionalString('comment', input['comment']);
    const currency = v.optionalString('currency', input['currency']);
    const phone = v.optionalString('recipient.phone', recipientIn['phone']);
    const email = v.optionalString('recipient.email', recipientIn['email']);
    const company = v.optionalString('recipient.company', recipientIn['company']);
    const street2 = v.optionalString('address.street2', addressIn['street2']);
    const zip = v.optionalString('address.zip', addressIn['zip']);
    const state = v.optionalString('address.state', addressIn['state']);

    if (orderNum !== undefined && orders.some((o) => o.order_num === orderNum)) {
      v.errors.push({ field: 'order_num', message: `Order Num "${orderNum}" has already been taken.` });
    }
    if (v.errors.length > 0 || orderNum === undefined || recipientName === undefined || street === undefined || city === undefined) {
      return json(422, v.errors);
    }

    const order: FakeOrder = {
      id: nextOrderId++,
      order_num: orderNum,
      company_id: 1,
      purchase_date: purchaseDate,
      comment,
      currency,
      recipient: { name: recipientName, phone, email, company },
      address: { street, street2, city, zip, state, country, country_code: countryCode },
      status: { status_name: 'New', short_description: 'New order' },
      items: items.map((item) => ({ ...item, id: nextItemId++ })),
      shipments: [],
    };
    orders.push(order);
    return json(201, shown(order), { Location: `${fake.url}${listPath}/${order.id}` });
  }

  function listOrders(query: URLSearchParams): Answer {
    let found = orders.slice();
    const orderNum = query.get('order_num');
    if (orderNum !== null) found = found.filter((o) => o.order_num === orderNum);
    const sort = query.get('sort') ?? '';
    const sortKey = sort.replace(/^-/, '');
    if (sortKey === 'id' || sortKey === 'order_num' || sortKey === 'purchase_date') {
      const dir = sort.startsWith('-') ? -1 : 1;
      found.sort((a, b) => {
        const x = a[sortKey] ?? '';
        const y = b[sortKey] ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }

    const perPage = Math.min(50, Math.max(1, asInteger(query.get('per-page')) ?? 20));
    const total = found.length;
    const pageCount = Math.ceil(total / perPage);
    const requested = (asInteger(query.get('page')) ?? 1) - 1;
    const page = Math.max(0, Math.min(requested, pageCount - 1));

    const link = (p: number): string => {
      const q = new URLSearchParams(query);
      q.set('page', String(p + 1));
      q.set('per-page', String(perPage));
      return `${fake.url}${listPath}?${q.toString()}`;
    };
    const links = [`<${link(page)}>; rel=self`];
    if (pageCount > 0) links.push(`<${link(0)}>; rel=first`);
    if (page > 0) links.push(`<${link(page - 1)}>; rel=prev`);
    if (page < pageCount - 1) links.push(`<${link(page + 1)}>; rel=next`);
    if (pageCount > 0) links.push(`<${link(pageCount - 1)}>; rel=last`);

    return json(200, found.slice(page * perPage, (page + 1) * perPage).map(shown), {
      'X-Pagination-Total-Count': String(total),
      'X-Pagination-Page-Count': String(pageCount),
      'X-Pagination-Current-Page': String(page + 1),
      'X-Pagination-Per-Page': String(perPage),
      Link: links.join(', '),
    });
  }

  function orderStatus(query: URLSearchParams): Answer {
    const id = asInteger(query.get('id'));
    if (id === undefined) return json(422, [{ field: 'id', message: 'Id must be an integer.' }]);
    const order = findOrder(id);
    if (order === undefined) return yiiError(404, 'Page not found.');
    return json(200, minimal ? shown(order) : { id: order.id, order_num: order.order_num, status: { ...order.status } });
  }

  function route(method: string, path: string, query: URLSearchParams, contentType: string, rawBody: string): Answer {
    const allow = (verbs: string[]): Answer | undefined =>
      verbs.includes(method)
        ? undefined
        : yiiError(405, `Method Not Allowed. This URL can only handle the following request methods: ${verbs.join(', ')}.`, {
            Allow: verbs.join(', '),
          });

    if (path === createPath) {
      const wrongVerb = allow(['POST']);
      if (wrongVerb !== undefined) return wrongVerb;
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return yiiError(415, 'Unsupported Media Type: the request body must be application/json.');
      }
      let body: unknown;
      try {
        body = rawBody === '' ? {} : JSON.parse(rawBody);
      } catch {
        return yiiError(400, 'Invalid JSON data in request body: Syntax error.');
      }
      return createOrder(body);
    }
    if (path === statusPath) return allow(['GET', 'HEAD']) ?? orderStatus(query);
    if (path === listPath) return allow(['GET', 'HEAD']) ?? listOrders(query);
    const view = new RegExp(`^${listPath}/(\\d+)$`).exec(path);
    if (view !== null) {
      const wrongVerb = allow(['GET', 'HEAD']);
      if (wrongVerb !== undefined) return wrongVerb;
      const order = findOrder(Number(view[1]));
      return order === undefined ? yiiError(404, 'Page not found.') : json(200, shown(order));
    }
    return yiiError(404, 'Page not found.');
  }

  function answerRequest(
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
    rawBody: string,
  ): Answer {
    if (!authorized(req.headers)) {
      return yiiError(401, 'Your request was made with invalid credentials.', { 'WWW-Authenticate': 'Bearer realm="api"' });
    }
    const limited = spendRate();
    if (limited !== undefined) return limited;
    return route(req.method ?? 'GET', path, query, req.headers['content-type'] ?? '', rawBody);
  }

  function send(res: ServerResponse, record: RecordedRequest, answer: Answer, method: string): void {
    if (res.destroyed || res.writableEnded) return;
    record.status = answer.status;
    const headers = { ...answer.headers, ...rateHeaders() };
    res.writeHead(answer.status, { ...headers, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(method === 'HEAD' ? undefined : answer.body);
  }

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    let body: unknown;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status: null,
    };
    requests.push(record);

    const fault = pickFault(method, path);
    switch (fault?.kind) {
      case undefined:
        send(res, record, answerRequest(req, path, url.searchParams, rawBody), method);
        return;
      case 'status': {
        const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
        if (fault.status === 502 || fault.status === 503) {
          const page = nginxPage(fault.status);
          send(res, record, { ...page, headers: { ...page.headers, ...headers } }, method);
        } else if (fault.status === 429) {
          send(res, record, yiiError(429, 'Rate limit exceeded.', headers), method);
        } else {
          send(res, record, yiiError(500, 'An internal server error occurred.', headers), method);
        }
        return;
      }
      case 'delay': {
        // The work is done even when the client gave up meanwhile, as a real backend does.
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(res, record, answerRequest(req, path, url.searchParams, rawBody), method);
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'late-answer': {
        const answer = answerRequest(req, path, url.searchParams, rawBody);
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(res, record, answer, method);
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'garbage':
        send(res, record, { status: 200, body: garbageBody, headers: { 'Content-Type': jsonType } }, method);
        return;
      case 'reset-after-create':
        answerRequest(req, path, url.searchParams, rawBody);
        req.socket.destroy();
        return;
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const fake: YsellFake = {
    url: `http://127.0.0.1:${port}`,
    get apiKey() {
      return apiKey;
    },
    setApiKey(key) {
      apiKey = key;
    },
    setStatus(id, statusName, shortDescription) {
      const order = findOrder(id);
      if (order === undefined) throw new Error(`Ysell fake: no order with id ${id}`);
      order.status = { status_name: statusName, short_description: shortDescription ?? statusName };
    },
    deliver(id) {
      fake.setStatus(id, deliveredStatusName, 'Delivered to the customer');
    },
    inject(fault, faultOptions = {}) {
      const remaining = faultOptions.times ?? (faultOptions.share === undefined ? 1 : Number.POSITIVE_INFINITY);
      faults.push({ fault, remaining, match: faultOptions.match, share: faultOptions.share });
    },
    clearFaults() {
      faults = [];
    },
    orders() {
      return orders.slice();
    },
    ordersByNumber(orderNum) {
      return orders.filter((o) => o.order_num === orderNum);
    },
    requests,
    reset() {
      orders = [];
      requests.length = 0;
      faults = [];
      windowStart = 0;
      windowCount = 0;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
