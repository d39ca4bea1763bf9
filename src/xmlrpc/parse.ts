import { SaxesParser } from 'saxes';
import type { XmlRpcValue } from './value.js';

export type XmlRpcResponse =
  | { kind: 'value'; value: XmlRpcValue }
  | { kind: 'fault'; faultCode: number | string; faultString: string };

export class XmlRpcParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlRpcParseError';
  }
}

// Element kinds. Every kind from K_INT on is a scalar whose text is collected.
const K_METHOD_RESPONSE = 1;
const K_METHOD_CALL = 2;
const K_METHOD_NAME = 3;
const K_PARAMS = 4;
const K_PARAM = 5;
const K_FAULT = 6;
const K_VALUE = 7;
const K_STRUCT = 8;
const K_MEMBER = 9;
const K_NAME = 10;
const K_ARRAY = 11;
const K_DATA = 12;
const K_INT = 13;
const K_I8 = 14;
const K_DOUBLE = 15;
const K_BOOLEAN = 16;
const K_STRING = 17;
const K_NIL = 18;
const K_DATETIME = 19;
const K_BASE64 = 20;

/** Element names by kind, for error messages. */
const KIND_NAMES = [
  '', 'methodResponse', 'methodCall', 'methodName', 'params', 'param', 'fault', 'value', 'struct', 'member', 'name',
  'array', 'data', 'int', 'i8', 'double', 'boolean', 'string', 'nil', 'dateTime.iso8601', 'base64',
];

/** Deeper than any real Odoo answer; a bound keeps a hostile document from growing the stacks without end. */
const MAX_DEPTH = 512;

