import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IntegrationError } from '../../src/core/errors.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { XmlRpcClient, XmlRpcFault } from '../../src/xmlrpc/client.js';
import { parseMethodCall } from '../../src/xmlrpc/parse.js';
import { serializeFault, serializeMethodCall, serializeMethodResponse } from '../../src/xmlrpc/serialize.js';
import type { XmlRpcValue } from '../../src/xmlrpc/value.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse, count: number) => void;

/** A real HTTP server on an ephemeral loopback port, closed when the test ends. */
async function serve(t: Test, handler: Handler): Promise<{ baseUrl: string; requests: () => number }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      count++;
      handler(req, Buffer.concat(chunks).toString('utf8'), res, count);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => count };
}

function client(baseUrl: string, exchanges: ExchangeEntry[], timeoutMs = 5000): XmlRpcClient {
  return new XmlRpcClient({ baseUrl, connector: 'odoo', timeoutMs, exchanges: (entry) => exchanges.push(entry) });
}

function xml(res: http.ServerResponse, body: string, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/xml', ...headers });
  res.end(body);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

const SEARCH: XmlRpcValue[] = ['db', 2, 'key', 'sale.order', 'search_read', [[['state', '=', 'sale']]], { fields: ['name'], limit: 5 }];

t.test('a call posts the XML-RPC body and reports the exchange', async (t) => {
  let seen: { method: string | undefined; url: string | undefined; type: string | undefined; call: unknown } | undefined;
  const answer = [{ id: 4, name: 'S00004', partner_id: [11, 'Gemini Furniture'], client_order_ref: false }];
  const { baseUrl } = await serve(t, (req, body, res) => {
    seen = { method: req.method, url: req.url, type: req.headers['content-type'], call: parseMethodCall(body) };
    xml(res, serializeMethodResponse(answer));
  });
  const exchanges: ExchangeEntry[] = [];
  const result = await client(`${baseUrl}/`, exchanges).call('/xmlrpc/2/object', 'execute_kw', SEARCH);
  t.same(result, answer);
  t.same(seen, { method: 'POST', url: '/xmlrpc/2/object', type: 'text/xml', call: { method: 'execute_kw', params: SEARCH } });
  t.equal(exchanges.length, 1);
  const entry = exchanges[0] as ExchangeEntry;
  t.match(entry, {
    connector: 'odoo',
    operation: 'execute_kw',
    url: `${baseUrl}/xmlrpc/2/object`,
    requestBody: serializeMethodCall('execute_kw', SEARCH),
    httpStatus: 200,
    responseBody: serializeMethodResponse(answer),
    fault: null,
    error: null,
  });
  t.ok(entry.startedAt instanceof Date);
  t.ok(entry.durationMs >= 0);

  await client(baseUrl, exchanges).call('/xmlrpc/2/object', 'execute_kw', SEARCH, { operation: 'execute_kw sale.order.search_read' });
  t.equal(exchanges[1]?.operation, 'execute_kw sale.order.search_read');
});

t.test('faults are thrown as XmlRpcFault, unclassified', async (t) => {
  const traceback = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: Invalid field \'no_such_field\' on model \'sale.order\'\n';
  const faults: [number | string, string][] = [[2, 'Record does not exist or has been deleted.\n(Record: sale.order(99,))'], [1, traceback]];
  const { baseUrl } = await serve(t, (_req, _body, res, count) => {
    const [code, text] = faults[count - 1] as [number | string, string];
    xml(res, serializeFault(code as number, text));
  });
  const exchanges: ExchangeEntry[] = [];
  const odoo = client(baseUrl, exchanges);

  const userError = await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH, { idempotent: true }));
  t.ok(userError instanceof XmlRpcFault);
  t.match(userError, { faultCode: 2, faultString: 'Record does not exist or has been deleted.\n(Record: sale.order(99,))' });
  t.equal(exchanges[0]?.fault, '2: Record does not exist or has been deleted.');
  t.equal(exchanges[0]?.error, null);
  t.equal(exchanges[0]?.httpStatus, 200);

  const crash = await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH));
  t.match(crash, { faultCode: 1, faultString: traceback });
  t.equal(exchanges[1]?.fault, "1: ValueError: Invalid field 'no_such_field' on model 'sale.order'", 'a traceback is summed up by its last line');
  t.equal(exchanges.length, 2, 'faults are never retried');
});

