import t from 'tap';
import { positionSum } from '../../src/sandbox/moysklad/server.js';
import { RequestBudget } from '../../src/connectors/moysklad/budget.js';
import { requestWeight } from '../../src/connectors/moysklad/config.js';
import { charges, chargesText, demandMoment, describeOrder, kopecks, toRetailDemand, withChargesLine } from '../../src/connectors/moysklad/mapper.js';
import type { Meta } from '../../src/connectors/moysklad/schemas.js';
import { fromMoscowTime, toMoscowSeconds, toMoscowTime } from '../../src/connectors/moysklad/time.js';
import { moyskladConfigSchema } from '../../src/connectors/moysklad/config.js';
import type { Order } from '../../src/core/order.js';

t.test('MoySklad times are Moscow time, Ozon times UTC', async (t) => {
  t.equal(toMoscowTime(new Date('2026-11-24T10:05:09.042Z')), '2026-11-24 13:05:09.042');
  t.equal(toMoscowSeconds(new Date('2026-12-31T22:30:00Z')), '2027-01-01 01:30:00', 'the date rolls over at Moscow midnight, not UTC');
  t.equal(fromMoscowTime('2026-11-24 13:05:09.042')?.toISOString(), '2026-11-24T10:05:09.042Z');
  t.equal(fromMoscowTime('2026-11-24 13:05')?.toISOString(), '2026-11-24T10:05:00.000Z', 'minute precision is accepted');
  t.equal(fromMoscowTime('2026-07-01 03:00:00.5')?.toISOString(), '2026-07-01T00:00:00.500Z', 'no summer time since 2014');
  t.equal(fromMoscowTime('24.11.2026 13:05'), null);
  const now = new Date('2026-11-24T10:05:09.042Z');
  t.equal(fromMoscowTime(toMoscowTime(now))?.getTime(), now.getTime(), 'round trip');
});

t.test('user tokens weigh more as MoySklad announced; solution tokens stay at 1', async (t) => {
  const user = { tokenKind: 'user' as const, requestWeight: undefined };
  t.equal(requestWeight(user, new Date('2026-05-11T12:00:00Z')), 1);
  t.equal(requestWeight(user, new Date('2026-05-12T00:00:00Z')), 2);
  t.equal(requestWeight(user, new Date('2026-11-24T00:00:00Z')), 3);
  t.equal(requestWeight(user, new Date('2026-12-01T00:00:00Z')), 4);
  t.equal(requestWeight({ tokenKind: 'solution', requestWeight: undefined }, new Date('2026-12-24T00:00:00Z')), 1);
  t.equal(requestWeight({ tokenKind: 'user', requestWeight: 7 }, new Date('2026-12-24T00:00:00Z')), 7, 'an explicit weight wins');
});

t.test('the budget never lets more units into a window than allowed, nor more requests in flight', async (t) => {
  const budget = new RequestBudget({ units: 4, windowMs: 150, maxParallel: 2, weight: () => 2 });
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      const ticket = await budget.acquire();
      started.push(Date.now() - t0);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      ticket.release({});
    }),
  );
  t.equal(maxInFlight, 2);
  // 2 units each, 4 per window: pairs, each a window after the previous pair answered.
  t.ok((started[2] ?? 0) >= 150, `third request waited for the window (${started[2]} ms)`);
  t.ok((started[4] ?? 0) >= 300, `fifth request waited for two windows (${started[4]} ms)`);
  t.equal(budget.stats.requests, 6);
});

t.test('a 429 pauses everyone for as long as the server says', async (t) => {
  const budget = new RequestBudget({ units: 10, windowMs: 100, maxParallel: 5, weight: () => 1 });
  const first = await budget.acquire();
  first.release({ rejectedForMs: 120 });
  const t0 = Date.now();
  (await budget.acquire()).release({ remaining: 9 });
  t.ok(Date.now() - t0 >= 100, 'waited out the pause');
  t.equal(budget.stats.rejected, 1);
});

t.test('when the server says its budget is spent by others, requests go one at a time until it has room again', async (t) => {
  const budget = new RequestBudget({ units: 45, windowMs: 300, maxParallel: 5, weight: () => 1 });
  (await budget.acquire()).release({ remaining: 1 });
  const tickets: { release(feedback?: { remaining?: number }): void }[] = [];
  const waiting = Array.from({ length: 3 }, () => budget.acquire().then((ticket) => tickets.push(ticket)));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(tickets.length, 1, 'one request for the one unit the server has left, although ours would allow 44');
  tickets[0]?.release({ remaining: 20 });
  await Promise.all(waiting);
  t.equal(tickets.length, 3, 'the answer said there is room: the others go together');
});