function kindOf(name: string): number {
  switch (name) {
    case 'value':
      return K_VALUE;
    case 'member':
      return K_MEMBER;
    case 'name':
      return K_NAME;
    case 'string':
      return K_STRING;
    case 'int':
    case 'i4':
      return K_INT;
    case 'boolean':
      return K_BOOLEAN;
    case 'struct':
      return K_STRUCT;
    case 'array':
      return K_ARRAY;
    case 'data':
      return K_DATA;
    case 'double':
      return K_DOUBLE;
    case 'nil':
      return K_NIL;
    case 'i8':
      return K_I8;
    case 'dateTime.iso8601':
      return K_DATETIME;
    case 'base64':
      return K_BASE64;
    case 'param':
      return K_PARAM;
    case 'params':
      return K_PARAMS;
    case 'fault':
      return K_FAULT;
    case 'methodResponse':
      return K_METHOD_RESPONSE;
    case 'methodCall':
      return K_METHOD_CALL;
    case 'methodName':
      return K_METHOD_NAME;
    default:
      throw new XmlRpcParseError(`unknown element <${name.slice(0, 40)}>`);
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function trimmedBounds(text: string): [number, number] {
  let start = 0;
  let end = text.length;
  while (start < end && isBlankCode(text.charCodeAt(start))) start++;
  while (end > start && isBlankCode(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

function isBlankCode(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function parseInteger(text: string, tag: string): number {
  let [i, end] = trimmedBounds(text);
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 45) {
    negative = true;
    i++;
  } else if (first === 43) {
    i++;
  }
  if (i >= end) throw new XmlRpcParseError(`<${tag}> holds ${quote(text)}, not an integer`);
  let value = 0;
  for (; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) throw new XmlRpcParseError(`<${tag}> holds ${quote(text)}, not an integer`);
    value = value * 10 + digit;
  }
  if (!Number.isSafeInteger(value)) {
    throw new XmlRpcParseError(`<${tag}> holds ${quote(text)}, beyond what a JavaScript number holds exactly`);
  }
  return negative ? 0 - value : value;
}

/** Decimal notation as Python's repr(float) writes it, plus its spellings of infinity and NaN. */
function parseDouble(text: string): number {
  const [start, end] = trimmedBounds(text);
  const s = start === 0 && end === text.length ? text : text.slice(start, end);
  switch (s) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
      return NaN;
  }
  let i = 0;
  const c0 = s.charCodeAt(0);
  if (c0 === 45 || c0 === 43) i++;
  let digits = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    i++;
    digits++;
  }
  if (s.charCodeAt(i) === 46) {
    i++;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      i++;
      digits++;
    }
  }
  let ok = digits > 0;
  if (ok && (s.charCodeAt(i) === 101 || s.charCodeAt(i) === 69)) {
    i++;
    if (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43) i++;
    const expStart = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    ok = i > expStart;
  }
  if (!ok || i !== s.length) throw new XmlRpcParseError(`<double> holds ${quote(text)}, not a number`);
  return Number(s);
}

function digitsAt(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `20260124T10:20:30` (what Python sends) or `2026-01-24T10:20:30`, optionally with `Z`; always UTC. */
function parseDateTime(text: string): Date {
  const [start, end] = trimmedBounds(text);
  let s = text.slice(start, end);
  if (s.endsWith('Z')) s = s.slice(0, -1);
  let year: number;
  let month: number;
  let day: number;
  let t: number;
  if (s.length === 17) {
    year = digitsAt(s, 0, 4);
    month = digitsAt(s, 4, 2);
    day = digitsAt(s, 6, 2);
    t = 8;
  } else if (s.length === 19 && s[4] === '-' && s[7] === '-') {
    year = digitsAt(s, 0, 4);
    month = digitsAt(s, 5, 2);
    day = digitsAt(s, 8, 2);
    t = 10;
  } else {
    throw new XmlRpcParseError(`<dateTime.iso8601> holds ${quote(text)}, not a date and time`);
  }
  const hour = digitsAt(s, t + 1, 2);
  const minute = digitsAt(s, t + 4, 2);
  const second = digitsAt(s, t + 7, 2);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (
    s[t] !== 'T' ||
    s[t + 3] !== ':' ||
    s[t + 6] !== ':' ||
    year < 0 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    throw new XmlRpcParseError(`<dateTime.iso8601> holds ${quote(text)}, not a date and time`);
  }
  if (year < 100) date.setUTCFullYear(year);
  return date;
}

const BASE64_WHITESPACE = /[ \t\r\n]+/g;
const BASE64_STRICT = /^[A-Za-z0-9+/]*={0,2}$/;

function parseBase64(text: string): Buffer {
  const clean = text.replace(BASE64_WHITESPACE, '');
  if (clean.length % 4 !== 0 || !BASE64_STRICT.test(clean)) {
    throw new XmlRpcParseError(`<base64> holds ${quote(text)}, not base64`);
  }
  return Buffer.from(clean, 'base64');
}

/**
 * Skips what may precede the root element (byte order mark, XML declaration, comments, whitespace)
 * and refuses a DOCTYPE before saxes reads any of it: XML-RPC has no use for a DTD, and refusing it
 * up front means an entity-expansion document costs nothing however large its internal subset.
 */
function rejectDoctype(xml: string): void {
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < xml.length && isBlankCode(xml.charCodeAt(i))) i++;
    if (xml.startsWith('<?', i)) {
      const close = xml.indexOf('?>', i + 2);
      if (close < 0) return;
      i = close + 2;
    } else if (xml.startsWith('<!--', i)) {
      const close = xml.indexOf('-->', i + 4);
      if (close < 0) return;
      i = close + 3;
    } else if (xml.startsWith('<!', i)) {
      throw new XmlRpcParseError('a DOCTYPE is not allowed in XML-RPC (HTML page or entity expansion attempt)');
    } else {
      return;
    }
  }
}

