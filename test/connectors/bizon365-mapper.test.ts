import t from 'tap';
import { checkOrderAmounts } from '../../src/core/order-amounts.js';
import {
  bizonDateToIso,
  bizonRevision,
  bizonSourceId,
  moscowDateTime,
  moscowDayEnd,
  moscowDayStart,
  parseGoods,
  toFetchedOrder,
  type BizonMapOptions,
} from '../../src/connectors/bizon365/mapper.js';
import type { FetchedOrder } from '../../src/core/connector.js';
import { orderSchema, type Order } from '../../src/core/order.js';

const options: BizonMapOptions = { paid: 1, free: false, numberPrefix: '' };

/** An order with the fields and examples of the API page. */
function bizonOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: 100407,
    firstname: 'Иван',
    lastname: 'Сидоров',
    middlename: 'Петрович',
    email: 'ivan@example.com',
    phone: '+79998887766',
    goods: '[{"_id":"kvadro5","price":1000,"cnt":1}]',
    title: 'Квадро 5',
    amount: 1000,
    currency: 'RUR',
    amount_RUR: 1000,
    gate: 'yookassa',
    ip: '127.0.0.1',
    channel: 'ch-7',
    partner: 'ref1',
    partner2: '',
    comment: 'Позвоните перед доставкой',
    coupon: 'AUTUMN',
    pixel: '',
    address: '125009, Москва, ул. Тверская, д. 1, кв. 2',
    city: 'Москва',
    country_code: 'RU',
    hash: 'B9YNHMWxW',
    created: '2025-09-01T02:30:00.000',
    paid: true,
    partner_already_rewarded: 1,
    appear: '',
    referer: 'https://example.com',
    utm: {},
    partner_reward: 0,
    partner_reward_canceled: 0,
    partner2_reward: 0,
    manager_reward: 0,
    coowners_reward: '{"kvadro5":{"42":420}}',
    profit_amount: 420,
    tax: 60,
    ...overrides,
  };
}

function ready(fetched: FetchedOrder): Order {
  if (fetched.kind !== 'ready') throw new Error(`expected a ready order, got ${fetched.kind}: ${JSON.stringify(fetched)}`);
  return fetched.order;
}

function map(overrides: Record<string, unknown> = {}, mapOptions: Partial<BizonMapOptions> = {}): FetchedOrder {
  return toFetchedOrder(bizonOrder(overrides), { ...options, ...mapOptions }).fetched;
}

t.test('Bizon dates are Moscow time unless they say otherwise', async (t) => {
  t.equal(bizonDateToIso('2025-09-01T02:30:00.000'), '2025-08-31T23:30:00.000Z', 'no offset: UTC+3, across midnight');
  t.equal(bizonDateToIso('2025-09-01T15:00:00'), '2025-09-01T12:00:00.000Z');
  t.equal(bizonDateToIso('2025-09-01 15:00'), '2025-09-01T12:00:00.000Z', 'a space and no seconds');
  t.equal(bizonDateToIso('2025-09-01'), '2025-08-31T21:00:00.000Z', 'a date alone is Moscow midnight');
  t.equal(bizonDateToIso('2017-05-10T22:33:21.290Z'), '2017-05-10T22:33:21.290Z', 'the API page example, with Z, is kept');
  t.equal(bizonDateToIso('2025-09-01T15:00:00+05:00'), '2025-09-01T10:00:00.000Z');
  t.equal(bizonDateToIso('2025-09-01T15:00:00-0130'), '2025-09-01T16:30:00.000Z');
  t.equal(bizonDateToIso('2024-02-29T12:00:00.5'), '2024-02-29T09:00:00.500Z', 'a leap day, a short fraction');
  for (const bad of ['2025-02-30T10:00:00', '2025-09-01T24:00:00', '2025-13-01', '01.09.2025', 'soon', '']) {
    t.equal(bizonDateToIso(bad), null, `"${bad}" is not a date`);
  }

  const lateEvening = new Date('2025-09-01T21:30:00Z');
  t.equal(moscowDateTime(lateEvening), '2025-09-02T00:30:00');
  t.equal(moscowDayStart(lateEvening).toISOString(), '2025-09-01T21:00:00.000Z', 'already the 2nd in Moscow');
  t.equal(moscowDayEnd(lateEvening).toISOString(), '2025-09-02T20:59:59.000Z');
  t.equal(moscowDayStart(new Date('2025-09-01T20:59:59Z')).toISOString(), '2025-08-31T21:00:00.000Z', 'still the 1st');
  t.equal(bizonDateToIso(moscowDateTime(lateEvening)), lateEvening.toISOString(), 'both ways agree');
});

