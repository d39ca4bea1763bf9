import type { FetchedOrder } from '../../core/connector.js';
import { permanent } from '../../core/errors.js';
import { amount, dec, formatMoney, sameAmount, sum, type Decimal } from '../../core/money.js';
import { inexactAtDestination, payableParts, percentLine, percentLineAmount } from '../../core/order-amounts.js';
import type { NormalizedStatus, Order, OrderLine, Party } from '../../core/order.js';
import { parseWallTime } from '../../core/wall-time.js';
import type { SaleAppConfig } from './config.js';
import {
  deliveryProblems,
  saleAppDeliveryTypeSchema,
  saleAppOrderSchema,
  type SaleAppCreateOrder,
  type SaleAppDeliveryType,
  type SaleAppListedOrder,
  type SaleAppProductLine,
} from './schemas.js';

/** What a create needs beyond the order itself: the connection's choices. */
export interface SaleAppMapping {
  defaults: { deliveryType?: SaleAppDeliveryType | undefined; cityRef?: string | undefined; branchRef?: string | undefined };
  productIdKind: 'id' | 'externalId';
  /** Where an external product id goes: `external_id` with an organization key, `supplier_id` with a counterparty key. */
  externalProductField: 'external_id' | 'supplier_id';
  tags: readonly number[];
  funnel?: string | undefined;
  commentField?: string | undefined;
  /** The connection's name, for messages that say which setting to change. */
  connection: string;
  /** ISO code of the account's own currency (that of `currencyId`, or of a counterparty key). */
  currency?: string | undefined;
  /** Order currency → SaleApp curency_id (organization key); the account's own currency needs no entry. */
  currencies: Readonly<Record<string, string>>;
  keyType: 'organization' | 'counterparty';
  surchargeSku?: string | undefined;
}

/**
 * The order refs a source may set to steer delivery per order; they win over the connection's defaults.
 * The amounts are whole hryvnias, as SaleApp wants them.
 */
export const saleAppRefs = {
  deliveryType: 'delivery_type',
  cityRef: 'city_ref',
  branchRef: 'branch_ref',
  insuranceAmount: 'insurance_amount',
  deliveryAmount: 'delivery_amount',
} as const;

export function saleAppMapping(config: SaleAppConfig, connection = 'saleapp'): SaleAppMapping {
  return {
    defaults: { deliveryType: config.delivery.type, cityRef: config.delivery.cityRef, branchRef: config.delivery.branchRef },
    productIdKind: config.productIdKind,
    externalProductField: config.keyType === 'organization' ? 'external_id' : 'supplier_id',
    tags: config.tags,
    funnel: config.funnel,
    commentField: config.commentField,
    connection,
    currency: config.currency,
    currencies: config.currencies,
    keyType: config.keyType,
    surchargeSku: config.surchargeSku,
  };
}

/**
 * The SaleApp currency id for the order's currency: undefined means the connection's own (currencyId, or the
 * key's). An order in a currency SaleApp is not told how to book is refused, never booked at face value in
 * the account's currency.
 */
function currencyFor(order: Order, mapping: SaleAppMapping): string | undefined {
  const code = order.currency;
  if (code === null || code === mapping.currency) return undefined;
  const id = mapping.keyType === 'organization' ? mapping.currencies[code] : undefined;
  if (id !== undefined) return id;
  const setting = `connections.${mapping.connection}`;
  const fix =
    mapping.keyType === 'organization'
      ? `Set ${setting}.currencies.${code} to the id of ${code} in SaleApp${mapping.currency === undefined ? ` (or ${setting}.currency to ${code} if currencyId is ${code})` : ''}, then retry.`
      : `A counterparty key books every order in its own currency${mapping.currency === undefined ? `: set ${setting}.currency to its ISO code` : ` (${mapping.currency})`}; send ${code} orders through an organization key with ${setting}.currencies.${code}.`;
  throw permanent(
    'AMOUNT_NOT_EXACT',
    `order ${order.number} was not sent to SaleApp: the customer paid ${formatMoney(order.total, code)}, and SaleApp would book that number in ${mapping.currency ?? "the connection's own currency"}, because the connection names no SaleApp currency for ${code}. ${fix}`,
    { context: { system: 'saleapp', order: order.number, total: order.total, currency: code } },
  );
}

