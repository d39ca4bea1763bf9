import t from 'tap';
import { toYsellOrder, ysellTotal } from '../../src/connectors/ysell/mapper.js';
import type { Order } from '../../src/core/order.js';

const order: Order = {
  source: { connector: 'odoo', id: '7' },
  number: 'S00007',
  createdAt: '2026-11-20T09:15:00.000Z',
  status: { raw: 'sale', normalized: 'confirmed' },
  currency: 'EUR',
  customer: { sourceId: '10', name: 'Azure', company: null, email: null, phone: null, address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } },
  recipient: { sourceId: '11', name: 'Ann', company: 'Azure', email: 'a@x.eu', phone: '+32', address: { street: 'Dock 4', street2: null, city: 'Antwerp', zip: '2000', state: null, country: 'Belgium', countryCode: 'BE' } },
  comment: 'Gate 3',
  lines: [
    { sourceLineId: '1', sku: 'LAMP', name: 'Lamp', quantity: 2, unitPrice: '45', discount: '0', taxRate: null, sourceProductId: '5', destinationProductId: '301', unitOfMeasure: 'Units', serials: ['A1', 'B7'] },
  ],
  prices: 'gross',
  discounts: [],
  surcharges: [],
  tax: null,
  total: '90',
  fees: [],
  refs: { destinationProductIdField: 'ysell_product_id' },
};

t.test('the Ysell body carries everything a delivery needs', async (t) => {
  const body = toYsellOrder(order);
  t.match(body, {
    order_num: 'S00007',
    comment: 'Gate 3',
    recipient: { name: 'Ann', company: 'Azure', phone: '+32', email: 'a@x.eu' },
    address: { street: 'Dock 4', city: 'Antwerp', zip: '2000', country: 'Belgium', country_code: 'BE' },
    items: [{ p_id: 301, odoo_product_id: 5, sku: 'LAMP', qty: 2, price: '45.00', serial_num: 'A1,B7' }],
  });
  t.notOk('street2' in body.address && body.address.street2 !== undefined, 'absent values are left out, not sent empty');
});

t.test('every problem is named in one message', async (t) => {
  const broken: Order = {
    ...order,
    recipient: { ...order.recipient, address: { ...order.recipient.address, city: null } },
    lines: [
      { ...order.lines[0]!, destinationProductId: null },
      { ...order.lines[0]!, sku: 'X', destinationProductId: 'abc' },
    ],
  };
  t.throws(() => toYsellOrder(broken), {
    kind: 'permanent',
    code: 'CANNOT_SEND_TO_YSELL',
    message: /"Lamp" \[LAMP\] \(product id 5\) has no Ysell product id: set it on the product \(field ysell_product_id\).*"abc".*no city/,
  });
});

t.test('item prices are what the customer paid per unit: discounts, tax and delivery inside, to the cent of the total', async (t) => {
  const total = (o: Order): string => ysellTotal(toYsellOrder(o).items, o.currency).toFixed(2);
  const coupon: Order = { ...order, discounts: [{ kind: 'coupon', code: 'X', amount: '10' }], total: '80' };
  t.match(toYsellOrder(coupon).items, [{ price: '40.00' }]);
  const net: Order = { ...order, prices: 'net', tax: '18.9', total: '108.9', surcharges: [{ kind: 'service', name: 'Delivery', amount: '10' }] };
  t.equal(total({ ...net, total: '121' }), '121.00', 'delivery and tax spread over the goods');
  const odd: Order = { ...order, lines: [{ ...order.lines[0]!, quantity: 3, unitPrice: '33.3333333' }], total: '100' };
  t.match(toYsellOrder(odd).items, [{ price: '33.333' }], 'the shortest price that makes the line: 3 × 33.333 = 99.999, 100.00 to the cent');
  t.equal(total(odd), '100.00');
});
