import { permanent, type IntegrationError } from './errors.js';
import { allocate, dec, formatMoney, minorDigits, sameAmount, sum, toMinor, type Decimal, type DecimalValue } from './money.js';
import type { Order } from './order.js';

/** An order's money, part by part, as its source gave it. */
export interface OrderAmounts {
  /** Σ unit price × quantity. */
  goods: Decimal;
  lineDiscounts: Decimal;
  orderDiscounts: Decimal;
  surcharges: Decimal;
  /** Tax added on top of net prices; zero for gross prices (their tax is inside them). */
  addedTax: Decimal;
  /** What the parts make: goods − discounts + surcharges + added tax. */
  computed: Decimal;
}

/** Each line's amount after its own discount, before order discounts. */
function afterLineDiscounts(order: Order): Decimal[] {
  return order.lines.map((line) => dec(line.unitPrice).times(line.quantity).minus(line.discount));
}

export function orderAmounts(order: Order): OrderAmounts {
  const goods = sum(order.lines.map((line) => dec(line.unitPrice).times(line.quantity)));
  const lineDiscounts = sum(order.lines.map((line) => line.discount));
  const orderDiscounts = sum(order.discounts.map((d) => d.amount));
  const surcharges = sum(order.surcharges.map((s) => s.amount));
  const addedTax = order.prices === 'net' ? dec(order.tax ?? 0) : dec(0);
  return { goods, lineDiscounts, orderDiscounts, surcharges, addedTax, computed: goods.minus(lineDiscounts).minus(orderDiscounts).plus(surcharges).plus(addedTax) };
}

/** "goods 1000.00 − order discounts 200.00 = 800.00 EUR": the parts a person checks against the source. */
export function describeAmounts(order: Order): string {
  const a = orderAmounts(order);
  const c = order.currency;
  const money = (value: Decimal): string => toMinor(value, c).toFixed(minorDigits(c));
  const parts = [`goods ${money(a.goods)}`];
  if (!a.lineDiscounts.isZero()) parts.push(`− line discounts ${money(a.lineDiscounts)}`);
  if (!a.orderDiscounts.isZero()) parts.push(`− order discounts ${money(a.orderDiscounts)}`);
  if (!a.surcharges.isZero()) parts.push(`+ ${order.surcharges.map((s) => s.name).join(', ')} ${money(a.surcharges)}`);
  if (order.prices === 'net') parts.push(`+ tax ${money(a.addedTax)}`);
  return `${parts.join(' ')} = ${formatMoney(a.computed, c)}`;
}

/**
 * Refuses an order whose parts do not make its total, before anything is sent: a mapper that lost a
 * discount or a tax would otherwise write the wrong amount somewhere.
 */
export function checkOrderAmounts(order: Order): void {
  const problems: string[] = [];
  if (order.prices === 'net' && order.tax === null) problems.push('its prices are before tax but the source gave no tax amount');
  for (const line of order.lines) {
    const discount = dec(line.discount);
    if (discount.isNegative()) problems.push(`line "${line.name}" has a negative discount (${line.discount})`);
    else if (discount.isGreaterThan(dec(line.unitPrice).times(line.quantity).abs())) problems.push(`line "${line.name}" has a discount (${line.discount}) larger than the line`);
  }
  for (const discount of order.discounts) {
    if (dec(discount.amount).isNegative()) problems.push(`its ${discount.kind} discount is negative (${discount.amount})`);
  }
  const amounts = orderAmounts(order);
  if (!sameAmount(amounts.computed, order.total, order.currency)) {
    problems.push(`its parts make ${describeAmounts(order)}, but its total is ${formatMoney(order.total, order.currency)}`);
  }
  if (problems.length > 0) {
    throw permanent(
      'ORDER_AMOUNTS_INCONSISTENT',
      `order ${order.number} from ${order.source.connector} was not sent: ${problems.join('; ')}. Correct the order at the source (or report the case: the amounts may be read wrongly), then retry.`,
      { context: { order: order.number, total: order.total, computed: amounts.computed.toFixed() } },
    );
  }
}

/** What the customer pays for each line and each surcharge, tax included, in whole minor units. */
export interface PayableParts {
  lines: Decimal[];
  surcharges: Decimal[];
}

/**
 * The order's total spread over its lines and surcharges: order discounts go to the lines in proportion
 * to their amounts, tax on net prices to lines and surcharges alike, rounded to the minor unit so that
 * the parts add up to exactly the total. For destinations that hold only gross line amounts.
 */
export function payableParts(order: Order): PayableParts {
  const currency = order.currency;
  const lines = afterLineDiscounts(order);
  let surcharges = order.surcharges.map((s) => dec(s.amount));
  if (order.prices === 'net' && surcharges.length > 0) {
    const base = sum(lines).minus(sum(order.discounts.map((d) => d.amount))).plus(sum(surcharges));
    const tax = dec(order.tax ?? 0);
    surcharges = surcharges.map((s) => (base.isZero() ? s : s.plus(tax.times(s).dividedBy(base))));
  }
  const surchargesPaid = surcharges.map((s) => toMinor(s, currency));
  return { lines: allocate(dec(order.total).minus(sum(surchargesPaid)), lines, currency), surcharges: surchargesPaid };
}

/**
 * A destination cannot hold the order's money exactly: refused, with the amounts and what to change,
 * rather than written wrong.
 */
export function inexactAtDestination(order: Order, destination: string, wouldShow: DecimalValue, why: string, fix: string): IntegrationError {
  return permanent(
    'AMOUNT_NOT_EXACT',
    `order ${order.number} was not sent to ${destination}: the customer paid ${formatMoney(order.total, order.currency)}, but ${destination} would show ${formatMoney(wouldShow, order.currency)} (${why}). ${fix}`,
    { context: { system: destination, order: order.number, total: order.total, wouldShow: dec(wouldShow).toFixed() } },
  );
}
