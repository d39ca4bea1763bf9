import { createHash } from 'node:crypto';
import type { FetchedOrder } from '../../core/connector.js';
import { amount, dec, sum } from '../../core/money.js';
import { permanent, type IntegrationError } from '../../core/errors.js';
import type { Order, OrderLine, Party } from '../../core/order.js';
import { bizonGoodsItemSchema, bizonOrderSchema, paidFilterLabels, type BizonGoodsItem, type BizonOrder, type PaidFilter } from './schemas.js';

/**
 * Moscow has kept UTC+3 all year since 26 October 2014; Bizon365 writes its dates in Moscow time and
 * reads its date filters the same way. Older dates (UTC+4 in 2011–2014) are read as +3 too: an hour off
 * on a decade-old order is harmless here.
 */
const moscowOffsetMs = 3 * 3_600_000;
const dayMs = 86_400_000;

/** A loose ISO date as Bizon writes it: date, optional time and fraction, optional offset. */
const bizonDatePattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A Bizon date as ISO UTC. A date without an offset is Moscow time (what Bizon writes); one with an
 * offset or "Z" (as the API page's example `2017-05-10T22:33:21.290Z`) is taken at its word.
 */
export function bizonDateToIso(value: string): string | null {
  const match = bizonDatePattern.exec(value.trim());
  if (match === null) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '0', offset] = match;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const [year, month, day, hour, minute, second] = parts;
  const ms = Math.floor(Number(`0.${fraction}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  // Date.UTC rolls 31 February over into March; a date that does not round-trip is not a date.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  let offsetMs = moscowOffsetMs;
  if (offset !== undefined) {
    if (offset.toUpperCase() === 'Z') offsetMs = 0;
    else {
      const digits = offset.replace(':', '');
      const sign = digits.startsWith('-') ? -1 : 1;
      offsetMs = sign * (Number(digits.slice(1, 3)) * 3_600_000 + Number(digits.slice(3, 5)) * 60_000);
    }
  }
  return new Date(local - offsetMs).toISOString();
}

/** An instant as Bizon's loose ISO in Moscow time, e.g. "2025-09-01T03:00:00" for 2025-09-01T00:00:00Z. */
export function moscowDateTime(instant: Date): string {
  return new Date(instant.getTime() + moscowOffsetMs).toISOString().slice(0, 19);
}

/** The instant the Moscow day containing `instant` began. */
export function moscowDayStart(instant: Date): Date {
  const local = instant.getTime() + moscowOffsetMs;
  return new Date(local - (((local % dayMs) + dayMs) % dayMs) - moscowOffsetMs);
}

/** The last second of the Moscow day containing `instant` (Bizon's filters are read to the second). */
export function moscowDayEnd(instant: Date): Date {
  return new Date(moscowDayStart(instant).getTime() + dayMs - 1000);
}

export interface BizonMapOptions {
  /** The `paid` filter the connection lists with; orders the fields show outside it are skipped. */
  paid: PaidFilter;
  /** Free orders (amount 0) are exported only when this is on (Bizon hides them unless `free=1`). */
  free: boolean;
  /** Put before Bizon's order number to make the canonical number, e.g. "BZ-". */
  numberPrefix: string;
}

export interface MappedOrder {
  /** Bizon's `_id`; a listed item without one gets a stable made-up id so that a person still sees it. */
  sourceId: string;
  fetched: FetchedOrder;
}

export type PaymentState = 'paid' | 'partial' | 'unpaid';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function digest(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value) ?? 'undefined')
    .digest('hex')
    .slice(0, 16);
}

export function paymentState(order: Pick<BizonOrder, 'paid' | 'partialPaid'>): PaymentState {
  if (order.paid) return 'paid';
  return (order.partialPaid ?? 0) > 0 ? 'partial' : 'unpaid';
}

/** What makes Bizon's order change for us: money received first, then what would change the export. */
const revisionFields = ['paid', 'partialPaid', 'payments', 'amount', 'currency', 'goods', 'firstname', 'lastname', 'middlename', 'email', 'phone', 'address', 'comment'];

/**
 * The order's revision: its payment state and a digest of the fields that matter. Bizon has no change
 * date, so this is how a re-listed order that became paid (or got another partial payment) counts as
 * changed, while re-reading an unchanged order does not.
 */
export function bizonRevision(raw: unknown): string {
  if (!isRecord(raw)) return `unreadable:${digest(raw)}`;
  const parsed = bizonOrderSchema.pick({ paid: true, partialPaid: true }).safeParse(raw);
  const state = parsed.success ? paymentState(parsed.data) : 'unreadable';
  return `${state}:${digest(revisionFields.map((field) => raw[field] ?? null))}`;
}

/** Bizon's `_id` as our source id; an item without a usable one is named by a digest of its content. */
export function bizonSourceId(raw: unknown): string {
  if (isRecord(raw)) {
    const id = raw['_id'];
    if (typeof id === 'number' && Number.isInteger(id)) return String(id);
    if (typeof id === 'string' && id.trim() !== '') return id.trim();
  }
  return `unidentified:${digest(raw)}`;
}

/** Why this order is outside the connection's filter, or null when it is inside. */
export function paidFilterMismatch(order: BizonOrder, options: Pick<BizonMapOptions, 'paid' | 'free'>): string | null {
  const label = `order ${order._id}`;
  if (order.amount === 0) {
    return options.free ? null : `${label} is free (amount 0); free orders are exported only with "free": true`;
  }
  const state = paymentState(order);
  const fits: Record<PaidFilter, boolean> = {
    [-1]: true,
    0: state === 'unpaid',
    1: state === 'paid',
    // Whether a payment is recurring is not in the order's fields: Bizon's own filter decides that part.
    2: state === 'paid',
    3: state === 'paid',
    5: state !== 'paid',
  };
  if (fits[options.paid]) return null;
  const stateText = state === 'partial' ? `partially paid (${order.partialPaid} of ${order.amount ?? '?'})` : state;
  return `${label} is ${stateText}; this connection exports ${paidFilterLabels[options.paid]} orders (paid=${options.paid})`;
}

function unreadable(code: string, order: string, problem: string, detail?: string): IntegrationError {
  return permanent(
    code,
    `Bizon365 order ${order} cannot be exported: ${problem}. Correct the order in Bizon365 (or ask Bizon365 support to), then replay the job`,
    { context: { system: 'bizon365', order }, ...(detail === undefined ? {} : { detail: detail.slice(0, 500) }) },
  );
}

type GoodsResult = { ok: true; items: BizonGoodsItem[] } | { ok: false; code: string; problem: string };

/** `goods` is JSON packed in a string: read it without trusting it. */
export function parseGoods(goods: unknown): GoodsResult {
  let value: unknown = goods;
  if (typeof goods === 'string') {
    if (goods.trim() === '') return { ok: false, code: 'BIZON_NO_GOODS', problem: 'its goods list is empty' };
    try {
      value = JSON.parse(goods);
    } catch (err) {
      return { ok: false, code: 'BIZON_GOODS_UNREADABLE', problem: `its goods list is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
    }
  } else if (goods === undefined || goods === null) {
    return { ok: false, code: 'BIZON_NO_GOODS', problem: 'it has no goods list' };
  }
  if (!Array.isArray(value)) return { ok: false, code: 'BIZON_GOODS_UNREADABLE', problem: 'its goods are not a list' };
  if (value.length === 0) return { ok: false, code: 'BIZON_NO_GOODS', problem: 'its goods list is empty' };
  const items: BizonGoodsItem[] = [];
  const problems: string[] = [];
  value.forEach((raw: unknown, index) => {
    const item = bizonGoodsItemSchema.safeParse(raw);
    if (!item.success) {
      const issues = item.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join(', ');
      problems.push(`item ${index + 1} (${issues})`);
    } else if (item.data.cnt <= 0) {
      problems.push(`item ${index + 1} (${item.data._id}) has count ${item.data.cnt}`);
    } else {
      items.push(item.data);
    }
  });
  if (problems.length > 0) return { ok: false, code: 'BIZON_GOODS_UNREADABLE', problem: `its goods list has unusable items: ${problems.join('; ')}` };
  return { ok: true, items };
}

