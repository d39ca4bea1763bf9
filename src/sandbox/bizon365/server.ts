/**
 * Bizon365's orders API over real HTTP, for tests of our client and source.
 *
 * From the user's copy of the API page (docs/seeds/bizon365-getorders-api.ru.txt, the authority for
 * names) and the contract notes §5 ([V] blog.bizon365.ru/?p=6851, [C] client code):
 * - `GET /api/v2/{projectId}/orders/getorders`, token in the `X-Token` header [V]/[C];
 * - `skip` (default 0) and `limit` (default 100, "не более 100") [V];
 * - `days`: today and that many days before it; it wins over `dateBegin`/`dateEnd`; with neither (or
 *   days = 0) the window is 14 days [V]; `dateBegin`/`dateEnd` in "loose ISO" like 2015-02-01T00:00:00 [V];
 * - `paid`: absent or -1 all, 0 unpaid without partly paid, 1 fully paid, 2 recurring from the 2nd
 *   payment, 3 fully paid without recurring, 5 unpaid or partly paid [V]; `free=1` lists free orders [V];
 *   `search` in name, phone and e-mail [V];
 * - the answer `{skip, limit, total, list, dateBegin: "DD.MM.YYYY", dateEnd: "DD.MM.YYYY", search}` and the
 *   order fields, `goods` as a JSON array packed in a string, and `partialPaid`, `partialPaid_RUR` and
 *   `payments[{date, amount, cur, gate}]` only on partly paid orders (seed doc);
 * - dates in Moscow time, UTC+3 [C]; 401 for a bad token, 403 without rights [C];
 * - money [seed doc, order fields]: `amount` is the order's sum in its `currency` (RUR, UAH, EUR or USD),
 *   `amount_RUR` its rouble equivalent, goods prices in the order's currency; `coupon` is the code the buyer
 *   entered, and an order bought with it has an `amount` below its goods at their prices (800 for goods of
 *   1000: the case that showed the coupon lost); `tax` is the seller's tax, `profit_amount` what is left.
 *
 * Our decisions where the notes are silent:
 * - the goods' prices are list prices and a coupon's discount is only visible as `amount` below them (the
 *   document has no discount field); `tax` is 0 unless given, `profit_amount` the amount less the tax;
 * - `created` and payment dates are written in Moscow time without an offset ("2025-09-01T13:05:00.000")
 *   by default; `createdFormat: 'utc'` writes them like the seed's example ("…Z") instead;
 * - date filters are read in Moscow time, to the second, both ends included; a date without a time
 *   covers its whole day; `days` runs to the end of today; an open bound is echoed as "";
 * - `limit` above 100 is served as 100 (the answer echoes the limit used); a `limit` below 1, a negative
 *   or non-numeric `skip`/`days`, an unknown `paid` or an unreadable date is a 400;
 * - a free order is one with amount 0: hidden unless `free=1`, and then listed whatever `paid` says;
 *   "recurring" is not a field of the order, so the fake keeps it aside (`recurring` on `add`);
 * - newest first (created, then `_id`, descending);
 * - error bodies are `{ "message": "…" }`; authentication comes before routing; a project the token
 *   does not own is a 403 (as the account has no rights there), another path a 404, another verb a 405;
 * - `maxPerSecond` answers 429 (with Retry-After: 1) once that many requests were served in the last
 *   second (real time, not the fake clock); off by default;
 * - `now` is the fake's clock for `days` and the default window.
 *
 * Injected faults stand for what is in front of the application (a proxy, the network): they are
 * decided when a request arrives, before the rate limit and authentication; one at most per request.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerUnder, FaultPlan, type CommonFault, type FaultOptions as SharedFaultOptions } from '../shared/faults.js';
import { closeServer, Delays, errorPage, listen, nginxReason, send, type Answer, type RecordedRequestBase } from '../shared/http.js';
import { seededRandom } from '../shared/random.js';

export const defaultProjectId = '12345';
const moscowOffsetMs = 3 * 3_600_000;
const dayMs = 86_400_000;
const maxLimit = 100;
const defaultDays = 14;
const paidValues = new Set([-1, 0, 1, 2, 3, 5]);
/** Roubles per unit, for amount_RUR: the fake's own rates. */
const rubRate: Record<string, number> = { RUR: 1, EUR: 100, USD: 90, UAH: 2.2 };

