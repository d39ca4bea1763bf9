import { permanent } from '../../core/errors.js';
import { dec, minorUnits, sum } from '../../core/money.js';
import { inexactAtDestination, payableParts } from '../../core/order-amounts.js';
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
    positions,
    [config.payment === 'noCash' ? 'noCashSum' : 'cashSum']: sumKopecks,
    ...(attributes.length > 0 ? { attributes } : {}),
  };
}