/** Bizon still says RUR (the pre-1998 code); destinations expect the current ISO 4217 code. */
function isoCurrency(code: string | null): string | null {
  if (code === null) return null;
  const upper = code.toUpperCase();
  return upper === 'RUR' ? 'RUB' : upper;
}

function person(order: BizonOrder): Party {
  // Family name first, then given name and patronymic ("Сидоров Иван Петрович"): the order of ФИО / ПІБ,
  // which is how the Russian- and Ukrainian-speaking systems Bizon orders go to (SaleApp's receiver_name) ask for it.
  const name = [order.lastname, order.firstname, order.middlename].filter((part) => part !== null).join(' ');
  return {
    sourceId: null,
    name: name || order.email || order.phone || '',
    company: null,
    email: order.email,
    phone: order.phone,
    // One free-text postal address; Bizon's city and country come from the buyer's IP, not from the address.
    address: { street: order.address, street2: null, city: null, zip: null, state: null, country: null, countryCode: null },
  };
}

function lines(order: BizonOrder, items: readonly BizonGoodsItem[]): OrderLine[] {
  return items.map((item) => ({
    sourceLineId: null,
    sku: item._id,
    // Goods items carry no name; the order's title names the goods, which is exact only for one item.
    name: item.name ?? item.title ?? (items.length === 1 ? order.title : null) ?? item._id,
    quantity: item.cnt,
    unitPrice: amount(item.price),
    discount: '0',
    taxRate: null,
    sourceProductId: item._id,
    destinationProductId: null,
    unitOfMeasure: null,
    serials: [],
  }));
}

