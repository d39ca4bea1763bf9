import { permanent } from '../../core/errors.js';
import { allocate, dec, formatMoney, minorDigits, sum, toMinor, type Decimal } from '../../core/money.js';
import { inexactAtDestination, payableParts, unitPriceFor } from '../../core/order-amounts.js';
import type { Order } from '../../core/order.js';
import type { YsellCreateOrder, YsellCreateOrderItem } from './schemas.js';

/** What Ysell shows for an order's items: each price × quantity to the cent (our reading; Ysell documents no total). */
export function ysellTotal(items: readonly Pick<YsellCreateOrderItem, 'price' | 'qty'>[], currency: string | null): Decimal {
  return sum(items.map((item) => toMinor(dec(item.price ?? 0).times(item.qty), currency)));
}

/**
 * Ysell keeps a price per item and nothing else about money: no discount, no delivery. Each item's price is
 * what the customer paid for it, tax included: its share of the total after line and order discounts, with
 * delivery and service charges spread over the goods (a fulfilment order declares what its goods were sold
 * for). Prices have up to four decimals where a line's amount does not divide into whole cents per unit; a
 * line no such price makes exactly is refused with the amounts.
 */
function itemPrices(order: Order): string[] {
  const paid = payableParts(order);
  const lines = paid.surcharges.length === 0 ? paid.lines : allocate(order.total, paid.lines, order.currency);
  return order.lines.map((line, index) => {
    const share = lines[index] ?? dec(0);
    const price = unitPriceFor(share, line.quantity, order.currency, 4);
    if (price === null) {
      throw inexactAtDestination(
        order,
        'Ysell',
        dec(order.total).minus(share).plus(share.div(line.quantity).dp(4).times(line.quantity)),
        `item "${line.name}" comes to ${formatMoney(share, order.currency)} for ${line.quantity} units, which no price with four decimals makes`,
        'Split the line at the source so that each unit has a price Ysell can hold, then retry.',
      );
    }
    return price.toFixed(Math.max(minorDigits(order.currency), price.decimalPlaces() ?? 0));
  });
}
const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

/**
 * The canonical order as Ysell's create body. Everything Ysell would refuse is found here first, in one
 * message listing every problem, so a person fixes the order once instead of once per retry.
 */
export function toYsellOrder(order: Order): YsellCreateOrder {
  const problems: string[] = [];
  const hint = order.refs['destinationProductIdField'];
  const items: YsellCreateOrderItem[] = [];
  const prices = itemPrices(order);
  for (const [index, line] of order.lines.entries()) {
    const label = `"${line.name}"${line.sku ? ` [${line.sku}]` : ''}${line.sourceProductId ? ` (product id ${line.sourceProductId})` : ''}`;
    const pId = line.destinationProductId === null ? NaN : Number(line.destinationProductId);
    if (line.destinationProductId === null) {
      problems.push(`product ${label} has no Ysell product id: set it on the product${hint ? ` (field ${hint})` : ''}, then retry`);
    } else if (!Number.isInteger(pId) || pId <= 0) {
      problems.push(`product ${label} has Ysell product id "${line.destinationProductId}", which is not a positive whole number`);
    }
    const item: YsellCreateOrderItem = { p_id: pId, qty: line.quantity, price: prices[index] ?? '0' };
    if (order.source.connector === 'odoo' && line.sourceProductId !== null) item.odoo_product_id = Number(line.sourceProductId);
    if (line.sku !== null) item.sku = line.sku;
    item.title = line.name;
    if (line.serials.length > 0) item.serial_num = line.serials.join(',');
    items.push(item);
  }
  const address = order.recipient.address;
  const missing = [
    ['street', address.street],
    ['city', address.city],
    ['country', address.country ?? address.countryCode],
  ].filter(([, value]) => value === null || value === undefined).map(([name]) => name);
  if (missing.length > 0) problems.push(`the delivery address has no ${missing.join(', ')}: complete the shipping contact, then retry`);
  if (order.recipient.name.trim() === '') problems.push('the delivery contact has no name');

  if (problems.length > 0) {
    throw permanent('CANNOT_SEND_TO_YSELL', `order ${order.number} cannot be sent to Ysell: ${problems.join('; ')}`, {
      context: { system: 'ysell', order: order.number },
    });
  }
  return {
    order_num: order.number,
    purchase_date: order.createdAt,
    comment: optional(order.comment),
    currency: optional(order.currency),
    recipient: {
      name: order.recipient.name,
      phone: optional(order.recipient.phone),
      email: optional(order.recipient.email),
      company: optional(order.recipient.company),
    },
    address: {
      street: address.street ?? '',
      street2: optional(address.street2),
      city: address.city ?? '',
      zip: optional(address.zip),
      state: optional(address.state),
      country: address.country ?? address.countryCode ?? '',
      country_code: optional(address.countryCode),
    },
    items,
  };
}
