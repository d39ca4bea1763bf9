import t from 'tap';
import { allocate, amount, formatMoney, minorUnits, readAmount, sameAmount, sum } from '../../src/core/money.js';
import { checkOrderAmounts, describeAmounts, payableParts } from '../../src/core/order-amounts.js';
import type { Order } from '../../src/core/order.js';

const nobody = { sourceId: null, name: 'Ann', company: null, email: null, phone: null, address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } };

function order(over: Partial<Order>): Order {
  return {
    source: { connector: 'test', id: '1' },
    number: 'T1',
    createdAt: '2026-12-01T10:00:00.000Z',
    status: { raw: 'paid', normalized: 'confirmed' },
    currency: 'EUR',
    prices: 'gross',
    customer: nobody,
    recipient: nobody,
    comment: null,
    lines: [{ sourceLineId: null, sku: 'A', name: 'A', quantity: 3, unitPrice: '0.1', discount: '0', taxRate: null, sourceProductId: null, destinationProductId: null, unitOfMeasure: null, serials: [] }],
    discounts: [],
    surcharges: [],
    tax: null,
    total: '0.3',
    fees: [],
    refs: {},
    ...over,
  };
}

t.test('amounts are decimal text, read from numbers or text, and summed without binary rounding', async (t) => {
  t.equal(amount(sum(['0.1', '0.2'])), '0.3');
  t.equal(readAmount('  12.50 '), '12.5');
  t.equal(readAmount(1e-7), '0.0000001', 'no exponent in the text');
  t.equal(readAmount('12,50'), null, 'a comma is not a decimal point here');
  t.equal(readAmount('abc'), null);
  t.equal(readAmount(Number.NaN), null);
});

t.test('minor units follow the currency', async (t) => {
  t.equal(minorUnits('1234.565', 'RUB'), 123457, 'half away from zero');
  t.equal(minorUnits('1234.5', 'JPY'), 1235, 'yen have no minor unit');
  t.equal(minorUnits('1.2345', 'KWD'), 1235, 'three digits for dinars');
  t.ok(sameAmount('112.558', '112.56', 'UAH'));
  t.notOk(sameAmount('112.55', '112.56', 'UAH'));
  t.equal(formatMoney('800', 'EUR'), '800.00 EUR');
});

t.test('an allocation adds up to exactly its total, largest remainders first', async (t) => {
  const parts = allocate('100', ['1', '1', '1'], 'EUR').map((p) => p.toFixed(2));
  t.same(parts, ['33.34', '33.33', '33.33']);
  t.equal(amount(sum(allocate('-0.05', ['2', '1'], 'EUR'))), '-0.05', 'negative totals too');
  t.same(allocate('7', ['0', '0'], 'EUR').map((p) => p.toFixed()), ['7', '0'], 'no weights: all on the first');
});

t.test('an order whose parts do not make its total is refused with the amounts', async (t) => {
  t.doesNotThrow(() => checkOrderAmounts(order({})));
  const coupon = order({ lines: [{ ...order({}).lines[0]!, quantity: 1, unitPrice: '1000' }], total: '800' });
  t.throws(() => checkOrderAmounts(coupon), { code: 'ORDER_AMOUNTS_INCONSISTENT', message: /parts make goods 1000\.00 = 1000\.00 EUR, but its total is 800\.00 EUR/ });
  const withCoupon = { ...coupon, discounts: [{ kind: 'coupon' as const, code: 'SALE20', amount: '200' }] };
  t.doesNotThrow(() => checkOrderAmounts(withCoupon));
  t.equal(describeAmounts(withCoupon), 'goods 1000.00 − order discounts 200.00 = 800.00 EUR');
  t.throws(() => checkOrderAmounts(order({ prices: 'net' })), { message: /before tax but the source gave no tax/ });
});

t.test('payable parts spread discounts and tax so that every part is in cents and they add up to the total', async (t) => {
  const net = order({
    prices: 'net',
    currency: 'MXN',
    lines: [
      { ...order({}).lines[0]!, quantity: 1, unitPrice: '257.7586' },
      { ...order({}).lines[0]!, quantity: 2, unitPrice: '100' },
    ],
    surcharges: [{ kind: 'shipping', name: 'Envío', amount: '50' }],
    discounts: [{ kind: 'promotion', code: null, amount: '10' }],
    tax: '80.60',
    total: '578.36',
  });
  checkOrderAmounts(net);
  const parts = payableParts(net);
  t.equal(amount(sum([...parts.lines, ...parts.surcharges])), '578.36');
  for (const part of [...parts.lines, ...parts.surcharges]) t.ok(part.isEqualTo(part.dp(2)), `${part.toFixed()} is whole cents`);
  t.equal(parts.surcharges[0]?.toFixed(2), '58.10', 'the shipping carries its share of the tax');
});
