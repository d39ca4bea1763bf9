import type { FetchedOrder } from '../../core/connector.js';
import { permanent } from '../../core/errors.js';
import { amount, dec, formatMoney, sameAmount, sum } from '../../core/money.js';
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

export function saleAppMapping(config: SaleAppConfig): SaleAppMapping {
  return {
    defaults: { deliveryType: config.delivery.type, cityRef: config.delivery.cityRef, branchRef: config.delivery.branchRef },
    productIdKind: config.productIdKind,
    externalProductField: config.keyType === 'organization' ? 'external_id' : 'supplier_id',
    tags: config.tags,
    funnel: config.funnel,
    commentField: config.commentField,
  };
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

function productLine(line: OrderLine, mapping: SaleAppMapping, problems: string[]): SaleAppProductLine {
  const label = `"${line.name}"${line.sku ? ` [${line.sku}]` : ''}`;
  const item: SaleAppProductLine = { qty: line.quantity, cost: dec(line.unitPrice).dp(2).toNumber(), discount_percent: 0 };
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
      const ref = problem.field === 'branch_ref' ? saleAppRefs.branchRef : saleAppRefs.cityRef;
      problems.push(`${problem.message}: set refs.${ref} on the order`);
    }
  }
  const receiverName = text(order.recipient.name);
  if (receiverName === undefined) problems.push('the recipient has no name');
  const insurance = wholeAmount(order, saleAppRefs.insuranceAmount, problems);
  const cashOnDelivery = wholeAmount(order, saleAppRefs.deliveryAmount, problems);
  const products = order.lines.map((line) => productLine(line, mapping, problems));
  const wouldShow = sum(products.map((p) => dec(p.cost).times(p.qty)));
  if (problems.length === 0 && !sameAmount(wouldShow, order.total, order.currency)) {
    problems.push(`its lines make ${formatMoney(wouldShow, order.currency)} at SaleApp but the customer paid ${formatMoney(order.total, order.currency)}`);
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
export function fromSaleAppOrder(listed: SaleAppListedOrder, options: { timeZone: string; skipStatusIds: readonly number[] }): FetchedOrder {
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

  const lines: OrderLine[] = so.products
    .filter((product) => product.qty > 0)
    .map((product) => ({
      sourceLineId: null,
      sku: product.sku,
      name: product.name,
      quantity: product.qty,
      unitPrice: amount(product.cost),
      discount: amount(dec(product.cost).times(product.qty).times(product.discount_percent ?? 0).div(100)),
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
    currency: null,
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