export function ordersPath(projectId: string): string {
  return `/api/v2/${projectId}/orders/getorders`;
}

export type BizonFault =
  | CommonFault
  /** Any answer, e.g. JSON of another shape. */
  | { kind: 'body'; status?: number; body: string; contentType?: string };

type FaultRequest = { method: string; path: string; query: Record<string, string> };

export type FaultOptions = SharedFaultOptions<FaultRequest>;

export interface RecordedRequest extends RecordedRequestBase {
  query: Record<string, string>;
  /** When its head arrived (real time, ms); the rate limit counts by this. */
  at: number;
}

export interface FakeGoodsItem {
  _id: string;
  price: number;
  cnt: number;
}

export interface FakePaymentInput {
  date: Date;
  amount: number;
  cur?: string;
  gate?: string;
}

/** An order as a test describes it; the fake writes it out as Bizon does. */
export interface FakeOrderInput {
  _id?: number;
  created: Date;
  firstname?: string;
  lastname?: string;
  middlename?: string;
  email?: string;
  phone?: string;
  /** A list is packed into a string as Bizon does; a string is stored as it is (e.g. broken JSON). */
  goods?: FakeGoodsItem[] | string;
  title?: string;
  /** Defaults to the sum of the goods. */
  amount?: number;
  currency?: string;
  paid?: boolean;
  /** Paid so far on a partly paid order. */
  partialPaid?: number;
  payments?: FakePaymentInput[];
  /** A recurring payment from the 2nd on (paid=2 lists it, paid=3 leaves it out). Not an order field. */
  recurring?: boolean;
  comment?: string;
  address?: string;
  city?: string;
  country_code?: string;
  gate?: string;
  coupon?: string;
  /** The seller's tax Bizon computes on the order (the document's example: 60 on an amount of 1000). */
  tax?: number;
  partner?: string;
  /** Written over the order's fields as they are: odd values a real account might hold. */
  extra?: Record<string, unknown>;
}

export type FakeWireOrder = Record<string, unknown> & { _id: number };

export interface BizonFakeOptions {
  port?: number;
  token?: string;
  projectId?: string;
  now?: () => Date;
  maxPerSecond?: number;
  createdFormat?: 'moscow' | 'utc';
}

export interface BizonFake {
  readonly url: string;
  readonly token: string;
  readonly projectId: string;
  /** Path of the orders method for this fake's project. */
  readonly ordersPath: string;
  setToken(token: string): void;
  /** Without rights to orders, every call is a 403 (the token's account lost the module). */
  setOrdersAccess(allowed: boolean): void;
  add(order: FakeOrderInput): FakeWireOrder;
  addMany(orders: Iterable<FakeOrderInput>): FakeWireOrder[];
  update(id: number, patch: Partial<FakeOrderInput>): FakeWireOrder;
  remove(id: number): void;
  /** Every order as the API writes it, in the order they were added. */
  orders(): FakeWireOrder[];
  inject(fault: BizonFault, options?: FaultOptions): void;
  clearFaults(): void;
  readonly requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

interface StoredOrder {
  input: FakeOrderInput & { _id: number };
}

const jsonType = 'application/json; charset=utf-8';

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(value), headers: { 'Content-Type': jsonType, ...headers } };
}

function failure(status: number, message: string, headers: Record<string, string> = {}): Answer {
  return json(status, { message }, headers);
}

const garbageBody = '{"skip":0,"limit":100,"total":3,"list":[{"_id":100407,"firstname":"Ив';

/** Moscow wall-clock time of an instant, as "YYYY-MM-DDTHH:mm:ss.SSS". */
export function moscowLocal(instant: Date): string {
  return new Date(instant.getTime() + moscowOffsetMs).toISOString().slice(0, 23);
}

function moscowDayStart(instant: Date): number {
  const local = instant.getTime() + moscowOffsetMs;
  return local - (((local % dayMs) + dayMs) % dayMs) - moscowOffsetMs;
}

function moscowDate(instant: number): string {
  const [y, m, d] = new Date(instant + moscowOffsetMs).toISOString().slice(0, 10).split('-');
  return `${d}.${m}.${y}`;
}

