import t from 'tap';
import { confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack } from '../../src/sandbox/stack.js';
import { settle } from '../helpers/settle.js';

t.test('an Odoo poll whose page read meets a 502 and a dropped connection reads the page again and goes on', async (t) => {
  const stack = await startStack({});
  t.teardown(() => stack.close());
  const catalog = seedCatalog(stack.odoo);
  const ids = [1, 2, 3].map(() => {
    const id = createSaleOrder(stack.odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
    confirm(stack.odoo, id);
    return id;
  });
  await stack.odoo.webhooksSettled();
  stack.odoo.inject({ kind: 'http', status: 502 }, { times: 1, match: (c) => c.model === 'sale.order' && c.modelMethod === 'search_read' });
  stack.odoo.inject({ kind: 'reset' }, { times: 2, match: (c) => c.model === 'sale.order.line' });
  const summary = await stack.app.pollNow(ROUTE);
  t.equal(summary.seen, ids.length, 'every confirmed order was read despite the failures');
  await settle(stack.app);
  t.equal(stack.ysell.orders().length, ids.length);
});
