import t from 'tap';
import type { AddressInfo } from 'node:net';
// @ts-expect-error the xmlrpc package ships no type declarations; XmlRpcPackage below describes what is used.
import xmlrpc from 'xmlrpc';
import { parseMethodCall, parseMethodResponse, XmlRpcParseError } from '../../src/xmlrpc/parse.js';
import { serializeFault, serializeMethodCall, serializeMethodResponse } from '../../src/xmlrpc/serialize.js';
import type { XmlRpcValue } from '../../src/xmlrpc/value.js';
import { XmlRpcClient } from '../../src/xmlrpc/client.js';

interface XmlRpcPackageServer {
  httpServer: { address(): AddressInfo; closeAllConnections(): void };
  on(method: string, handler: (error: unknown, params: unknown[], callback: (error: unknown, value: unknown) => void) => void): void;
  close(callback: () => void): void;
}
interface XmlRpcPackage {
  createServer(options: { host: string; port: number }, onListening: () => void): XmlRpcPackageServer;
}
const xmlrpcPackage = xmlrpc as XmlRpcPackage;

const HEADER = "<?xml version='1.0'?>\n";

function response(valueXml: string): string {
  return `${HEADER}<methodResponse>\n<params>\n<param>\n${valueXml}\n</param>\n</params>\n</methodResponse>\n`;
}

function valueOf(xml: string): XmlRpcValue {
  const parsed = parseMethodResponse(xml);
  if (parsed.kind !== 'value') throw new Error('expected a value, got a fault');
  return parsed.value;
}

function roundTrip(value: XmlRpcValue): XmlRpcValue {
  return valueOf(serializeMethodResponse(value));
}

t.test('a known execute_kw call is byte for byte what Python xmlrpc.client sends', async (t) => {
  const expected =
    "<?xml version='1.0'?>\n" +
    '<methodCall>\n' +
    '<methodName>execute_kw</methodName>\n' +
    '<params>\n' +
    '<param>\n<value><string>db</string></value>\n</param>\n' +
    '<param>\n<value><int>2</int></value>\n</param>\n' +
    '<param>\n<value><string>pw</string></value>\n</param>\n' +
    '<param>\n<value><string>sale.order</string></value>\n</param>\n' +
    '<param>\n<value><string>search_read</string></value>\n</param>\n' +
    '<param>\n' +
    '<value><array><data>\n' +
    '<value><array><data>\n' +
    '<value><array><data>\n' +
    '<value><string>state</string></value>\n' +
    '<value><string>=</string></value>\n' +
    '<value><string>sale</string></value>\n' +
    '</data></array></value>\n' +
    '</data></array></value>\n' +
    '</data></array></value>\n' +
    '</param>\n' +
    '<param>\n' +
    '<value><struct>\n' +
    '<member>\n<name>fields</name>\n<value><array><data>\n<value><string>name</string></value>\n</data></array></value>\n</member>\n' +
    '<member>\n<name>limit</name>\n<value><int>5</int></value>\n</member>\n' +
    '</struct></value>\n' +
    '</param>\n' +
    '</params>\n' +
    '</methodCall>\n';
  const params: XmlRpcValue[] = ['db', 2, 'pw', 'sale.order', 'search_read', [[['state', '=', 'sale']]], { fields: ['name'], limit: 5 }];
  const xml = serializeMethodCall('execute_kw', params);
  t.equal(xml, expected);
  t.same(parseMethodCall(xml), { method: 'execute_kw', params });
});

t.test('a call without parameters and a fault are laid out as Python does', async (t) => {
  t.equal(serializeMethodCall('version', []), `${HEADER}<methodCall>\n<methodName>version</methodName>\n<params>\n</params>\n</methodCall>\n`);
  t.equal(
    serializeFault(2, 'bad <x> & y'),
    `${HEADER}<methodResponse>\n<fault>\n<value><struct>\n` +
      '<member>\n<name>faultCode</name>\n<value><int>2</int></value>\n</member>\n' +
      '<member>\n<name>faultString</name>\n<value><string>bad &lt;x&gt; &amp; y</string></value>\n</member>\n' +
      '</struct></value>\n</fault>\n</methodResponse>\n',
  );
  t.same(parseMethodResponse(serializeFault(2, 'bad <x> & y')), { kind: 'fault', faultCode: 2, faultString: 'bad <x> & y' });
});