/**
 * Each line as SaleApp holds it: a price per unit (`cost`) and a discount percent, rounded to the kopeck per
 * line. The list price is kept when the source's prices include tax, so a coupon or a discount shows as
 * such; each line's percent carries its share of the order's discounts (and, for prices before tax, the
 * price is what a unit costs with tax). A line no percent can make exactly is refused with the amounts.
 */
function lineMoney(order: Order, payable: readonly Decimal[], mapping: SaleAppMapping): { cost: number; discount: number }[] {
  return order.lines.map((line, index) => {
    const share = payable[index] ?? dec(0);
    const held = percentLine(share, line.quantity, order.prices === 'gross' ? line.unitPrice : null, order.currency);
    if (held === null) {
      throw inexactAtDestination(
        order,
        'SaleApp',
        dec(order.total).minus(share).plus(dec(line.unitPrice).dp(2).times(line.quantity)),
        `line "${line.name}" comes to ${formatMoney(share, order.currency)} for ${line.quantity} units, which no price and discount percent SaleApp keeps makes exactly`,
        'Change the line at the source (for example split it so that each unit has a price in whole kopecks), then retry.',
      );
    }
    return { cost: held.unitPrice.toNumber(), discount: held.percent.toNumber() };
  });
}


function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** SaleApp keeps only the digits of a phone number; sending just those makes what we send what it stores. */
export function phoneDigits(phone: string | null | undefined): string | undefined {
  const digits = (phone ?? '').replace(/\D+/g, '');
  return digits === '' ? undefined : digits;
}

function wholeAmount(order: Order, ref: string, problems: string[]): number | undefined {
  const raw = text(order.refs[ref]);
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  problems.push(`refs.${ref} is "${raw}", but SaleApp takes a whole non-negative amount`);
  return undefined;
}

function deliveryType(order: Order, mapping: SaleAppMapping, problems: string[]): SaleAppDeliveryType | undefined {
  const raw = text(order.refs[saleAppRefs.deliveryType]);
  if (raw === undefined) {
    if (mapping.defaults.deliveryType === undefined) {
      problems.push(`it has no delivery type: set refs.${saleAppRefs.deliveryType} on the order (1, 2, 3 or 5) or delivery.type in the SaleApp connection`);
    }
    return mapping.defaults.deliveryType;
  }
  const parsed = saleAppDeliveryTypeSchema.safeParse(Number(raw));
  if (parsed.success) return parsed.data;
  problems.push(`refs.${saleAppRefs.deliveryType} is "${raw}", which is not a SaleApp delivery type (1, 2, 3 or 5)`);
  return undefined;
}

function productLine(line: OrderLine, money: { cost: number; discount: number }, mapping: SaleAppMapping, problems: string[]): SaleAppProductLine {
  const label = `"${line.name}"${line.sku ? ` [${line.sku}]` : ''}`;
  const item: SaleAppProductLine = { qty: line.quantity, cost: money.cost, discount_percent: money.discount };
  const productId = text(line.destinationProductId);
  if (productId !== undefined && mapping.productIdKind === 'id') {
    if (/^\d+$/.test(productId) && Number(productId) > 0) item.id = Number(productId);
    else problems.push(`product ${label} has SaleApp product id "${productId}", which is not a positive whole number`);
  } else if (productId !== undefined) {
    item[mapping.externalProductField] = productId;
  }
  const sku = text(line.sku);
  if (sku !== undefined) item.sku = sku;
  if (productId === undefined && sku === undefined) {
    problems.push(`product ${label} has neither a SaleApp product id nor an SKU, so SaleApp cannot find it`);
  }
  if (dec(line.unitPrice).isNegative()) problems.push(`product ${label} has a negative price (${line.unitPrice})`);
  return item;
}

