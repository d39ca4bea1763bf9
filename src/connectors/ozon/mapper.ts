import { permanent } from '../../core/errors.js';
import type { FetchedOrder } from '../../core/connector.js';
import { amount, dec, readAmount, sum } from '../../core/money.js';
import type { Fee, NormalizedStatus, Order, OrderLine, Party } from '../../core/order.js';
import { ozonPostingSchema, type OzonMoney, type OzonPosting } from './schemas.js';

/** Ozon posting statuses (contract notes §2.7) in the canonical vocabulary; anything else stays raw as "unknown". */
const normalized: Record<string, NormalizedStatus> = {
  awaiting_registration: 'new',
  acceptance_in_progress: 'new',
  awaiting_approve: 'new',
  awaiting_verification: 'new',
  awaiting_packaging: 'confirmed',
  awaiting_deliver: 'confirmed',
  arbitration: 'shipped',
  client_arbitration: 'shipped',
  delivering: 'shipped',
  driver_pickup: 'shipped',
  sent_by_seller: 'shipped',
  delivered: 'delivered',
  cancelled: 'cancelled',
  cancelled_from_split_pending: 'cancelled',
  not_accepted: 'cancelled',
};

export function normalizeOzonStatus(status: string): NormalizedStatus {
  return normalized[status] ?? 'unknown';
}

/** An Ozon price as an exact amount: v3 sends decimal strings, v4 money objects; null when unreadable. */
export function moneyAmount(value: OzonMoney): string | null {
  return readAmount(typeof value === 'object' ? value.amount : value);
}

function moneyCurrency(value: OzonMoney): string | null {
  return typeof value === 'object' ? (value.currency ?? value.currency_code ?? null) : null;
}

/** Ozon answers "" for a time it does not have; the posting's processing start is its sale moment. */
function postingTime(posting: OzonPosting): string | null {
  for (const candidate of [posting.in_process_at, posting.created_at]) {
    if (candidate !== undefined && candidate !== '' && !Number.isNaN(Date.parse(candidate))) return new Date(candidate).toISOString();
  }
  return null;
}

function buyer(posting: OzonPosting): Party {
  const analytics = posting.analytics_data ?? null;
  return {
    sourceId: null,
    // Ozon hides the buyer from FBO sellers and from FBS ones until shipping.
    name: posting.addressee?.name?.trim() || 'Ozon buyer',
    company: null,
    email: null,
    phone: posting.addressee?.phone?.trim() || null,
    address: {
      street: null,
      street2: null,
      city: analytics?.city?.trim() || null,
      zip: null,
      state: analytics?.region?.trim() || null,
      country: 'Russia',
      countryCode: 'RU',
    },
  };
}

/**
 * Commission per product, and every Ozon service charge (the legacy `item_services` /
 * `posting_services` dictionaries: each value taken, as the seller's notes ask). Amounts keep Ozon's sign:
 * service charges arrive negative.
 */
function fees(posting: OzonPosting, currency: string | null): Fee[] {
  const finance = posting.financial_data;
  if (finance === null || finance === undefined) return [];
  const skuByProductId = new Map(posting.products.map((p) => [p.sku, p.offer_id]));
  const result: Fee[] = [];
  for (const product of finance.products) {
    const sku = skuByProductId.get(product.product_id) ?? String(product.product_id);
    const commission = product.commission_amount !== undefined ? readAmount(product.commission_amount) : product.commission === undefined ? null : moneyAmount(product.commission);
    if (commission !== null) result.push({ kind: 'commission', amount: commission, currency, sku });
    for (const [name, value] of Object.entries(product.item_services ?? {})) {
      if (value !== 0) result.push({ kind: `service:${name}`, amount: amount(value), currency, sku });
    }
  }
  for (const [name, value] of Object.entries(finance.posting_services ?? {})) {
    if (value !== 0) result.push({ kind: `service:${name}`, amount: amount(value), currency, sku: null });
  }
  return result;
}

export function toOrder(posting: OzonPosting, scheme: 'fbs' | 'fbo'): Order {
  const createdAt = postingTime(posting);
  if (createdAt === null) throw new Error('it has neither in_process_at nor created_at');
  const first = posting.products[0];
  const currency = first?.currency_code ?? (first === undefined ? null : moneyCurrency(first.price)) ?? 'RUB';
  const lines: OrderLine[] = posting.products.map((product) => {
    const unitPrice = moneyAmount(product.price);
    if (unitPrice === null) throw new Error(`product ${product.offer_id} has an unreadable price ${JSON.stringify(product.price)}`);
    return {
      sourceLineId: null,
      sku: product.offer_id,
      name: product.name,
      quantity: product.quantity,
      unitPrice,
      discount: '0',
      taxRate: null,
      sourceProductId: String(product.sku),
      destinationProductId: null,
      unitOfMeasure: null,
      serials: [],
    };
  });
  const party = buyer(posting);
  const refs: Record<string, string> = { scheme };
  if (posting.order_id !== undefined) refs['orderId'] = String(posting.order_id);
  if (posting.order_number !== undefined) refs['orderNumber'] = posting.order_number;
  const warehouse = posting.analytics_data?.warehouse ?? posting.analytics_data?.warehouse_name;
  if (warehouse !== undefined && warehouse !== '') refs['warehouse'] = warehouse;
  return {
    source: { connector: 'ozon', id: posting.posting_number },
    number: posting.posting_number,
    createdAt,
    status: { raw: posting.status, normalized: normalizeOzonStatus(posting.status) },
    currency,
    prices: 'gross',
    customer: party,
    recipient: party,
    comment: null,
    lines,
    discounts: [],
    surcharges: [],
    tax: null,
    // The seller's prices: what the sale is booked at; Ozon's own co-financed discounts are its affair.
    total: amount(sum(lines.map((line) => dec(line.unitPrice).times(line.quantity)))),
    fees: fees(posting, currency),
    refs,
  };
}

/** One posting as Ozon sent it, read on its own so that a broken one does not stop the page. */
export function toFetchedOrder(raw: Record<string, unknown>, scheme: 'fbs' | 'fbo', skipStatuses: readonly string[]): FetchedOrder {
  const numberGuess = typeof raw['posting_number'] === 'string' ? raw['posting_number'] : null;
  const statusGuess = typeof raw['status'] === 'string' ? raw['status'] : null;
  const parsed = ozonPostingSchema.safeParse(raw);
  const invalid = (problem: string): FetchedOrder => ({
    kind: 'invalid',
    number: numberGuess,
    revision: statusGuess,
    error: permanent('OZON_POSTING_UNREADABLE', `Ozon posting ${numberGuess ?? '(without a number)'} cannot be read: ${problem}`, {
      context: { system: 'ozon', postingNumber: numberGuess },
    }),
  });
  if (!parsed.success) {
    return invalid(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'posting'}: ${i.message}`).join('; '));
  }
  const posting = parsed.data;
  if (skipStatuses.includes(posting.status)) {
    return { kind: 'skip', number: posting.posting_number, revision: posting.status, reason: `the posting is ${posting.status}` };
  }
  try {
    return { kind: 'ready', number: posting.posting_number, revision: posting.status, order: toOrder(posting, scheme) };
  } catch (err) {
    return invalid(err instanceof Error ? err.message : String(err));
  }
}