t.test('every type survives a round trip', async (t) => {
  const scalars: XmlRpcValue[] = [
    0, 1, -1, 2147483647, -2147483648, 1.5, -0.25, 1e300, 5e-324, 3000000000, -9007199254740991,
    true, false, null,
    '', 'plain', '  leading and trailing  ', 'tab\tnew\nline', 'Größe 北京 Спасибо 🙂', 'a < b && c > d', ']]>', 'CR\r\nLF',
  ];
  for (const value of scalars) t.same(roundTrip(value), value, `scalar ${JSON.stringify(value)}`);
  t.equal(serializeMethodResponse(3000000000).includes('<double>3000000000</double>'), true, 'beyond int32 goes as a double');
  t.equal(serializeMethodResponse(2147483647).includes('<int>2147483647</int>'), true);

  const bytes = new Uint8Array(300).map((_, i) => i % 256);
  const decoded = roundTrip(bytes);
  t.ok(Buffer.isBuffer(decoded), 'base64 comes back as a Buffer');
  t.same([...(decoded as Buffer)], [...bytes]);
  t.same([...(roundTrip(new Uint8Array(0)) as Buffer)], []);
  const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
  t.same([...(roundTrip(view) as Buffer)], [1, 2, 3], 'only the bytes of a view are sent');

  const nested: XmlRpcValue = {
    ints: [1, 2, 3],
    empty_array: [],
    empty_struct: {},
    deep: { a: [{ b: [[null, false, 'x']] }] },
    'key with <markup> & space': 'value',
    mixed: [1, 'two', 3.5, true, null, { k: [] }],
  };
  t.same(roundTrip(nested), nested);
  t.same(parseMethodCall(serializeMethodCall('m', [1, 'a', nested])), { method: 'm', params: [1, 'a', nested] });
});

t.test('dates go out as Odoo UTC strings; dateTime.iso8601 comes in as a UTC Date', async (t) => {
  t.equal(roundTrip(new Date('2026-01-24T10:20:30+02:00')), '2026-01-24 08:20:30');
  t.equal(roundTrip(new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999))), '2026-12-31 23:59:59');
  t.throws(() => serializeMethodResponse(new Date('nonsense')), TypeError);
  const compact = valueOf(response('<value><dateTime.iso8601>20260124T10:20:30</dateTime.iso8601></value>'));
  t.ok(compact instanceof Date);
  t.equal((compact as Date).toISOString(), '2026-01-24T10:20:30.000Z');
  const dashed = valueOf(response('<value><dateTime.iso8601>2026-01-24T10:20:30Z</dateTime.iso8601></value>'));
  t.equal((dashed as Date).toISOString(), '2026-01-24T10:20:30.000Z');
  for (const bad of ['20261324T10:20:30', '2026-02-30T10:20:30', '20260124T25:00:00', '20260124 10:20:30', 'yesterday', '']) {
    t.throws(() => valueOf(response(`<value><dateTime.iso8601>${bad}</dateTime.iso8601></value>`)), XmlRpcParseError, bad);
  }
});

t.test('control characters XML cannot carry are stripped, like Odoo does', async (t) => {
  const xml = serializeMethodResponse('a\u0000b\u0001c\u001fd\u000be\uffff');
  t.notMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  t.equal(valueOf(xml), 'abcde');
  t.equal(roundTrip('keep\ttabs\nand\r\nline ends'), 'keep\ttabs\nand\r\nline ends');
});