/**
 * What the customer pays is `amount`; when it is less than the goods at their prices, the difference is a
 * discount (the coupon's, when the order names one). More than the goods is left as it is, and the
 * export refuses the order with both amounts: Bizon has no charge that would explain it.
 */
function orderMoney(order: BizonOrder, goodsLines: readonly OrderLine[]): Pick<Order, 'discounts' | 'surcharges' | 'total'> {
  const goods = sum(goodsLines.map((line) => dec(line.unitPrice).times(line.quantity)));
  const total = order.amount === null || order.amount === undefined ? goods : dec(order.amount);
  const off = goods.minus(total);
  const discounts: Order['discounts'] = off.isGreaterThan(0) ? [{ kind: order.coupon ? 'coupon' : 'other', code: order.coupon || null, amount: amount(off) }] : [];
  return { discounts, surcharges: [], total: amount(total) };
}

/**
 * Payments are money received, not charges, so they are kept as references (not fees): the paid sum,
 * its rouble equivalent and each payment as JSON, for a destination or a person that needs them.
 */
function refs(order: BizonOrder): Record<string, string> {
  const out: Record<string, string> = { paymentState: paymentState(order) };
  const put = (name: string, value: string | number | null | undefined): void => {
    if (value !== null && value !== undefined && value !== '') out[name] = String(value);
  };
  put('bizonCurrency', order.currency);
  put('amountRub', order.amount_RUR);
  put('paidAmount', order.paid ? order.amount : order.partialPaid);
  put('paidAmountRub', order.paid ? order.amount_RUR : order.partialPaid_RUR);
  put('paymentGate', order.gate);
  put('coupon', order.coupon);
  // Bizon's `tax` is the seller's own tax on the sale (60 on 1000 in its example: the 6 % simplified tax),
  // not a tax the customer pays on top or inside a price: kept for reference, never part of the amounts.
  put('sellerTax', order.tax);
  put('channel', order.channel);
  put('partner', order.partner);
  put('partner2', order.partner2);
  put('ipCity', order.city);
  put('ipCountryCode', order.country_code);
  if (order.payments !== null && order.payments !== undefined && order.payments.length > 0) {
    const payments = order.payments.map((p) => ({
      date: p.date === null ? null : (bizonDateToIso(p.date) ?? p.date),
      amount: p.amount ?? null,
      currency: isoCurrency(p.cur),
      gate: p.gate,
    }));
    out['payments'] = JSON.stringify(payments);
  }
  return out;
}

/** One item of a `getorders` list as what the poll and the export job need. */
export function toFetchedOrder(raw: unknown, options: BizonMapOptions): MappedOrder {
  const sourceId = bizonSourceId(raw);
  const revision = bizonRevision(raw);
  const parsed = bizonOrderSchema.safeParse(raw);
  if (!parsed.success) {
    const known = !sourceId.startsWith('unidentified:');
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'order'}: ${i.message}`)
      .join('; ');
    const name = known ? sourceId : `(without _id, listed as ${sourceId})`;
    const error = unreadable('BIZON_ORDER_UNREADABLE', name, `Bizon365 listed it in an unexpected form (${issues})`, JSON.stringify(raw));
    return { sourceId, fetched: { kind: 'invalid', number: known ? `${options.numberPrefix}${sourceId}` : null, revision, error } };
  }
  const order = parsed.data;
  const number = `${options.numberPrefix}${order._id}`;
  const base = { number, revision };

  const mismatch = paidFilterMismatch(order, options);
  if (mismatch !== null) return { sourceId, fetched: { ...base, kind: 'skip', reason: mismatch } };

  const createdAt = bizonDateToIso(order.created);
  if (createdAt === null) {
    const error = unreadable('BIZON_ORDER_UNREADABLE', order._id, `its creation date "${order.created}" is not a date`);
    return { sourceId, fetched: { ...base, kind: 'invalid', error } };
  }
  const goods = parseGoods(order.goods);
  if (!goods.ok) {
    const error = unreadable(goods.code, order._id, goods.problem, typeof order.goods === 'string' ? order.goods : JSON.stringify(order.goods));
    return { sourceId, fetched: { ...base, kind: 'invalid', error } };
  }

  const state = paymentState(order);
  const customer = person(order);
  const goodsLines = lines(order, goods.items);
  const money = orderMoney(order, goodsLines);
  const mapped: Order = {
    source: { connector: 'bizon365', id: order._id },
    number,
    createdAt,
    status: { raw: state === 'partial' ? 'partially paid' : state, normalized: state === 'paid' ? 'confirmed' : 'new' },
    currency: isoCurrency(order.currency),
    prices: 'gross',
    customer,
    recipient: customer,
    comment: order.comment,
    lines: goodsLines,
    ...money,
    tax: null,
    fees: [],
    refs: refs(order),
  };
  return { sourceId, fetched: { ...base, kind: 'ready', order: mapped } };
}
