import t, { type Test } from 'tap';
import { confirm, createSaleOrder, seedCatalog } from '../../../src/sandbox/odoo/seed.js';
import { type OdooFake, type OdooUser, startOdooFake } from '../../../src/sandbox/odoo/server.js';

interface Answer {
  status: number;
  contentType: string;
  text: string;
  headers: Headers;
  json(): unknown;
}

async function setup(tt: Test) {
  const fake = await startOdooFake({ version: '19.0' });
  tt.teardown(() => fake.close());
  const raw = async (path: string, init: RequestInit): Promise<Answer> => {
    const res = await fetch(`${fake.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, headers: res.headers, json: () => JSON.parse(text) };
  };
  const headers = (who: OdooUser | string = fake.user): Record<string, string> => ({
    Authorization: `bearer ${typeof who === 'string' ? who : who.apiKey}`,
    'X-Odoo-Database': fake.db,
    'Content-Type': 'application/json',
  });
  const call = (model: string, method: string, body: unknown, who: OdooUser | string = fake.user): Promise<Answer> =>
    raw(`/json/2/${model}/${method}`, { method: 'POST', headers: headers(who), body: JSON.stringify(body) });
  return { fake, raw, call, headers };
}

/** An error answer: its status and the JSON body Odoo's Json2Dispatcher.handle_error gives it. */
function errorOf(tt: Test, answer: Answer, status: number, name: string, message: string | RegExp): Record<string, unknown> {
  tt.equal(answer.status, status, `status ${status}`);
  tt.match(answer.contentType, /^application\/json/);
  const body = answer.json() as Record<string, unknown>;
  tt.same(Object.keys(body).sort(), ['arguments', 'context', 'debug', 'message', 'name']);
  tt.equal(body.name, name);
  if (typeof message === 'string') tt.equal(body.message, message);
  else tt.match(body.message, message);
  tt.same(body.context, {});
  tt.match(body.debug, /^Traceback \(most recent call last\):\n/);
  return body;
}

function seeded(fake: OdooFake) {
  const catalog = seedCatalog(fake);
  const order = createSaleOrder(fake, { partnerId: catalog.partners.berlin, lines: [{ productId: catalog.products.lamp, qty: 2, price: 45 }] });
  return { catalog, order };
}

t.test('named arguments in, the bare JSON value out', async (tt) => {
  const { fake, call } = await setup(tt);
  const { catalog, order } = seeded(fake);

  const read = await call('sale.order', 'search_read', { domain: [['id', '=', order]], fields: ['name', 'partner_id', 'note', 'order_line'], limit: 5, order: 'id' });
  tt.equal(read.status, 200);
  tt.match(read.contentType, /^application\/json/);
  const [row] = read.json() as Record<string, unknown>[];
  tt.same(row, { id: order, name: 'S00001', partner_id: [catalog.partners.berlin, 'Müller & Söhne GmbH'], note: false, order_line: [1] }, 'many2one as [id, "name"], empty as false');

  const line = (await call('sale.order.line', 'read', { ids: [1], fields: ['product_uom_id', 'product_uom_qty'] })).json();
  tt.same(line, [{ id: 1, product_uom_id: [fake.refs.unitUom, 'Units'], product_uom_qty: 2 }]);

  const created = await call('res.partner', 'create', { vals_list: [{ name: 'Ana' }, { name: 'Bo' }] });
  tt.same([created.status, created.json()], [200, [catalog.partners.gemini + 1, catalog.partners.gemini + 2]], 'create takes vals_list and answers a list of ids');
  tt.same((await call('res.partner', 'create', { vals_list: { name: 'Cy' } })).json(), [catalog.partners.gemini + 3], 'one dict: still a list');

  tt.same((await call('sale.order', 'write', { ids: [order], vals: { client_order_ref: 'PO-7' } })).json(), true);
  tt.equal(fake.record('sale.order', order)?.client_order_ref, 'PO-7');
  tt.same((await call('res.partner', 'search', { domain: [['name', '=', 'Ana']] })).json(), [catalog.partners.gemini + 1]);
  tt.same((await call('res.partner', 'search_count', { domain: [['name', 'in', ['Ana', 'Bo']]] })).json(), 2);

  const lock = await call('sale.order', 'action_lock', { ids: [order] });
  tt.same([lock.status, lock.text], [200, 'null'], 'None is null (XML-RPC cannot marshal it)');

  fake.setParam('ysell.api_key', 'k-123');
  tt.same((await call('ir.config_parameter', 'get_param', { key: 'ysell.api_key' }, fake.admin)).json(), 'k-123');
  tt.same((await call('ir.config_parameter', 'get_param', { key: 'nope' }, fake.admin)).json(), false);
  tt.same((await call('ir.model.data', 'check_object_reference', { module: 'mail', xml_id: 'mail_activity_data_todo' })).json(), ['mail.activity.type', fake.refs.todoActivityType]);

  const posted = await call('sale.order', 'message_post', {
    ids: [order],
    body: '<p>Exported</p>',
    body_is_html: true,
    message_type: 'comment',
    subtype_xmlid: 'mail.mt_note',
  });
  tt.equal(posted.status, 200);
  const [messageId] = posted.json() as number[];
  tt.match(fake.record('mail.message', messageId!), { model: 'sale.order', res_id: order, body: '<p>Exported</p>', message_type: 'comment', subtype_id: fake.refs.noteSubtype });

  const activity = await call('mail.activity', 'create', {
    vals_list: [{ res_model_id: fake.ref('sale.model_sale_order'), res_id: order, activity_type_id: fake.refs.todoActivityType, user_id: fake.admin.uid, summary: 'Look' }],
    context: { mail_activity_quick_update: true },
  });
  tt.equal(activity.status, 200, 'context is passed through');

  const call0 = fake.calls.find((c) => c.service === 'json2' && c.modelMethod === 'search_read');
  tt.match(call0, { service: 'json2', model: 'sale.order', modelMethod: 'search_read', uid: fake.user.uid, status: 200, kwargs: { limit: 5 } });
});

t.test('401: no key, a wrong key, or a password', async (tt) => {
  const { fake, raw, call, headers } = await setup(tt);
  for (const secret of ['wrong-key', fake.user.password]) {
    const answer = await call('res.partner', 'search', { domain: [] }, secret);
    const body = errorOf(tt, answer, 401, 'werkzeug.exceptions.Unauthorized', 'Invalid apikey');
    tt.same(body.arguments, ['Invalid apikey', 401]);
    tt.match(answer.headers.get('www-authenticate'), /^Bearer/i);
  }
  const { Authorization: _, ...noAuth } = headers();
  errorOf(tt, await raw('/json/2/res.partner/search', { method: 'POST', headers: noAuth, body: '{"domain": []}' }), 401, 'werkzeug.exceptions.Unauthorized', 'Invalid apikey');
  const basic = { ...headers(), Authorization: `Basic ${Buffer.from(`bridge:${fake.user.apiKey}`).toString('base64')}` };
  tt.equal((await raw('/json/2/res.partner/search', { method: 'POST', headers: basic, body: '{"domain": []}' })).status, 401, 'only the bearer scheme');
  const upper = { ...headers(), Authorization: `Bearer ${fake.user.apiKey}` };
  tt.equal((await raw('/json/2/res.partner/search', { method: 'POST', headers: upper, body: '{"domain": []}' })).status, 200, 'the scheme is case-insensitive');
});

t.test('404 HTML without the database header, 415 HTML for a body that is not JSON, 400 for bad JSON', async (tt) => {
  const { fake, raw, headers } = await setup(tt);
  const { 'X-Odoo-Database': _, ...noDb } = headers();
  const missingDb = await raw('/json/2/res.partner/search', { method: 'POST', headers: noDb, body: '{"domain": []}' });
  tt.same([missingDb.status, missingDb.contentType], [404, 'text/html; charset=utf-8']);
  tt.match(missingDb.text, /<title>404 Not Found<\/title>/);
  const otherDb = await raw('/json/2/res.partner/search', { method: 'POST', headers: { ...headers(), 'X-Odoo-Database': 'nope' }, body: '{"domain": []}' });
  tt.equal(otherDb.status, 404);

  const form = await raw('/json/2/res.partner/search', { method: 'POST', headers: { ...headers(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'domain=[]' });
  tt.same([form.status, form.contentType], [415, 'text/html; charset=utf-8']);
  tt.match(form.text, /<title>415 Unsupported Media Type<\/title>/);
  const textPlain = await raw('/json/2/res.partner/search', { method: 'POST', headers: { ...headers(), 'Content-Type': 'text/plain' }, body: '{"domain": []}' });
  tt.equal(textPlain.status, 415);

  const bad = await raw('/json/2/res.partner/search', { method: 'POST', headers: headers(), body: '{"domain": [' });
  const body = errorOf(tt, bad, 400, 'werkzeug.exceptions.BadRequest', /^could not parse the body as json: /);
  tt.equal((body.arguments as unknown[])[1], 400);
  tt.equal(fake.calls.at(-1)?.status, 400);
});

t.test('404: unknown model or method, a record that is not there, any request but POST /json/2/<model>/<method>', async (tt) => {
  const { fake, raw, call, headers } = await setup(tt);
  errorOf(tt, await call('x.nothing', 'search', { domain: [] }), 404, 'werkzeug.exceptions.NotFound', "the model 'x.nothing' does not exist");
  errorOf(tt, await call('res.partner', 'fly', {}), 404, 'werkzeug.exceptions.NotFound', "The method 'res.partner.fly' does not exist");
  errorOf(tt, await call('res.partner', 'name_get', { ids: [1] }), 404, 'werkzeug.exceptions.NotFound', "The method 'res.partner.name_get' does not exist");
  errorOf(tt, await call('sale.order', 'write', { ids: [999], vals: { note: 'x' } }), 404, 'odoo.exceptions.MissingError', /^Record does not exist or has been deleted\.\n\(Record: sale\.order\(999,\), User: 6\)/);
  errorOf(tt, await raw('/json/2/res.partner/search', { method: 'GET', headers: headers() }), 404, 'werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?');
  errorOf(tt, await raw('/json/2/res.partner', { method: 'POST', headers: headers(), body: '{}' }), 404, 'werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?');
  tt.ok(fake.calls.every((c) => c.service === 'json2'));
});

t.test('403: a private method or a model the user may not touch', async (tt) => {
  const { call } = await setup(tt);
  errorOf(tt, await call('res.partner', '_read', { ids: [1] }), 403, 'odoo.exceptions.AccessError', "Private methods (such as 'res.partner._read') cannot be called remotely.");
  errorOf(tt, await call('ir.config_parameter', 'get_param', { key: 'database.uuid' }), 403, 'odoo.exceptions.AccessError', /^You are not allowed to access 'System Parameter' \(ir\.config_parameter\) records\./);
});

t.test('422: arguments that do not bind, and business errors', async (tt) => {
  const { fake, call } = await setup(tt);
  const { order } = seeded(fake);
  errorOf(tt, await call('res.partner', 'search_read', { ids: [1], fields: ['name'] }), 422, 'werkzeug.exceptions.UnprocessableEntity', 'cannot call res.partner.search_read with ids');
  errorOf(tt, await call('res.partner', 'create', {}), 422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'vals_list'");
  errorOf(tt, await call('res.partner', 'create', { vals: { name: 'x' } }), 422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'vals_list'");
  errorOf(tt, await call('res.partner', 'read', { ids: [1], fields: ['name'], colour: 'red' }), 422, 'werkzeug.exceptions.UnprocessableEntity', "got an unexpected keyword argument 'colour'");
  errorOf(tt, await call('ir.config_parameter', 'get_param', { name: 'x' }, fake.admin), 422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'key'");
  confirm(fake, order);
  const again = errorOf(tt, await call('sale.order', 'action_confirm', { ids: [order] }), 422, 'odoo.exceptions.UserError', 'Some orders are not in a state requiring confirmation.');
  tt.same(again.arguments, ['Some orders are not in a state requiring confirmation.']);
  errorOf(tt, await call('res.partner', 'create', { vals_list: [{ type: 'contact' }] }), 422, 'odoo.exceptions.ValidationError', 'Contacts require a name');
});

t.test('500: ValueError and TypeError, with the traceback in debug', async (tt) => {
  const { fake, call } = await setup(tt);
  const { catalog } = seeded(fake);
  const mobile = errorOf(tt, await call('res.partner', 'read', { ids: [catalog.partners.lyon], fields: ['phone', 'mobile'] }), 500, 'builtins.ValueError', "Invalid field 'mobile' on model 'res.partner'");
  tt.same(mobile.arguments, ["Invalid field 'mobile' on model 'res.partner'"]);
  tt.match(mobile.debug, /addons\/rpc\/controllers\/json2\.py[\s\S]*ValueError: Invalid field 'mobile' on model 'res.partner'\n$/);
  errorOf(tt, await call('sale.order.line', 'search_read', { domain: [], fields: ['product_uom'] }), 500, 'builtins.ValueError', "Invalid field 'product_uom' on model 'sale.order.line'");
  errorOf(tt, await call('res.partner', 'write', { ids: [catalog.partners.lyon], vals: { mobile: '+33 6' } }), 500, 'builtins.ValueError', "Invalid field 'mobile' on model 'res.partner'");
  errorOf(tt, await call('res.users', 'read', { ids: [fake.user.uid], fields: ['groups_id'] }), 500, 'builtins.ValueError', "Invalid field 'groups_id' on model 'res.users'");
  errorOf(tt, await call('sale.order', 'read', { ids: [1], fields: ['procurement_group_id'] }), 500, 'builtins.ValueError', "Invalid field 'procurement_group_id' on model 'sale.order'");
  errorOf(tt, await call('procurement.group', 'create', { vals_list: [{ name: 'S00001' }] }), 404, 'werkzeug.exceptions.NotFound', "the model 'procurement.group' does not exist");
  errorOf(tt, await call('res.partner', 'search', { domain: [['nope', '=', 1]] }), 500, 'builtins.ValueError', /^Invalid field res\.partner\.nope in leaf/);
  const picking = {
    picking_type_id: fake.refs.outType,
    location_id: fake.refs.shemaxLocation,
    location_dest_id: fake.refs.customersLocation,
    move_ids: [[0, 0, { name: 'Lamp', product_id: catalog.products.lamp, product_uom_qty: 1, product_uom: fake.refs.unitUom }]],
  };
  errorOf(tt, await call('stock.picking', 'create', { vals_list: [picking] }), 500, 'builtins.ValueError', "Invalid field 'name' on model 'stock.move'");
  errorOf(tt, await call('res.partner', 'read', { ids: ['x'] }), 500, 'builtins.TypeError', "'str' object cannot be interpreted as an integer");
  tt.equal(fake.records('stock.picking').length, 0, 'a failed call changes nothing');
});

t.test('injected faults reach JSON-2 calls too', async (tt) => {
  const { fake, call } = await setup(tt);
  fake.inject({ kind: 'http', status: 503 }, { times: 1, match: (c) => c.service === 'json2' });
  tt.equal((await call('res.partner', 'search', { domain: [] })).status, 503);
  fake.inject({ kind: 'fault', code: 2, message: 'Nope' }, { times: 1 });
  errorOf(tt, await call('res.partner', 'search', { domain: [] }), 422, 'odoo.exceptions.UserError', 'Nope');
  fake.inject({ kind: 'garbage' }, { times: 1 });
  const garbage = await call('res.partner', 'search', { domain: [] });
  tt.throws(() => garbage.json());
  tt.equal((await call('res.partner', 'search', { domain: [] })).status, 200);
});