t.test('undefined and other unsendable values are refused with their path', async (t) => {
  const cases: [() => unknown, RegExp][] = [
    [() => serializeMethodCall('m', ['db', undefined as unknown as XmlRpcValue]), /undefined .*params\[1\]/],
    [() => serializeMethodCall('m', [[1, [2, undefined as unknown as XmlRpcValue]]]), /undefined .*params\[0\]\[1\]\[1\]/],
    [() => serializeMethodCall('m', [{ fields: ['name'], limit: undefined as unknown as XmlRpcValue }]), /undefined .*params\[0\]\.limit/],
    [() => serializeMethodCall('m', [{ 'odd key': { inner: [undefined as unknown as XmlRpcValue] } }]), /params\[0\]\["odd key"\]\.inner\[0\]/],
    [() => serializeMethodResponse(undefined as unknown as XmlRpcValue), /undefined .*at value\)/],
    [() => serializeMethodResponse({ a: NaN }), /NaN .*value\.a/],
    [() => serializeMethodResponse([Infinity]), /Infinity .*value\[0\]/],
    [() => serializeMethodResponse({ m: new Map() as unknown as XmlRpcValue }), /Map .*value\.m/],
    [() => serializeMethodResponse(10n as unknown as XmlRpcValue), /bigint/],
    [() => serializeMethodResponse((() => 1) as unknown as XmlRpcValue), /function/],
  ];
  for (const [run, message] of cases) t.throws(run, { name: 'TypeError', message }, String(message));
  const loop: { [key: string]: XmlRpcValue } = { a: 1 };
  loop['self'] = loop;
  t.throws(() => serializeMethodResponse(loop), { name: 'TypeError', message: /circular .*value\.self/ });
  const shared = [1];
  t.doesNotThrow(() => serializeMethodResponse([shared, shared]), 'the same array twice is not a cycle');
});

t.test('an Odoo search_read answer decodes to what Python would see', async (t) => {
  const xml =
    HEADER +
    '<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n' +
    '<member>\n<name>id</name>\n<value><int>4</int></value>\n</member>\n' +
    '<member>\n<name>name</name>\n<value><string>S00004</string></value>\n</member>\n' +
    '<member>\n<name>partner_id</name>\n<value><array><data>\n<value><int>11</int></value>\n<value><string>Gemini Furniture</string></value>\n</data></array></value>\n</member>\n' +
    '<member>\n<name>order_line</name>\n<value><array><data>\n<value><int>8</int></value>\n<value><int>9</int></value>\n</data></array></value>\n</member>\n' +
    '<member>\n<name>date_order</name>\n<value><string>2026-11-24 03:02:07</string></value>\n</member>\n' +
    '<member>\n<name>client_order_ref</name>\n<value><boolean>0</boolean></value>\n</member>\n' +
    '<member>\n<name>amount_total</name>\n<value><double>2576.0</double></value>\n</member>\n' +
    '<member>\n<name>note</name>\n<value>untyped &amp; kept</value>\n</member>\n' +
    '<member>\n<name>big</name>\n<value><i8>9007199254740991</i8></value>\n</member>\n' +
    '<member>\n<name>i4</name>\n<value><i4>-7</i4></value>\n</member>\n' +
    '</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n';
  t.same(valueOf(xml), [
    {
      id: 4,
      name: 'S00004',
      partner_id: [11, 'Gemini Furniture'],
      order_line: [8, 9],
      date_order: '2026-11-24 03:02:07',
      client_order_ref: false,
      amount_total: 2576,
      note: 'untyped & kept',
      big: 9007199254740991,
      i4: -7,
    },
  ]);
  t.same(valueOf(response('<value><boolean>0</boolean></value>')), false, 'authenticate with bad credentials');
});

t.test('text is kept exactly, empty elements are empty strings', async (t) => {
  t.equal(valueOf(response('<value>  two  spaces\n\t</value>')), '  two  spaces\n\t');
  t.equal(valueOf(response('<value><string>  a\n\tb  </string></value>')), '  a\n\tb  ');
  t.equal(valueOf(response('<value/>')), '');
  t.equal(valueOf(response('<value><string/></value>')), '');
  t.equal(valueOf(response('<value><string><![CDATA[<raw> & ]]>tail</string></value>')), '<raw> & tail');
  t.equal(valueOf(response('<value><string>&#13;&#x41;&lt;</string></value>')), '\rA<');
  t.equal(valueOf(response('<value>\n  <int> 42 </int>\n</value>')), 42, 'whitespace around a typed value is layout');
  t.same(valueOf(response('<value><struct/></value>')), {});
  t.same(valueOf(response('<value><array><data/></array></value>')), []);
  t.equal(valueOf(response('<value><double>-1.5e3</double></value>')), -1500);
  t.equal(valueOf(response('<value><double>inf</double></value>')), Infinity);
  t.equal(valueOf(response('<value><int>+5</int></value>')), 5);
  t.same(valueOf(response('<value><base64>\nAQID\nBA==\n</base64></value>')), Buffer.from([1, 2, 3, 4]));
});