const order: Order = {
  source: { connector: 'ozon', id: '0001-1' },
  number: '0001-1',
  createdAt: '2026-11-24T07:00:00.000Z',
  status: { raw: 'awaiting_packaging', normalized: 'confirmed' },
  currency: 'RUB',
  customer: { sourceId: null, name: 'Ozon buyer', company: null, email: null, phone: null, address: { street: null, street2: null, city: 'Kazan', zip: null, state: null, country: 'Russia', countryCode: 'RU' } },
  recipient: { sourceId: null, name: 'Ozon buyer', company: null, email: null, phone: null, address: { street: null, street2: null, city: 'Kazan', zip: null, state: null, country: 'Russia', countryCode: 'RU' } },
  comment: null,
  lines: [
    { sourceLineId: null, sku: 'ART-1', name: 'Mug', quantity: 2, unitPrice: '499.9', discount: '0', taxRate: null, sourceProductId: '111', destinationProductId: null, unitOfMeasure: null, serials: [] },
    { sourceLineId: null, sku: 'ART-2', name: 'Tea', quantity: 1, unitPrice: '120.05', discount: '0', taxRate: null, sourceProductId: '222', destinationProductId: null, unitOfMeasure: null, serials: [] },
  ],
  fees: [
    { kind: 'commission', amount: '75.5', currency: 'RUB', sku: 'ART-1' },
    { kind: 'commission', amount: '12.01', currency: 'RUB', sku: 'ART-2' },
    { kind: 'service:Логистика', amount: '30.1', currency: 'RUB', sku: 'ART-1' },
    { kind: 'service:Последняя миля', amount: '9.9', currency: 'RUB', sku: null },
    { kind: 'service:Логистика', amount: '-5', currency: 'RUB', sku: null },
  ],
  prices: 'gross',
  discounts: [],
  surcharges: [],
  tax: null,
  total: '1119.85',
  refs: { orderNumber: '0001', scheme: 'fbs' },
};

const ids = {
  organization: '11111111-1111-4111-8111-111111111111',
  store: '22222222-2222-4222-8222-222222222222',
  retailStore: '33333333-3333-4333-8333-333333333333',
  agent: '44444444-4444-4444-8444-444444444444',
};
const attr = { sourceStatus: '55555555-5555-4555-8555-555555555555', commission: '66666666-6666-4666-8666-666666666666', serviceCharges: '77777777-7777-4777-8777-777777777777' };
const breakdownId = '88888888-8888-4888-8888-888888888888';
const meta = (type: string, id: string): { meta: Meta } => ({ meta: { href: `https://x/entity/${type}/${id}`, type, mediaType: 'application/json' } });
const products = new Map<string, Meta>([
  ['ART-1', meta('product', 'p1').meta],
  ['ART-2', meta('product', 'p2').meta],
]);

