import t from 'tap';
import { saleAppConfigSchema } from '../../src/connectors/saleapp/config.js';
import { fromSaleAppOrder, phoneDigits, saleAppMapping, saleAppTotal, toSaleAppOrder, type SaleAppMapping } from '../../src/connectors/saleapp/mapper.js';
import { saleAppListedOrderSchema, type SaleAppListedOrder } from '../../src/connectors/saleapp/schemas.js';
import { isIntegrationError, type IntegrationError } from '../../src/core/errors.js';
import type { Order } from '../../src/core/order.js';

const mapping: SaleAppMapping = {
  defaults: {},
  productIdKind: 'id',
  externalProductField: 'external_id',
  tags: [],
  connection: 'shop-saleapp',
  currency: 'UAH',
  currencies: {},
  keyType: 'organization',
};

function canonical(overrides: Partial<Order> = {}): Order {
  const address = { street: 'вул. Бережанська, 9', street2: 'кв. 4', city: 'Київ', zip: '04209', state: null, country: 'Ukraine', countryCode: 'UA' };
  return {
    source: { connector: 'odoo', id: '17' },
    number: 'S00017',
    createdAt: '2026-03-01T10:00:00.000Z',
    status: { raw: 'sale', normalized: 'confirmed' },
    currency: 'UAH',
    customer: { sourceId: '7', name: 'Борис Вапненко', company: null, email: 'b@example.com', phone: '+38 (067) 111-11-11', address },
    recipient: { sourceId: '8', name: 'Борис Вапненко', company: null, email: null, phone: '+38 (067) 897-67-56', address },
    comment: 'Дзвонити заздалегідь',
    lines: [
      { sourceLineId: '1', sku: 'UA25', name: 'Test 6', quantity: 2, unitPrice: '49.789', discount: '0', taxRate: null, sourceProductId: '501', destinationProductId: '42', unitOfMeasure: 'Units', serials: [] },
      { sourceLineId: '2', sku: 'UA23', name: 'Test 4', quantity: 1, unitPrice: '12.98', discount: '0', taxRate: null, sourceProductId: '502', destinationProductId: null, unitOfMeasure: 'Units', serials: [] },
    ],
    prices: 'gross',
    discounts: [],
    surcharges: [],
    tax: null,
    total: '112.56',
    fees: [],
    refs: { delivery_type: '3', city_ref: 'city-ref-kyiv', branch_ref: 'branch-ref-2' },
    ...overrides,
  };
}