t.test('a paid order as the canonical order', async (t) => {
  const { sourceId, fetched } = toFetchedOrder(bizonOrder(), options);
  t.equal(sourceId, '100407');
  t.equal(fetched.number, '100407');
  const order = ready(fetched);
  t.same(orderSchema.parse(order), order, 'a valid canonical order');
  t.same(order, {
    source: { connector: 'bizon365', id: '100407' },
    number: '100407',
    createdAt: '2025-08-31T23:30:00.000Z',
    status: { raw: 'paid', normalized: 'confirmed' },
    currency: 'RUB',
    prices: 'gross',
    customer: {
      sourceId: null,
      name: 'Сидоров Иван Петрович',
      company: null,
      email: 'ivan@example.com',
      phone: '+79998887766',
      address: { street: '125009, Москва, ул. Тверская, д. 1, кв. 2', street2: null, city: null, zip: null, state: null, country: null, countryCode: null },
    },
    recipient: order.customer,
    comment: 'Позвоните перед доставкой',
    lines: [
      {
        sourceLineId: null,
        sku: 'kvadro5',
        name: 'Квадро 5',
        quantity: 1,
        unitPrice: '1000',
        discount: '0',
        taxRate: null,
        sourceProductId: 'kvadro5',
        destinationProductId: null,
        unitOfMeasure: null,
        serials: [],
      },
    ],
    discounts: [],
    surcharges: [],
    tax: null,
    total: '1000',
    fees: [],
    refs: {
      paymentState: 'paid',
      bizonCurrency: 'RUR',
      amountRub: '1000',
      paidAmount: '1000',
      paidAmountRub: '1000',
      paymentGate: 'yookassa',
      coupon: 'AUTUMN',
      sellerTax: '60',
      channel: 'ch-7',
      partner: 'ref1',
      ipCity: 'Москва',
      ipCountryCode: 'RU',
    },
  });

  t.equal(map({}, { numberPrefix: 'BZ-' }).number, 'BZ-100407', 'a prefix for the number');
  t.equal(toFetchedOrder(bizonOrder({ _id: ' 100407 ' }), options).sourceId, '100407', 'a string id');
  t.equal(ready(map({ currency: 'usd' })).currency, 'USD');
  t.equal(ready(map({ currency: '' })).currency, null);
});

t.test('money: the currency Bizon names, a coupon as the difference between the goods and the amount, the seller\'s tax apart', async (t) => {
  const coupon = ready(map({ amount: 800, coupon: 'AUTUMN', currency: 'EUR' }));
  t.match(coupon, { currency: 'EUR', prices: 'gross', tax: null, total: '800', discounts: [{ kind: 'coupon', code: 'AUTUMN', amount: '200' }] });
  checkOrderAmounts(coupon);
  t.equal(ready(map({ currency: 'RUR' })).currency, 'RUB', 'RUR is written RUB');
  t.match(ready(map({ amount: 800, coupon: '' })).discounts, [{ kind: 'other', code: null, amount: '200' }], 'a lower amount without a coupon is still a discount');
  t.throws(() => checkOrderAmounts(ready(map({ amount: 1200 }))), { code: 'ORDER_AMOUNTS_INCONSISTENT', message: /goods 1000\.00 = 1000\.00 RUB, but its total is 1200\.00 RUB/ });
  t.equal(ready(map({ tax: 60 })).tax, null, "Bizon's tax is the seller's, not in the amounts");
});

t.test('names, surname first (ФИО / ПІБ), and what stands in for a missing one', async (t) => {
  t.equal(ready(map({ middlename: '', lastname: null })).customer.name, 'Иван');
  t.equal(ready(map({ firstname: '', middlename: '', lastname: '' })).customer.name, 'ivan@example.com');
  t.equal(ready(map({ firstname: '', middlename: '', lastname: '', email: '' })).customer.name, '+79998887766');
  const phoneAsNumber = ready(map({ phone: 79998887766 }));
  t.equal(phoneAsNumber.customer.phone, '79998887766', 'a number where text is expected is read as text');
});

