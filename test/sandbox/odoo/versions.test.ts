import t, { type Test } from 'tap';
import { XmlRpcClient } from '../../../src/xmlrpc/client.js';
import type { XmlRpcValue } from '../../../src/xmlrpc/value.js';
import { faultOf, lastLine } from '../../helpers/failure.js';
import { confirm, createSaleOrder, seedCatalog } from '../../../src/sandbox/odoo/seed.js';
import { startOdooFake } from '../../../src/sandbox/odoo/server.js';
import { ODOO_VERSIONS, type OdooVersion } from '../../../src/sandbox/odoo/versions.js';

type Struct = Record<string, XmlRpcValue>;

async function setup(tt: Test, version: OdooVersion) {
  const fake = await startOdooFake({ version });
  tt.teardown(() => fake.close());
  const client = new XmlRpcClient({ baseUrl: fake.url, connector: 'odoo', timeoutMs: 5000 });
  const exec = (model: string, method: string, args: XmlRpcValue[], kwargs: Struct = {}): Promise<XmlRpcValue> =>
    client.call('/xmlrpc/2/object', 'execute_kw', [fake.db, fake.user.uid, fake.user.apiKey, model, method, args, kwargs]);
  return { fake, client, exec };
}


async function invalidField(tt: Test, p: Promise<unknown>, field: string, model: string): Promise<void> {
  const fault = await faultOf(p);
  tt.equal(fault.faultCode, 1);
  tt.equal(lastLine(fault.faultString), `ValueError: Invalid field '${field}' on model '${model}'`);
}

