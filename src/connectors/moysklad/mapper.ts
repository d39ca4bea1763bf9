import { permanent } from '../../core/errors.js';
import { dec, minorUnits, sum, toMinor, type Decimal } from '../../core/money.js';
import { inexactAtDestination, payableParts } from '../../core/order-amounts.js';
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
  const paid = payableParts(order);
  if (paid.surcharges.length > 0) {
    throw inexactAtDestination(order, 'MoySklad', sum(paid.lines), `a retail sale holds goods only, not ${order.surcharges.map((s) => s.name).join(', ')}`, 'Remove the charge at the source or send such orders to another destination.');
  }
  const positions = order.lines.map((line, index) => {
    const linePaid = paid.lines[index]!;
    const unit = linePaid.div(line.quantity);
    if (!unit.isEqualTo(unit.dp(2))) {
      throw inexactAtDestination(
        order,
        'MoySklad',
        sum(order.lines.map((l, i) => paid.lines[i]!.div(l.quantity).dp(2).times(l.quantity))),
        `line "${line.name}" costs ${linePaid.toFixed(2)} for ${line.quantity} units, which is no whole number of kopecks per unit`,
        'Split the line at the source so that each unit has a price in whole kopecks.',
      );
    }
    return {
      quantity: line.quantity,
      price: kopecks(unit.toFixed()),
      discount: 0,
      vat: config.vat,
      vatEnabled: config.vat > 0,
      assortment: { meta: products.get(line.sku ?? '') },
    };
  });
  const sumKopecks = positions.reduce((total, p) => total + p.price * p.quantity, 0);
  if (sumKopecks !== minorUnits(order.total, 'RUB')) {
    throw inexactAtDestination(order, 'MoySklad', dec(sumKopecks).div(100), 'its positions do not add up to the total', 'Report the case: the amounts may be read wrongly.');
  }
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
    positions,
    [config.payment === 'noCash' ? 'noCashSum' : 'cashSum']: sumKopecks,
    ...(attributes.length > 0 ? { attributes } : {}),
  };
}