/** What SaleApp shows as an order's sum: each line's price × quantity less its percent, rounded to the kopeck. */
export function saleAppTotal(products: readonly { qty: number; cost: number; discount_percent?: number | undefined }[], currency: string | null): Decimal {
  return sum(products.map((p) => percentLineAmount(p.cost, p.qty, p.discount_percent ?? 0, currency)));
}

/**
 * The canonical order as SaleApp's create fields. Everything SaleApp would refuse, the delivery rules
 * first, is found here before any call, in one message listing every problem.
 */
export function toSaleAppOrder(order: Order, mapping: SaleAppMapping): SaleAppCreateOrder {
  const problems: string[] = [];
  const type = deliveryType(order, mapping, problems);
  const cityRef = text(order.refs[saleAppRefs.cityRef]) ?? mapping.defaults.cityRef;
  const branchRef = text(order.refs[saleAppRefs.branchRef]) ?? mapping.defaults.branchRef;
  if (type !== undefined) {
    for (const problem of deliveryProblems({ delivery_types: type, city_ref: cityRef, branch_ref: branchRef })) {
      const setting = problem.field === 'branch_ref' ? 'branchRef' : 'cityRef';
      // Only a SaleApp order read as a source carries its own REFs; for any other source the connection decides.
      problems.push(
        `${problem.message}, and neither the order nor the connection gives one: set delivery.${setting} of the SaleApp connection "${mapping.connection}" ` +
          '(the same place for every order), or use delivery.type 1 (pickup) or 2 (own delivery)',
      );
    }
  }
  const receiverName = text(order.recipient.name);
  if (receiverName === undefined) problems.push('the recipient has no name');
  const insurance = wholeAmount(order, saleAppRefs.insuranceAmount, problems);
  const cashOnDelivery = wholeAmount(order, saleAppRefs.deliveryAmount, problems);
  const curencyId = currencyFor(order, mapping);
  const paid = payableParts(order);
  if (paid.surcharges.length > 0 && mapping.surchargeSku === undefined) {
    throw inexactAtDestination(
      order,
      'SaleApp',
      sum(paid.lines),
      `SaleApp orders have no field for ${order.surcharges.map((s) => `${s.name} ${formatMoney(s.amount, order.currency)}`).join(', ')}`,
      `Set connections.${mapping.connection}.surchargeSku to the SKU of a SaleApp product that stands for such charges (e.g. delivery), then retry.`,
    );
  }
  const money = lineMoney(order, paid.lines, mapping);
  const products = order.lines.map((line, index) => productLine(line, money[index]!, mapping, problems));
  for (const charge of paid.surcharges) products.push({ sku: mapping.surchargeSku ?? '', qty: 1, cost: charge.toNumber(), discount_percent: 0 });
  const wouldShow = saleAppTotal(products, order.currency);
  if (problems.length === 0 && !sameAmount(wouldShow, order.total, order.currency)) {
    throw inexactAtDestination(order, 'SaleApp', wouldShow, 'its lines do not add up to the total at SaleApp', 'Report the case: the amounts may be read wrongly.');
  }

  if (problems.length > 0 || type === undefined || receiverName === undefined) {
    throw permanent('CANNOT_SEND_TO_SALEAPP', `order ${order.number} cannot be sent to SaleApp: ${problems.join('; ')}`, {
      context: { system: 'saleapp', order: order.number, problems },
    });
  }

  const address = order.recipient.address;
  const street = [text(address.street), text(address.street2)].filter((part) => part !== undefined).join(', ');
  const comment = text(order.comment);
  return {
    external_id: order.number,
    ...(curencyId === undefined ? {} : { curency_id: curencyId }),
    delivery_types: type,
    receiver_name: receiverName,
    receiver_phone: phoneDigits(order.recipient.phone ?? order.customer.phone),
    city: text(address.city),
    city_ref: type === 1 || type === 2 ? undefined : cityRef,
    addres: street === '' ? undefined : street,
    branch_ref: type === 3 ? branchRef : undefined,
    insurance_amount: insurance,
    delivery_amount: cashOnDelivery,
    type: mapping.tags.length === 0 ? undefined : mapping.tags.join(','),
    custom_fields: mapping.commentField !== undefined && comment !== undefined ? { [mapping.commentField]: comment } : undefined,
    funnel: mapping.funnel,
    products,
  };
}

