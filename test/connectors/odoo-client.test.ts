import t from 'tap';
import { OdooClient } from '../../src/connectors/odoo/client.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { startOdooFake } from '../../src/sandbox/odoo/server.js';

t.test('the Odoo client over XML-RPC: version, credentials, typed faults, redacted parameters', async (t) => {
  const odoo = await startOdooFake();
  t.teardown(() => odoo.close());
  const exchanges: ExchangeEntry[] = [];
  const client = (login: string, secret: string) =>
    new OdooClient({ url: odoo.url, db: odoo.db, login, secret, timeoutMs: 2000, exchanges: (e) => exchanges.push(e) });

  const admin = client(odoo.admin.login, odoo.admin.apiKey);
  t.equal((await admin.version()).server_serie, '17.0');
  t.equal(await admin.authenticate(), odoo.admin.uid);

  await t.rejects(client('admin', 'wrong').authenticate(), {
    kind: 'permanent',
    code: 'ODOO_BAD_CREDENTIALS',
    message: /rejected login "admin" on database "odoo17": check the login, the database name and the API key/,
  });

  await t.rejects(admin.executeKw('sale.order', 'read', [[1], ['no_such_field']]), {
    kind: 'permanent',
    code: 'ODOO_SERVER_ERROR',
    message: "Odoo sale.order.read failed: ValueError: Invalid field 'no_such_field' on model 'sale.order'",
    detail: /^Traceback \(most recent call last\)/,
  });
  await t.rejects(admin.executeKw('sale.order', 'write', [[999999], { note: 'x' }]), { kind: 'permanent', code: 'ODOO_USER_ERROR', message: /Record does not exist or has been deleted\. \(Record: sale\.order\(999999,\)/ });
  await t.rejects(admin.executeKw('no.such.model', 'search', [[]]), { kind: 'permanent', code: 'ODOO_USER_ERROR' });

  odoo.inject({ kind: 'fault', code: 1, message: 'psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update' }, { times: 1 });
  await t.rejects(admin.executeKw('sale.order', 'search', [[]]), { kind: 'retryable', code: 'ODOO_CONCURRENT_UPDATE' });

  const bridge = client(odoo.user.login, odoo.user.apiKey);
  await t.rejects(bridge.executeKw('ir.config_parameter', 'get_param', ['ysell.api_key']), {
    kind: 'permanent',
    code: 'ODOO_ACCESS_ERROR',
    message: /Odoo user "bridge" may not do ir\.config_parameter\.get_param: You are not allowed to access 'System Parameter'/,
  });

  odoo.setParam('ysell.api_key', 'very-secret-ysell-key');
  t.equal(await admin.executeKw('ir.config_parameter', 'get_param', ['ysell.api_key']), 'very-secret-ysell-key');
  const paramCalls = exchanges.filter((e) => e.operation === 'execute_kw ir.config_parameter.get_param');
  t.ok(paramCalls.length >= 2);
  t.notOk(paramCalls.some((e) => e.responseBody.includes('very-secret-ysell-key')), 'system parameter values never reach the exchange log');
});
