import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { IntegrationError } from '../../src/core/errors.js';
import { XmlRpcClient } from '../../src/xmlrpc/client.js';

const billionLaughs =
  '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' +
  Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n') +
  '\n]>\n<methodResponse><params><param><value><string>&lol9;</string></value></param></params></methodResponse>';

/** One huge entity referenced many times: no nesting, but the expansion is still gigabytes. */
const quadraticBlowup =
  `<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "${'a'.repeat(50_000)}">]>` +
  `<methodResponse><params><param><value><string>${'&a;'.repeat(50_000)}</string></value></param></params></methodResponse>`;

const undeclaredEntity = '<methodResponse><params><param><value><string>&lol9;</string></value></param></params></methodResponse>';

/** An "Odoo" that answers every call with the given body, as a hostile or hijacked server could. */
async function hostileServer(t: Test, body: string): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'text/xml' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

for (const [name, body, problem] of [
  ['billion laughs', billionLaughs, /DOCTYPE/],
  ['quadratic blowup', quadraticBlowup, /DOCTYPE/],
  ['an entity nobody declared', undeclaredEntity, /entity/i],
] as const) {
  t.test(`an XML-RPC answer with ${name} is refused at once, without expanding anything`, async (t) => {
    const baseUrl = await hostileServer(t, body);
    const client = new XmlRpcClient({ baseUrl, connector: 'odoo', timeoutMs: 5000 });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = await client.call('/xmlrpc/2/object', 'execute_kw', ['db', 2, 'key', 'sale.order', 'search_read', []]).then(
      () => null,
      (err: unknown) => err,
    );
    const ms = performance.now() - started;
    t.ok(error instanceof IntegrationError, 'a typed error');
    t.match(error, { kind: 'retryable', code: 'MALFORMED_RESPONSE', message: problem });
    t.ok(ms < 1000, `refused in ${Math.round(ms)} ms`);
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    t.ok(grownMb < 64, `the heap grew ${grownMb.toFixed(1)} MB (an expansion would be gigabytes)`);
  });
}
