import { permanent } from '../../core/errors.js';
import type { FetchedOrder } from '../../core/connector.js';
import { amount, dec, readAmount, sum } from '../../core/money.js';
import type { Fee, NormalizedStatus, Order, OrderLine, Party } from '../../core/order.js';
import { ozonPostingSchema, type OzonAccrual, type OzonMoney, type OzonPosting } from './schemas.js';

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

/** An Ozon price as an exact amount: the switched-off lists send decimal strings, the current ones money objects; null when unreadable. */
export function moneyAmount(value: OzonMoney): string | null {
  return readAmount(typeof value === 'object' ? value.amount : value);
}

function moneyCurrency(value: OzonMoney): string | null {
  return typeof value === 'object' ? (value.currency ?? value.currency_code ?? null) : null;
}

/** Ozon answers "" for a time it does not have; the posting's processing start is its sale moment. */
function postingTime(posting: OzonPosting): string | null {
  for (const candidate of [posting.in_process_at, posting.created_at]) {
    if (candidate && !Number.isNaN(Date.parse(candidate))) return new Date(candidate).toISOString();
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

/** The posting's products by Ozon SKU: their articles, to name the line a charge belongs to. */
export function articlesBySku(posting: Pick<OzonPosting, 'products'>): Map<number, string> {
  return new Map(posting.products.map((p) => [p.sku, p.offer_id]));
}

/**
 * The commission per product as Ozon reports it on the posting (`commission.amount` in v4 FBS and v3 FBO,
 * `commission_amount` in the switched-off lists and the gets): what the seller pays, positive.
 */
export function commissionFees(posting: OzonPosting, currency: string | null): Fee[] {
  const finance = posting.financial_data;
  if (finance === null || finance === undefined) return [];
  const articles = articlesBySku(posting);
  const result: Fee[] = [];
  for (const product of finance.products ?? []) {
    const reported = product.commission_amount ?? product.commission?.amount;
    const commission = reported === undefined || reported === null ? null : readAmount(reported);
    if (commission !== null) result.push({ kind: 'commission', amount: commission, currency, sku: articles.get(product.product_id) ?? String(product.product_id) });
  }
  return result;
}

export interface ServiceChargeRules {
  /** Accrual type names by id (Ozon's dictionary). */
  names: ReadonlyMap<number, string>;
  /** Accrual types never counted as service charges. */
  excluded: ReadonlySet<number>;
}

/**
 * Ozon's service charges on a posting from its accruals: every accrual but the sale itself (those carry a
 * unit price, `seller_price`: the revenue, and the sale commission, which is read from the posting) and the
 * excluded types. Ozon books a charge negative; a fee is what the seller pays, so the sign turns (a refunded
 * charge becomes a negative fee). Each is named by its accrual type.
 */
export function serviceFees(accruals: readonly OzonAccrual[], rules: ServiceChargeRules, articles: ReadonlyMap<number, string>, currency: string | null): Fee[] {
  const result: Fee[] = [];
  for (const accrual of accruals) {
    if (accrual.seller_price !== null && accrual.seller_price !== undefined) continue;
    if (rules.excluded.has(accrual.type_id)) continue;
    const accrued = readAmount(accrual.accrued.amount);
    if (accrued === null || dec(accrued).isZero()) continue;
    const sku = accrual.sku ?? null;
    result.push({
      kind: `service:${rules.names.get(accrual.type_id) ?? `accrual type ${accrual.type_id}`}`,
      amount: amount(dec(accrued).negated()),
      currency: accrual.accrued.currency?.trim() || currency,
      sku: sku === null ? null : (articles.get(sku) ?? String(sku)),
    });
  }
  return result;
}

/** The posting's currency: its products' (money objects or currency_code), else roubles. */
export function postingCurrency(posting: OzonPosting): string {
  const first = posting.products[0];
  return first?.currency_code ?? (first === undefined ? null : moneyCurrency(first.price)) ?? 'RUB';
}

/** The canonical order of a posting; `services` are its service charges so far (from the accruals). */
export function toOrder(posting: OzonPosting, scheme: 'fbs' | 'fbo', services: readonly Fee[] = []): Order {
  const createdAt = postingTime(posting);
  if (createdAt === null) throw new Error('it has neither in_process_at nor created_at');
  const currency = postingCurrency(posting);
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
  if (posting.order_id !== undefined && posting.order_id !== null) refs['orderId'] = String(posting.order_id);
  if (posting.order_number) refs['orderNumber'] = posting.order_number;
  const warehouse = posting.analytics_data?.warehouse || posting.analytics_data?.warehouse_name;
  if (warehouse) refs['warehouse'] = warehouse;
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
    fees: [...commissionFees(posting, currency), ...services],
    refs,
  };
}

/** One posting as Ozon sent it, read on its own so that a broken one does not stop the page. */
export function toFetchedOrder(raw: Record<string, unknown>, scheme: 'fbs' | 'fbo', skipStatuses: readonly string[], services: readonly Fee[] = []): FetchedOrder {
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
    return { kind: 'ready', number: posting.posting_number, revision: posting.status, order: toOrder(posting, scheme, services) };
  } catch (err) {
    return invalid(err instanceof Error ? err.message : String(err));
  }
}
