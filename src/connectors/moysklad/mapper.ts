import { permanent } from '../../core/errors.js';
import { dec, formatMoney, minorUnits, sum, toMinor, type Decimal } from '../../core/money.js';
import { inexactAtDestination, payableParts, percentLine, percentLineAmount } from '../../core/order-amounts.js';
import type { Fee, Order } from '../../core/order.js';
import type { MoySkladConfig } from './config.js';
import type { Meta } from './schemas.js';
import { fromMoscowTime, toMoscowSeconds } from './time.js';

/** MoySklad keeps the built-in prices and sums in kopecks (md/documents/_retaildemand.md: price, sum «в копейках»). */
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

/** The charges as totals in the currency's unit, two decimals, and what makes them up. */
export interface Charges {
  /** What the marketplace charged the seller: positive amounts, e.g. "120.00". */
  commission: string;
  services: string;
  currency: string;
  /** Each kind of charge with its total, commission first, in the order the source listed them. */
  parts: { name: string; amount: string }[];
}

/** "service:Логистика" → "Логистика"; a kind without a prefix stays as it is. */
function chargeName(kind: string): string {
  if (kind === 'commission') return 'commission';
  const colon = kind.indexOf(':');
  return colon >= 0 && colon < kind.length - 1 ? kind.slice(colon + 1) : kind;
}

/**
 * The commission and every other charge of the source (logistics, last mile, acquiring, …), totalled per
 * kind and in all, as the source reported them (positive: the seller pays).
 */
export function charges(fees: readonly Fee[]): Charges {
  const byName = new Map<string, Decimal>([['commission', dec(0)]]);
  for (const fee of fees) {
    const name = chargeName(fee.kind);
    byName.set(name, (byName.get(name) ?? dec(0)).plus(fee.amount));
  }
  const currency = fees.find((fee) => fee.currency !== null)?.currency ?? 'RUB';
  const commission = byName.get('commission') ?? dec(0);
  const services = sum([...byName].filter(([name]) => name !== 'commission').map(([, total]) => total));
  return {
    commission: toMinor(commission, currency).toFixed(2),
    services: toMinor(services, currency).toFixed(2),
    currency,
    parts: [...byName].map(([name, total]) => ({ name, amount: toMinor(total, currency).toFixed(2) })),
  };
}

/** How the charges read in a sale: "Charges (RUB): commission 120.00; Логистика 63.00; services in all 63.00." */
export const chargesPrefix = 'Charges';

export function chargesText(fees: readonly Fee[]): string {
  const { currency, parts, services } = charges(fees);
  return `${chargesPrefix} (${currency}): ${parts.map((p) => `${p.name} ${p.amount}`).join('; ')}; services in all ${services}.`;
}

/** A custom attribute of type double holds the number as people read it (rubles), not kopecks. */
export function attributeNumber(amount: string): number {
  return Number(dec(amount).toFixed(2));
}

function sourceLabel(order: Order): string {
  return order.source.connector.charAt(0).toUpperCase() + order.source.connector.slice(1);
}

/** MoySklad keeps at most 4096 characters of a description. */
const maxDescription = 4096;

/**
 * The description with its charges line replaced (or added, or removed when `line` is null), right under
 * its first line: whatever a person wrote below stays, and is what gives way to MoySklad's length limit.
 */
export function withChargesLine(description: string, line: string | null): string {
  const [headline = '', ...rest] = description.split('\n').filter((l) => !l.startsWith(`${chargesPrefix} (`));
  const text = [headline, ...(line === null ? [] : [line]), ...rest].join('\n');
  return text.length <= maxDescription ? text : `${text.slice(0, maxDescription - 1)}…`;
}

/** "Ozon 0208245774-0029-1, order 0208245774-0029." and, when the charges are kept there, their line. */
export function describeOrder(order: Order, withCharges: boolean): string {
  const parts = [`${sourceLabel(order)} ${order.number}`];
  const orderNumber = order.refs['orderNumber'];
  if (orderNumber !== undefined && orderNumber !== order.number) parts.push(`order ${orderNumber}`);
  return withChargesLine(`${parts.join(', ')}.`, withCharges ? chargesText(order.fees) : null);
}

const minuteMs = 60_000;

/**
 * The sale's moment, to the minute (MoySklad keeps `moment` to the minute): the order's own time, but
 * always after the shift's minute, since MoySklad refuses a sale not later than its shift
 * (md/documents/_retaildemand.md, "Создать Розничную продажу"): an older order is dated at the first whole
 * minute after the shift's moment.
 */
export function demandMoment(order: Order, shift: OpenShift): string {
  const ordered = Math.floor(new Date(order.createdAt).getTime() / minuteMs) * minuteMs;
  const opened = fromMoscowTime(shift.moment);
  const earliest = opened === null ? ordered : Math.floor(opened.getTime() / minuteMs) * minuteMs + minuteMs;
  return toMoscowSeconds(new Date(Math.max(ordered, earliest)));
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

/** The charges' line goes into the description unless they are all kept in attributes. */
export function chargesLineInDescription(config: MoySkladConfig): boolean {
  return config.chargesIn === 'description' || config.attributes.chargesBreakdown === undefined;
}

/** The custom attributes that hold the charges: totals as numbers in rubles, the breakdown as text. */
export function chargeAttributes(fees: readonly Fee[], config: MoySkladConfig, attributeMeta: (attributeId: string) => Meta): { meta: Meta; value: string | number }[] {
  if (config.chargesIn !== 'attributes') return [];
  const ids = config.attributes;
  const totals = charges(fees);
  const attributes: { meta: Meta; value: string | number }[] = [];
  if (ids.commission !== undefined) attributes.push({ meta: attributeMeta(ids.commission), value: attributeNumber(totals.commission) });
  if (ids.serviceCharges !== undefined) attributes.push({ meta: attributeMeta(ids.serviceCharges), value: attributeNumber(totals.services) });
  if (ids.chargesBreakdown !== undefined) attributes.push({ meta: attributeMeta(ids.chargesBreakdown), value: chargesText(fees) });
  return attributes;
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
  attributes.push(...chargeAttributes(order.fees, config, context.attributeMeta));
  return {
    ...(config.name === 'order-number' ? { name: order.number } : {}),
    externalCode: order.number,
    syncId: context.syncId,
    moment: demandMoment(order, context.shift),
    description: describeOrder(order, chargesLineInDescription(config)),
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