function refusal(fn: () => unknown): IntegrationError {
  try {
    fn();
  } catch (err) {
    if (isIntegrationError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

t.test('a canonical order as SaleApp create fields', async (t) => {
  t.same(toSaleAppOrder(canonical(), { ...mapping, tags: [8, 3], funnel: '4', commentField: 'comment' }), {
    external_id: 'S00017',
    delivery_types: 3,
    receiver_name: 'Борис Вапненко',
    receiver_phone: '380678976756',
    city: 'Київ',
    city_ref: 'city-ref-kyiv',
    addres: 'вул. Бережанська, 9, кв. 4',
    branch_ref: 'branch-ref-2',
    insurance_amount: undefined,
    delivery_amount: undefined,
    type: '8,3',
    custom_fields: { comment: 'Дзвонити заздалегідь' },
    funnel: '4',
    products: [
      { qty: 2, cost: 49.79, discount_percent: 0, id: 42, sku: 'UA25' },
      { qty: 1, cost: 12.98, discount_percent: 0, sku: 'UA23' },
    ],
  });

  const plain = toSaleAppOrder(canonical({ refs: { delivery_type: '1', insurance_amount: '300', delivery_amount: '290' }, comment: null }), mapping);
  t.match(plain, { delivery_types: 1, insurance_amount: 300, delivery_amount: 290, type: undefined, custom_fields: undefined, funnel: undefined });
});

t.test('delivery: the order refs win over the connection defaults', async (t) => {
  const defaults = { ...mapping, defaults: { deliveryType: 3 as const, cityRef: 'default-city', branchRef: 'default-branch' } };
  t.match(toSaleAppOrder(canonical({ refs: {} }), defaults), { delivery_types: 3, city_ref: 'default-city', branch_ref: 'default-branch' });
  t.match(toSaleAppOrder(canonical({ refs: { delivery_type: '5', city_ref: 'lviv' } }), defaults), { delivery_types: 5, city_ref: 'lviv', branch_ref: undefined });
  t.match(
    toSaleAppOrder(canonical({ refs: { delivery_type: '2' } }), defaults),
    { delivery_types: 2, city_ref: undefined, branch_ref: undefined },
    'own delivery sends no carrier REFs',
  );
});

t.test('every problem is found before sending, in one permanent error', async (t) => {
  const none = refusal(() => toSaleAppOrder(canonical({ refs: {} }), mapping));
  t.match(none, { kind: 'permanent', code: 'CANNOT_SEND_TO_SALEAPP', context: { system: 'saleapp', order: 'S00017' } });
  t.match(none.message, /^order S00017 cannot be sent to SaleApp: it has no delivery type: set refs\.delivery_type on the order \(1, 2, 3 or 5\) or delivery\.type in the SaleApp connection$/);

  t.match(refusal(() => toSaleAppOrder(canonical({ refs: { delivery_type: '4' } }), mapping)).message, /refs\.delivery_type is "4", which is not a SaleApp delivery type/);
  t.match(
    refusal(() => toSaleAppOrder(canonical({ refs: { delivery_type: '3', city_ref: 'c' } }), mapping)).message,
    /delivery type 3 \(Nova Poshta branch \(Нова Пошта відділення\)\) needs the carrier's branch REF \(branch_ref\), and neither the order nor the connection gives one: set delivery\.branchRef of the SaleApp connection "shop-saleapp"/,
  );
  const noCity = refusal(() => toSaleAppOrder(canonical({ refs: { delivery_type: '5' } }), mapping)).message;
  t.match(noCity, /needs the carrier's city REF \(city_ref\), and neither the order nor the connection gives one: set delivery\.cityRef of the SaleApp connection "shop-saleapp" .*or use delivery\.type 1 \(pickup\) or 2 \(own delivery\)/);
  t.notMatch(noCity, /refs\./, 'no advice a person at the source cannot follow');

  const many = refusal(() =>
    toSaleAppOrder(
      canonical({
        refs: { delivery_type: '3', insurance_amount: '12.5' },
        recipient: { ...canonical().recipient, name: ' ' },
        lines: [
          { ...canonical().lines[0]!, destinationProductId: 'abc' },
          { ...canonical().lines[1]!, sku: null },
        ],
      }),
      mapping,
    ),
  );
  t.same(many.context['problems'], [
    'delivery type 3 (Nova Poshta branch (Нова Пошта відділення)) needs the carrier\'s city REF (city_ref), and neither the order nor the connection gives one: set delivery.cityRef of the SaleApp connection "shop-saleapp" (the same place for every order), or use delivery.type 1 (pickup) or 2 (own delivery)',
    'delivery type 3 (Nova Poshta branch (Нова Пошта відділення)) needs the carrier\'s branch REF (branch_ref), and neither the order nor the connection gives one: set delivery.branchRef of the SaleApp connection "shop-saleapp" (the same place for every order), or use delivery.type 1 (pickup) or 2 (own delivery)',
    'the recipient has no name',
    'refs.insurance_amount is "12.5", but SaleApp takes a whole non-negative amount',
    'product "Test 6" [UA25] has SaleApp product id "abc", which is not a positive whole number',
    'product "Test 4" has neither a SaleApp product id nor an SKU, so SaleApp cannot find it',
  ]);
});

t.test('product ids: SaleApp ids, or external ids by key type; the SKU always', async (t) => {
  const order = canonical({ lines: [{ ...canonical().lines[0]!, destinationProductId: 'EXT-42' }], total: '99.58' });
  t.same(toSaleAppOrder(order, { ...mapping, productIdKind: 'externalId' }).products, [{ qty: 2, cost: 49.79, discount_percent: 0, external_id: 'EXT-42', sku: 'UA25' }]);
  t.same(toSaleAppOrder(order, { ...mapping, productIdKind: 'externalId', externalProductField: 'supplier_id' }).products, [
    { qty: 2, cost: 49.79, discount_percent: 0, supplier_id: 'EXT-42', sku: 'UA25' },
  ]);
});

t.test('phones keep their digits only', async (t) => {
  t.equal(phoneDigits('+38 (067) 897-67-56'), '380678976756');
  t.equal(phoneDigits('tel: —'), undefined);
  t.equal(phoneDigits(null), undefined);
  const noRecipientPhone = canonical({ recipient: { ...canonical().recipient, phone: null } });
  t.equal(toSaleAppOrder(noRecipientPhone, mapping).receiver_phone, '380671111111', "the customer's phone when the recipient has none");
});

t.test('the mapping follows the connection config', async (t) => {
  const organization = saleAppConfigSchema.parse({ secretKey: 'k-12345678', clientId: 50, currencyId: '6', warehouseId: 7, delivery: { type: 5, cityRef: 'c' }, tags: [8] });
  t.match(saleAppMapping(organization), { defaults: { deliveryType: 5, cityRef: 'c' }, productIdKind: 'id', externalProductField: 'external_id', tags: [8] });
  const counterparty = saleAppConfigSchema.parse({ secretKey: 'k-12345678', keyType: 'counterparty', productIdKind: 'externalId' });
  t.match(saleAppMapping(counterparty), { productIdKind: 'externalId', externalProductField: 'supplier_id', tags: [] });
});

/** The document's GET example, as the client hands it over. */
function docOrder(overrides: Record<string, unknown> = {}): SaleAppListedOrder {
  return saleAppListedOrderSchema.parse({
    id: '74',
    number: '1057',
    external_id: '100222312',
    status_id: '1',
    delivery_type_name: 'Нова Пошта відділення',
    delivery_types: '3',
    receiver_name: 'Борис Вапненко',
    receiver_phone: '380678976756',
    city: 'Київ',
    city_ref: '8d5a980d-391c-11dd-90d9-001a92567626',
    addres: 'Відділення №2: вул. Бережанська, 9 (Оболонь Лугова)',
    branch_ref: '7b422fbe-e1b8-11e3-8c4a-0050568002cf',
    insurance_amount: '300',
    delivery_amount: '290',
    type_ids: '8',
    date_entered: '2022-09-04 20:17:34',
    date_update: '2022-09-05 09:00:00',
    type: [{ id: '8', name: 'Спец умови' }],
    products: [
      { id: '40', name: 'Test 4', sku: 'UA23', external_id: '0', qty: '1', allocated_qty: '1', cost: '12.98', discount_percent: '10', supplier_ids: [{ code: '232334', supplier_id: '39' }] },
      { id: '41', name: 'Removed', sku: 'UA24', external_id: '0', qty: '0', allocated_qty: '0', cost: '5', discount_percent: '0' },
    ],
    status_name: 'Повністю зарезервований',
    ...overrides,
  });
}

t.test('a SaleApp order as the canonical order', async (t) => {
  const options = { timeZone: 'Europe/Kyiv', skipStatusIds: [], currencies: {} };
  const fetched = fromSaleAppOrder(docOrder(), options);
  const recipient = {
    sourceId: null,
    name: 'Борис Вапненко',
    company: null,
    email: null,
    phone: '380678976756',
    address: { street: 'Відділення №2: вул. Бережанська, 9 (Оболонь Лугова)', street2: null, city: 'Київ', zip: null, state: null, country: null, countryCode: null },
  };
  t.same(fetched, {
    number: '1057',
    revision: '2022-09-05 09:00:00',
    kind: 'ready',
    order: {
      source: { connector: 'saleapp', id: '74' },
      number: '1057',
      createdAt: '2022-09-04T17:17:34.000Z',
      status: { raw: 'Повністю зарезервований', normalized: 'confirmed' },
      currency: null,
      prices: 'gross',
      customer: recipient,
      recipient,
      comment: null,
      lines: [
        { sourceLineId: null, sku: 'UA23', name: 'Test 4', quantity: 1, unitPrice: '12.98', discount: '1.3', taxRate: null, sourceProductId: '40', destinationProductId: null, unitOfMeasure: null, serials: [] },
      ],
      discounts: [],
      surcharges: [],
      tax: null,
      total: '11.68',
      fees: [],
      refs: {
        saleapp_id: '74',
        delivery_type: '3',
        city_ref: '8d5a980d-391c-11dd-90d9-001a92567626',
        branch_ref: '7b422fbe-e1b8-11e3-8c4a-0050568002cf',
        insurance_amount: '300',
        delivery_amount: '290',
        external_id: '100222312',
      },
    },
  });

  t.match(fromSaleAppOrder(docOrder({ status_id: '0', status_name: 'Новий', date_update: null }), options), {
    revision: '2022-09-04 20:17:34',
    order: { status: { raw: 'Новий', normalized: 'new' } },
  });
  t.match(fromSaleAppOrder(docOrder({ status_id: '9', status_name: '' }), options), { order: { status: { raw: '9', normalized: 'unknown' } } });
});

t.test('orders that are not to be exported, or cannot be read', async (t) => {
  const options = { timeZone: 'Europe/Kyiv', skipStatusIds: [7], currencies: {} };
  t.match(fromSaleAppOrder(docOrder({ status_id: '7', status_name: 'Скасовано' }), options), {
    kind: 'skip',
    number: '1057',
    reason: 'SaleApp order 1057 is in status 7 "Скасовано", which this connection does not export',
  });

  const broken = fromSaleAppOrder(docOrder({ products: 'broken', date_entered: 'yesterday' }), options);
  t.match(broken, { kind: 'invalid', number: '1057', revision: null });
  t.match(broken.kind === 'invalid' ? broken.error : null, { kind: 'permanent', code: 'SALEAPP_ORDER_UNREADABLE', context: { saleAppId: '74' } });
  t.match(broken.kind === 'invalid' ? broken.error.message : '', /SaleApp order 1057 \(id 74\) cannot be read: .*date_entered: expected "YYYY-MM-DD HH:MM:SS".*products/);

  const empty = fromSaleAppOrder(docOrder({ products: [] }), options);
  t.match(empty.kind === 'invalid' ? empty.error : null, { code: 'NO_GOODS', message: 'SaleApp order 1057 has no products to deliver' });
});

t.test('money: currencies through the connection map, coupons and discounts as percents, charges as a product line; what SaleApp cannot hold is refused', async (t) => {
  const euro = canonical({ currency: 'EUR' });
  const unmapped = refusal(() => toSaleAppOrder(euro, mapping));
  t.match(unmapped, { code: 'AMOUNT_NOT_EXACT' });
  t.match(unmapped.message, /order S00017 was not sent to SaleApp: the customer paid 112\.56 EUR, and SaleApp would book that number in UAH.*Set connections\.shop-saleapp\.currencies\.EUR to the id of EUR in SaleApp/);
  t.equal(toSaleAppOrder(euro, { ...mapping, currencies: { EUR: '7' } }).curency_id, '7');
  t.equal(toSaleAppOrder(canonical(), mapping).curency_id, undefined, "the account's own currency needs no id");
  t.match(refusal(() => toSaleAppOrder(euro, { ...mapping, keyType: 'counterparty' })).message, /counterparty key books every order in its own currency \(UAH\)/);

  // Bizon's case: goods at 1000, paid 800 with a coupon.
  const coupon = canonical({
    lines: [{ ...canonical().lines[0]!, quantity: 1, unitPrice: '1000' }],
    discounts: [{ kind: 'coupon', code: 'AUTUMN', amount: '200' }],
    total: '800',
  });
  const withCoupon = toSaleAppOrder(coupon, mapping);
  t.same(withCoupon.products, [{ qty: 1, cost: 1000, discount_percent: 20, id: 42, sku: 'UA25' }], 'the list price and the coupon as 20 %');
  t.equal(saleAppTotal(withCoupon.products, 'UAH').toFixed(2), '800.00');

  // Prices before tax (Marketsync, Odoo): SaleApp gets what a unit costs with tax.
  const net = canonical({ prices: 'net', lines: [{ ...canonical().lines[1]!, quantity: 3, unitPrice: '100' }], tax: '48', total: '348' });
  const taxed = toSaleAppOrder(net, mapping);
  t.same(taxed.products, [{ qty: 3, cost: 116, discount_percent: 0, sku: 'UA23' }]);

  const shipping = canonical({ surcharges: [{ kind: 'shipping', name: 'Доставка', amount: '60' }], total: '172.56' });
  t.match(refusal(() => toSaleAppOrder(shipping, mapping)).message, /would show 112\.56 UAH \(SaleApp orders have no field for Доставка 60\.00 UAH\).*connections\.shop-saleapp\.surchargeSku/);
  const shipped = toSaleAppOrder(shipping, { ...mapping, surchargeSku: 'DELIVERY' });
  t.same(shipped.products.at(-1), { sku: 'DELIVERY', qty: 1, cost: 60, discount_percent: 0 });
  t.equal(saleAppTotal(shipped.products, 'UAH').toFixed(2), '172.56');

  // 100.00 for 3 units: 33.34 each, less a percent that makes exactly 100.00.
  const odd = toSaleAppOrder(canonical({ lines: [{ ...canonical().lines[0]!, quantity: 3, unitPrice: '33.3333333333' }], total: '100' }), mapping);
  t.equal(saleAppTotal(odd.products, 'UAH').toFixed(2), '100.00');
});

t.test('a SaleApp order read as a source: its currency from the connection, its discounts to the kopeck', async (t) => {
  const base = { timeZone: 'Europe/Kyiv', skipStatusIds: [], currencies: { EUR: '7' }, currency: 'UAH', currencyId: '6' };
  t.match(fromSaleAppOrder(docOrder(), base), { order: { currency: 'UAH' } });
  t.match(fromSaleAppOrder(docOrder({ curency_id: '7' }), base), { order: { currency: 'EUR' } });
  t.match(fromSaleAppOrder(docOrder({ curency_id: '9' }), base), { kind: 'invalid', error: { code: 'SALEAPP_UNKNOWN_CURRENCY', message: /currency 9.*"currencies"/ } });
});
