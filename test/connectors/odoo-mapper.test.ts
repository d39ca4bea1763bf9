import t from 'tap';
import { htmlToText, odooDateToIso, splitSerials, toFetchedOrder, type OrderDetails } from '../../src/connectors/odoo/mapper.js';
import type { PartnerRecord, SaleOrderRecord } from '../../src/connectors/odoo/schemas.js';

const so: SaleOrderRecord = {
  id: 7,
  name: 'S00007',
  state: 'sale',
  date_order: '2026-11-20 09:15:00',
  partner_id: [10, 'Azure Interior'],
  partner_shipping_id: [11, 'Azure Interior, Warehouse'],
  user_id: [2, 'Mitchell Admin'],
  note: '<p>Call before &amp; after</p><p>Gate 3</p>',
  currency_id: [1, 'EUR'],
  order_line: [1, 2, 3, 4],
  amount_tax: 0,
  amount_total: 104.5,
  write_date: '2026-11-20 09:16:01',
};

const partner = (id: number, over: Partial<PartnerRecord>): PartnerRecord => ({
  id,
  name: false,
  parent_id: false,
  street: false,
  street2: false,
  city: false,
  zip: false,
  state_id: false,
  country_id: false,
  phone: false,
  mobile: false,
  email: false,
  ...over,
});

const details: OrderDetails = {
  lines: new Map([
    [1, { id: 1, order_id: [7, 'S00007'], product_id: [5, '[LAMP] Lamp'], name: '[LAMP] Lamp', product_uom_qty: 2, product_uom: [1, 'Units'], price_unit: 45, discount: 0, price_subtotal: 90, display_type: false, x_serials: 'A1; A2' }],
    [2, { id: 2, order_id: [7, 'S00007'], product_id: false, name: 'Extras', product_uom_qty: 0, product_uom: false, price_unit: 0, discount: 0, price_subtotal: 0, display_type: 'line_section' }],
    [3, { id: 3, order_id: [7, 'S00007'], product_id: [9, 'Delivery'], name: 'Express delivery', product_uom_qty: 1, product_uom: [1, 'Units'], price_unit: 14.5, discount: 0, price_subtotal: 14.5, display_type: false }],
    [4, { id: 4, order_id: [7, 'S00007'], product_id: [6, 'Cable'], name: 'Cable', product_uom_qty: 1, product_uom: [1, 'Units'], price_unit: 0, discount: 0, price_subtotal: 0, display_type: false }],
  ]),
  products: new Map([
    [5, { id: 5, name: 'Lamp', default_code: 'LAMP', type: 'product', ysell_product_id: '301' }],
    [6, { id: 6, name: 'Cable', default_code: false, type: 'consu', ysell_product_id: false }],
    [9, { id: 9, name: 'Delivery', default_code: 'DEL', type: 'service', ysell_product_id: false }],
  ]),
  partners: new Map([
    [10, partner(10, { name: 'Azure Interior', email: 'azure@example.com', phone: '+32 2 123', street: 'Main 1', city: 'Brussels', country_id: [21, 'Belgium'] })],
    [11, partner(11, { name: 'Warehouse', parent_id: [10, 'Azure Interior'], street: 'Dock 4', city: 'Antwerp', zip: '2000', country_id: [21, 'Belgium'] })],
  ]),
  countries: new Map([[21, { id: 21, code: 'BE' }]]),
  deliveredSerials: new Map([[1, ['A1', 'B7']]]),
};