/** A loose ISO date in Moscow time: the instant it starts at, and whether it named a time. */
function parseLooseIso(value: string): { at: number; dateOnly: boolean } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(value.trim());
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((ms ?? '0').padEnd(3, '0')));
  const check = new Date(local);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) return undefined;
  return { at: local - moscowOffsetMs, dateOnly: h === undefined };
}

function wholeNumber(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

const firstNames = ['Иван', 'Мария', 'Алексей', 'Ольга', 'Дмитрий', 'Анна', 'Сергей', 'Елена'];
const lastNames = ['Иванов', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов', 'Лебедева', 'Козлов', 'Новикова'];
const products = [
  { _id: 'kvadro5', price: 1000 },
  { _id: 'course-basic', price: 4900 },
  { _id: 'course-pro', price: 14900 },
  { _id: 'book-paper', price: 790 },
  { _id: 'consult-1h', price: 3000 },
];

export interface GenerateOptions {
  seed?: number;
  /** The orders are created at random instants during the `days` before this. */
  now: Date;
  days?: number;
  firstId?: number;
  /** Shares of fully paid and partly paid orders; the rest are unpaid. */
  paidShare?: number;
  partialShare?: number;
}

/** `count` plausible orders, the same for the same options. */
export function generateOrders(count: number, options: GenerateOptions): FakeOrderInput[] {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const days = options.days ?? 10;
  const paidShare = options.paidShare ?? 0.6;
  const partialShare = options.partialShare ?? 0.1;
  const firstId = options.firstId ?? 100_001;
  const orders: FakeOrderInput[] = [];
  for (let i = 0; i < count; i++) {
    const goods = Array.from({ length: 1 + Math.floor(random() * 2) }, () => {
      const product = pick(products);
      return { _id: product._id, price: product.price, cnt: 1 + Math.floor(random() * 2) };
    });
    const amount = goods.reduce((sum, g) => sum + g.price * g.cnt, 0);
    const created = new Date(options.now.getTime() - Math.floor(random() * days * dayMs));
    const roll = random();
    const firstname = pick(firstNames);
    const order: FakeOrderInput = {
      _id: firstId + i,
      created,
      firstname,
      lastname: pick(lastNames),
      email: `buyer${firstId + i}@example.com`,
      phone: `+7999${String(1_000_000 + Math.floor(random() * 8_999_999))}`,
      goods,
      title: goods.map((g) => g._id).join(', '),
      amount,
      currency: 'RUR',
      paid: roll < paidShare,
      address: `г. Москва, ул. Тверская, д. ${1 + Math.floor(random() * 30)}`,
    };
    if (roll >= paidShare && roll < paidShare + partialShare) {
      const part = Math.round(amount / 2);
      order.partialPaid = part;
      order.payments = [{ date: new Date(created.getTime() + 60_000), amount: part, cur: 'RUR', gate: 'yookassa' }];
    }
    orders.push(order);
  }
  return orders;
}

export async function startBizonFake(options: BizonFakeOptions = {}): Promise<BizonFake> {
  let token = options.token ?? randomBytes(18).toString('base64url');
  const projectId = options.projectId ?? defaultProjectId;
  const now = options.now ?? (() => new Date());
  const createdFormat = options.createdFormat ?? 'moscow';
  let ordersAllowed = true;
  let stored: StoredOrder[] = [];
  let nextId = 100_001;
  const faults = new FaultPlan<BizonFault, FaultRequest>();
  let served: number[] = [];
  const requests: RecordedRequest[] = [];
  const delays = new Delays();

  const writeDate = (instant: Date): string => (createdFormat === 'utc' ? instant.toISOString() : moscowLocal(instant));

  function amountOf(input: FakeOrderInput): number {
    if (input.amount !== undefined) return input.amount;
    if (!Array.isArray(input.goods)) return 0;
    return input.goods.reduce((sum, g) => sum + g.price * g.cnt, 0);
  }

  function isPartial(input: FakeOrderInput): boolean {
    return input.paid !== true && (input.partialPaid ?? 0) > 0;
  }

  function wire(order: StoredOrder): FakeWireOrder {
    const input = order.input;
    const amount = amountOf(input);
    const currency = input.currency ?? 'RUR';
    const rate = rubRate[currency] ?? 1;
    const out: FakeWireOrder = {
      _id: input._id,
      firstname: input.firstname ?? '',
      lastname: input.lastname ?? '',
      middlename: input.middlename ?? '',
      email: input.email ?? '',
      phone: input.phone ?? '',
      goods: typeof input.goods === 'string' ? input.goods : JSON.stringify(input.goods ?? []),
      title: input.title ?? '',
      amount,
      currency,
      amount_RUR: Math.round(amount * rate * 100) / 100,
      gate: input.paid === true ? (input.gate ?? 'yookassa') : (input.gate ?? ''),
      ip: '127.0.0.1',
      channel: '',
      partner: input.partner ?? '',
      partner2: '',
      comment: input.comment ?? '',
      coupon: input.coupon ?? '',
      pixel: '',
      address: input.address ?? '',
      city: input.city ?? '',
      country_code: input.country_code ?? '',
      hash: `H${input._id.toString(36).toUpperCase()}x`,
      created: writeDate(input.created),
      paid: input.paid === true,
      partner_already_rewarded: 0,
      appear: '',
      referer: '',
      utm: {},
      partner_reward: 0,
      partner_reward_canceled: 0,
      partner2_reward: 0,
      manager_reward: 0,
      coowners_reward: '{}',
      profit_amount: amount - (input.tax ?? 0),
      tax: input.tax ?? 0,
    };
    if (isPartial(input)) {
      const part = input.partialPaid ?? 0;
      out['partialPaid'] = part;
      out['partialPaid_RUR'] = Math.round(part * rate * 100) / 100;
      out['payments'] = (input.payments ?? []).map((p) => ({ date: writeDate(p.date), amount: p.amount, cur: p.cur ?? currency, gate: p.gate ?? 'yookassa' }));
    }
    return { ...out, ...input.extra, _id: input._id };
  }

  function find(id: number): StoredOrder {
    const order = stored.find((o) => o.input._id === id);
    if (order === undefined) throw new Error(`Bizon365 fake: no order ${id}`);
    return order;
  }

  function paidMatches(input: FakeOrderInput, paid: number): boolean {
    const fully = input.paid === true;
    switch (paid) {
      case 0:
        return !fully && !isPartial(input);
      case 1:
        return fully;
      case 2:
        return fully && input.recurring === true;
      case 3:
        return fully && input.recurring !== true;
      case 5:
        return !fully;
      default:
        return true;
    }
  }

  /** Counts the request in the last second's budget; an answer when the budget is spent. */
  function spendRate(at: number): Answer | undefined {
    if (options.maxPerSecond === undefined) return undefined;
    served = served.filter((t) => at - t < 1_000);
    if (served.length >= options.maxPerSecond) return failure(429, 'Too many requests, slow down', { 'Retry-After': '1' });
    served.push(at);
    return undefined;
  }

  function listOrders(query: URLSearchParams): Answer {
    const skip = wholeNumber(query.get('skip'), 0);
    if (skip === undefined) return failure(400, 'skip must be a non-negative integer');
    const limit = wholeNumber(query.get('limit'), maxLimit);
    if (limit === undefined || limit < 1) return failure(400, 'limit must be a positive integer');
    const days = wholeNumber(query.get('days'), 0);
    if (days === undefined) return failure(400, 'days must be a non-negative integer');
    const paidText = query.get('paid');
    const paid = paidText === null || paidText === '' ? -1 : Number(paidText);
    if (!paidValues.has(paid)) return failure(400, 'paid must be one of -1, 0, 1, 2, 3, 5');
    const free = query.get('free') === '1';
    const search = (query.get('search') ?? '').trim();

    let begin = Number.NEGATIVE_INFINITY;
    let end = Number.POSITIVE_INFINITY;
    const beginText = query.get('dateBegin') ?? '';
    const endText = query.get('dateEnd') ?? '';
    if (days > 0 || (beginText === '' && endText === '')) {
      const today = moscowDayStart(now());
      begin = today - (days > 0 ? days : defaultDays) * dayMs;
      end = today + dayMs - 1;
    } else {
      if (beginText !== '') {
        const parsed = parseLooseIso(beginText);
        if (parsed === undefined) return failure(400, `dateBegin "${beginText}" is not a date`);
        begin = parsed.at;
      }
      if (endText !== '') {
        const parsed = parseLooseIso(endText);
        if (parsed === undefined) return failure(400, `dateEnd "${endText}" is not a date`);
        end = parsed.dateOnly ? parsed.at + dayMs - 1 : parsed.at;
      }
    }

    const needle = search.toLowerCase();
    const matching = stored
      .filter(({ input }) => {
        const created = input.created.getTime();
        if (created < begin || created > end) return false;
        if (amountOf(input) === 0) return free;
        if (!paidMatches(input, paid)) return false;
        if (needle === '') return true;
        const name = [input.firstname, input.middlename, input.lastname].filter(Boolean).join(' ');
        return [name, input.phone ?? '', input.email ?? ''].some((field) => field.toLowerCase().includes(needle));
      })
      .sort((a, b) => b.input.created.getTime() - a.input.created.getTime() || b.input._id - a.input._id);

    const used = Math.min(limit, maxLimit);
    return json(200, {
      skip,
      limit: used,
      total: matching.length,
      list: matching.slice(skip, skip + used).map(wire),
      dateBegin: Number.isFinite(begin) ? moscowDate(begin) : '',
      dateEnd: Number.isFinite(end) ? moscowDate(end) : '',
      search,
    });
  }

  function answerRequest(req: IncomingMessage, path: string, query: URLSearchParams, at: number): Answer {
    const limited = spendRate(at);
    if (limited !== undefined) return limited;
    const sent = req.headers['x-token'];
    if (typeof sent !== 'string' || sent === '' || sent !== token) return failure(401, 'Invalid or missing X-Token');
    const route = /^\/api\/v2\/([^/]+)\/(.+)$/.exec(path);
    if (route === null) return failure(404, `Unknown method ${path}`);
    if (route[1] !== projectId) return failure(403, `No access to project ${route[1]}`);
    if (route[2] !== 'orders/getorders') return failure(404, `Unknown method ${route[2]}`);
    if (!ordersAllowed) return failure(403, 'No rights to the orders module of this project');
    if (req.method !== 'GET') return failure(405, 'Method not allowed', { Allow: 'GET' });
    return listOrders(query);
  }

  function handle(req: IncomingMessage, res: ServerResponse, at: number): void {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method, path, query, headers: req.headers, at, status: null };
    requests.push(record);

    const fault = faults.take({ method, path, query });
    if (fault?.kind === 'body') {
      send(res, record, { status: fault.status ?? 200, body: fault.body, headers: { 'Content-Type': fault.contentType ?? jsonType } });
      return;
    }
    answerUnder(fault, { req, res, record }, {
      answer: () => answerRequest(req, path, url.searchParams, record.at),
      status: (status) =>
        status === 429
          ? failure(429, 'Too many requests, slow down')
          : status === 500
            ? failure(500, 'Internal server error')
            : errorPage(status, nginxReason(status)),
      garbage: { status: 200, body: garbageBody, headers: { 'Content-Type': jsonType } },
      delays,
    });
  }

  const server = createServer((req, res) => {
    // Timed when the request's head arrives, before its (empty) body is read.
    const at = Date.now();
    req.resume();
    req.on('end', () => handle(req, res, at));
  });
  const url = await listen(server, options.port);

  const fake: BizonFake = {
    url,
    get token() {
      return token;
    },
    projectId,
    ordersPath: ordersPath(projectId),
    setToken(value) {
      token = value;
    },
    setOrdersAccess(allowed) {
      ordersAllowed = allowed;
    },
    add(order) {
      const id = order._id ?? nextId;
      if (stored.some((o) => o.input._id === id)) throw new Error(`Bizon365 fake: order ${id} exists already`);
      nextId = Math.max(nextId, id + 1);
      const entry: StoredOrder = { input: { ...order, _id: id } };
      stored.push(entry);
      return wire(entry);
    },
    addMany(orders) {
      return [...orders].map((order) => fake.add(order));
    },
    update(id, patch) {
      const entry = find(id);
      entry.input = { ...entry.input, ...patch, _id: id };
      return wire(entry);
    },
    remove(id) {
      find(id);
      stored = stored.filter((o) => o.input._id !== id);
    },
    orders() {
      return stored.map(wire);
    },
    inject: faults.inject,
    clearFaults: faults.clear,
    requests,
    reset() {
      stored = [];
      requests.length = 0;
      faults.clear();
      served = [];
      ordersAllowed = true;
    },
    close() {
      delays.cancelAll();
      return closeServer(server);
    },
  };
  return fake;
}
