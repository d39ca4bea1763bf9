import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import t, { type Test } from 'tap';
import { XmlRpcClient } from '../../../src/xmlrpc/client.js';
import type { XmlRpcValue } from '../../../src/xmlrpc/value.js';
import { faultOf, lastLine } from '../../helpers/failure.js';
import { addDeliveredSerials, checkAvailability, confirm, createSaleOrder, seedCatalog, stockLots } from '../../../src/sandbox/odoo/seed.js';
import { type OdooFake, type OdooFakeOptions, type OdooUser, startOdooFake } from '../../../src/sandbox/odoo/server.js';

type Struct = Record<string, XmlRpcValue>;

async function setup(tt: Test, options: OdooFakeOptions = {}) {
  const fake = await startOdooFake(options);
  tt.teardown(() => fake.close());
  const client = new XmlRpcClient({ baseUrl: fake.url, connector: 'odoo', timeoutMs: 5000 });
  const exec = (
    model: string,
    method: string,
    args: XmlRpcValue[],
    kwargs: Struct = {},
    who: OdooUser = fake.admin,
  ): Promise<XmlRpcValue> =>
    client.call('/xmlrpc/2/object', 'execute_kw', [fake.db, who.uid, who.apiKey, model, method, args, kwargs]);
  return { fake, client, exec };
}


interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function receiver(tt: Test, onRequest?: () => Promise<void>) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body });
    await onRequest?.();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tt.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/odoo?token=x`, received };
}

t.test('common: version, authenticate with password or key, False for bad credentials', async (tt) => {
  const { fake, client } = await setup(tt);
  tt.same(await client.call('/xmlrpc/2/common', 'version', []), {
    server_version: '17.0',
    server_version_info: [17, 0, 0, 'final', 0, ''],
    server_serie: '17.0',
    protocol_version: 1,
  });
  tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'admin', 'admin', {}]), 2);
  tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'bridge', fake.user.apiKey, {}]), 6);
  tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'admin', 'wrong', {}]), false);
  tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'nobody', 'admin', {}]), false);
  tt.equal(await client.call('/xmlrpc/2/common', 'login', [fake.db, 'admin', fake.admin.apiKey]), 2);
  const noDb = await faultOf(client.call('/xmlrpc/2/common', 'authenticate', ['nope', 'admin', 'admin', {}]));
  tt.equal(noDb.faultCode, 1);
  tt.match(lastLine(noDb.faultString), /^psycopg2\.OperationalError: .*database "nope" does not exist/);
  tt.match(fake.admin.apiKey, /^[0-9a-f]{40}$/);
});

t.test('the independent xmlrpc package talks to it too', async (tt) => {
  const { fake } = await setup(tt);
  const require = createRequire(import.meta.url);
  const xmlrpc = require('xmlrpc') as {
    createClient(o: { host: string; port: number; path: string }): {
      methodCall(m: string, p: unknown[], cb: (err: unknown, value: unknown) => void): void;
    };
  };
  const port = Number(new URL(fake.url).port);
  const call = (path: string, method: string, params: unknown[]) =>
    new Promise<unknown>((resolve, reject) =>
      xmlrpc.createClient({ host: '127.0.0.1', port, path }).methodCall(method, params, (err, value) => (err ? reject(err) : resolve(value))),
    );
  tt.equal(await call('/xmlrpc/2/common', 'authenticate', [fake.db, 'admin', fake.admin.apiKey, {}]), 2);
  const rows = (await call('/xmlrpc/2/object', 'execute_kw', [
    fake.db,
    2,
    'admin',
    'res.partner',
    'search_read',
    [[['id', '=', 3]]],
    { fields: ['name', 'display_name', 'parent_id', 'street'] },
  ])) as Struct[];
  tt.same(rows, [{ id: 3, name: 'Mitchell Admin', display_name: 'YourCompany, Mitchell Admin', parent_id: false, street: false }]);
  const err = await call('/xmlrpc/2/object', 'execute_kw', [fake.db, 2, 'bad', 'res.partner', 'read', [[3]]]).catch((e: unknown) => e);
  tt.match(err, { faultCode: 3, faultString: 'Access Denied' });
});

t.test('execute_kw faults: access denied, unknown model, private and unknown methods', async (tt) => {
  const { fake, client, exec } = await setup(tt);
  const denied = await faultOf(
    client.call('/xmlrpc/2/object', 'execute_kw', [fake.db, 2, 'wrong', 'res.partner', 'search', [[]]]),
  );
  tt.same([denied.faultCode, denied.faultString], [3, 'Access Denied']);
  const wrongUid = await faultOf(
    client.call('/xmlrpc/2/object', 'execute_kw', [fake.db, 6, fake.admin.apiKey, 'res.partner', 'search', [[]]]),
  );
  tt.equal(wrongUid.faultCode, 3);

  const noModel = await faultOf(exec('no.such.model', 'search', [[]]));
  tt.same([noModel.faultCode, noModel.faultString], [2, "Object no.such.model doesn't exist"]);

  const priv = await faultOf(exec('sale.order', '_compute_amounts', [[1]]));
  tt.same([priv.faultCode, priv.faultString], [4, 'Private methods (such as _compute_amounts) cannot be called remotely.']);

  const noMethod = await faultOf(exec('sale.order', 'no_such_method', [[1]]));
  tt.equal(noMethod.faultCode, 1);
  tt.match(noMethod.faultString, /^Traceback \(most recent call last\):\n {2}File "\/usr\/lib\/python3\/dist-packages\/odoo\//);
  tt.match(noMethod.faultString, /odoo\/http\.py", line \d+, in dispatch_rpc/);
  tt.equal(lastLine(noMethod.faultString), "AttributeError: type object 'sale.order' has no attribute 'no_such_method'");

  const badArgs = await faultOf(exec('res.partner', 'search_read', [[]], { no_such_kwarg: 1 }));
  tt.equal(lastLine(badArgs.faultString), "TypeError: BaseModel.read() got an unexpected keyword argument 'no_such_kwarg'");
  const badPositional = await faultOf(exec('res.partner', 'write', [[3]]));
  tt.equal(lastLine(badPositional.faultString), "TypeError: BaseModel.write() missing 1 required positional argument: 'vals'");
  tt.same(await exec('res.partner', 'search', [[['id', '=', 3]]], { context: { lang: 'fr_FR' } }), [3]);
});

t.test('unknown fields fault 1 with a traceback naming the field', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const id = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  const invalid = "ValueError: Invalid field 'no_such_field' on model 'sale.order'";
  for (const call of [
    exec('sale.order', 'read', [[id], ['name', 'no_such_field']]),
    exec('sale.order', 'search_read', [[]], { fields: ['no_such_field'] }),
    exec('sale.order', 'write', [[id], { no_such_field: 1 }]),
    exec('sale.order', 'create', [{ partner_id: catalog.partners.lyon, no_such_field: 1 }]),
  ]) {
    const f = await faultOf(call);
    tt.equal(f.faultCode, 1);
    tt.match(f.faultString, /^Traceback \(most recent call last\):\n/);
    tt.equal(lastLine(f.faultString), invalid);
  }
  const leaf = await faultOf(exec('sale.order', 'search', [[['no_such_field', '=', 1]]]));
  tt.equal(lastLine(leaf.faultString), "ValueError: Invalid field sale.order.no_such_field in leaf ('no_such_field', '=', 1)");
  const order = await faultOf(exec('sale.order', 'search', [[]], { order: 'no_such_field desc' }));
  tt.equal(lastLine(order.faultString), invalid);
  const done = await faultOf(exec('sale.order', 'write', [[id], { state: 'done' }]));
  tt.equal(lastLine(done.faultString), "ValueError: Wrong value for sale.order.state: 'done'");
});

t.test('read: False for empties, [id, name] for many2one, ids for x2many, missing ids dropped', async (tt) => {
  const { fake, exec } = await setup(tt);
  fake.setNow('2026-11-24T10:20:30Z');
  const catalog = seedCatalog(fake);
  const id = createSaleOrder(fake, {
    partnerId: catalog.partners.berlin,
    lines: [
      { productId: catalog.products.lamp, qty: 10, price: 45 },
      { productId: catalog.products.chair, qty: 1, price: 120.5 },
    ],
  });
  const [order] = (await exec('sale.order', 'read', [[id, 999]], {
    fields: ['name', 'partner_id', 'partner_shipping_id', 'client_order_ref', 'note', 'order_line', 'amount_total', 'date_order', 'locked', 'state'],
  })) as Struct[];
  tt.same(order, {
    id,
    name: 'S00001',
    partner_id: [catalog.partners.berlin, 'Müller & Söhne GmbH'],
    partner_shipping_id: [catalog.partners.berlinWarehouse, 'Müller & Söhne GmbH, Lager Tegel'],
    client_order_ref: false,
    note: false,
    order_line: [1, 2],
    amount_total: 570.5,
    date_order: '2026-11-24 10:20:30',
    locked: false,
    state: 'draft',
  });
  const [line] = (await exec('sale.order.line', 'read', [[1]], {
    fields: ['product_id', 'product_uom_qty', 'price_unit', 'product_uom', 'order_id', 'name', fake.serialField],
  })) as Struct[];
  tt.same(line, {
    id: 1,
    product_id: [catalog.products.lamp, '[FURN_8888] Office Lamp'],
    product_uom_qty: 10,
    price_unit: 45,
    product_uom: [1, 'Units'],
    order_id: [id, 'S00001'],
    name: '[FURN_8888] Office Lamp',
    x_serial_numbers: false,
  });
  tt.same(await exec('sale.order', 'read', [[999, 998], ['name']]), []);
  const raw = (await exec('sale.order', 'read', [[id], ['partner_id']], { load: '' })) as Struct[];
  tt.same(raw, [{ id, partner_id: catalog.partners.berlin }]);
  const all = ((await exec('stock.location', 'read', [[5]])) as Struct[])[0]!;
  tt.equal(all.complete_name, 'Partners/Customers');
  tt.equal(all.usage, 'customer');
  tt.notOk(Object.values(all).includes(null as never));
});

t.test('write and create: missing record, required fields, x2many commands, log fields', async (tt) => {
  const { fake, exec } = await setup(tt);
  fake.setNow('2026-11-24T10:00:00Z');
  const catalog = seedCatalog(fake);
  const missing = await faultOf(exec('sale.order', 'write', [[999], { note: 'x' }]));
  tt.same([missing.faultCode, missing.faultString], [2, 'Record does not exist or has been deleted.\n(Record: sale.order(999,), User: 2)']);

  const noName = await faultOf(
    exec('stock.move', 'create', [
      { product_id: catalog.products.lamp, product_uom: 1, product_uom_qty: 1, location_id: 8, location_dest_id: 5 },
    ]),
  );
  tt.same(
    [noName.faultCode, noName.faultString],
    [2, "The operation cannot be completed: Missing required value for the field 'Description' (name).\nModel: Stock Move (stock.move)"],
  );

  const pickingId = await exec('stock.picking', 'create', [
    {
      picking_type_id: 2,
      location_id: fake.refs.shemaxLocation,
      location_dest_id: 5,
      partner_id: catalog.partners.lyon,
      origin: 'S00042',
      move_ids: [[0, 0, { name: 'Office Lamp', product_id: catalog.products.lamp, product_uom_qty: 2, product_uom: 1, location_id: 8, location_dest_id: 5 }]],
    },
  ]);
  tt.equal(pickingId, 1);
  const [picking] = (await exec('stock.picking', 'read', [[pickingId], ['name', 'state', 'location_id', 'move_ids', 'create_uid', 'write_date']])) as Struct[];
  tt.same(picking, {
    id: 1,
    name: 'WH/OUT/00001',
    state: 'draft',
    location_id: [fake.refs.shemaxLocation, 'WH/ShemaxGlobal'],
    move_ids: [2],
    create_uid: [2, 'Mitchell Admin'],
    write_date: '2026-11-24 10:00:00',
  }, 'the failed create used up move id 1, as a PostgreSQL sequence would');
  const [move] = (await exec('stock.move', 'read', [[2], ['state', 'product_uom_qty', 'quantity', 'location_id', 'picking_code']])) as Struct[];
  tt.same(move, { id: 2, state: 'draft', product_uom_qty: 2, quantity: 0, location_id: [fake.refs.shemaxLocation, 'WH/ShemaxGlobal'], picking_code: 'outgoing' });

  const before = fake.records('res.partner').length;
  const created = (await exec('res.partner', 'create', [[{ name: 'A' }, { name: 'B' }]])) as number[];
  tt.equal(created.length, 2);
  tt.equal(fake.records('res.partner').length, before + 2);
  tt.equal(await exec('res.partner', 'create', [{ name: 'C' }]), created[1]! + 1);
  const orderId = (await exec('sale.order', 'create', [
    { partner_id: catalog.partners.lyon, order_line: [[0, 0, { product_id: catalog.products.lamp, product_uom_qty: 1 }]] },
  ])) as number;
  fake.setNow('2026-11-24T11:00:00Z');
  const rolledBack = await faultOf(exec('sale.order', 'write', [[orderId], { order_line: [[0, 0, { product_id: catalog.products.desk }], [4, 99, 0]] }]));
  tt.equal(rolledBack.faultString, 'Record does not exist or has been deleted.\n(Record: sale.order.line(99,), User: 2)');
  tt.equal(fake.records('sale.order.line').length, 1, 'a failing command rolls the whole call back');
  await exec('sale.order', 'write', [[orderId], { order_line: [[0, 0, { product_id: catalog.products.desk }]], client_order_ref: 'PO-7' }], {}, fake.user);
  const stored = fake.record('sale.order', orderId)!;
  tt.same([stored.write_date, stored.write_uid, stored.create_date, stored.client_order_ref], ['2026-11-24 11:00:00', 6, '2026-11-24 10:00:00', 'PO-7']);
  const [first, second] = fake.records('sale.order.line').map((l) => l.id);
  await exec('sale.order', 'write', [[orderId], { order_line: [[6, 0, [second!]]] }]);
  tt.same(fake.records('sale.order.line').map((l) => l.id), [second], 'set command deletes the unlisted line (order_id is required)');
  tt.notOk(fake.record('sale.order.line', first!));
  tt.same(fake.ref('stock.picking_type_out'), 2);
});

t.test('search_read: domains, dotted paths, order, offset and limit', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const ids: number[] = [];
  for (let i = 0; i < 6; i++) {
    fake.setNow(new Date(Date.UTC(2026, 10, 24, 10, i)));
    const id = createSaleOrder(fake, {
      partnerId: i % 2 ? catalog.partners.berlin : catalog.partners.lyon,
      lines: [{ productId: i < 3 ? catalog.products.lamp : catalog.products.serialized, qty: 1 + i, price: 10 }],
      ...(i === 0 ? { clientOrderRef: 'PO-A' } : {}),
    });
    if (i < 4) confirm(fake, id);
    ids.push(id);
  }
  const names = async (domain: XmlRpcValue[], kwargs: Struct = {}) =>
    ((await exec('sale.order', 'search_read', [domain], { fields: ['name'], ...kwargs })) as Struct[]).map((r) => r.name);

  tt.same(await names([]), ['S00006', 'S00005', 'S00004', 'S00003', 'S00002', 'S00001'], 'date_order desc, id desc');
  tt.same(await names([['state', '=', 'sale']], { order: 'write_date asc, id asc', offset: 1, limit: 2 }), ['S00002', 'S00003']);
  tt.same(await names(['|', ['client_order_ref', '!=', false], ['name', 'ilike', 's00006']], { order: 'id' }), ['S00001', 'S00006']);
  tt.same(await names([['client_order_ref', '=', false], '!', ['state', 'in', ['sale', 'cancel']]], { order: 'id' }), ['S00005', 'S00006']);
  tt.same(await names([['write_date', '>=', '2026-11-24 10:03:00']], { order: 'id' }), ['S00004', 'S00005', 'S00006']);
  tt.same(await names([['write_date', '>', '2026-11-24']]), [], 'a date-only bound covers the whole day');
  tt.same(await names([['partner_id.country_id.code', '=', 'DE']], { order: 'id' }), ['S00002', 'S00004', 'S00006']);
  tt.same(await names([['order_line.product_id.tracking', '=', 'serial']], { order: 'id' }), ['S00004', 'S00005', 'S00006']);
  tt.same(await names([['picking_ids', '=', false]], { order: 'id' }), ['S00005', 'S00006']);
  tt.same(await names([['partner_id', 'child_of', catalog.partners.berlin]], { order: 'id' }), ['S00002', 'S00004', 'S00006']);
  tt.equal(await exec('sale.order', 'search_count', [[['state', '=', 'draft']]]), 2);

  const lines = await exec('sale.order.line', 'search', [[['order_id', 'in', [ids[0]!, ids[1]!]]]]);
  tt.same(lines, [1, 2]);
  const moves = await exec('stock.move', 'search_read', [[['sale_line_id.order_id', 'in', [ids[0]!, ids[1]!]]]], { fields: ['name', 'picking_id'] });
  tt.same(moves, [
    { id: 1, name: '[FURN_8888] Office Lamp', picking_id: [1, 'WH/OUT/00001'] },
    { id: 2, name: '[FURN_8888] Office Lamp', picking_id: [2, 'WH/OUT/00002'] },
  ]);
  tt.same(await exec('stock.picking', 'search', [[['picking_type_id.code', '=', 'outgoing']]]), [1, 2, 3, 4]);

  addDeliveredSerials(fake, ids[3]!, catalog.products.serialized, ['SN-1', 'SN-2', 'SN-3', 'SN-4']);
  const serials = await exec(
    'stock.move.line',
    'search_read',
    [[['move_id.sale_line_id.order_id', '=', ids[3]!], ['state', '=', 'done'], ['picking_code', '=', 'outgoing']]],
    { fields: ['lot_id', 'lot_name', 'quantity'] },
  );
  tt.same(
    (serials as Struct[]).map((r) => (r.lot_id as [number, string])[1]),
    ['SN-1', 'SN-2', 'SN-3', 'SN-4'],
  );
  tt.equal(fake.record('stock.picking', 4)?.state, 'done');
  tt.equal((await exec('sale.order.line', 'read', [[4], ['qty_delivered']]) as Struct[])[0]!.qty_delivered, 4);

  const inactive = await exec('res.partner', 'search', [[['name', '=', 'OdooBot']]]);
  tt.same(inactive, [], 'archived records are hidden unless the domain mentions active');
  tt.same(await exec('res.partner', 'search', [[['name', '=', 'OdooBot'], ['active', 'in', [true, false]]]]), [2]);
  const badOrder = await faultOf(exec('sale.order', 'search', [[]], { order: 'name; drop table' }));
  tt.equal(badOrder.faultCode, 2);
});

t.test('ir.config_parameter is for base.group_system only; get_param and set_param', async (tt) => {
  const { fake, exec } = await setup(tt);
  const denied = await faultOf(exec('ir.config_parameter', 'get_param', ['ysell.api_key'], {}, fake.user));
  tt.same(
    [denied.faultCode, denied.faultString],
    [
      4,
      "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\n" +
        'This operation is allowed for the following groups:\n\t- Administration/Settings\n\n' +
        'Contact your administrator to request access if necessary.',
    ],
  );
  const deniedCreate = await faultOf(exec('ir.config_parameter', 'create', [{ key: 'k', value: 'v' }], {}, fake.user));
  tt.match(deniedCreate.faultString, /^You are not allowed to create 'System Parameter'/);

  tt.equal(await exec('ir.config_parameter', 'get_param', ['ysell.api_key']), false);
  tt.equal(await exec('ir.config_parameter', 'get_param', ['ysell.api_key'], { default: 'none' }), 'none');
  tt.equal(await exec('ir.config_parameter', 'set_param', ['ysell.api_key', 'k1']), false);
  tt.equal(await exec('ir.config_parameter', 'set_param', ['ysell.api_key', 'k2']), 'k1');
  tt.equal(await exec('ir.config_parameter', 'get_param', ['ysell.api_key']), 'k2');
  tt.equal(fake.setParam('ysell.api_key', 'k3'), 'k2');
  tt.equal(await exec('ir.config_parameter', 'get_param', ['ysell.api_key']), 'k3');
  tt.equal(await exec('ir.config_parameter', 'get_param', ['web.base.url']), fake.url);
});

t.test('ir.model.data.check_object_reference', async (tt) => {
  const { exec } = await setup(tt);
  tt.same(await exec('ir.model.data', 'check_object_reference', ['stock', 'stock_location_customers']), ['stock.location', 5]);
  tt.same(await exec('ir.model.data', 'check_object_reference', ['stock', 'picking_type_out']), ['stock.picking.type', 2]);
  tt.same(await exec('ir.model.data', 'check_object_reference', ['mail', 'mt_note']), ['mail.message.subtype', 2]);
  const rows = await exec('ir.model.data', 'search_read', [[['module', '=', 'stock'], ['name', '=', 'warehouse0']]], { fields: ['model', 'res_id'] });
  tt.same(rows, [{ id: (rows as Struct[])[0]!.id!, model: 'stock.warehouse', res_id: 1 }]);
  const unknown = await faultOf(exec('ir.model.data', 'check_object_reference', ['stock', 'nope']));
  tt.equal(unknown.faultCode, 1);
  tt.equal(lastLine(unknown.faultString), 'ValueError: External ID not found in the system: stock.nope');
});

t.test('action_confirm: state sale, outgoing picking, and the webhook with a sorted load=None body', async (tt) => {
  const hook = await receiver(tt);
  const { fake, exec } = await setup(tt, { webhook: { url: hook.url } });
  fake.setNow('2026-11-24T10:00:00Z');
  const catalog = seedCatalog(fake);
  const id = createSaleOrder(fake, {
    partnerId: catalog.partners.moscow,
    lines: [
      { productId: catalog.products.lamp, qty: 2, price: 45 },
      { productId: catalog.products.shipping, qty: 1, price: 9.5 },
    ],
  });
  fake.setNow('2026-11-24T10:05:00Z');
  tt.equal(await exec('sale.order', 'action_confirm', [[id]]), true);
  tt.equal(hook.received.length, 1, 'posted before the RPC call returned');
  tt.equal(hook.received[0]!.headers['content-type'], 'application/json');
  tt.equal(
    hook.received[0]!.body,
    `{"_action": "Send to order-bridge(#12)", "_id": ${id}, "_model": "sale.order", "name": "S00001", ` +
      `"partner_id": ${catalog.partners.moscow}, "partner_shipping_id": ${catalog.partners.moscow}, "state": "sale", ` +
      '"write_date": "2026-11-24 10:05:00"}',
  );
  tt.same(fake.webhookLog, [{ url: hook.url, body: hook.received[0]!.body, status: 200 }]);

  const [order] = (await exec('sale.order', 'read', [[id], ['state', 'picking_ids', 'date_order']])) as Struct[];
  tt.same(order, { id, state: 'sale', picking_ids: [1], date_order: '2026-11-24 10:05:00' });
  const [picking] = (await exec('stock.picking', 'read', [[1], ['name', 'origin', 'partner_id', 'location_id', 'location_dest_id', 'picking_type_id', 'move_ids', 'sale_id', 'state']])) as Struct[];
  tt.same(picking, {
    id: 1,
    name: 'WH/OUT/00001',
    origin: 'S00001',
    partner_id: [catalog.partners.moscow, 'ООО «Ромашка»'],
    location_id: [8, 'WH/Stock'],
    location_dest_id: [5, 'Partners/Customers'],
    picking_type_id: [2, 'YourCompany: Delivery Orders'],
    move_ids: [1],
    sale_id: [id, 'S00001'],
    state: 'confirmed',
  });
  const again = await faultOf(exec('sale.order', 'action_confirm', [[id]]));
  tt.same([again.faultCode, again.faultString], [2, 'Some orders are not in a state requiring confirmation.']);

  fake.setWebhook(hook.url, ['name', 'amount_total', 'partner_id', 'note']);
  const second = createSaleOrder(fake, {
    partnerId: catalog.partners.moscow,
    lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }],
    note: 'Позвонить "заранее"',
  });
  await exec('sale.order', 'write', [[second], { state: 'sale' }]);
  tt.equal(
    hook.received[1]!.body,
    `{"_action": "Send to order-bridge(#12)", "_id": ${second}, "_model": "sale.order", "amount_total": 45.0, ` +
      `"name": "S00002", "note": "<p>\\u041f\\u043e\\u0437\\u0432\\u043e\\u043d\\u0438\\u0442\\u044c &#34;\\u0437\\u0430\\u0440\\u0430\\u043d\\u0435\\u0435&#34;</p>", ` +
      `"partner_id": ${catalog.partners.moscow}}`,
    'Python json: sorted keys, ", " and ": ", ASCII only, floats keep .0',
  );
  tt.equal((JSON.parse(hook.received[1]!.body) as Struct).note, '<p>Позвонить &#34;заранее&#34;</p>');
  const third = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(fake, third);
  await fake.webhooksSettled();
  tt.equal(hook.received.length, 3, 'the seed helper fires it too');
});

t.test('the webhook is posted inside the open transaction: a reader sees the old state meanwhile', async (tt) => {
  let fake: OdooFake | undefined;
  let seen: XmlRpcValue = null;
  const hook = await receiver(tt, async () => {
    const client = new XmlRpcClient({ baseUrl: fake!.url, connector: 'odoo', timeoutMs: 5000 });
    seen = await client.call('/xmlrpc/2/object', 'execute_kw', [fake!.db, 2, 'admin', 'sale.order', 'read', [[1], ['state']]]);
  });
  const env = await setup(tt, { webhook: { url: hook.url } });
  fake = env.fake;
  const catalog = seedCatalog(fake);
  createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  await env.exec('sale.order', 'action_confirm', [[1]]);
  tt.same(seen, [{ id: 1, state: 'draft' }]);
  tt.same(await env.exec('sale.order', 'read', [[1], ['state']]), [{ id: 1, state: 'sale' }]);
});

t.test('a webhook receiver that writes the same order waits for the 1 s timeout; other records do not wait', async (tt) => {
  let fake: OdooFake | undefined;
  const timings: Record<string, number> = {};
  const hook = await receiver(tt, async () => {
    const client = new XmlRpcClient({ baseUrl: fake!.url, connector: 'odoo', timeoutMs: 5000 });
    const write = async (label: string, model: string, id: number, vals: Struct) => {
      const started = Date.now();
      await client.call('/xmlrpc/2/object', 'execute_kw', [fake!.db, 2, 'admin', model, 'write', [[id], vals]]);
      timings[label] = Date.now() - started;
    };
    await write('other', 'res.partner', 3, { phone: '+1 555' });
    await write('same', 'sale.order', 1, { ysell_sync_state: 'exported' });
  });
  const env = await setup(tt, { webhook: { url: hook.url } });
  fake = env.fake;
  const catalog = seedCatalog(fake);
  createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  await env.exec('sale.order', 'action_confirm', [[1]]);
  await fake.webhooksSettled();
  await new Promise((resolve) => setTimeout(resolve, 50));
  tt.ok(timings.other! < 500, `unrelated write went through (${timings.other} ms)`);
  tt.ok(timings.same! >= 900, `write to the order waited for the commit (${timings.same} ms)`);
  tt.match(fake.webhookLog[0], { error: /^ReadTimeout/ });
  tt.match(fake.record('sale.order', 1), { state: 'sale', ysell_sync_state: 'exported' });
  tt.equal(fake.record('res.partner', 3)?.phone, '+1 555');
});

t.test('pickings: create draft, confirm, validate; serial products need lots', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const create = (productId: number) =>
    exec('stock.picking', 'create', [
      {
        picking_type_id: fake.refs.outType,
        location_id: fake.refs.shemaxLocation,
        location_dest_id: fake.refs.customersLocation,
        origin: 'S00042',
        move_ids: [[0, 0, { name: 'x', product_id: productId, product_uom_qty: 2, product_uom: fake.refs.unitUom }]],
      },
    ]) as Promise<number>;
  const plain = await create(catalog.products.lamp);
  tt.equal(await exec('stock.picking', 'action_confirm', [[plain]]), true);
  tt.equal(fake.record('stock.picking', plain)?.state, 'confirmed');
  tt.equal(await exec('stock.picking', 'button_validate', [[plain]]), true);
  tt.match(fake.record('stock.picking', plain), { state: 'done' });
  tt.match(fake.records('stock.move').find((m) => m.picking_id === plain), { state: 'done', quantity: 2, picked: true });

  const tracked = await create(catalog.products.serialized);
  const refused = await faultOf(exec('stock.picking', 'button_validate', [[tracked]]));
  tt.same([refused.faultCode, refused.faultString], [2, 'You need to supply a Lot/Serial number for product: \n - [SN-PHONE-X] Smartphone X']);
  const moveId = fake.records('stock.move').find((m) => m.picking_id === tracked)!.id;
  await exec('stock.move.line', 'create', [[{ move_id: moveId, lot_name: 'SN-A', quantity: 1 }, { move_id: moveId, lot_name: 'SN-B', quantity: 1 }]]);
  tt.equal(await exec('stock.picking', 'button_validate', [[tracked]]), true);
  const lots = await exec('stock.move.line', 'search_read', [[['picking_id', '=', tracked]]], { fields: ['lot_id', 'state', 'picking_code'] });
  tt.same(lots, [
    { id: 2, lot_id: [1, 'SN-A'], state: 'done', picking_code: 'outgoing' },
    { id: 3, lot_id: [2, 'SN-B'], state: 'done', picking_code: 'outgoing' },
  ]);
});

t.test('webhook failures are logged, never retried, never fail the call', async (tt) => {
  const slow = await receiver(tt, () => new Promise((resolve) => setTimeout(resolve, 1500)));
  const { fake, exec } = await setup(tt, { webhook: { url: slow.url } });
  const catalog = seedCatalog(fake);
  const a = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  const started = Date.now();
  tt.equal(await exec('sale.order', 'action_confirm', [[a]]), true);
  tt.ok(Date.now() - started < 1450, 'gives up after about a second');
  tt.match(fake.webhookLog[0], { error: /^ReadTimeout/ });

  fake.setWebhook('http://127.0.0.1:1/hooks');
  const b = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  tt.equal(await exec('sale.order', 'action_confirm', [[b]]), true);
  tt.match(fake.webhookLog[1], { url: 'http://127.0.0.1:1/hooks', error: /^ConnectionError/ });
  tt.equal(fake.webhookLog.length, 2);
});

t.test('message_post escapes a plain-text body; methods returning None fault after applying', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const id = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  const msgId = await exec('sale.order', 'message_post', [[id]], {
    body: 'Ysell export failed: <HTTP 422> "bad" & retry',
    message_type: 'comment',
    subtype_xmlid: 'mail.mt_note',
  });
  tt.type(msgId, 'number');
  const [msg] = (await exec('mail.message', 'read', [[msgId as number], ['body', 'model', 'res_id', 'message_type', 'subtype_id', 'author_id']])) as Struct[];
  tt.same(msg, {
    id: msgId,
    body: '<p>Ysell export failed: &lt;HTTP 422&gt; &#34;bad&#34; &amp; retry</p>',
    model: 'sale.order',
    res_id: id,
    message_type: 'comment',
    subtype_id: [2, 'Note'],
    author_id: [3, 'YourCompany, Mitchell Admin'],
  });
  const positional = await faultOf(exec('sale.order', 'message_post', [[id], 'text']));
  tt.equal(lastLine(positional.faultString), 'TypeError: MailThread.message_post() takes 1 positional argument but 2 were given');

  const none = await faultOf(exec('sale.order', 'action_lock', [[id]]));
  tt.equal(none.faultCode, 1);
  tt.equal(lastLine(none.faultString), 'TypeError: cannot marshal None unless allow_none is enabled');
  tt.equal(fake.record('sale.order', id)?.locked, true, 'the change was committed anyway');

  const activity = await exec('mail.activity', 'create', [
    { res_model_id: fake.records('ir.model').find((m) => m.model === 'sale.order')!.id, res_id: id, activity_type_id: 4, summary: 'Ysell export failed' },
  ]);
  const [act] = (await exec('mail.activity', 'read', [[activity as number], ['res_model', 'res_name', 'user_id', 'activity_type_id']])) as Struct[];
  tt.same(act, { id: activity, res_model: 'sale.order', res_name: 'S00001', user_id: [2, 'Mitchell Admin'], activity_type_id: [4, 'To-Do'] });
});

t.test('message_post and activities need a sender address, as in Odoo 17, unless one is given', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const id = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
  fake.transact((env) => env.write('res.partner', [fake.refs.adminPartner], { email: false }));

  const refused = await faultOf(exec('sale.order', 'message_post', [[id]], { body: 'note', message_type: 'comment', subtype_xmlid: 'mail.mt_note' }));
  tt.same([refused.faultCode, refused.faultString], [2, "Unable to send message, please configure the sender's email address."]);
  const byAuthor = await faultOf(exec('sale.order', 'message_post', [[id]], { body: 'note', author_id: fake.refs.adminPartner }));
  tt.equal(byAuthor.faultCode, 2, 'an author without an email is refused too');

  const posted = await exec('sale.order', 'message_post', [[id]], {
    body: '<p><b>Title</b></p><p>text</p>',
    body_is_html: true,
    message_type: 'comment',
    subtype_xmlid: 'mail.mt_note',
    author_id: fake.refs.adminPartner,
    email_from: 'Mitchell Admin',
  });
  const [msg] = (await exec('mail.message', 'read', [[posted as number], ['body', 'author_id', 'email_from']])) as Struct[];
  tt.same(msg, { id: posted, body: '<p><b>Title</b></p><p>text</p>', author_id: [fake.refs.adminPartner, 'YourCompany, Mitchell Admin'], email_from: 'Mitchell Admin' }, 'an explicit author and sender are taken as given');

  const users = (await exec('res.users', 'read', [[fake.admin.uid], ['email', 'partner_id']])) as Struct[];
  tt.same(users, [{ id: fake.admin.uid, email: false, partner_id: [fake.refs.adminPartner, 'YourCompany, Mitchell Admin'] }]);

  const model = fake.records('ir.model').find((m) => m.model === 'sale.order')!.id;
  const forOther = { res_model_id: model, res_id: id, activity_type_id: 4, summary: 'To do', user_id: fake.user.uid };
  const notified = await faultOf(exec('mail.activity', 'create', [forOther]));
  tt.equal(notified.faultString, "Unable to send message, please configure the sender's email address.", "assigning someone else mails them, from the creator's address");
  tt.type(await exec('mail.activity', 'create', [forOther], { context: { mail_activity_quick_update: true } }), 'number', 'without that mail it is created');
  tt.type(await exec('mail.activity', 'create', [{ ...forOther, user_id: fake.admin.uid }]), 'number', 'assigning oneself mails nobody');
});

t.test('a location under the warehouse, procurement groups, and lots assigned after confirmation', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const [shemax] = (await exec('stock.location', 'search_read', [[['name', '=', 'ShemaxGlobal']]], { fields: ['complete_name', 'usage', 'location_id'] })) as Struct[];
  tt.same(shemax, { id: fake.refs.shemaxLocation, complete_name: 'WH/ShemaxGlobal', usage: 'internal', location_id: [7, 'WH'] });

  const id = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 2, price: 899 }, { productId: catalog.products.lamp, qty: 1, price: 45 }] });
  confirm(fake, id);
  const [order] = (await exec('sale.order', 'read', [[id], ['procurement_group_id', 'picking_ids']])) as Struct[];
  const group = (order!.procurement_group_id as [number, string])[0];
  tt.same(order!.procurement_group_id, [group, 'S00001'], 'confirmation made the procurement group');
  const pickingId = (order!.picking_ids as number[])[0]!;
  const [picking] = (await exec('stock.picking', 'read', [[pickingId], ['group_id', 'sale_id', 'state']])) as Struct[];
  tt.same(picking, { id: pickingId, group_id: [group, 'S00001'], sale_id: [id, 'S00001'], state: 'confirmed' });
  const lots = async (): Promise<XmlRpcValue[]> =>
    ((await exec('stock.move.line', 'search_read', [[['picking_id', '=', pickingId]]], { fields: ['lot_id'] })) as Struct[]).map((l) => (l.lot_id as [number, string] | false) && (l.lot_id as [number, string])[1]);
  tt.same(await lots(), [], 'nothing in stock: no serials assigned at confirmation');

  stockLots(fake, catalog.products.serialized, ['SN-1', 'SN-2', 'SN-3']);
  checkAvailability(fake, id);
  tt.same(await lots(), ['SN-1', 'SN-2'], 'Check Availability assigns two lots, one per unit');
  const moves = (await exec('stock.move', 'search_read', [[['picking_id', '=', pickingId]]], { fields: ['product_id', 'state', 'group_id'] })) as Struct[];
  tt.same(moves.map((m) => [(m.product_id as [number, string])[0], m.state, (m.group_id as [number, string])[0]]), [[catalog.products.serialized, 'assigned', group], [catalog.products.lamp, 'assigned', group]]);

  const second = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.serialized, qty: 2, price: 899 }] });
  confirm(fake, second);
  const [other] = (await exec('sale.order', 'read', [[second], ['picking_ids']])) as Struct[];
  const reserved = (await exec('stock.move.line', 'search_read', [[['picking_id', 'in', other!.picking_ids as number[]]]], { fields: ['lot_id'] })) as Struct[];
  tt.same(reserved.map((l) => (l.lot_id as [number, string])[1]), ['SN-3'], 'in stock at confirmation: reserved at once, as far as it goes');

  const ours = await exec('stock.picking', 'create', [{ picking_type_id: 2, location_id: fake.refs.shemaxLocation, location_dest_id: 5, origin: 'S00001', move_ids: [[0, 0, { name: 'Lamp', product_id: catalog.products.lamp, product_uom_qty: 1, product_uom: 1, group_id: group }]] }]);
  const [linked] = (await exec('sale.order', 'read', [[id], ['picking_ids', 'delivery_count']])) as Struct[];
  tt.same(linked, { id, picking_ids: [pickingId, ours], delivery_count: 2 }, "a picking whose moves are in the order's group is the order's");
  tt.equal(await exec('stock.picking', 'action_cancel', [[pickingId]]), true);
  tt.equal(fake.record('stock.picking', pickingId)?.state, 'cancel');
});

t.test('a replaced API key: the old one signs in to False (HTTP 200) and calls fault 3', async (tt) => {
  const { fake, client } = await setup(tt);
  const old = fake.admin.apiKey;
  fake.setApiKey('admin', 'brand-new-key');
  const response = await fetch(`${fake.url}/xmlrpc/2/common`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml' },
    body: `<?xml version="1.0"?><methodCall><methodName>authenticate</methodName><params><param><value><string>${fake.db}</string></value></param><param><value><string>admin</string></value></param><param><value><string>${old}</string></value></param><param><value><struct></struct></value></param></params></methodCall>`,
  });
  tt.equal(response.status, 200);
  tt.match(await response.text(), /<boolean>0<\/boolean>/);
  const denied = await faultOf(client.call('/xmlrpc/2/object', 'execute_kw', [fake.db, fake.admin.uid, old, 'sale.order', 'search', [[]]]));
  tt.equal(denied.faultCode, 3);
  tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'admin', 'brand-new-key', {}]), fake.admin.uid);
});

t.test('fields_get describes types, labels, requiredness and relations', async (tt) => {
  const { exec } = await setup(tt);
  const fields = (await exec('sale.order', 'fields_get', [], { attributes: ['type', 'string', 'required', 'relation', 'selection'] })) as Record<string, Struct>;
  tt.same(fields.partner_id, { type: 'many2one', string: 'Customer', required: true, relation: 'res.partner' });
  tt.same(fields.state!.selection, [['draft', 'Quotation'], ['sent', 'Quotation Sent'], ['sale', 'Sales Order'], ['cancel', 'Cancelled']]);
  tt.same(fields.ysell_sync_state!.selection, [['waiting', 'Waiting for serials'], ['exported', 'Exported'], ['delivered', 'Delivered'], ['error', 'Error']]);
  tt.equal(fields.note!.type, 'html');
  tt.equal(fields.order_line!.relation, 'sale.order.line');
});

t.test('HTTP-level behaviour: 404 page, 405, a body that is not XML-RPC', async (tt) => {
  const { fake } = await setup(tt);
  const notFound = await fetch(`${fake.url}/xmlrpc/object`, { method: 'POST', body: '<x/>' });
  tt.equal(notFound.status, 404);
  tt.match(await notFound.text(), /<title>404 Not Found<\/title>/);
  tt.equal((await fetch(`${fake.url}/xmlrpc/2/common`)).status, 405);
  const junk = await fetch(`${fake.url}/xmlrpc/2/object`, { method: 'POST', body: 'hello' });
  tt.equal(junk.status, 200);
  tt.match(junk.headers.get('content-type'), /^text\/xml/);
  const text = await junk.text();
  tt.match(text, /<name>faultCode<\/name>\n<value><int>1<\/int>/);
  tt.match(text, /xml\.parsers\.expat\.ExpatError: syntax error/);
});

t.test('fault injection', async (tt) => {
  const { fake, client, exec } = await setup(tt);
  const createPartner = () => exec('res.partner', 'create', [{ name: 'Injected' }]);
  const count = () => fake.records('res.partner').filter((p) => p.name === 'Injected').length;

  fake.inject({ kind: 'http', status: 502 }, { times: 1 });
  await tt.rejects(createPartner(), { code: 'HTTP_502', kind: 'retryable' });
  fake.inject({ kind: 'reset' }, { times: 1 });
  await tt.rejects(createPartner(), { code: 'CONNECTION_FAILED' });
  fake.inject({ kind: 'garbage' }, { times: 1 });
  await tt.rejects(createPartner(), { code: 'MALFORMED_RESPONSE' });
  tt.equal(count(), 0, 'none of those applied the call');

  fake.inject(
    { kind: 'fault', code: 1, message: 'psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update' },
    { times: 1, match: (c) => c.modelMethod === 'create' },
  );
  tt.same(await exec('res.partner', 'search', [[['id', '=', 3]]]), [3], 'match skips other calls');
  const serialization = await faultOf(createPartner());
  tt.equal(serialization.faultCode, 1);
  tt.match(serialization.faultString, /^Traceback/);
  tt.equal(lastLine(serialization.faultString), 'psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update');

  fake.inject({ kind: 'reset-after-apply' }, { times: 1 });
  await tt.rejects(createPartner(), { code: 'CONNECTION_FAILED' });
  tt.equal(count(), 1, 'reset-after-apply applied the create');

  fake.inject({ kind: 'delay', ms: 200 }, { times: 1 });
  const started = Date.now();
  await createPartner();
  tt.ok(Date.now() - started >= 190);
  tt.equal(count(), 2);

  fake.inject({ kind: 'http', status: 503 }, { share: 0.5, seed: 7 });
  const outcomes: boolean[] = [];
  for (let i = 0; i < 20; i++) outcomes.push(await client.call('/xmlrpc/2/common', 'version', []).then(() => true, () => false));
  const failures = outcomes.filter((ok) => !ok).length;
  tt.ok(failures > 3 && failures < 17, `about half fail (${failures}/20)`);
  fake.clearFaults();
  tt.ok(await client.call('/xmlrpc/2/common', 'version', []));

  const creates = fake.calls.filter((c) => c.model === 'res.partner' && c.modelMethod === 'create');
  tt.same(creates.map((c) => c.injected ?? 'none'), ['http', 'reset', 'garbage', 'fault', 'reset-after-apply', 'delay']);
  tt.same(creates[0]!.args, [{ name: 'Injected' }]);
  tt.equal(creates[0]!.uid, 2);
  tt.equal(creates[3]!.fault?.faultCode, 1);
});

t.test('serves 2,000 orders and pages of 500 quickly', async (tt) => {
  const { fake, exec } = await setup(tt);
  const catalog = seedCatalog(fake);
  const partners = Object.values(catalog.partners);
  const seedStart = performance.now();
  for (let i = 0; i < 2000; i++) {
    const id = createSaleOrder(fake, {
      partnerId: partners[i % partners.length]!,
      lines: [
        { productId: catalog.products.lamp, qty: 1 + (i % 3), price: 45 },
        { productId: catalog.products.chair, qty: 1, price: 120 },
      ],
    });
    if (i % 2) confirm(fake, id);
  }
  const seedMs = performance.now() - seedStart;
  const started = performance.now();
  let offset = 0;
  let seen = 0;
  for (;;) {
    const page = (await exec('sale.order', 'search_read', [[['state', 'in', ['sale', 'draft']]]], {
      fields: ['name', 'partner_id', 'order_line', 'amount_total', 'write_date', 'state'],
      order: 'write_date asc, id asc',
      offset,
      limit: 500,
    })) as Struct[];
    seen += page.length;
    if (page.length < 500) break;
    offset += 500;
  }
  const pageMs = performance.now() - started;
  tt.equal(seen, 2000);
  tt.ok(pageMs < 3000, `four pages of 500 in ${Math.round(pageMs)} ms (seeding took ${Math.round(seedMs)} ms)`);
  tt.equal(await exec('stock.move', 'search_count', [[['sale_line_id.order_id.state', '=', 'sale']]]), 2000);
});

t.test('reset returns to the base data', async (tt) => {
  const { fake, exec } = await setup(tt);
  seedCatalog(fake);
  fake.setParam('ysell.api_key', 'k');
  fake.reset();
  tt.equal(fake.records('product.product').length, 0);
  tt.equal(fake.calls.length, 0);
  tt.equal(await exec('ir.config_parameter', 'get_param', ['ysell.api_key']), false);
  tt.same(await exec('res.users', 'read', [[6], ['login', 'name']]), [{ id: 6, login: 'bridge', name: 'Order Bridge' }]);
});