for (const version of ODOO_VERSIONS) {
  const major = Number.parseInt(version, 10);

  t.test(`${version}: common.version, about and db.server_version answer the series`, async (tt) => {
    const { fake, client } = await setup(tt, version);
    tt.same(await client.call('/xmlrpc/2/common', 'version', []), {
      server_version: version,
      server_version_info: [major, 0, 0, 'final', 0, ''],
      server_serie: version,
      protocol_version: 1,
    });
    tt.same(await client.call('/xmlrpc/2/common', 'about', [true]), ['See http://openerp.com', version]);
    tt.equal(await client.call('/xmlrpc/2/db', 'server_version', []), version);
    tt.equal(fake.db, `odoo${major}`);
    tt.equal(await client.call('/xmlrpc/2/common', 'authenticate', [fake.db, 'bridge', fake.user.apiKey, {}]), fake.user.uid);
  });

  t.test(`${version}: the sale line's unit of measure and the partner's mobile`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    const catalog = seedCatalog(fake);
    const order = createSaleOrder(fake, { partnerId: catalog.partners.lyon, lines: [{ productId: catalog.products.lamp, qty: 1, price: 45 }] });
    const [lineId] = (await exec('sale.order', 'read', [[order], ['order_line']]) as Struct[])[0]!.order_line as number[];
    const [present, absent] = major >= 19 ? ['product_uom_id', 'product_uom'] : ['product_uom', 'product_uom_id'];
    const [line] = (await exec('sale.order.line', 'read', [[lineId!], [present]])) as Struct[];
    tt.same(line![present], [fake.refs.unitUom, 'Units']);
    await invalidField(tt, exec('sale.order.line', 'read', [[lineId!], [absent]]), absent, 'sale.order.line');
    await invalidField(tt, exec('sale.order.line', 'search_read', [[]], { fields: [absent] }), absent, 'sale.order.line');

    if (major >= 19) {
      await invalidField(tt, exec('res.partner', 'read', [[catalog.partners.lyon], ['phone', 'mobile']]), 'mobile', 'res.partner');
      const [lyon] = (await exec('res.partner', 'read', [[catalog.partners.lyon], ['phone']])) as Struct[];
      tt.equal(lyon!.phone, '+33 6 12 34 56 78', 'the seed puts the mobile number in phone');
    } else {
      const [lyon] = (await exec('res.partner', 'read', [[catalog.partners.lyon], ['phone', 'mobile']])) as Struct[];
      tt.same([lyon!.phone, lyon!.mobile], [false, '+33 6 12 34 56 78']);
    }
  });

  t.test(`${version}: product storability`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    if (major >= 18) {
      const id = (await exec('product.product', 'create', [{ name: 'Crate', type: 'consu', is_storable: true }])) as number;
      tt.same(((await exec('product.product', 'read', [[id], ['type', 'is_storable']])) as Struct[])[0], { id, type: 'consu', is_storable: true });
      const wrong = await faultOf(exec('product.product', 'create', [{ name: 'Crate', type: 'product' }]));
      tt.equal(lastLine(wrong.faultString), "ValueError: Wrong value for product.product.type: 'product'");
      await invalidField(tt, exec('product.product', 'read', [[id], ['detailed_type']]), 'detailed_type', 'product.product');
      const { products } = seedCatalog(fake);
      tt.same(fake.record('product.product', products.lamp)?.is_storable, true);
    } else {
      const id = (await exec('product.product', 'create', [{ name: 'Crate', type: 'product' }])) as number;
      tt.same(((await exec('product.product', 'read', [[id], ['type', 'detailed_type']])) as Struct[])[0], { id, type: 'product', detailed_type: 'product' });
      const byDetailed = (await exec('product.product', 'create', [{ name: 'Fee', detailed_type: 'service' }])) as number;
      tt.equal(fake.record('product.product', byDetailed)?.type, 'service');
      await invalidField(tt, exec('product.product', 'read', [[id], ['is_storable']]), 'is_storable', 'product.product');
    }
  });

  t.test(`${version}: res.users groups and name_get`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    const [present, absent] = major >= 19 ? ['group_ids', 'groups_id'] : ['groups_id', 'group_ids'];
    const [admin] = (await exec('res.users', 'read', [[fake.admin.uid], [present]])) as Struct[];
    tt.same(admin![present], [fake.ref('base.group_user'), fake.ref('base.group_system')]);
    await invalidField(tt, exec('res.users', 'read', [[fake.admin.uid], [absent]]), absent, 'res.users');
    if (major >= 19) {
      const fault = await faultOf(exec('res.partner', 'name_get', [[fake.refs.companyPartner]]));
      tt.equal(lastLine(fault.faultString), "AttributeError: The method 'res.partner.name_get' does not exist");
    } else if (major >= 18) {
      const fault = await faultOf(exec('res.partner', 'name_get', [[fake.refs.companyPartner]]));
      tt.equal(lastLine(fault.faultString), "AttributeError: type object 'res.partner' has no attribute 'name_get'");
    } else {
      tt.same(await exec('res.partner', 'name_get', [[fake.refs.companyPartner]]), [[fake.refs.companyPartner, 'YourCompany']]);
    }
    const [partner] = (await exec('res.partner', 'read', [[fake.refs.companyPartner], ['display_name']])) as Struct[];
    tt.equal(partner!.display_name, 'YourCompany', 'display_name everywhere');
  });

  t.test(`${version}: how a delivery is tied to its order, and the move values a picking takes`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    const catalog = seedCatalog(fake);
    const order = createSaleOrder(fake, { partnerId: catalog.partners.brussels, lines: [{ productId: catalog.products.lamp, qty: 2, price: 45 }] });
    confirm(fake, order);
    const [picking] = (await exec('stock.picking', 'search_read', [[['sale_id', '=', order]]], { fields: ['sale_id', 'move_ids'] })) as Struct[];
    tt.same(picking!.sale_id, [order, 'S00001']);
    const move = {
      product_id: catalog.products.lamp,
      product_uom_qty: 1,
      product_uom: fake.refs.unitUom,
      location_id: fake.refs.shemaxLocation,
      location_dest_id: fake.refs.customersLocation,
    };
    const picking2 = { picking_type_id: fake.refs.outType, location_id: fake.refs.shemaxLocation, location_dest_id: fake.refs.customersLocation, origin: 'S00001' };
    if (major >= 19) {
      await invalidField(tt, exec('sale.order', 'read', [[order], ['procurement_group_id']]), 'procurement_group_id', 'sale.order');
      const noGroup = await faultOf(exec('procurement.group', 'search', [[]]));
      tt.same([noGroup.faultCode, noGroup.faultString], [2, "Object procurement.group doesn't exist"]);
      const [so] = (await exec('sale.order', 'read', [[order], ['stock_reference_ids', 'picking_ids']])) as Struct[];
      const [reference] = so!.stock_reference_ids as number[];
      tt.same(await exec('stock.reference', 'read', [[reference!], ['name', 'sale_ids', 'move_ids', 'picking_ids']]), [
        { id: reference, name: 'S00001', sale_ids: [order], move_ids: picking!.move_ids, picking_ids: [picking!.id] },
      ]);
      await invalidField(tt, exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, { ...move, name: 'Office Lamp' }]] }]), 'name', 'stock.move');
      await invalidField(tt, exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, { ...move, group_id: 1 }]] }]), 'group_id', 'stock.move');
      const byReference = (await exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, { ...move, reference_ids: [[4, reference!]] }]] }])) as number;
      const [back] = (await exec('stock.picking', 'read', [[byReference], ['sale_id', 'reference_ids', 'state']])) as Struct[];
      tt.same(back, { id: byReference, sale_id: false, reference_ids: [reference], state: 'draft' }, 'a reference alone does not set sale_id');
      const bySaleId = (await exec('stock.picking', 'create', [{ ...picking2, sale_id: order, move_ids: [[0, 0, { ...move, reference_ids: [[4, reference!]] }]] }])) as number;
      const [lineId] = (await exec('sale.order', 'read', [[order], ['order_line']]) as Struct[])[0]!.order_line as number[];
      const byLine = (await exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, { ...move, sale_line_id: lineId! }]] }])) as number;
      tt.same((await exec('sale.order', 'read', [[order], ['picking_ids']]) as Struct[])[0]!.picking_ids, [picking!.id, bySaleId, byLine], 'sale_id given, or from the moves\' sale lines');
      const alone = (await exec('stock.picking', 'create', [{ ...picking2, sale_id: order, move_ids: [[0, 0, move]] }])) as number;
      const [aloneRead] = (await exec('stock.picking', 'read', [[alone], ['sale_id', 'reference_ids']])) as Struct[];
      const [made] = aloneRead!.reference_ids as number[];
      tt.not(made, reference, 'sale_id without references: _set_sale_id makes one for the order');
      tt.same(await exec('stock.reference', 'read', [[made!], ['name', 'sale_ids']]), [{ id: made, name: 'S00001', sale_ids: [order] }]);
      tt.same((await exec('sale.order', 'read', [[order], ['stock_reference_ids']]) as Struct[])[0]!.stock_reference_ids, [reference, made]);
    } else {
      const [so] = (await exec('sale.order', 'read', [[order], ['procurement_group_id']])) as Struct[];
      const group = (so!.procurement_group_id as [number, string])[0];
      await invalidField(tt, exec('sale.order', 'read', [[order], ['stock_reference_ids']]), 'stock_reference_ids', 'sale.order');
      const created = (await exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, { ...move, name: 'Office Lamp', group_id: group }]] }])) as number;
      tt.same(((await exec('stock.picking', 'read', [[created], ['sale_id', 'group_id']])) as Struct[])[0], { id: created, sale_id: [order, 'S00001'], group_id: [group, 'S00001'] });
      const unnamed = await faultOf(exec('stock.picking', 'create', [{ ...picking2, move_ids: [[0, 0, move]] }]));
      tt.match(unnamed.faultString, /Missing required value for the field 'Description' \(name\)/);
    }
  });

  t.test(`${version}: execute_kw's private-method text and what message_post and create answer`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    const privateCall = await faultOf(exec('res.partner', '_read', [[1]]));
    tt.same(
      [privateCall.faultCode, privateCall.faultString],
      [4, `Private methods (such as ${major >= 19 ? "'res.partner._read'" : '_read'}) cannot be called remotely.`],
    );
    const posted = await exec('res.partner', 'message_post', [[fake.refs.companyPartner]], { body: 'Hi', author_id: fake.refs.adminPartner, email_from: 'a@b.c' });
    const [message] = fake.records('mail.message').slice(-1);
    tt.same(posted, major >= 19 ? [message!.id] : message!.id, 'a recordset result is its ids on 19.0');
    tt.type(await exec('res.partner', 'create', [{ name: 'One' }]), 'number');
    const two = await exec('res.partner', 'create', [[{ name: 'Two' }]]);
    tt.same(two, [fake.records('res.partner').at(-1)!.id], 'a list of values: a list of ids');
  });

  t.test(`${version}: /json/2 and the XML-RPC deprecation warning`, async (tt) => {
    const { fake, exec } = await setup(tt, version);
    await exec('res.partner', 'search', [[]]);
    await exec('res.partner', 'search', [[]]);
    const res = await fetch(`${fake.url}/json/2/res.partner/search`, {
      method: 'POST',
      headers: { Authorization: `bearer ${fake.user.apiKey}`, 'X-Odoo-Database': fake.db, 'Content-Type': 'application/json' },
      body: JSON.stringify({ domain: [] }),
    });
    if (major >= 19) {
      tt.equal(res.status, 200);
      tt.equal(fake.serverLog.length, 1, 'once per client');
      tt.match(fake.serverLog[0], {
        level: 'WARNING',
        logger: 'odoo.addons.rpc.controllers.xmlrpc',
        message: /^The \/xmlrpc, \/xmlrpc\/2 and \/jsonrpc endpoints are deprecated in Odoo 19 and scheduled for removal in Odoo 20\./,
      });
    } else {
      tt.equal(res.status, 404);
      tt.match(res.headers.get('content-type'), /^text\/html/);
      tt.match(await res.text(), /<title>404 Not Found<\/title>/);
      tt.same(fake.serverLog, []);
    }
  });
}