t.test('faults carry an int code, or a string code from the legacy endpoints', async (t) => {
  const fault = (code: string, text: string) =>
    `${HEADER}<methodResponse><fault><value><struct>` +
    `<member><name>faultCode</name><value>${code}</value></member>` +
    `<member><name>faultString</name><value><string>${text}</string></value></member>` +
    `</struct></value></fault></methodResponse>`;
  t.same(parseMethodResponse(fault('<int>3</int>', 'Access Denied')), { kind: 'fault', faultCode: 3, faultString: 'Access Denied' });
  t.same(parseMethodResponse(fault('<string>warning -- UserError</string>', 'x\n\ny')), {
    kind: 'fault',
    faultCode: 'warning -- UserError',
    faultString: 'x\n\ny',
  });
  t.throws(() => parseMethodResponse(`${HEADER}<methodResponse><fault><value><int>1</int></value></fault></methodResponse>`), XmlRpcParseError);
  t.throws(
    () => parseMethodResponse(`${HEADER}<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>`),
    XmlRpcParseError,
  );
});

t.test('a DOCTYPE is refused at once: HTML pages and billion laughs', async (t) => {
  const laughs =
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n') +
    ']>\n<methodResponse><params><param><value><string>&lol9;</string></value></param></params></methodResponse>';
  // Refused for its DOCTYPE, i.e. before any entity could be expanded.
  t.throws(() => parseMethodResponse(laughs), { name: 'XmlRpcParseError', message: /DOCTYPE/ });
  t.throws(() => parseMethodResponse('<!-- c --><!DOCTYPE x><methodResponse/>'), { message: /DOCTYPE/ });
  t.throws(() => parseMethodResponse('\uFEFF<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>'), { message: /DOCTYPE/ });
  t.throws(() => parseMethodResponse('<html><body>Internal Server Error</body></html>'), { name: 'XmlRpcParseError', message: /unknown element <html>/ });
});

t.test('malformed documents are refused', async (t) => {
  const bad: [string, string][] = [
    ['not XML', 'Internal Server Error'],
    ['empty', ''],
    ['truncated', response('<value><array><data><value><int>1</int></value>').slice(0, -40)],
    ['trailing garbage', `${response('<value><int>1</int></value>')}garbage`],
    ['second root', `${response('<value><int>1</int></value>')}<methodResponse/>`],
    ['undefined entity', response('<value><string>&nbsp;</string></value>')],
    ['unknown tag', response('<value><float>1.0</float></value>')],
    ['bad int', response('<value><int>1.5</int></value>')],
    ['empty int', response('<value><int></int></value>')],
    ['hex int', response('<value><int>0x10</int></value>')],
    ['i8 beyond 2^53', response('<value><i8>9007199254740993</i8></value>')],
    ['bad double', response('<value><double>1.2.3</double></value>')],
    ['empty double', response('<value><double/></value>')],
    ['boolean word', response('<value><boolean>true</boolean></value>')],
    ['bad base64', response('<value><base64>@@@</base64></value>')],
    ['text in nil', response('<value><nil>x</nil></value>')],
    ['two types in a value', response('<value><int>1</int><int>2</int></value>')],
    ['text mixed with a type', response('<value>x<int>1</int></value>')],
    ['text after a type', response('<value><int>1</int>x</value>')],
    ['value outside param', `${HEADER}<methodResponse><params><value><int>1</int></value></params></methodResponse>`],
    ['member without name', response('<value><struct><member><value><int>1</int></value></member></struct></value>')],
    ['member without value', response('<value><struct><member><name>a</name></member></struct></value>')],
    ['value directly in struct', response('<value><struct><value><int>1</int></value></struct></value>')],
    ['array without data', response('<value><array><value><int>1</int></value></array></value>')],
    ['data outside array', response('<value><data/></value>')],
    ['two params in a response', `${HEADER}<methodResponse><params><param><value/></param><param><value/></param></params></methodResponse>`],
    ['no params in a response', `${HEADER}<methodResponse><params/></methodResponse>`],
    ['empty response', `${HEADER}<methodResponse/>`],
    ['params and fault', `${HEADER}<methodResponse><params><param><value/></param></params><fault><value/></fault></methodResponse>`],
    ['a call where a response was expected', serializeMethodCall('m', [])],
    ['text between elements', `${HEADER}<methodResponse>oops<params><param><value/></param></params></methodResponse>`],
    ['processing instruction', `${HEADER}<methodResponse><?php echo 1 ?><params><param><value/></param></params></methodResponse>`],
    ['too deep', response(`${'<value><array><data>'.repeat(300)}${'</data></array></value>'.repeat(300)}`)],
  ];
  for (const [what, xml] of bad) t.throws(() => parseMethodResponse(xml), XmlRpcParseError, what);
  t.throws(() => parseMethodCall(response('<value/>')), XmlRpcParseError, 'a response where a call was expected');
  t.throws(() => parseMethodCall(`${HEADER}<methodCall><params/></methodCall>`), XmlRpcParseError, 'call without a method name');
  t.same(parseMethodCall(`${HEADER}<methodCall><methodName>version</methodName></methodCall>`), { method: 'version', params: [] });
});

