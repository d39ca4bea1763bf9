// The Ysell destination over real HTTP: a look-up returns an order only when it is ours, judged by what
// Ysell's answer shows of what we sent; someone else's order under our number is refused, never bound.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { failure } from '../helpers/failure.js';
import { connectorContext } from '../helpers/context.js';
import { createYsellConnector } from '../../src/connectors/ysell/connector.js';
import { ysellConfigSchema } from '../../src/connectors/ysell/config.js';
import { judgeOwnership } from '../../src/connectors/ysell/ownership.js';
import type { Order } from '../../src/core/order.js';
import type { OrderDestination } from '../../src/core/connector.js';
import { startYsellFake, type YsellFake } from '../../src/sandbox/ysell/server.js';

const key = 'ysell-connector-test-key';

function order(number: string, ysellProducts: string[] = ['301']): Order {
  return {
    source: { connector: 'odoo', id: '7' },
    number,
    createdAt: '2026-11-20T09:15:00.000Z',
    status: { raw: 'sale', normalized: 'confirmed' },
    currency: 'EUR',
    prices: 'gross',
    customer: { sourceId: '10', name: 'Azure', company: null, email: null, phone: null, address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } },
    recipient: { sourceId: '11', name: 'Ann', company: null, email: null, phone: null, address: { street: 'Dock 4', street2: null, city: 'Antwerp', zip: '2000', state: null, country: 'Belgium', countryCode: 'BE' } },
    comment: null,
    lines: ysellProducts.map((p, i) => ({ sourceLineId: String(i), sku: null, name: `Item ${p}`, quantity: 1, unitPrice: '10', discount: '0', taxRate: null, sourceProductId: String(500 + i), destinationProductId: p, unitOfMeasure: null, serials: [] })),
    discounts: [],
    surcharges: [],
    tax: null,
    total: String(10 * ysellProducts.length),
    fees: [],
    refs: {},
  };
}

async function destination(t: Test, answers: 'full' | 'minimal' = 'full'): Promise<{ fake: YsellFake; ysell: OrderDestination }> {
  const fake = await startYsellFake({ apiKey: key, answers });
  t.teardown(() => fake.close());
  const config = ysellConfigSchema.parse({ baseUrl: fake.url, apiKey: { value: key } });
  const ysell = createYsellConnector(config, connectorContext('ysell').context).destination!;
  return { fake, ysell };
}

const signal = new AbortController().signal;

t.test('an order we created is found again, by its number and its products', async (t) => {
  for (const answers of ['full', 'minimal'] as const) {
    const { ysell } = await destination(t, answers);
    t.equal(await ysell.find(order('S00001'), signal), null, `${answers}: nothing yet`);
    const created = await ysell.create(order('S00001'), signal);
    t.same(await ysell.find(order('S00001'), signal), created, `${answers}: found, the same id and status`);
  }
});

t.test("an order under our number with other products is someone else's: FOREIGN_ORDER, naming both", async (t) => {
  const { fake, ysell } = await destination(t);
  const theirs = await ysell.create(order('S00001', ['999']), signal);
  const err = await failure(ysell.find(order('S00001', ['301', '302']), signal));
  t.match(err, { kind: 'permanent', code: 'FOREIGN_ORDER', context: { order: 'S00001', ysellId: Number(theirs.id) } });
  t.match(err.message, new RegExp(`Ysell order ${theirs.id} carries the number S00001 but is not the order order-bridge sent`));
  t.match(err.message, /it holds Ysell products 999, the order we send holds 301, 302/);

  const taken = await failure(ysell.create(order('S00001', ['301']), signal));
  t.match(taken, { code: 'FOREIGN_ORDER' }, 'a create refused as "taken" is not bound to their order either');
  t.equal(fake.ordersByNumber('S00001').length, 1);
});

t.test('two orders of ours under one number are reported, not chosen between', async (t) => {
  // A Ysell whose look-up lists two orders that both pass as ours (the stand-in keeps numbers unique).
  const listed = [{ id: 7, order_num: 'S1' }, { id: 8 }, { id: 9, order_num: 'S10' }, { id: 11, items: [{ p_id: 5 }] }];
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(listed)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ysell = createYsellConnector(ysellConfigSchema.parse({ baseUrl: url, apiKey: { value: key } }), connectorContext('ysell').context).destination!;
  const err = await failure(ysell.find(order('S1', ['6']), signal));
  t.match(err, { kind: 'permanent', code: 'DUPLICATE_AT_DESTINATION', context: { ysellIds: [7, 8] } });
  t.match(err.message, /Ysell has 2 orders numbered S1 \(ids 7, 8\)/);
});

t.test('how a listed order is judged', async (t) => {
  const sent = { order_num: 'S1', recipient: { name: 'A' }, address: { street: 's', city: 'c', country: 'BE' }, items: [{ p_id: 5, qty: 1 }, { p_id: 6, qty: 2 }] };
  t.same(judgeOwnership({ id: 1, order_num: 'S1', items: [{ p_id: 6 }, { p_id: 5 }, { p_id: 5 }] }, sent), { kind: 'ours' }, 'same products, in any order and count');
  t.same(judgeOwnership({ id: 1, order_num: 'S1' }, sent), { kind: 'ours' }, 'our number, no items shown');
  t.same(judgeOwnership({ id: 1 }, sent), { kind: 'ours' }, "nothing shown: Ysell's filter is taken at its word");
  t.same(judgeOwnership({ id: 1, order_num: 'S10' }, sent), { kind: 'other' }, 'another number: another order');
  t.same(judgeOwnership({ id: 1, items: [{ p_id: 7 }] }, sent), { kind: 'other' }, 'no number, other products: another order');
  t.match(judgeOwnership({ id: 1, order_num: 'S1', items: [{ p_id: 5 }] }, sent), { kind: 'foreign', reason: /holds Ysell products 5, the order we send holds 5, 6/ });
});
