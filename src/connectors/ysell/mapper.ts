import { permanent } from '../../core/errors.js';
import { dec } from '../../core/money.js';
import type { Order } from '../../core/order.js';
import type { YsellCreateOrder, YsellCreateOrderItem } from './schemas.js';

const money = (value: string): string => dec(value).toFixed(2);
const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

/**
 * The canonical order as Ysell's create body. Everything Ysell would refuse is found here first, in one
 * message listing every problem, so a person fixes the order once instead of once per retry.
 */
export function toYsellOrder(order: Order): YsellCreateOrder {
  const problems: string[] = [];
  const hint = order.refs['destinationProductIdField'];
  const items: YsellCreateOrderItem[] = [];
  for (const line of order.lines) {
    const label = `"${line.name}"${line.sku ? ` [${line.sku}]` : ''}${line.sourceProductId ? ` (product id ${line.sourceProductId})` : ''}`;
    const pId = line.destinationProductId === null ? NaN : Number(line.destinationProductId);
    if (line.destinationProductId === null) {
      problems.push(`product ${label} has no Ysell product id: set it on the product${hint ? ` (field ${hint})` : ''}, then retry`);
    } else if (!Number.isInteger(pId) || pId <= 0) {
      problems.push(`product ${label} has Ysell product id "${line.destinationProductId}", which is not a positive whole number`);
    }
    const item: YsellCreateOrderItem = { p_id: pId, qty: line.quantity, price: money(line.unitPrice) };
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
