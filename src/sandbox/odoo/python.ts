import type { XmlRpcValue } from '../../xmlrpc/value.js';

/**
 * Odoo's error texts embed Python reprs (`Invalid field 'x' on model 'y'`, leaves as tuples), and
 * clients match on them, so the fake renders values the way CPython does.
 */
export function pyRepr(value: XmlRpcValue | undefined, asTuple = false): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (value instanceof Date) return pyStrRepr(value.toISOString());
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('latin1')}'`;
  if (Array.isArray(value)) {
    const items = value.map((v) => pyRepr(v));
    if (!asTuple) return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  return `{${Object.entries(value)
    .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`)
    .join(', ')}}`;
}

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `str()` of a value, which is what ir.config_parameter stores. */
export function pyStr(value: XmlRpcValue): string {
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

/** Python's `repr()` of a recordset, e.g. `sale.order(1, 2)` or `sale.order(999,)`. */
export function recordsetRepr(model: string, ids: readonly number[]): string {
  return `${model}${pyRepr([...ids], true)}`;
}

/** A float as Python's json module writes it: whole floats keep their `.0`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson = string | number | boolean | null | PyFloat | PyJson[] | { [key: string]: PyJson };

/**
 * `json.dumps(value, sort_keys=True)`: ", " and ": " separators, ASCII-only output with four-hex-digit \\u
 * escapes, keys sorted by code point. The webhook receiver sees exactly these bytes.
 */
export function pyJsonDumps(value: PyJson): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (value instanceof PyFloat) return Number.isInteger(value.value) ? `${value.value}.0` : String(value.value);
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${pyJsonString(k)}: ${pyJsonDumps(value[k] as PyJson)}`).join(', ')}}`;
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const code = s.charCodeAt(i);
    const esc = JSON_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export interface Frame {
  file: string;
  line: number;
  fn: string;
  code: string;
}

const ODOO = '/usr/lib/python3/dist-packages/odoo/';

export function frame(file: string, line: number, fn: string, code: string): Frame {
  return { file: file.startsWith('/') ? file : ODOO + file, line, fn, code };
}

export function formatTraceback(frames: readonly Frame[], exceptionLine: string): string {
  let out = 'Traceback (most recent call last):\n';
  for (const f of frames) out += `  File "${f.file}", line ${f.line}, in ${f.fn}\n    ${f.code}\n`;
  return `${out}${exceptionLine}\n`;
}

/** The frames every /xmlrpc/2 request passes through before the service dispatcher. */
export const RPC_FRAMES: readonly Frame[] = [
  frame('addons/base/controllers/rpc.py', 150, 'xmlrpc_2', 'response = self._xmlrpc(service)'),
  frame('addons/base/controllers/rpc.py', 127, '_xmlrpc', 'result = dispatch_rpc(service, method, params)'),
  frame('http.py', 368, 'dispatch_rpc', 'return dispatch(method, params)'),
];

/** The frames between the object service and the model method, as in a real execute_kw traceback. */
export const EXECUTE_FRAMES: readonly Frame[] = [
  ...RPC_FRAMES,
  frame('service/model.py', 37, 'dispatch', 'res = execute_kw(db, uid, *params[3:])'),
  frame('service/model.py', 59, 'execute_kw', 'return execute(db, uid, obj, method, *args, **kw or {})'),
  frame('service/model.py', 65, 'execute', 'res = execute_cr(cr, uid, obj, method, *args, **kw)'),
  frame('service/model.py', 50, 'execute_cr', 'result = retrying(partial(odoo.api.call_kw, recs, method, args, kw), env)'),
  frame('service/model.py', 134, 'retrying', 'result = func()'),
];

/** A traceback as an injected fault 1 would carry it, ending with the given exception line. */
export function odooTraceback(exceptionLine: string): string {
  return formatTraceback(
    [
      ...EXECUTE_FRAMES,
      frame('api.py', 468, 'call_kw', 'result = _call_kw_multi(method, model, args, kwargs)'),
      frame('sql_db.py', 332, 'execute', 'res = self._obj.execute(query, params)'),
    ],
    exceptionLine,
  );
}

export type FaultCode = 1 | 2 | 3 | 4;

/**
 * A Python exception on its way to the RPC layer. Codes follow rpc.py's
 * `xmlrpc_handle_exception_int`: UserError family 2, AccessDenied 3, AccessError 4, anything else 1
 * with the formatted traceback as the fault string.
 */
export class OdooError extends Error {
  constructor(
    readonly faultCode: FaultCode,
    readonly pythonType: string,
    message: string,
    readonly frames: readonly Frame[] = [],
  ) {
    super(message);
    this.name = 'OdooError';
  }

  faultString(outerFrames: readonly Frame[]): string {
    if (this.faultCode !== 1) return this.message;
    return formatTraceback([...outerFrames, ...this.frames], `${this.pythonType}: ${this.message}`);
  }
}

export const userError = (message: string): OdooError => new OdooError(2, 'odoo.exceptions.UserError', message);
export const missingError = (message: string): OdooError => new OdooError(2, 'odoo.exceptions.MissingError', message);
export const validationError = (message: string): OdooError =>
  new OdooError(2, 'odoo.exceptions.ValidationError', message);
export const accessError = (message: string): OdooError => new OdooError(4, 'odoo.exceptions.AccessError', message);
export const accessDenied = (): OdooError => new OdooError(3, 'odoo.exceptions.AccessDenied', 'Access Denied');
export const pyError = (type: string, message: string, frames: readonly Frame[] = []): OdooError =>
  new OdooError(1, type, message, frames);