t.test('a retail sale: prices and sums in kopecks, the charges in rubles as people read them, their breakdown in text', async (t) => {
  t.equal(kopecks(499.9), 49990);
  t.equal(kopecks(0.1 + 0.2), 30, 'float noise does not leak into kopecks');
  t.same(charges(order.fees), {
    commission: '87.51',
    services: '35.00',
    currency: 'RUB',
    parts: [
      { name: 'commission', amount: '87.51' },
      { name: 'Логистика', amount: '25.10' },
      { name: 'Последняя миля', amount: '9.90' },
    ],
  });
  t.equal(chargesText(order.fees), 'Charges (RUB): commission 87.51; Логистика 25.10; Последняя миля 9.90; services in all 35.00.');
  t.equal(chargesText([]), 'Charges (RUB): commission 0.00; services in all 0.00.', 'nothing charged yet');
  const config = moyskladConfigSchema.parse({ token: 'secret-token', ...ids, attributes: { ...attr, chargesBreakdown: breakdownId }, chargesIn: 'attributes' });
  const shift = { id: 'shift-1', name: '00007', moment: '2026-11-24 09:00:00.000' };
  const body = toRetailDemand(order, { config, shift, products, meta, attributeMeta: (id) => meta('attributes', id).meta, syncId: 'sync-1' });
  t.match(body, {
    name: '0001-1',
    externalCode: '0001-1',
    syncId: 'sync-1',
    moment: '2026-11-24 10:00:00',
    retailShift: { meta: { type: 'retailshift', href: 'https://x/entity/retailshift/shift-1' } },
    positions: [
      { quantity: 2, price: 49990, assortment: { meta: { href: 'https://x/entity/product/p1' } } },
      { quantity: 1, price: 12005 },
    ],
    noCashSum: 111985,
  });
  t.same(
    (body['attributes'] as { meta: Meta; value: unknown }[]).map((a) => [a.meta.href.split('/').at(-1), a.value]),
    [
      [attr.sourceStatus, 'awaiting_packaging'],
      [attr.commission, 87.51],
      [attr.serviceCharges, 35],
      [breakdownId, 'Charges (RUB): commission 87.51; Логистика 25.10; Последняя миля 9.90; services in all 35.00.'],
    ],
    'the double attributes hold rubles (87.51, not 8751)',
  );
  t.equal(body['description'], 'Ozon 0001-1, order 0001.', 'the breakdown is in its attribute, not in the description');

  const inAttributesOnly = toRetailDemand(order, {
    config: moyskladConfigSchema.parse({ token: 'secret-token', ...ids, attributes: attr, chargesIn: 'attributes' }),
    shift,
    products,
    meta,
    attributeMeta: (id) => meta('attributes', id).meta,
    syncId: 'sync-1',
  });
  t.equal(inAttributesOnly['description'], 'Ozon 0001-1, order 0001.\nCharges (RUB): commission 87.51; Логистика 25.10; Последняя миля 9.90; services in all 35.00.', 'without a text attribute the breakdown goes into the description');
  const described = toRetailDemand(order, {
    config: moyskladConfigSchema.parse({ token: 'secret-token', ...ids }),
    shift,
    products,
    meta,
    attributeMeta: (id) => meta('attributes', id).meta,
    syncId: 'sync-1',
  });
  t.equal(described['description'], 'Ozon 0001-1, order 0001.\nCharges (RUB): commission 87.51; Логистика 25.10; Последняя миля 9.90; services in all 35.00.');
  t.notOk('attributes' in described, 'no attributes configured, none sent');

  t.equal(withChargesLine('Ozon 1-1.\nA note by a person\nCharges (RUB): old.', 'Charges (RUB): new.'), 'Ozon 1-1.\nCharges (RUB): new.\nA note by a person', 'a rewrite replaces only the charges line, under the first');
  t.equal(withChargesLine('Ozon 1-1.\nCharges (RUB): old.', null), 'Ozon 1-1.');
  const long = withChargesLine(`Ozon 1-1.\n${'a long note '.repeat(400)}`, 'Charges (RUB): commission 1.00; services in all 0.00.');
  t.equal(long.length, 4096, 'MoySklad keeps at most 4096 characters');
  t.equal(long.split('\n')[1], 'Charges (RUB): commission 1.00; services in all 0.00.', 'and it is the note that gives way');
});

t.test('the sale is dated to the minute, always after its shift\'s minute', async (t) => {
  const at = (createdAt: string, shiftMoment: string): string => demandMoment({ ...order, createdAt }, { id: 's', name: '1', moment: shiftMoment });
  t.equal(at('2026-11-24T07:00:00.000Z', '2026-11-24 09:00:00.000'), '2026-11-24 10:00:00', 'the order time (MSK) when the shift is older');
  t.equal(at('2026-11-24T07:00:42.917Z', '2026-11-24 09:00:00.000'), '2026-11-24 10:00:00', 'to the minute, as MoySklad keeps it');
  t.equal(at('2026-11-24T07:00:00.000Z', '2026-11-24 12:30:00.000'), '2026-11-24 12:31:00', 'an older posting: the first whole minute after the shift');
  t.equal(at('2026-11-24T09:30:30.000Z', '2026-11-24 12:30:00.000'), '2026-11-24 12:31:00', 'a posting of the shift\'s own minute too');
  t.equal(at('2026-11-24T09:30:30.000Z', '2026-11-24 12:30:45.120'), '2026-11-24 12:31:00', 'a shift moment with seconds counts by its minute');
  t.equal(at('2026-11-24T09:31:00.000Z', '2026-11-24 12:30:00.000'), '2026-11-24 12:31:00', 'the next minute is later');
});

t.test('an unknown article is a permanent error naming it', async (t) => {
  const config = moyskladConfigSchema.parse({ token: 'secret-token', ...ids });
  const onlyOne = new Map([...products].slice(0, 1));
  t.throws(
    () => toRetailDemand(order, { config, shift: { id: 's', name: '1', moment: '2026-11-24 09:00:00.000' }, products: onlyOne, meta, attributeMeta: (id) => meta('a', id).meta, syncId: 'x' }),
    { code: 'UNKNOWN_ARTICLE', kind: 'permanent', message: /article ART-2 \(order 0001-1\)/ },
  );
  t.equal(describeOrder(order, false), 'Ozon 0001-1, order 0001.');
});

