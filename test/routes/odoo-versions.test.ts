import t from 'tap';
import type { Test } from 'tap';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { addDeliveredSerials, confirm, createSaleOrder, seedCatalog } from '../../src/sandbox/odoo/seed.js';
import type { OdooVersion } from '../../src/sandbox/odoo/versions.js';
import { ROUTE, startStack } from '../../src/sandbox/stack.js';
import { getBinding } from '../../src/store/bindings.js';

/**
 * The Odoo → Ysell route and its delivery feedback on every Odoo series we speak, and on 19.0 over both
 * protocols: the essential path only (the whole suite runs on 17.0), one stack per combination.
 */
const matrix: { version: OdooVersion; protocol: 'auto' | 'xmlrpc'; speaks: 'xmlrpc' | 'json2' }[] = [
  { version: '17.0', protocol: 'auto', speaks: 'xmlrpc' },
  { version: '18.0', protocol: 'auto', speaks: 'xmlrpc' },
  { version: '19.0', protocol: 'auto', speaks: 'json2' },
  { version: '19.0', protocol: 'xmlrpc', speaks: 'xmlrpc' },
];

async function run(t: Test, version: OdooVersion, protocol: 'auto' | 'xmlrpc', speaks: 'xmlrpc' | 'json2'): Promise<void> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, odooVersion: version, odoo: { protocol }, route: { notify: { chatter: true } } });
  t.teardown(() => stack.close());
  const { odoo, ysell, app, baseUrl } = stack;
  const catalog = seedCatalog(odoo);

  const id = createSaleOrder(odoo, {
    partnerId: catalog.partners.lyon,
    lines: [
      { productId: catalog.products.serialized, qty: 2, price: 899.9, serials: ['TYPED-1'] },
      { productId: catalog.products.lamp, qty: 3, price: 45 },
      { productId: catalog.products.shipping, qty: 1, price: 12 },
    ],
    note: 'Ring twice',
  });
  confirm(odoo, id);
  addDeliveredSerials(odoo, id, catalog.products.serialized, ['SN-A1', 'SN-A2']);
  const broken = createSaleOrder(odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] });
  confirm(odoo, broken);
  await odoo.webhooksSettled();
  await settle(app);

  const name = String(odoo.record('sale.order', id)?.['name']);
  const [sent, ...twice] = ysell.ordersByNumber(name);
  t.equal(twice.length, 0, 'one Ysell order');
  t.match(sent, { comment: 'Ring twice', recipient: { phone: '+33 6 12 34 56 78' }, address: { country_code: 'FR' } }, 'the phone is read from the fields this version has');
  t.same(
    sent!.items.map((i) => [i.p_id, i.qty, i.serial_num]),
    [
      [10099, 2, 'SN-A1,SN-A2,TYPED-1'],
      [10045, 3, undefined],
    ],
    'products, quantities and serials; the shipping service is not a parcel line',
  );
  t.equal(odoo.record('sale.order', id)?.['ysell_order_id'], String(sent!.id));
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'exported');

  const notes = odoo.records('mail.message').filter((m) => m['model'] === 'sale.order' && m['res_id'] === broken && String(m['body']).includes('order-bridge'));
  t.equal(notes.length, 1, 'a refused order gets one chatter note');
  t.equal(odoo.record('sale.order', broken)?.['ysell_sync_state'], 'error');

  ysell.deliver(sent!.id);
  await app.checkStatusNow(ROUTE);
  await settle(app);
  const pickings = odoo.records('stock.picking').filter((p) => p['origin'] === name && String(p['note'] ?? '').includes('order-bridge'));
  t.equal(pickings.length, 1, 'one draft picking');
  t.match(pickings[0], { state: 'draft', sale_id: id, location_id: odoo.refs.shemaxLocation, location_dest_id: odoo.refs.customersLocation }, 'tied to the order');
  const moves = odoo.records('stock.move').filter((m) => m['picking_id'] === pickings[0]!['id']);
  t.same(moves.map((m) => [m['product_id'], m['product_uom_qty'], m['product_uom']]).sort(), [
    [catalog.products.lamp, 3, odoo.refs.unitUom],
    [catalog.products.serialized, 2, odoo.refs.unitUom],
  ].sort());
  const order = odoo.record('sale.order', id)!;
  if (version === '19.0') {
    const references = odoo.records('stock.reference').filter((r) => (r['sale_ids'] as number[]).includes(id)).map((r) => r.id);
    t.ok(references.length > 0 && moves.every((m) => (m['reference_ids'] as number[]).some((r) => references.includes(r))), "19.0: the moves carry the order's stock reference");
  } else {
    t.ok(moves.every((m) => m['group_id'] === order['procurement_group_id']), "the moves carry the order's procurement group");
  }
  t.equal((await getBinding(app.db, ROUTE, String(id)))?.stage, 'finished');
  t.equal(odoo.record('sale.order', id)?.['ysell_sync_state'], 'delivered');

  const used = new Set(odoo.calls.filter((c) => c.service === 'object' || c.service === 'json2').map((c) => c.service));
  t.same([...used], [speaks === 'json2' ? 'json2' : 'object'], `every model call went over ${speaks}`);
  const ready = (await (await fetch(`${baseUrl}/ready`)).json()) as { connections: { connection: string; status: string; protocol?: string; version?: string }[] };
  t.match(
    ready.connections.find((c) => c.connection === 'odoo'),
    { status: 'ok', protocol: speaks, version },
    '/ready shows the protocol and version in use',
  );
}

for (const { version, protocol, speaks } of matrix) {
  t.test(`Odoo ${version}, protocol ${protocol} (${speaks}): export, chatter note, delivery feedback`, (t) => run(t, version, protocol, speaks));
}

t.test('protocol json2 against Odoo 18.0 is refused with a message, and /ready says so', async (t) => {
  const stack = await startStack({ logger: capturedLogger('silent').logger, odooVersion: '18.0', odoo: { protocol: 'json2' }, route: { maxAttempts: 1 } });
  t.teardown(() => stack.close());
  const catalog = seedCatalog(stack.odoo);
  const id = createSaleOrder(stack.odoo, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(stack.odoo, id);
  await stack.odoo.webhooksSettled();
  await settle(stack.app);
  t.equal(stack.ysell.orders().length, 0);
  t.match((await getBinding(stack.app.db, ROUTE, String(id)))?.lastError, /is version 18\.0, which has no JSON-2 API \(it came with Odoo 19\.0\): set the connection's protocol to "auto" or "xmlrpc"/);
  const ready = (await (await fetch(`${stack.baseUrl}/ready`)).json()) as { status: string; connections: { connection: string; status: string; protocol?: string; version?: string }[] };
  t.match(ready.connections.find((c) => c.connection === 'odoo'), { status: 'failing', protocol: 'json2', version: '18.0' });
  t.equal(ready.status, 'degraded');
});