t.test('a member named __proto__ is data, not a prototype', async (t) => {
  const xml = response(
    '<value><struct>' +
      '<member><name>__proto__</name><value><struct><member><name>polluted</name><value><boolean>1</boolean></value></member></struct></value></member>' +
      '<member><name>constructor</name><value><string>c</string></value></member>' +
      '</struct></value>',
  );
  const value = valueOf(xml) as { [key: string]: XmlRpcValue };
  t.equal(Object.getPrototypeOf(value), Object.prototype, 'still a plain object');
  t.ok(Object.hasOwn(value, '__proto__'), '__proto__ is an own property');
  t.same(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { polluted: true });
  t.equal((value as { polluted?: unknown }).polluted, undefined);
  t.equal(({} as { polluted?: unknown }).polluted, undefined, 'Object.prototype untouched');
  t.same(value, JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}'));
  t.same(Object.keys(value), ['__proto__', 'constructor']);
});

t.test('cross-check against the independent xmlrpc package, both directions', async (t) => {
  const received: unknown[][] = [];
  const server = await new Promise<XmlRpcPackageServer>((resolve) => {
    const s = xmlrpcPackage.createServer({ host: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(resolve);
        server.httpServer.closeAllConnections();
      }),
  );
  server.on('echo', (_error, params, callback) => {
    received.push(params);
    callback(null, params);
  });
  const client = new XmlRpcClient({
    baseUrl: `http://127.0.0.1:${server.httpServer.address().port}`,
    connector: 'xmlrpc',
    timeoutMs: 5000,
  });
  const params: XmlRpcValue[] = [
    'db', 2, 'pw', 'sale.order', 'search_read', [[['state', '=', 'sale']]], { fields: ['name'], limit: 5 },
    'Größe 北京 🙂 <&> "quotes" \'single\'', '  spaced\n\ttext  ', '', -2147483648, 1.25, -1e-7, true, false, null,
    [[], {}, [1, [2, [3]]]], { nested: { list: [1, 'two', false], 'key & <b>': 'v' } },
  ];
  const echoed = await client.call('/RPC2', 'echo', params);
  t.same(received[0], params, 'their parser reads what our serializer wrote');
  t.same(echoed, params, 'our parser reads what their serializer wrote');

  const bytes = Buffer.from('binary \u0000\u00ff payload'.repeat(10), 'latin1');
  const echoedBytes = (await client.call('/RPC2', 'echo', [bytes])) as XmlRpcValue[];
  t.same([...(received[1]?.[0] as Buffer)], [...bytes], 'base64 with line breaks is read by their parser');
  t.same([...(echoedBytes[0] as Buffer)], [...bytes]);
});
