import t from 'tap';
import { normalizeOzonStatus, serviceFees, toFetchedOrder } from '../../src/connectors/ozon/mapper.js';

const v3Posting = {
  posting_number: '05708065-0029-1',
  order_id: 680420041,
  order_number: '05708065-0029',
  status: 'awaiting_packaging',
  in_process_at: '2026-11-24T07:15:30.123Z',
  created_at: '',
  products: [
    { sku: 1001, offer_id: 'ART-1', name: 'Mug', quantity: 2, price: '499.90', currency_code: 'RUB' },
    { sku: 1002, offer_id: 'ART-2', name: 'Tea', quantity: 1, price: '120.00', currency_code: 'RUB' },
  ],
  financial_data: {
    products: [
      {
        product_id: 1001,
        price: 499.9,
        commission_amount: 75.5,
        item_services: { marketplace_service_item_fulfillment: -30.1, marketplace_service_item_pickup: 0, marketplace_service_item_deliv_to_customer: -9.9 },
      },
      { product_id: 1002, price: 120, commission_amount: 12 },
    ],
    posting_services: { marketplace_service_item_direct_flow_trans: -5 },
  },
  analytics_data: { city: 'Казань', region: 'Татарстан', warehouse: 'Main' },
  addressee: null,
};

t.test('a v3 posting becomes the canonical order with its commission per product; the removed service dictionaries are ignored', async (t) => {
  const fetched = toFetchedOrder(v3Posting, 'fbs', ['cancelled']);
  t.equal(fetched.kind, 'ready');
  if (fetched.kind !== 'ready') return;
  t.equal(fetched.revision, 'awaiting_packaging');
  t.match(fetched.order, {
    source: { connector: 'ozon', id: '05708065-0029-1' },
    number: '05708065-0029-1',
    createdAt: '2026-11-24T07:15:30.123Z',
    status: { raw: 'awaiting_packaging', normalized: 'confirmed' },
    currency: 'RUB',
    recipient: { name: 'Ozon buyer', address: { city: 'Казань', state: 'Татарстан', countryCode: 'RU' } },
    lines: [
      { sku: 'ART-1', name: 'Mug', quantity: 2, unitPrice: 499.9, sourceProductId: '1001' },
      { sku: 'ART-2', quantity: 1, unitPrice: 120 },
    ],
    total: 1119.8,
    refs: { orderId: '680420041', orderNumber: '05708065-0029', scheme: 'fbs', warehouse: 'Main' },
  });
  t.same(fetched.order.fees, [
    { kind: 'commission', amount: '75.5', currency: 'RUB', sku: 'ART-1' },
    { kind: 'commission', amount: '12', currency: 'RUB', sku: 'ART-2' },
  ]);
  const services = [{ kind: 'service:Логистика', amount: '63', currency: 'RUB', sku: 'ART-1' }];
  const withServices = toFetchedOrder(v3Posting, 'fbs', [], services);
  t.match(withServices, { kind: 'ready', order: { fees: [{ kind: 'commission' }, { kind: 'commission' }, services[0]] } }, 'the accrued charges follow the commission');
});

t.test('v4 money objects are read like v3 strings', async (t) => {
  const v4 = {
    ...v3Posting,
    products: [{ sku: 1001, offer_id: 'ART-1', name: 'Mug', quantity: 1, price: { amount: '499.90', currency: 'RUB' } }],
    financial_data: { products: [{ product_id: 1001, commission: { amount: '75.50', currency: 'RUB', percent: 15 } }] },
  };
  const fetched = toFetchedOrder(v4, 'fbs', []);
  t.equal(fetched.kind, 'ready');
  if (fetched.kind !== 'ready') return;
  t.equal(fetched.order.lines[0]?.unitPrice, '499.9');
  t.equal(fetched.order.currency, 'RUB');
  t.same(fetched.order.fees, [{ kind: 'commission', amount: '75.5', currency: 'RUB', sku: 'ART-1' }]);
});

t.test('cancelled postings are skipped; unknown statuses are kept raw', async (t) => {
  t.match(toFetchedOrder({ ...v3Posting, status: 'cancelled' }, 'fbs', ['cancelled']), { kind: 'skip', reason: /cancelled/ });
  const odd = toFetchedOrder({ ...v3Posting, status: 'awaiting_something_new' }, 'fbs', ['cancelled']);
  t.match(odd, { kind: 'ready', order: { status: { raw: 'awaiting_something_new', normalized: 'unknown' } } });
  t.equal(normalizeOzonStatus('delivering'), 'shipped');
  t.equal(normalizeOzonStatus('delivered'), 'delivered');
});

t.test('a broken posting is an error for that posting alone, naming it', async (t) => {
  t.match(toFetchedOrder({ ...v3Posting, products: [] }, 'fbs', []), {
    kind: 'invalid',
    number: '05708065-0029-1',
    error: { code: 'OZON_POSTING_UNREADABLE', kind: 'permanent', message: /05708065-0029-1.*products/ },
  });
  t.match(toFetchedOrder({ ...v3Posting, products: [{ ...v3Posting.products[0], price: 'n/a' }] }, 'fbs', []), {
    kind: 'invalid',
    error: { message: /unreadable price "n\/a"/ },
  });
  t.match(toFetchedOrder({ ...v3Posting, in_process_at: '', created_at: '' }, 'fbo', []), { kind: 'invalid', error: { message: /neither in_process_at nor created_at/ } });
  t.match(toFetchedOrder({ status: 'delivered' }, 'fbs', []), { kind: 'invalid', number: null });
});

t.test('accruals become service charges: the sale lines and excluded types are left out, the sign turns', async (t) => {
  const names = new Map([
    [11, 'Логистика'],
    [12, 'Последняя миля'],
    [13, 'Эквайринг'],
  ]);
  const accruals = [
    { type_id: 1, accrued: { amount: '499.90', currency: 'RUB' }, sku: 1001, seller_price: { amount: '499.90', currency: 'RUB' } },
    { type_id: 2, accrued: { amount: '-75.50', currency: 'RUB' }, sku: 1001, seller_price: { amount: '-75.50', currency: 'RUB' } },
    { type_id: 11, accrued: { amount: '-63.00', currency: 'RUB' }, sku: 1001, seller_price: null },
    { type_id: 12, accrued: { amount: '-27.49' }, sku: 5555 },
    { type_id: 11, accrued: { amount: '12.00', currency: 'RUB' }, sku: null, seller_price: null },
    { type_id: 13, accrued: { amount: '-7.50', currency: 'RUB' }, sku: 1001, seller_price: null },
    { type_id: 44, accrued: { amount: '-1.10', currency: 'RUB' } },
    { type_id: 11, accrued: { amount: '0', currency: 'RUB' } },
    { type_id: 11, accrued: { amount: 'n/a', currency: 'RUB' } },
  ];
  t.same(serviceFees(accruals, { names, excluded: new Set([13]) }, new Map([[1001, 'ART-1']]), 'RUB'), [
    { kind: 'service:Логистика', amount: '63', currency: 'RUB', sku: 'ART-1' },
    { kind: 'service:Последняя миля', amount: '27.49', currency: 'RUB', sku: '5555' },
    { kind: 'service:Логистика', amount: '-12', currency: 'RUB', sku: null },
    { kind: 'service:accrual type 44', amount: '1.1', currency: 'RUB', sku: null },
  ]);
});