t.test('the config asks for the attributes that "attributes" charges need', async (t) => {
  const parsed = moyskladConfigSchema.safeParse({ token: 'secret-token', ...ids, chargesIn: 'attributes' });
  t.notOk(parsed.success);
  t.match(parsed.error?.issues[0]?.message, /attributes\.commission/);
  t.notOk(moyskladConfigSchema.safeParse({ token: 'secret-token', ...ids, baseUrl: 'http://moysklad.example' }).success, 'plain http only to loopback');
  const realIds = { ...ids, organization: '7944ef04-f831-11e5-7a69-971500188b19' };
  t.ok(moyskladConfigSchema.safeParse({ token: 'secret-token', ...realIds }).success, "MoySklad's ids are not RFC 4122 UUIDs, and are accepted");
  const big = moyskladConfigSchema.safeParse({ token: 'secret-token', ...ids, batch: { size: 1000 } });
  t.notOk(big.success, 'a batch of 1000 look-ups does not fit in a URL');
  t.match(big.error?.issues[0], { path: ['batch', 'size'], message: /at most 200.*8 KB/ });
});

t.test('whenRoom waits while the budget is spent and behind queued requests, then lets the caller go', async (t) => {
  const budget = new RequestBudget({ units: 2, windowMs: 120, maxParallel: 5, weight: () => 1 });
  const t0 = Date.now();
  await budget.whenRoom();
  t.ok(Date.now() - t0 < 50, 'room at once in an empty window');
  (await budget.acquire()).release({});
  (await budget.acquire()).release({});
  let roomAt = 0;
  const room = budget.whenRoom().then(() => (roomAt = Date.now() - t0));
  const queued = budget.acquire();
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(roomAt, 0, 'no room while the window is full');
  const ticket = await queued;
  t.ok(Date.now() - t0 >= 120, 'the queued request went first, when the window refilled');
  ticket.release({});
  await room;
  t.ok(roomAt >= 120, `then the room (${roomAt} ms)`);
  t.equal(budget.stats.requests, 3, 'waiting for room spends nothing');
});

t.test('money: a coupon as discount percents on list prices, other currencies through the map, charges as a service; the rest refused', async (t) => {
  const shift = { id: 'shift-1', name: '00007', moment: '2026-11-24 09:00:00.000' };
  const base = { token: 'secret-token', ...ids };
  const demand = (o: Order, settings: Record<string, unknown> = {}): Record<string, unknown> =>
    toRetailDemand(o, { config: moyskladConfigSchema.parse({ ...base, ...settings }), shift, products, meta, attributeMeta: (id) => meta('a', id).meta, syncId: 's' });
  const sumOf = (body: Record<string, unknown>): number =>
    (body['positions'] as { price: number; quantity: number; discount: number }[]).reduce((acc, p) => acc + positionSum(p.price, p.quantity, p.discount), 0);

  const coupon: Order = { ...order, discounts: [{ kind: 'coupon', code: 'AUTUMN', amount: '119.85' }], total: '1000' };
  const discounted = demand(coupon);
  t.match(discounted, { positions: [{ price: 49990 }, { price: 12005 }], noCashSum: 100000 });
  t.ok((discounted['positions'] as { discount: number }[]).every((p) => p.discount > 0), 'the coupon shows as a discount on each position');
  t.equal(sumOf(discounted), 100000, "the stand-in's own sum of the positions is the total");

  const usd: Order = { ...order, currency: 'USD' };
  t.throws(() => demand(usd), { code: 'AMOUNT_NOT_EXACT', message: /order 0001-1 was not sent to MoySklad: the customer paid 1119\.85 USD, and MoySklad would book that number in RUB.*currencies\.USD/ });
  const usdId = '88888888-8888-4888-8888-888888888888';
  t.match(demand(usd, { currencies: { USD: usdId } }), { rate: { currency: { meta: { href: `https://x/entity/currency/${usdId}` } } }, noCashSum: 111985 });

  const shipped: Order = { ...order, surcharges: [{ kind: 'shipping', name: 'Доставка', amount: '250' }], total: '1369.85' };
  t.throws(() => demand(shipped), { code: 'AMOUNT_NOT_EXACT', message: /would show 1119\.85 RUB \(a retail sale has no field for Доставка 250\.00 RUB\).*surchargeService/ });
  const serviceId = '99999999-9999-4999-8999-999999999999';
  const withService = demand(shipped, { surchargeService: serviceId });
  t.match((withService['positions'] as unknown[]).at(-1), { quantity: 1, price: 25000, discount: 0, assortment: { meta: { type: 'service' } } });
  t.equal(withService['noCashSum'], 136985);

  const odd: Order = { ...order, lines: [{ ...order.lines[0]!, quantity: 3, unitPrice: '33.33333333' }], total: '100' };
  t.equal(sumOf(demand(odd)), 10000, '100.00 for three units: a price in kopecks and a percent that make exactly 100.00');
});