const statusByStatusId: Record<number, NormalizedStatus> = { 0: 'new', 1: 'confirmed', 2: 'confirmed' };

function party(name: string | null, phone: string | null, street: string | null, city: string | null): Party {
  return {
    sourceId: null,
    name: name ?? '',
    company: null,
    email: null,
    phone,
    address: { street, street2: null, city, zip: null, state: null, country: null, countryCode: null },
  };
}

/**
 * A SaleApp order as the canonical order, for SaleApp as a source. An order that does not read as the
 * document's model is `invalid` on its own; the others in the same read are unaffected.
 */
export interface SaleAppReadOptions {
  timeZone: string;
  skipStatusIds: readonly number[];
  /** ISO code of the account's own currency. */
  currency?: string | undefined;
  /** ISO code → SaleApp curency_id, read backwards for an order that names its curency_id. */
  currencies: Readonly<Record<string, string>>;
  currencyId?: string | undefined;
}

/**
 * A SaleApp order's currency: the document's model has none, so it is the account's own (`currency`); an
 * account that does send `curency_id` is read through the connection's currency map. Null when unknown.
 */
function sourceCurrency(curencyId: string | null, options: SaleAppReadOptions): string | null {
  if (curencyId !== null) {
    const mapped = Object.entries(options.currencies).find(([, id]) => id === curencyId)?.[0];
    if (mapped !== undefined) return mapped;
    if (curencyId === options.currencyId) return options.currency ?? null;
    return null;
  }
  return options.currency ?? null;
}

