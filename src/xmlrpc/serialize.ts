import type { XmlRpcValue } from './value.js';

/**
 * The layout (header with single quotes, one element per line, a newline after each value) is
 * byte for byte what Python's xmlrpc.client sends, so a captured exchange can be compared with one
 * from an Odoo client written in Python.
 */
const XML_HEADER = "<?xml version='1.0'?>\n";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Characters that need work: the three markup characters, CR (which an XML parser would turn into
 * LF, so it travels as a character reference), and the control characters XML 1.0 forbids, which
 * Odoo strips from its own responses for the same reason.
 */
const NEEDS_ESCAPE = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ESCAPE_ALL = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function escapeChar(ch: string): string {
  switch (ch) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '\r':
      return '&#13;';
    default:
      return '';
  }
}

function escapeText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, escapeChar) : text;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Odoo's datetime format: naive UTC, "YYYY-MM-DD HH:MM:SS". */
function formatOdooDatetime(date: Date): string {
  const year = date.getUTCFullYear();
  const y = year < 1000 ? String(year).padStart(4, '0') : String(year);
  return (
    `${y}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())} ` +
    `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`
  );
}

/** Base64 in 76-character lines, each ending with a newline, as Python's base64.encodebytes writes it. */
function base64Lines(bytes: Uint8Array): string {
  const encoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < encoded.length; i += 76) out += `${encoded.slice(i, i + 76)}\n`;
  return out;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Where a value sits, kept as segments so the readable path is only built when something is wrong. */
class Walk {
  out = '';
  private readonly segments: string[];
  private readonly ancestors: object[] = [];

  constructor(root: string) {
    this.segments = [root];
  }

  path(): string {
    return this.segments.join('');
  }

  value(v: XmlRpcValue): void {
    switch (typeof v) {
      case 'string':
        this.out += `<value><string>${escapeText(v)}</string></value>\n`;
        return;
      case 'number':
        if (Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) {
          this.out += `<value><int>${v}</int></value>\n`;
        } else if (Number.isFinite(v)) {
          this.out += `<value><double>${v}</double></value>\n`;
        } else {
          throw new TypeError(`XML-RPC cannot carry the number ${v} (at ${this.path()})`);
        }
        return;
      case 'boolean':
        this.out += v ? '<value><boolean>1</boolean></value>\n' : '<value><boolean>0</boolean></value>\n';
        return;
      case 'object':
        if (v === null) {
          this.out += '<value><nil/></value>\n';
          return;
        }
        this.composite(v);
        return;
      case 'undefined':
        throw new TypeError(`undefined cannot be sent over XML-RPC (at ${this.path()})`);
      default:
        throw new TypeError(`a ${typeof v} cannot be sent over XML-RPC (at ${this.path()})`);
    }
  }

  private composite(v: Date | Uint8Array | XmlRpcValue[] | { [key: string]: XmlRpcValue }): void {
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new TypeError(`invalid Date cannot be sent over XML-RPC (at ${this.path()})`);
      this.out += `<value><string>${formatOdooDatetime(v)}</string></value>\n`;
      return;
    }
    if (v instanceof Uint8Array) {
      this.out += `<value><base64>\n${base64Lines(v)}</base64></value>\n`;
      return;
    }
    if (this.ancestors.includes(v)) throw new TypeError(`circular reference cannot be sent over XML-RPC (at ${this.path()})`);
    this.ancestors.push(v);
    if (Array.isArray(v)) {
      this.out += '<value><array><data>\n';
      for (let i = 0; i < v.length; i++) {
        this.segments.push(`[${i}]`);
        this.value(v[i] as XmlRpcValue);
        this.segments.pop();
      }
      this.out += '</data></array></value>\n';
    } else {
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as object).constructor?.name ?? 'object';
        throw new TypeError(`a ${name} cannot be sent over XML-RPC, only plain objects (at ${this.path()})`);
      }
      this.out += '<value><struct>\n';
      for (const key of Object.keys(v)) {
        this.segments.push(IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
        this.out += `<member>\n<name>${escapeText(key)}</name>\n`;
        this.value(v[key] as XmlRpcValue);
        this.out += '</member>\n';
        this.segments.pop();
      }
      this.out += '</struct></value>\n';
    }
    this.ancestors.pop();
  }
}

export function serializeMethodCall(method: string, params: readonly XmlRpcValue[]): string {
  let out = `${XML_HEADER}<methodCall>\n<methodName>${escapeText(method)}</methodName>\n<params>\n`;
  for (let i = 0; i < params.length; i++) {
    const walk = new Walk(`params[${i}]`);
    walk.value(params[i] as XmlRpcValue);
    out += `<param>\n${walk.out}</param>\n`;
  }
  return `${out}</params>\n</methodCall>\n`;
}

export function serializeMethodResponse(value: XmlRpcValue): string {
  const walk = new Walk('value');
  walk.value(value);
  return `${XML_HEADER}<methodResponse>\n<params>\n<param>\n${walk.out}</param>\n</params>\n</methodResponse>\n`;
}

export function serializeFault(faultCode: number, faultString: string): string {
  const walk = new Walk('fault');
  walk.value({ faultCode, faultString });
  return `${XML_HEADER}<methodResponse>\n<fault>\n${walk.out}</fault>\n</methodResponse>\n`;
}
