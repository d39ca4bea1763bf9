import { permanent } from '../../core/errors.js';
import { dec, formatMoney, minorUnits, sum } from '../../core/money.js';
import { inexactAtDestination, payableParts, percentLine, percentLineAmount } from '../../core/order-amounts.js';
import type { Order } from '../../core/order.js';
import type { MoySkladConfig } from './config.js';
import type { Meta } from './schemas.js';
import { fromMoscowTime, toMoscowSeconds } from './time.js';

/** MoySklad keeps money in kopecks (contract notes §3.5). */
export function kopecks(amount: string | number): number {
  return minorUnits(amount, 'RUB');
}

export interface OpenShift {
  id: string;
  name: string;
  /** MoySklad's own text, Moscow time. */
  moment: string;
}

export interface DemandContext {
  config: MoySkladConfig;
  shift: OpenShift;
  /** Product meta by article (the source's offer id). */
  products: ReadonlyMap<string, Meta>;
  meta: (type: string, id: string) => { meta: Meta };
  attributeMeta: (attributeId: string) => Meta;
  /** Makes a repeated create of the same order return the first one (MoySklad's syncId, §3.4). */
  syncId: string;
}

export interface Charges {
  commission: number;
  services: number;
}

/** Commission and the marketplace's service charges, as the source reported them (services usually negative). */
export function charges(order: Order): Charges {
  const commission = sum(order.fees.filter((fee) => fee.kind === 'commission').map((fee) => fee.amount));
  const services = sum(order.fees.filter((fee) => fee.kind.startsWith('service:')).map((fee) => fee.amount));
  return { commission: commission.dp(2).toNumber(), services: services.dp(2).toNumber() };
}

function rubles(amount: number, currency: string | null): string {
  return `${amount.toFixed(2)} ${currency ?? 'RUB'}`;
}

function sourceLabel(order: Order): string {
  return order.source.connector.charAt(0).toUpperCase() + order.source.connector.slice(1);
}

export function describeOrder(order: Order, withCharges: boolean): string {
  const label = sourceLabel(order);
  const parts = [`${label} ${order.number}`];
  const orderNumber = order.refs['orderNumber'];
  if (orderNumber !== undefined && orderNumber !== order.number) parts.push(`order ${orderNumber}`);
  parts.push(`status ${order.status.raw}`);
  let text = `${parts.join(', ')}.`;
  if (withCharges) {
    const { commission, services } = charges(order);
    text += ` Commission ${rubles(commission, order.currency)}; ${label} services ${rubles(services, order.currency)}.`;
  }
  return text;
}

/** The sale's moment: the order's own time, but never before the shift opened (MoySklad refuses that, §3.7). */
export function demandMoment(order: Order, shift: OpenShift): string {
  const ordered = new Date(order.createdAt);
  const opened = fromMoscowTime(shift.moment);
  const earliest = opened === null ? ordered : new Date(opened.getTime() + 1000);
  return toMoscowSeconds(ordered.getTime() > earliest.getTime() ? ordered : earliest);
}

/** Articles of the order that MoySklad has no product for. */
export function unknownArticles(order: Order, products: ReadonlyMap<string, Meta>): string[] {
  return [...new Set(order.lines.map((line) => line.sku ?? '').filter((sku) => !products.has(sku)))];
}

interface DemandMoney {
  positions: Record<string, unknown>[];
  /** The sale's sum in hundredths of its currency, as MoySklad computes it from the positions. */
  sum: number;
  rate?: { currency: { meta: Meta } };
}

/**
 * The sale's money as MoySklad holds it: positions with a price in hundredths (kopecks) and a discount
 * percent, each rounded to a whole hundredth, in the order's currency (`rate`, for a currency other than
 * the account's). The list price is kept when the source's prices include tax, so coupons and discounts
 * show as percents; the order's discounts are spread over the lines. Charges are positions of the
 * configured service. Whatever MoySklad cannot hold exactly is refused with the amounts and the setting.
 */
