import t from 'tap';
import type { Test } from 'tap';
import { OdooClient, type ProtocolSetting } from '../../src/connectors/odoo/client.js';
import { namedArguments, withShortDebug } from '../../src/connectors/odoo/json2-transport.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { REDACTED } from '../../src/core/redact.js';
import { startOdooFake, type OdooFake } from '../../src/sandbox/odoo/server.js';
import type { OdooVersion } from '../../src/sandbox/odoo/versions.js';

function clientFor(odoo: OdooFake, options: { login?: string; secret?: string; protocol?: ProtocolSetting; db?: string; fetch?: typeof fetch } = {}) {
  const exchanges: ExchangeEntry[] = [];
  const client = new OdooClient({
    url: odoo.url,
    db: options.db ?? odoo.db,
    login: options.login ?? odoo.admin.login,
    secret: options.secret ?? odoo.admin.apiKey,
    timeoutMs: 5000,
    exchanges: (e) => exchanges.push(e),
    protocol: options.protocol ?? 'auto',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { client, exchanges };
}

async function fake(t: Test, version: OdooVersion): Promise<OdooFake> {
  const odoo = await startOdooFake({ version });
  t.teardown(() => odoo.close());
  return odoo;
}

t.test('JSON-2: named arguments from execute_kw positional ones', async (t) => {
  t.same(namedArguments('sale.order', 'read', [[1, 2], ['name']], {}), { ids: [1, 2], fields: ['name'] });
  t.same(namedArguments('sale.order', 'search_read', [[['state', '=', 'sale']]], { fields: ['id'], limit: 5, order: 'id asc' }), {
    domain: [['state', '=', 'sale']],
    fields: ['id'],
    limit: 5,
    order: 'id asc',
  });
  t.same(namedArguments('stock.picking', 'create', [{ origin: 'S1' }], {}), { vals_list: [{ origin: 'S1' }] }, 'create takes a list');
  t.same(namedArguments('sale.order', 'write', [[3], { note: 'x' }], {}), { ids: [3], vals: { note: 'x' } });
  t.same(namedArguments('ir.config_parameter', 'get_param', ['ysell.api_key'], {}), { key: 'ysell.api_key' });
  t.same(namedArguments('ir.model.data', 'check_object_reference', ['stock', 'picking_type_out'], {}), { module: 'stock', xml_id: 'picking_type_out' });
  t.same(namedArguments('sale.order', 'message_post', [[7]], { body: 'hi', context: { lang: 'en_US' } }), { ids: [7], body: 'hi', context: { lang: 'en_US' } });
  t.throws(() => namedArguments('sale.order', 'action_confirm', [[1], 'extra'], {}), { code: 'ODOO_CALL_UNSUPPORTED' });
});

t.test('JSON-2 on Odoo 19: every error status becomes the typed error XML-RPC faults give', async (t) => {
  const odoo = await fake(t, '19.0');
  const { client, exchanges } = clientFor(odoo, { protocol: 'json2' });

  t.same(await client.executeKw('res.partner', 'search_count', [[]]), await client.executeKw('res.partner', 'search_count', [[]]));
  t.same(client.describe(), { protocol: 'json2', version: '19.0', refused: false });
  t.equal(await client.authenticate(), odoo.admin.uid, 'the uid is the user of the configured login');
  t.ok(
    odoo.calls.every((c) => c.service === 'json2' || (c.service === 'common' && c.method === 'version')),
    'only the version is asked over XML-RPC; the rest is JSON-2',
  );

  const wrongKey = clientFor(odoo, { secret: 'not-a-key-0123456789' });
  await t.rejects(wrongKey.client.executeKw('res.partner', 'search_count', [[]]), {
    kind: 'permanent',
    code: 'ODOO_ACCESS_DENIED',
    message: /Odoo refused the API key of "admin" \(Invalid apikey\): JSON-2 takes an API key \(a password is refused\)/,
  });
  await t.rejects(clientFor(odoo, { secret: odoo.admin.password }).client.executeKw('res.partner', 'search_count', [[]]), { code: 'ODOO_ACCESS_DENIED' }, 'a password is no key');

  const bridge = clientFor(odoo, { login: odoo.user.login, secret: odoo.user.apiKey }).client;
  await t.rejects(bridge.executeKw('ir.config_parameter', 'get_param', ['ysell.api_key']), {
    kind: 'permanent',
    code: 'ODOO_ACCESS_ERROR',
    message: /^Odoo user "bridge" may not do ir\.config_parameter\.get_param: /,
    context: { httpStatus: 403 },
  });

  await t.rejects(client.executeKw('sale.order', 'write', [[999999], { note: 'x' }]), { kind: 'permanent', code: 'ODOO_NOT_FOUND', context: { httpStatus: 404 } });
  await t.rejects(client.executeKw('no.such.model', 'search', [[]]), { kind: 'permanent', code: 'ODOO_NOT_FOUND', message: /the model 'no\.such\.model' does not exist/ });
  await t.rejects(clientFor(odoo, { db: 'no-such-db' }).client.executeKw('res.partner', 'search_count', [[]]), {
    kind: 'permanent',
    code: 'ODOO_JSON2_MISSING',
    message: /has no JSON-2 API for database "no-such-db"/,
  });

  await t.rejects(client.executeKw('res.partner', 'search_count', [[]], { ids: [1] }), { kind: 'permanent', code: 'ODOO_USER_ERROR', context: { httpStatus: 422 } });
  odoo.inject({ kind: 'fault', code: 2, message: 'You cannot confirm an order without lines.' }, { times: 1 });
  await t.rejects(client.executeKw('res.partner', 'search_count', [[]]), {
    kind: 'permanent',
    code: 'ODOO_USER_ERROR',
    message: 'Odoo res.partner.search_count refused: You cannot confirm an order without lines.',
  });

  const invalid = await client.executeKw('sale.order', 'read', [[1], ['no_such_field']]).then(
    () => null,
    (err: unknown) => err as Error & { detail: string },
  );
  if (invalid === null) return t.fail('an invalid field is refused');
  t.match(invalid, { kind: 'permanent', code: 'ODOO_SERVER_ERROR', message: "Odoo sale.order.read failed: ValueError: Invalid field 'no_such_field' on model 'sale.order'" });
  t.notMatch(invalid.message, /Traceback|File "/, 'no traceback in the message a person reads');
  t.ok(invalid.detail.length <= 201, `the detail is a short excerpt (${invalid.detail.length} characters)`);

  odoo.inject({ kind: 'fault', code: 1, message: 'psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update' }, { times: 1 });
  await t.rejects(client.executeKw('sale.order', 'search', [[]]), { kind: 'retryable', code: 'ODOO_CONCURRENT_UPDATE' });
  for (const status of [502, 503, 504] as const) {
    odoo.inject({ kind: 'http', status }, { times: 1 });
    await t.rejects(client.executeKw('sale.order', 'search', [[]]), { kind: 'retryable', code: `HTTP_${status}` }, `a gateway's ${status} is retried`);
  }
  odoo.inject({ kind: 'garbage' }, { times: 1 });
  await t.rejects(client.executeKw('sale.order', 'search', [[]]), { kind: 'retryable', code: 'MALFORMED_RESPONSE' });

  // A body that is not JSON: the fake answers 400 as Odoo does.
  const broken: typeof fetch = (input, init) => fetch(input, String(input).includes('/json/2/') ? { ...init, body: '{"domain": [' } : init);
  await t.rejects(clientFor(odoo, { fetch: broken }).client.executeKw('sale.order', 'search', [[]]), {
    kind: 'permanent',
    code: 'ODOO_BAD_REQUEST',
    message: /Odoo refused sale\.order\.search \(HTTP 400\): could not parse the body as json/,
  });

  odoo.setParam('ysell.api_key', 'very-secret-ysell-key');
  t.equal(await client.executeKw('ir.config_parameter', 'get_param', ['ysell.api_key']), 'very-secret-ysell-key');
  t.equal(await client.executeKw('ir.config_parameter', 'get_param', ['no.such.key']), false);

  const logged = JSON.stringify(exchanges);
  t.notOk(logged.includes(odoo.admin.apiKey), 'the bearer key is in no exchange entry');
  t.notOk(logged.includes('very-secret-ysell-key'), 'system parameter values never reach the exchange log');
  t.ok(exchanges.filter((e) => e.operation === 'json2 ir.config_parameter.get_param').every((e) => e.responseBody === REDACTED));
  const failed = exchanges.filter((e) => e.httpStatus === 500);
  t.ok(failed.length >= 1);
  for (const entry of failed) {
    const debug = (JSON.parse(entry.responseBody) as { debug: string }).debug;
    t.ok(debug.length <= 201, `the traceback is cut to an excerpt in the exchange log (${debug.length})`);
  }
  t.ok(wrongKey.exchanges.some((e) => e.httpStatus === 401 && e.credentialsRefused === true), 'a refused key is marked for /ready');
});

t.test('the traceback excerpt keeps everything else of the error body', async (t) => {
  const body = JSON.stringify({ name: 'builtins.ValueError', message: 'Invalid field', arguments: ['Invalid field'], context: {}, debug: `Traceback\n${'x'.repeat(5000)}` });
  const short = JSON.parse(withShortDebug(body)) as Record<string, unknown>;
  t.match(short, { name: 'builtins.ValueError', message: 'Invalid field', arguments: ['Invalid field'] });
  t.equal((short['debug'] as string).length, 201);
  t.equal(withShortDebug('<html>not json</html>'), '<html>not json</html>');
});

t.test('protocol choices: auto, xmlrpc and json2 against 17.0, 18.0 and 19.0', async (t) => {
  const v17 = await fake(t, '17.0');
  const v18 = await fake(t, '18.0');
  const v19 = await fake(t, '19.0');
  const speaks = async (odoo: OdooFake, protocol: ProtocolSetting) => {
    const { client } = clientFor(odoo, { protocol });
    t.equal(client.describe().version, null, 'nothing known before the first call');
    await client.executeKw('res.partner', 'search_count', [[]]);
    return client.describe();
  };
  t.same(await speaks(v17, 'auto'), { protocol: 'xmlrpc', version: '17.0', refused: false });
  t.same(await speaks(v18, 'auto'), { protocol: 'xmlrpc', version: '18.0', refused: false });
  t.same(await speaks(v19, 'auto'), { protocol: 'json2', version: '19.0', refused: false });
  t.same(await speaks(v19, 'xmlrpc'), { protocol: 'xmlrpc', version: '19.0', refused: false });
  t.ok(v19.serverLog.some((l) => l.level === 'WARNING' && /deprecated/i.test(l.message)), 'Odoo 19 warns about XML-RPC when it is asked for');

  for (const odoo of [v17, v18]) {
    const before = odoo.calls.length;
    const { client } = clientFor(odoo, { protocol: 'json2' });
    await t.rejects(client.executeKw('res.partner', 'search_count', [[]]), {
      kind: 'permanent',
      code: 'ODOO_JSON2_UNAVAILABLE',
      message: `Odoo at ${odoo.url} is version ${odoo.version}, which has no JSON-2 API (it came with Odoo 19.0): set the connection's protocol to "auto" or "xmlrpc"`,
    });
    t.same(client.describe(), { protocol: 'json2', version: odoo.version, refused: true }, '/ready shows the refusal');
    t.same(odoo.calls.slice(before).map((c) => `${c.service}.${c.method}`), ['common.version'], 'nothing but the version was asked');
  }
});

t.test('the version is asked once per connection, and again after a lost connection or refused credentials', async (t) => {
  const first = await fake(t, '17.0');
  const port = Number(new URL(first.url).port);
  const { client } = clientFor(first);
  const versions = (odoo: OdooFake) => odoo.calls.filter((c) => c.service === 'common' && c.method === 'version').length;

  for (let i = 0; i < 3; i++) await client.executeKw('sale.order.line', 'search_read', [[]], { fields: ['product_uom'], limit: 1 });
  t.equal(versions(first), 1, 'once per connection');
  t.same(client.describe(), { protocol: 'xmlrpc', version: '17.0', refused: false });

  // The server is upgraded in place while the service runs: the kept session calls the new server with old
  // names, Odoo refuses the field, and the version now says 19.0: retryable, and the next call speaks 19.0.
  await first.close();
  const upgraded = await startOdooFake({ version: '19.0', port, db: first.db });
  t.teardown(() => upgraded.close());
  upgraded.setApiKey(upgraded.admin.login, first.admin.apiKey);
  await t.rejects(client.executeKw('sale.order.line', 'search_read', [[]], { fields: ['product_uom'], limit: 1 }), {
    kind: 'retryable',
    code: 'ODOO_VERSION_CHANGED',
    message: /^Odoo changed from 17\.0 to 19\.0 under a call/,
  });
  t.same(await client.session().then((s) => [s.protocol, s.dialect.saleLineUom]), ['json2', 'product_uom_id']);
  t.same(client.describe(), { protocol: 'json2', version: '19.0', refused: false });

  // Down, then back: the lost connection makes the next call ask again.
  await upgraded.close();
  await t.rejects(client.executeKw('res.partner', 'search_count', [[]]), { kind: 'retryable', code: 'CONNECTION_FAILED' });
  const back = await startOdooFake({ version: '19.0', port, db: first.db });
  t.teardown(() => back.close());
  back.setApiKey(back.admin.login, first.admin.apiKey);
  await client.executeKw('res.partner', 'search_count', [[]]);
  t.equal(versions(back), 1, 'asked again after the reconnect');

  // Refused credentials: asked again too (a key is changed with the server's upgrade often enough).
  back.setApiKey(back.admin.login, 'a-new-key-0123456789');
  await t.rejects(client.executeKw('res.partner', 'search_count', [[]]), { code: 'ODOO_ACCESS_DENIED' });
  back.setApiKey(back.admin.login, first.admin.apiKey);
  await client.executeKw('res.partner', 'search_count', [[]]);
  t.equal(versions(back), 2, 'asked again after the refusal');
});