export function fromSaleAppOrder(listed: SaleAppListedOrder, options: SaleAppReadOptions): FetchedOrder {
  const parsed = saleAppOrderSchema.safeParse(listed);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || 'order'}: ${issue.message}`);
    return {
      kind: 'invalid',
      number: listed.number,
      revision: null,
      error: permanent('SALEAPP_ORDER_UNREADABLE', `SaleApp order ${listed.number ?? listed.id} (id ${listed.id}) cannot be read: ${problems.join('; ')}`, {
        context: { system: 'saleapp', saleAppId: listed.id, problems },
      }),
    };
  }
  const so = parsed.data;
  const base = { number: so.number, revision: so.date_update ?? so.date_entered };
  const statusRaw = so.status_name ?? String(so.status_id);
  if (options.skipStatusIds.includes(so.status_id)) {
    return { ...base, kind: 'skip', reason: `SaleApp order ${so.number} is in status ${so.status_id} "${statusRaw}", which this connection does not export` };
  }

  // SaleApp writes its account's wall-clock time without a zone.
  const created = parseWallTime(so.date_entered, options.timeZone);
  if (created === null) {
    return { ...base, kind: 'invalid', error: permanent('BAD_DATE', `SaleApp order ${so.number} has an impossible date "${so.date_entered}"`, { context: { system: 'saleapp', saleAppId: so.id } }) };
  }

  const currency = sourceCurrency(so.curency_id, options);
  if (so.curency_id !== null && currency === null) {
    return {
      ...base,
      kind: 'invalid',
      error: permanent(
        'SALEAPP_UNKNOWN_CURRENCY',
        `SaleApp order ${so.number} is in SaleApp currency ${so.curency_id}, which the connection does not map to an ISO code: add it to the connection's "currencies" (e.g. "EUR": ${so.curency_id}), then replay the job`,
        { context: { system: 'saleapp', saleAppId: so.id, curencyId: so.curency_id } },
      ),
    };
  }
  // A line is what SaleApp shows for it: price × quantity less its percent, rounded to the kopeck.
  const lines: OrderLine[] = so.products
    .filter((product) => product.qty > 0)
    .map((product) => ({
      sourceLineId: null,
      sku: product.sku,
      name: product.name,
      quantity: product.qty,
      unitPrice: amount(product.cost),
      discount: amount(dec(product.cost).times(product.qty).minus(percentLineAmount(product.cost, product.qty, product.discount_percent ?? 0, currency))),
      taxRate: null,
      sourceProductId: product.id,
      destinationProductId: null,
      unitOfMeasure: null,
      serials: [],
    }));
  if (lines.length === 0) {
    return { ...base, kind: 'invalid', error: permanent('NO_GOODS', `SaleApp order ${so.number} has no products to deliver`, { context: { system: 'saleapp', saleAppId: so.id } }) };
  }

  const recipient = party(so.receiver_name, so.receiver_phone, so.addres, so.city);
  const refs: Record<string, string> = { saleapp_id: so.id };
  const carried = {
    [saleAppRefs.deliveryType]: so.delivery_types,
    [saleAppRefs.cityRef]: so.city_ref,
    [saleAppRefs.branchRef]: so.branch_ref,
    [saleAppRefs.insuranceAmount]: so.insurance_amount,
    [saleAppRefs.deliveryAmount]: so.delivery_amount,
    external_id: so.external_id,
    ttn: so.ttn,
    ttn_ref: so.ttn_ref,
  };
  for (const [name, value] of Object.entries(carried)) if (value !== null) refs[name] = value;

  const order: Order = {
    source: { connector: 'saleapp', id: so.id },
    number: so.number,
    createdAt: created.toISOString(),
    status: { raw: statusRaw, normalized: statusByStatusId[so.status_id] ?? 'unknown' },
    currency,
    prices: 'gross',
    customer: recipient,
    recipient,
    comment: null,
    lines,
    discounts: [],
    surcharges: [],
    tax: null,
    total: amount(sum(lines.map((line) => dec(line.unitPrice).times(line.quantity).minus(line.discount)))),
    fees: [],
    refs,
  };
  return { ...base, kind: 'ready', order };
}

/**
 * Why an order found at SaleApp by our external_id is not the one we would create for this order (empty
 * when it is ours): its goods (by SaleApp id, else SKU) and quantities, and the sum they make.
 */
export function saleAppNotOurs(expected: SaleAppCreateOrder, found: SaleAppListedOrder, currency: string | null): string[] {
  const parsed = saleAppOrderSchema.safeParse(found);
  if (!parsed.success) return ['its products cannot be read'];
  const theirs = parsed.data.products;
  const differences: string[] = [];
  if (parsed.data.external_id !== expected.external_id) differences.push(`its external_id is ${parsed.data.external_id ?? 'empty'}`);
  const label = (p: { id?: number | string | undefined; sku?: string | null | undefined; qty: number }): string => `${p.sku ?? `#${p.id}`}×${p.qty}`;
  const unmatched = [...theirs];
  for (const product of expected.products) {
    const at = unmatched.findIndex(
      (t) => t.qty === product.qty && ((product.id !== undefined && t.id === String(product.id)) || (product.sku !== undefined && t.sku === product.sku) || (product.external_id !== undefined && t.external_id === product.external_id)),
    );
    if (at < 0) differences.push(`it has no ${label(product)} of ours`);
    else unmatched.splice(at, 1);
  }
  if (unmatched.length > 0) differences.push(`it has ${unmatched.map(label).join(', ')} besides`);
  const ours = saleAppTotal(expected.products, currency);
  const sumThere = saleAppTotal(theirs.map((t) => ({ qty: t.qty, cost: t.cost, discount_percent: t.discount_percent ?? 0 })), currency);
  if (!sameAmount(ours, sumThere, currency)) differences.push(`its goods come to ${formatMoney(sumThere, currency)}, ours to ${formatMoney(ours, currency)}`);
  return differences;
}