function demandMoney(order: Order, context: DemandContext): DemandMoney {
  const { config } = context;
  const currency = order.currency ?? config.currency;
  let rate: DemandMoney['rate'];
  if (currency !== config.currency) {
    const id = config.currencies[currency];
    if (id === undefined) {
      throw permanent(
        'AMOUNT_NOT_EXACT',
        `order ${order.number} was not sent to MoySklad: the customer paid ${formatMoney(order.total, currency)}, and MoySklad would book that number in ${config.currency}, because the connection names no MoySklad currency for ${currency}. ` +
          `Add ${currency} in MoySklad (Справочники → Валюты) and set currencies.${currency} of the MoySklad connection to its id, then retry.`,
        { context: { system: 'moysklad', order: order.number, total: order.total, currency } },
      );
    }
    rate = { currency: context.meta('currency', id) };
  }
  const paid = payableParts(order);
  if (paid.surcharges.length > 0 && config.surchargeService === undefined) {
    throw inexactAtDestination(
      order,
      'MoySklad',
      sum(paid.lines),
      `a retail sale has no field for ${order.surcharges.map((s) => `${s.name} ${formatMoney(s.amount, currency)}`).join(', ')}`,
      'Set surchargeService of the MoySklad connection to the id of a service (e.g. "Доставка") that stands for such charges, then retry.',
    );
  }
  const hundredths = (value: string | number | ReturnType<typeof dec>): number => dec(value).times(100).integerValue().toNumber();
  const positions: Record<string, unknown>[] = order.lines.map((line, index) => {
    const share = paid.lines[index]!;
    const held = percentLine(share, line.quantity, order.prices === 'gross' ? line.unitPrice : null, currency);
    if (held === null) {
      throw inexactAtDestination(
        order,
        'MoySklad',
        dec(order.total).minus(share).plus(dec(line.unitPrice).dp(2).times(line.quantity)),
        `line "${line.name}" comes to ${formatMoney(share, currency)} for ${line.quantity} units, which no price in kopecks and discount percent makes exactly`,
        'Change the line at the source (for example split it so that each unit has a price in whole kopecks), then retry.',
      );
    }
    return {
      quantity: line.quantity,
      price: hundredths(held.unitPrice),
      discount: held.percent.toNumber(),
      vat: config.vat,
      vatEnabled: config.vat > 0,
      assortment: { meta: context.products.get(line.sku ?? '') },
    };
  });
  for (const charge of paid.surcharges) {
    positions.push({ quantity: 1, price: hundredths(charge), discount: 0, vat: config.vat, vatEnabled: config.vat > 0, assortment: context.meta('service', config.surchargeService ?? '') });
  }
  const total = positions.reduce((acc, p) => acc + dec(percentLineAmount(dec(p['price'] as number).div(100), p['quantity'] as number, p['discount'] as number, currency)).times(100).toNumber(), 0);
  if (total !== hundredths(dec(order.total).dp(2))) {
    throw inexactAtDestination(order, 'MoySklad', dec(total).div(100), 'its positions do not add up to the total', 'Report the case: the amounts may be read wrongly.');
  }
  return rate === undefined ? { positions, sum: total } : { positions, sum: total, rate };
}

/** The retail sale for one order, written into the open shift. */
export function toRetailDemand(order: Order, context: DemandContext): Record<string, unknown> {
  const { config, products, meta } = context;
  const missing = unknownArticles(order, products);
  if (missing.length > 0) {
    throw permanent(
      'UNKNOWN_ARTICLE',
      `MoySklad has no product with article ${missing.join(', ')} (order ${order.number}); create the product or set its article in MoySklad, then retry the job`,
      { context: { system: 'moysklad', order: order.number, articles: missing } },
    );
  }
  const money = demandMoney(order, context);
  const attributes: { meta: Meta; value: string | number }[] = [];
  const ids = config.attributes;
  if (ids.sourceStatus !== undefined) attributes.push({ meta: context.attributeMeta(ids.sourceStatus), value: order.status.raw });
  if (ids.sourceNumber !== undefined) attributes.push({ meta: context.attributeMeta(ids.sourceNumber), value: order.number });
  const fees = charges(order);
  if (config.chargesIn === 'attributes') {
    if (ids.commission !== undefined) attributes.push({ meta: context.attributeMeta(ids.commission), value: kopecks(fees.commission) });
    if (ids.serviceCharges !== undefined) attributes.push({ meta: context.attributeMeta(ids.serviceCharges), value: kopecks(fees.services) });
  }
  return {
    ...(config.name === 'order-number' ? { name: order.number } : {}),
    externalCode: order.number,
    syncId: context.syncId,
    moment: demandMoment(order, context.shift),
    description: describeOrder(order, config.chargesIn === 'description'),
    retailShift: meta('retailshift', context.shift.id),
    organization: meta('organization', config.organization),
    store: meta('store', config.store),
    agent: meta('counterparty', config.agent),
    ...(money.rate === undefined ? {} : { rate: money.rate }),
    positions: money.positions,
    [config.payment === 'noCash' ? 'noCashSum' : 'cashSum']: money.sum,
    ...(attributes.length > 0 ? { attributes } : {}),
  };
}