t.test('goods: a JSON array packed in a string', async (t) => {
  const two = ready(map({ goods: '[{"_id":"kvadro5","price":1000,"cnt":2},{"_id":"book","price":"250.50"}]', title: 'Квадро 5, Книга' }));
  t.same(
    two.lines.map((l) => [l.sku, l.name, l.quantity, l.unitPrice]),
    [
      ['kvadro5', 'kvadro5', 2, 1000],
      ['book', 'book', 1, 250.5],
    ],
    'several items: the product id names each (the title cannot be split safely); a missing count is 1',
  );
  t.equal(ready(map({ goods: '[{"_id":"kvadro5","price":1000,"cnt":1,"name":"Квадро пять"}]' })).lines[0]?.name, 'Квадро пять', "an item's own name wins");
  t.equal(ready(map({ goods: [{ _id: 7, price: 10, cnt: 1 }] })).lines[0]?.sku, '7', 'an already parsed array is read too');

  const cases: Array<[unknown, string, RegExp]> = [
    ['[{"_id":"kvadro5","price":1000,', 'BIZON_GOODS_UNREADABLE', /its goods list is not valid JSON \(/],
    ['{"_id":"kvadro5"}', 'BIZON_GOODS_UNREADABLE', /its goods are not a list/],
    ['[]', 'BIZON_NO_GOODS', /its goods list is empty/],
    ['  ', 'BIZON_NO_GOODS', /its goods list is empty/],
    [undefined, 'BIZON_NO_GOODS', /it has no goods list/],
    ['[{"_id":"a","price":1,"cnt":1},{"_id":"b"},{"price":3}]', 'BIZON_GOODS_UNREADABLE', /item 2 \(price: .*\); item 3 \(_id: /],
    ['[{"_id":"a","price":1,"cnt":0}]', 'BIZON_GOODS_UNREADABLE', /item 1 \(a\) has count 0/],
  ];
  for (const [goods, code, problem] of cases) {
    const fetched = map({ goods });
    t.equal(fetched.kind, 'invalid', JSON.stringify(goods));
    if (fetched.kind !== 'invalid') continue;
    t.match(fetched.error, { kind: 'permanent', code, context: { system: 'bizon365', order: '100407' } });
    t.match(fetched.error.message, /^Bizon365 order 100407 cannot be exported: /);
    t.match(fetched.error.message, problem);
    t.match(fetched.error.message, /then replay the job$/);
    t.equal(fetched.number, '100407');
  }
  const broken = map({ goods: '[{"_id":"kvadro5",' });
  t.equal(broken.kind === 'invalid' ? broken.error.detail : undefined, '[{"_id":"kvadro5",', 'the raw goods are kept for the exchange log');

  const long = parseGoods(`[${'{"_id":"x","price":1,"cnt":1},'.repeat(3)}{"_id":"y","price":"free"}]`);
  t.match(long, { ok: false, code: 'BIZON_GOODS_UNREADABLE', problem: /item 4/ });
});

t.test('payments: partly paid orders keep what was paid', async (t) => {
  const partial = {
    paid: false,
    partialPaid: 400,
    partialPaid_RUR: 400,
    payments: [
      { date: '2025-09-01T10:00:00', amount: 300, cur: 'RUR', gate: 'yookassa' },
      { date: '2025-09-02T10:00:00Z', amount: 100, cur: 'RUR', gate: 'cash' },
    ],
  };
  const order = ready(map(partial, { paid: 5 }));
  t.same(order.status, { raw: 'partially paid', normalized: 'new' });
  t.match(order.refs, { paymentState: 'partial', paidAmount: '400', paidAmountRub: '400' });
  t.same(JSON.parse(order.refs['payments'] ?? 'null'), [
    { date: '2025-09-01T07:00:00.000Z', amount: 300, currency: 'RUB', gate: 'yookassa' },
    { date: '2025-09-02T10:00:00.000Z', amount: 100, currency: 'RUB', gate: 'cash' },
  ]);
  t.same(order.fees, [], 'payments are money received, not fees');
  t.same(JSON.parse(ready(map({ ...partial, payments: [{ date: 'yesterday', amount: 1 }] }, { paid: 5 })).refs['payments'] ?? 'null'), [
    { date: 'yesterday', amount: 1, currency: null, gate: null },
  ], 'an unreadable payment date is kept as written');
  t.notOk('payments' in ready(map()).refs, 'no payments, no reference');
});

t.test('the paid filter: orders the fields show outside it are skipped, with the reason', async (t) => {
  const states = {
    unpaid: { paid: false },
    partial: { paid: false, partialPaid: 400 },
    paid: { paid: true },
  };
  const expected: Record<string, Record<keyof typeof states, 'ready' | 'skip'>> = {
    '-1': { unpaid: 'ready', partial: 'ready', paid: 'ready' },
    '0': { unpaid: 'ready', partial: 'skip', paid: 'skip' },
    '1': { unpaid: 'skip', partial: 'skip', paid: 'ready' },
    '2': { unpaid: 'skip', partial: 'skip', paid: 'ready' },
    '3': { unpaid: 'skip', partial: 'skip', paid: 'ready' },
    '5': { unpaid: 'ready', partial: 'ready', paid: 'skip' },
  };
  for (const [paid, outcomes] of Object.entries(expected)) {
    for (const [state, outcome] of Object.entries(outcomes)) {
      t.equal(map(states[state as keyof typeof states], { paid: Number(paid) as BizonMapOptions['paid'] }).kind, outcome, `paid=${paid}, ${state}`);
    }
  }
  const skipped = map(states.partial);
  t.match(skipped, { kind: 'skip', number: '100407', reason: 'order 100407 is partially paid (400 of 1000); this connection exports fully paid orders (paid=1)' });
  t.match(map(states.paid, { paid: 0 }), { reason: /is paid; this connection exports unpaid, excluding partially paid orders \(paid=0\)/ });
  t.equal(map({ paid: 1 }).kind, 'ready', 'paid as 1 is paid');
  t.equal(map({ paid: 0 }).kind, 'skip', 'paid as 0 is unpaid');

  t.match(map({ amount: 0 }), { kind: 'skip', reason: /is free \(amount 0\); free orders are exported only with "free": true/ });
  t.equal(map({ amount: 0, paid: false }, { free: true }).kind, 'ready', 'a free order needs no payment');
  t.equal(map({ paid: false, goods: 'broken' }).kind, 'skip', 'outside the filter comes before unreadable goods');
});

t.test('an order that cannot be read is one invalid order', async (t) => {
  const noDate = map({ created: undefined });
  t.match(noDate, { kind: 'invalid', number: '100407', error: { kind: 'permanent', code: 'BIZON_ORDER_UNREADABLE', context: { order: '100407' } } });
  t.match(noDate.kind === 'invalid' ? noDate.error.message : '', /Bizon365 order 100407 cannot be exported: Bizon365 listed it in an unexpected form \(created: /);
  t.match(map({ paid: 'yes' }), { kind: 'invalid', error: { code: 'BIZON_ORDER_UNREADABLE', message: /paid: / } });
  t.match(map({ created: '10.09.2025 12:00' }), { kind: 'invalid', error: { code: 'BIZON_ORDER_UNREADABLE', message: /its creation date "10.09.2025 12:00" is not a date/ } });

  for (const raw of [{ firstname: 'Без номера' }, 42, null, { _id: '' }, { _id: 1.5 }]) {
    const mapped = toFetchedOrder(raw, options);
    t.match(mapped.sourceId, /^unidentified:[0-9a-f]{16}$/, JSON.stringify(raw));
    t.equal(mapped.sourceId, toFetchedOrder(raw, options).sourceId, 'the made-up id is stable');
    t.match(mapped.fetched, { kind: 'invalid', number: null, error: { code: 'BIZON_ORDER_UNREADABLE' } });
    t.match(mapped.fetched.kind === 'invalid' ? mapped.fetched.error.message : '', /order \(without _id, listed as unidentified:/);
  }
  t.not(bizonSourceId({ firstname: 'A' }), bizonSourceId({ firstname: 'B' }), 'different content, different id');
});

t.test('the revision changes with what matters, and only with that', async (t) => {
  const base = bizonRevision(bizonOrder({ paid: false }));
  t.match(base, /^unpaid:[0-9a-f]{16}$/);
  t.equal(bizonRevision(bizonOrder({ paid: false })), base, 'stable');
  t.equal(bizonRevision(bizonOrder({ paid: false, utm: { source: 'x' }, partner_reward: 100, hash: 'other' })), base, 'rewards, tracking and hashes do not count');

  const partial = bizonRevision(bizonOrder({ paid: false, partialPaid: 300, payments: [{ amount: 300 }] }));
  t.match(partial, /^partial:/);
  const more = bizonRevision(bizonOrder({ paid: false, partialPaid: 500, payments: [{ amount: 300 }, { amount: 200 }] }));
  t.not(more, partial, 'another partial payment is a change');
  const paid = bizonRevision(bizonOrder({ paid: true }));
  t.match(paid, /^paid:/);
  t.not(paid, base);
  t.not(bizonRevision(bizonOrder({ paid: false, address: 'Другой адрес' })), base, 'a new address is a change');
  t.not(bizonRevision(bizonOrder({ paid: false, goods: '[{"_id":"kvadro5","price":1000,"cnt":2}]' })), base, 'new goods are a change');
  t.match(bizonRevision('not an order'), /^unreadable:/);
  t.match(bizonRevision({ _id: 1, paid: 'maybe' }), /^unreadable:/);
  t.equal(map({ paid: true }).revision, paid, 'the fetched order carries it');
});
