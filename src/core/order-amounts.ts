import { BigNumber } from 'bignumber.js';
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

/** One line as a price per unit and a discount in percent, the way SaleApp and MoySklad hold lines. */
export interface PercentLine {
  /** Price of one unit, in whole minor units of the currency (e.g. 12.98). */
  unitPrice: Decimal;
  /** Discount in percent, at most `maxDecimals` places; 0 when the price alone makes the amount. */
  percent: Decimal;
}

/** The line amount a system that rounds each line to the minor unit shows for price × quantity × (1 − percent/100). */
export function percentLineAmount(unitPrice: DecimalValue, quantity: number, percent: DecimalValue, currency: string | null): Decimal {
  return toMinor(dec(unitPrice).times(quantity).times(dec(100).minus(percent)).dividedBy(100), currency);
}

/**
 * A price per unit and a discount percent that make exactly `payable` for `quantity` units, for systems
 * that keep a list price and a per-line percent (SaleApp, MoySklad). The list price is kept when the source
 * gives one (rounded up to the minor unit, so the discount is never negative); otherwise the price is what
 * one unit costs, rounded up. The percent is the shortest one (up to `maxDecimals` places) whose exact line
 * value rounds to `payable` and lies clearly away from the half-way point (within 0.45 of a minor unit), so
 * that any system rounding the line, in binary floats or decimals, lands on the same amount. Null when none
 * exists.
 */
export function percentLine(payable: DecimalValue, quantity: number, listUnitPrice: DecimalValue | null, currency: string | null, maxDecimals = 6): PercentLine | null {
  const target = toMinor(payable, currency);
  const digits = minorDigits(currency);
  const ceil = (value: Decimal): Decimal => value.dp(digits, BigNumber.ROUND_CEIL);
  const fromPayable = ceil(target.dividedBy(quantity));
  const listed = listUnitPrice === null ? null : ceil(dec(listUnitPrice));
  const unitPrice = listed !== null && listed.times(quantity).isGreaterThanOrEqualTo(target) ? listed : fromPayable;
  const gross = unitPrice.times(quantity);
  if (gross.isEqualTo(target)) return { unitPrice, percent: dec(0) };
  if (gross.isZero()) return null;
  const exact = dec(1).minus(target.dividedBy(gross)).times(100);
  const tolerance = dec(10).exponentiatedBy(-digits).times(0.45);
  for (let places = 0; places <= maxDecimals; places++) {
    const percent = exact.dp(places, BigNumber.ROUND_HALF_UP);
    if (percent.isNegative() || percent.isGreaterThan(100)) continue;
    const value = gross.times(dec(100).minus(percent)).dividedBy(100);
    if (value.minus(target).abs().isLessThanOrEqualTo(tolerance)) return { unitPrice, percent };
  }
  return null;
}

/**
 * A price per unit whose line (price × quantity rounded to the minor unit) is exactly `payable`: in whole
 * minor units when the amount divides, else with `maxDecimals` places (the closest such price, so that lines
 * added up before rounding stay close too); null when none exists. For systems that keep a price per unit
 * and no discount.
 */
export function unitPriceFor(payable: DecimalValue, quantity: number, currency: string | null, maxDecimals = 4): Decimal | null {
  const target = toMinor(payable, currency);
  for (const places of [minorDigits(currency), maxDecimals]) {
    const price = target.dividedBy(quantity).dp(places, BigNumber.ROUND_HALF_UP);
    if (toMinor(price.times(quantity), currency).isEqualTo(target)) return price;
  }
  return null;
}