t.test('a confirmed order maps to the canonical order', async (t) => {
  const fetched = toFetchedOrder(so, details, { destinationProductIdField: 'ysell_product_id', lineSerialsField: 'x_serials', serialsWaitMs: 0, serialsEveryMs: 60_000 });
  if (fetched.kind !== 'ready') throw new Error(`expected ready, got ${fetched.kind}`);
  const order = fetched.order;
  t.equal(fetched.revision, '2026-11-20 09:16:01');
  t.equal(order.number, 'S00007');
  t.equal(order.createdAt, '2026-11-20T09:15:00.000Z');
  t.equal(order.comment, 'Call before & after\nGate 3');
  t.same(order.lines.map((l) => [l.sku, l.quantity, l.destinationProductId, l.serials]), [
    ['LAMP', 2, '301', ['A1', 'B7', 'A2']],
    [null, 1, null, []],
  ], 'sections dropped, delivered and typed serials merged without repeats');
  t.same(order.surcharges, [{ kind: 'service', name: 'Express delivery', amount: '14.5' }], 'a service line is a surcharge, not goods');
  t.same(order.fees, [], 'what the customer pays is not a fee');
  t.same([order.prices, order.tax, order.total], ['net', '0', '104.5']);
  t.equal(order.recipient.name, 'Warehouse');
  t.equal(order.recipient.company, 'Azure Interior');
  t.equal(order.recipient.address.city, 'Antwerp');
  t.equal(order.recipient.address.countryCode, 'BE');
  t.equal(order.recipient.email, 'azure@example.com', "the shipping contact falls back on the customer's email");
  t.equal(order.refs['shippingPartnerId'], '11');
});

t.test('orders that are not confirmed are skipped, not failed', async (t) => {
  const fetched = toFetchedOrder({ ...so, state: 'cancel' }, details, { destinationProductIdField: 'ysell_product_id', lineSerialsField: null, serialsWaitMs: 0, serialsEveryMs: 60_000 });
  t.equal(fetched.kind, 'skip');
});

t.test('an order with nothing to ship is invalid with a reason', async (t) => {
  const fetched = toFetchedOrder({ ...so, order_line: [2, 3] }, details, { destinationProductIdField: 'ysell_product_id', lineSerialsField: null, serialsWaitMs: 0, serialsEveryMs: 60_000 });
  t.equal(fetched.kind, 'invalid');
  if (fetched.kind === 'invalid') t.match(fetched.error.message, /S00007 has no product lines/);
});

t.test("Odoo 19.0's names (product_uom_id, no mobile) and 18.0's combos map the same way", async (t) => {
  const lines = new Map(
    [...details.lines].map(([id, { product_uom, ...line }]) => [id, { ...line, product_uom_id: product_uom }] as const),
  );
  lines.set(5, { id: 5, order_id: [7, 'S00007'], product_id: [12, 'Office combo'], name: 'Office combo', product_uom_qty: 1, product_uom_id: [1, 'Units'], price_unit: 0, discount: 0, price_subtotal: 0, display_type: false });
  const { mobile: _mobile, ...withoutMobile } = details.partners.get(10)!;
  const v19: OrderDetails = {
    ...details,
    lines,
    products: new Map([...details.products, [12, { id: 12, name: 'Office combo', default_code: 'COMBO', type: 'combo', ysell_product_id: false }]]),
    partners: new Map([...details.partners, [10, withoutMobile]]),
  };
  const options = { destinationProductIdField: 'ysell_product_id', lineSerialsField: 'x_serials', serialsWaitMs: 0, serialsEveryMs: 60_000, nonGoodsTypes: ['service', 'combo'] };
  const fetched = toFetchedOrder({ ...so, order_line: [1, 2, 3, 4, 5] }, v19, options);
  if (fetched.kind !== 'ready') throw new Error(`expected ready, got ${fetched.kind}`);
  t.same(
    fetched.order.lines.map((l) => [l.sku, l.unitOfMeasure]),
    [
      ['LAMP', 'Units'],
      [null, 'Units'],
    ],
    'the unit of measure is read under its 19.0 name; the combo line (priced 0, its items are lines) is no parcel line',
  );
  t.equal(fetched.order.customer.phone, '+32 2 123');
  t.same(fetched.order.surcharges, [{ kind: 'service', name: 'Express delivery', amount: '14.5' }], 'the service is a surcharge; the combo adds none');
});

t.test('small helpers', async (t) => {
  t.same(splitSerials('SN1, SN2\nSN3;;'), ['SN1', 'SN2', 'SN3']);
  t.same(splitSerials(false), []);
  t.equal(htmlToText(false), null);
  t.equal(htmlToText('<p><br></p>'), null);
  t.equal(odooDateToIso(false), null);
});