t.test('a legacy string fault code is kept as a string', async (t) => {
  const { baseUrl } = await serve(t, (_req, _body, res) =>
    xml(
      res,
      '<?xml version="1.0"?><methodResponse><fault><value><struct>' +
        '<member><name>faultCode</name><value><string>AccessDenied</string></value></member>' +
        '<member><name>faultString</name><value><string>Access Denied</string></value></member>' +
        '</struct></value></fault></methodResponse>',
    ),
  );
  const exchanges: ExchangeEntry[] = [];
  t.match(await failure(client(baseUrl, exchanges).call('/xmlrpc/object', 'execute', [])), { name: 'XmlRpcFault', faultCode: 'AccessDenied' });
  t.equal(exchanges[0]?.fault, 'AccessDenied: Access Denied');
});

t.test('HTTP 429 is retryable and honours Retry-After', async (t) => {
  const { baseUrl } = await serve(t, (_req, _body, res) => xml(res, 'slow down', 429, { 'Retry-After': '7' }));
  const exchanges: ExchangeEntry[] = [];
  const err = await failure(client(baseUrl, exchanges).call('/xmlrpc/2/object', 'execute_kw', SEARCH, { idempotent: true }));
  t.ok(err instanceof IntegrationError);
  t.match(err, {
    kind: 'retryable',
    code: 'HTTP_429',
    retryAfterMs: 7000,
    message: 'Odoo answered execute_kw with HTTP 429',
    context: { system: 'odoo', operation: 'execute_kw', httpStatus: 429 },
    detail: 'slow down',
  });
  t.match(exchanges, [{ httpStatus: 429, responseBody: 'slow down', fault: 'HTTP 429' }]);
});

t.test('HTTP 503 and 408 are retryable, other statuses are permanent', async (t) => {
  const statuses = [503, 408, 404, 401];
  const { baseUrl } = await serve(t, (_req, _body, res, count) => xml(res, `<html>status ${statuses[count - 1]}</html>`, statuses[count - 1]));
  const odoo = client(baseUrl, []);
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { kind: 'retryable', code: 'HTTP_503', detail: '<html>status 503</html>' });
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { kind: 'retryable', code: 'HTTP_408' });
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { kind: 'permanent', code: 'HTTP_404' });
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { kind: 'permanent', code: 'HTTP_401' });
});

t.test('a server that never answers times out', async (t) => {
  const { baseUrl, requests } = await serve(t, () => {});
  const exchanges: ExchangeEntry[] = [];
  const err = await failure(client(baseUrl, exchanges, 200).call('/xmlrpc/2/object', 'execute_kw', SEARCH, { idempotent: true }));
  t.match(err, {
    kind: 'retryable',
    code: 'TIMEOUT',
    message: 'Odoo did not answer execute_kw within 200 ms',
    context: { system: 'odoo', operation: 'execute_kw' },
  });
  t.equal(requests(), 1, 'a timeout is not retried, even for an idempotent call');
  t.match(exchanges, [{ httpStatus: null, responseBody: '', fault: null, error: 'Odoo did not answer execute_kw within 200 ms' }]);
  t.ok((exchanges[0]?.durationMs ?? 0) >= 150);
});

t.test('a caller abort is reported as such', async (t) => {
  const controller = new AbortController();
  const { baseUrl } = await serve(t, () => controller.abort());
  const exchanges: ExchangeEntry[] = [];
  const err = await failure(client(baseUrl, exchanges).call('/xmlrpc/2/object', 'execute_kw', SEARCH, { signal: controller.signal }));
  t.match(err, { kind: 'retryable', code: 'ABORTED' });
  t.equal(exchanges.length, 1);
});