function setMember(struct: { [key: string]: XmlRpcValue }, key: string, value: XmlRpcValue): void {
  if (key === '__proto__') {
    Object.defineProperty(struct, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    struct[key] = value;
  }
}

/**
 * One document's decoding state. The element stack is two typed arrays (kind, and how many children
 * of the expected sequence were seen), so checking the nesting costs an array read per tag.
 */
class Decoder {
  private readonly kinds = new Int32Array(MAX_DEPTH);
  private readonly counts = new Int32Array(MAX_DEPTH);
  private top = -1;
  private text = '';
  private scalar: XmlRpcValue = null;
  private readonly containers: (XmlRpcValue[] | { [key: string]: XmlRpcValue })[] = [];
  private readonly names: string[] = [];

  readonly params: XmlRpcValue[] = [];
  methodName: string | undefined;
  fault: XmlRpcValue | undefined;
  isFault = false;
  finished = false;

  constructor(private readonly rootKind: number) {}

  run(xml: string): void {
    rejectDoctype(xml);
    const parser = new SaxesParser({ position: false });
    parser.on('opentag', (tag) => this.open(tag.name));
    parser.on('closetag', () => this.close());
    parser.on('text', (text: string) => this.onText(text));
    parser.on('cdata', (text: string) => this.onText(text));
    parser.on('doctype', () => {
      throw new XmlRpcParseError('a DOCTYPE is not allowed in XML-RPC');
    });
    parser.on('processinginstruction', () => {
      throw new XmlRpcParseError('processing instructions are not allowed in XML-RPC');
    });
    parser.on('error', (err: Error) => {
      throw new XmlRpcParseError(`not well-formed XML: ${err.message}`);
    });
    parser.write(xml);
    parser.close();
    if (!this.finished) throw new XmlRpcParseError('the document ended before the XML-RPC message did');
  }

  private misplaced(name: string): never {
    const parent = this.top >= 0 ? (this.kinds[this.top] as number) : 0;
    throw new XmlRpcParseError(
      parent === 0
        ? `<${name}> cannot be the root of this XML-RPC message`
        : `<${name}> is not allowed at this place in <${KIND_NAMES[parent] ?? ''}>`,
    );
  }

  private open(name: string): void {
    const kind = kindOf(name);
    const top = this.top;
    const kinds = this.kinds;
    const counts = this.counts;
    const parent = top >= 0 ? (kinds[top] as number) : 0;
    if (kind === K_VALUE) {
      if (parent === K_MEMBER) {
        if (counts[top] !== 1) this.misplaced(name);
        counts[top] = 2;
      } else if (parent === K_PARAM || parent === K_FAULT) {
        if (counts[top] !== 0) this.misplaced(name);
        counts[top] = 1;
      } else if (parent !== K_DATA) {
        this.misplaced(name);
      }
      this.text = '';
    } else if (kind >= K_INT || kind === K_STRUCT || kind === K_ARRAY) {
      if (parent !== K_VALUE || counts[top] !== 0) this.misplaced(name);
      if (this.text.length !== 0 && !isBlank(this.text)) {
        throw new XmlRpcParseError(`<value> mixes text with <${name}>`);
      }
      counts[top] = 1;
      this.text = '';
      if (kind === K_STRUCT) this.containers.push({});
      else if (kind === K_ARRAY) this.containers.push([]);
    } else {
      switch (kind) {
        case K_MEMBER:
          if (parent !== K_STRUCT) this.misplaced(name);
          break;
        case K_NAME:
          if (parent !== K_MEMBER || counts[top] !== 0) this.misplaced(name);
          counts[top] = 1;
          this.text = '';
          break;
        case K_DATA:
          if (parent !== K_ARRAY || counts[top] !== 0) this.misplaced(name);
          counts[top] = 1;
          break;
        case K_PARAM:
          if (parent !== K_PARAMS) this.misplaced(name);
          break;
        case K_PARAMS:
          if (parent === K_METHOD_RESPONSE ? counts[top] !== 0 : parent !== K_METHOD_CALL || counts[top] !== 1) {
            this.misplaced(name);
          }
          counts[top] = (counts[top] as number) + 1;
          break;
        case K_FAULT:
          if (parent !== K_METHOD_RESPONSE || counts[top] !== 0) this.misplaced(name);
          counts[top] = 1;
          this.isFault = true;
          break;
        case K_METHOD_NAME:
          if (parent !== K_METHOD_CALL || counts[top] !== 0) this.misplaced(name);
          counts[top] = 1;
          this.text = '';
          break;
        default:
          if (top !== -1 || kind !== this.rootKind) this.misplaced(name);
      }
    }
    if (top + 1 >= MAX_DEPTH) throw new XmlRpcParseError(`XML-RPC nesting deeper than ${MAX_DEPTH} elements`);
    this.top = top + 1;
    kinds[top + 1] = kind;
    counts[top + 1] = 0;
  }

  private onText(text: string): void {
    const top = this.top;
    if (top >= 0) {
      const kind = this.kinds[top] as number;
      if (kind >= K_INT || kind === K_NAME || kind === K_METHOD_NAME || (kind === K_VALUE && this.counts[top] === 0)) {
        this.text += text;
        return;
      }
    }
    if (!isBlank(text)) throw new XmlRpcParseError(`unexpected text ${quote(text)} in an XML-RPC message`);
  }

  private close(): void {
    const top = this.top;
    const kind = this.kinds[top] as number;
    const count = this.counts[top] as number;
    this.top = top - 1;
    switch (kind) {
      case K_VALUE:
        this.deliver(count === 0 ? this.text : this.scalar);
        return;
      case K_STRING:
        this.scalar = this.text;
        return;
      case K_INT:
        this.scalar = parseInteger(this.text, 'int');
        return;
      case K_I8:
        this.scalar = parseInteger(this.text, 'i8');
        return;
      case K_DOUBLE:
        this.scalar = parseDouble(this.text);
        return;
      case K_BOOLEAN:
        if (this.text === '1') this.scalar = true;
        else if (this.text === '0') this.scalar = false;
        else throw new XmlRpcParseError(`<boolean> holds ${quote(this.text)}, not 0 or 1`);
        return;
      case K_STRUCT:
        this.scalar = this.containers.pop() as XmlRpcValue;
        return;
      case K_ARRAY:
        if (count !== 1) throw new XmlRpcParseError('<array> without <data>');
        this.scalar = this.containers.pop() as XmlRpcValue;
        return;
      case K_NAME:
        this.names.push(this.text);
        return;
      case K_MEMBER:
        if (count !== 2) throw new XmlRpcParseError('<member> needs a <name> and a <value>');
        return;
      case K_NIL:
        if (!isBlank(this.text)) throw new XmlRpcParseError('<nil/> must be empty');
        this.scalar = null;
        return;
      case K_DATETIME:
        this.scalar = parseDateTime(this.text);
        return;
      case K_BASE64:
        this.scalar = parseBase64(this.text);
        return;
      case K_PARAM:
        if (count !== 1) throw new XmlRpcParseError('<param> without a <value>');
        return;
      case K_FAULT:
        if (count !== 1) throw new XmlRpcParseError('<fault> without a <value>');
        return;
      case K_METHOD_NAME:
        this.methodName = this.text;
        return;
      case K_METHOD_RESPONSE:
        if (count !== 1) throw new XmlRpcParseError('<methodResponse> holds neither <params> nor <fault>');
        this.finished = true;
        return;
      case K_METHOD_CALL:
        if (count === 0) throw new XmlRpcParseError('<methodCall> without <methodName>');
        this.finished = true;
        return;
      default:
        return;
    }
  }

  private deliver(value: XmlRpcValue): void {
    const parent = this.kinds[this.top];
    if (parent === K_DATA) {
      (this.containers[this.containers.length - 1] as XmlRpcValue[]).push(value);
    } else if (parent === K_MEMBER) {
      setMember(
        this.containers[this.containers.length - 1] as { [key: string]: XmlRpcValue },
        this.names.pop() as string,
        value,
      );
    } else if (parent === K_PARAM) {
      this.params.push(value);
    } else {
      this.fault = value;
    }
  }
}

export function parseMethodResponse(xml: string): XmlRpcResponse {
  const decoder = new Decoder(K_METHOD_RESPONSE);
  decoder.run(xml);
  if (decoder.isFault) {
    const fault = decoder.fault;
    if (typeof fault !== 'object' || fault === null || Array.isArray(fault) || fault instanceof Date || fault instanceof Uint8Array) {
      throw new XmlRpcParseError('<fault> does not hold a struct');
    }
    const faultCode = fault['faultCode'];
    const faultString = fault['faultString'];
    if ((typeof faultCode !== 'number' && typeof faultCode !== 'string') || typeof faultString !== 'string') {
      throw new XmlRpcParseError('<fault> struct lacks faultCode or faultString');
    }
    return { kind: 'fault', faultCode, faultString };
  }
  if (decoder.params.length !== 1) {
    throw new XmlRpcParseError(`a response must hold exactly one value, this one holds ${decoder.params.length}`);
  }
  return { kind: 'value', value: decoder.params[0] as XmlRpcValue };
}

export function parseMethodCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const decoder = new Decoder(K_METHOD_CALL);
  decoder.run(xml);
  return { method: decoder.methodName as string, params: decoder.params };
}