t.test('a 200 that is not XML-RPC is a retryable MALFORMED_RESPONSE', async (t) => {
  const page = `<!DOCTYPE html>\n<html><head><title>Odoo</title></head><body>${'Server is starting… '.repeat(30)}</body></html>`;
  const bodies = [page, serializeMethodResponse([1, 2, 3]).slice(0, 60), 'garbage'];
  const { baseUrl } = await serve(t, (_req, _body, res, count) => xml(res, bodies[count - 1] as string));
  const exchanges: ExchangeEntry[] = [];
  const odoo = client(baseUrl, exchanges);
  const html = await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH, { idempotent: true }));
  t.match(html, { kind: 'retryable', code: 'MALFORMED_RESPONSE', message: /^Odoo answered execute_kw with something that is not XML-RPC: .*DOCTYPE/ });
  t.equal((html as IntegrationError).detail, page.slice(0, 200));
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { code: 'MALFORMED_RESPONSE', message: /ended|unclosed/ });
  t.match(await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH)), { code: 'MALFORMED_RESPONSE' });
  t.equal(exchanges.length, 3, 'not retried on the spot');
  t.match(exchanges[0], { httpStatus: 200, responseBody: page, fault: null, error: /not XML-RPC/ });
});

t.test('a connection reset is retried once for idempotent calls only', async (t) => {
  const { baseUrl, requests } = await serve(t, (req, _body, res, count) => {
    if (count % 2 === 1) req.socket.destroy();
    else xml(res, serializeMethodResponse(42));
  });
  const exchanges: ExchangeEntry[] = [];
  const odoo = client(baseUrl, exchanges);

  t.equal(await odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH, { idempotent: true }), 42);
  t.equal(requests(), 2);
  t.equal(exchanges.length, 2, 'both attempts are reported');
  t.match(exchanges[0], { httpStatus: null, responseBody: '', error: /could not reach Odoo for execute_kw/ });
  t.match(exchanges[1], { httpStatus: 200, error: null });

  const err = await failure(odoo.call('/xmlrpc/2/object', 'execute_kw', SEARCH));
  t.equal(requests(), 3, 'a call that is not idempotent is sent once');
  t.match(err, { kind: 'retryable', code: 'CONNECTION_FAILED', context: { system: 'odoo', operation: 'execute_kw', code: 'UND_ERR_SOCKET' } });
});

t.test('a reset on both attempts gives up after the one retry', async (t) => {
  const { baseUrl, requests } = await serve(t, (req) => req.socket.destroy());
  const exchanges: ExchangeEntry[] = [];
  t.match(await failure(client(baseUrl, exchanges).call('/xmlrpc/2/common', 'version', [], { idempotent: true })), { code: 'CONNECTION_FAILED' });
  t.equal(requests(), 2);
  t.equal(exchanges.length, 2);
});

t.test('a refused connection is CONNECTION_FAILED with its code, and not retried', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const exchanges: ExchangeEntry[] = [];
  const err = await failure(client(`http://127.0.0.1:${port}`, exchanges).call('/xmlrpc/2/common', 'version', [], { idempotent: true }));
  t.match(err, { kind: 'retryable', code: 'CONNECTION_FAILED', message: /ECONNREFUSED/, context: { code: 'ECONNREFUSED' } });
  t.equal(exchanges.length, 1);
});

t.test('undefined parameters are refused before anything is sent', async (t) => {
  const { baseUrl, requests } = await serve(t, () => {});
  const exchanges: ExchangeEntry[] = [];
  await t.rejects(
    client(baseUrl, exchanges).call('/xmlrpc/2/object', 'execute_kw', ['db', undefined as unknown as XmlRpcValue]),
    { name: 'TypeError', message: /params\[1\]/ },
  );
  t.equal(requests(), 0);
  t.equal(exchanges.length, 0);
});
