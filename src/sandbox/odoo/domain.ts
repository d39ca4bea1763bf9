import type { XmlRpcValue } from '../../xmlrpc/value.js';
import type { Env, FieldDef, Rec, Stored } from './orm.js';
import { toOdooDatetime } from './orm.js';
import { frame, pyError, pyRepr, userError } from './python.js';

export interface Predicate {
  test(rec: Rec): boolean;
  /** A superset of the matching ids, when an indexed leaf allows skipping the full table scan. */
  candidates?: () => Iterable<number>;
}

const OPERATORS = new Set([
  '=',
  '!=',
  '<=',
  '<',
  '>',
  '>=',
  '=?',
  '=like',
  '=ilike',
  'like',
  'not like',
  'ilike',
  'not ilike',
  'in',
  'not in',
  'child_of',
  'parent_of',
  'any',
  'not any',
]);

/** Operators that Odoo evaluates as "not (positive form)", letting NULL through. */
const NEGATIVE: Record<string, string> = { '!=': '=', 'not like': 'like', 'not ilike': 'ilike', 'not in': 'in' };

const ID_FIELD: FieldDef = { type: 'integer', string: 'ID', readonly: true };

const DOMAIN_FRAMES = [
  frame('models.py', 5120, '_search', 'query = self._where_calc(domain)'),
  frame('models.py', 4840, '_where_calc', 'return expression.expression(domain, self).query'),
  frame('osv/expression.py', 758, '__init__', 'self.parse()'),
  frame('osv/expression.py', 1103, 'parse', 'raise ValueError(f"Invalid field {model._name}.{path[0]} in leaf {leaf}")'),
];

function invalidLeaf(leaf: XmlRpcValue): never {
  throw pyError('ValueError', `Invalid leaf ${pyRepr(leaf, Array.isArray(leaf))}`, DOMAIN_FRAMES);
}

function syntaxError(domain: XmlRpcValue): never {
  throw pyError('ValueError', `Domain ${pyRepr(domain)} is syntactically not correct.`, DOMAIN_FRAMES);
}

const ALWAYS: Predicate = { test: () => true };
const NEVER: Predicate = { test: () => false };

/**
 * Compiles an Odoo domain (prefix `&`/`|`/`!`, implicit AND) into a predicate, validating every
 * field path up front so that an invalid field faults even on an empty table, as Odoo's does.
 */
export function compileDomain(env: Env, model: string, domain: XmlRpcValue, activeTest: boolean): Predicate {
  const items = domain === null || domain === false ? [] : domain;
  if (!Array.isArray(items)) syntaxError(domain);
  const stack: Predicate[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item === '&' || item === '|') {
      const a = stack.pop();
      const b = stack.pop();
      if (!a || !b) syntaxError(domain);
      stack.push(item === '&' ? and([a, b]) : or([a, b]));
    } else if (item === '!') {
      const a = stack.pop();
      if (!a) syntaxError(domain);
      stack.push({ test: (r) => !a.test(r) });
    } else {
      stack.push(compileLeaf(env, model, item));
    }
  }
  const parts = stack.reverse();
  const fields = env.def(model).fields;
  if (activeTest && fields.active && !items.some((it) => Array.isArray(it) && it[0] === 'active')) {
    parts.push({ test: (r) => r.active !== false });
  }
  return parts.length === 0 ? ALWAYS : parts.length === 1 ? parts[0]! : and(parts);
}

function and(parts: Predicate[]): Predicate {
  const narrowing = parts.find((p) => p.candidates);
  return { test: (r) => parts.every((p) => p.test(r)), candidates: narrowing?.candidates };
}

function or(parts: Predicate[]): Predicate {
  return { test: (r) => parts.some((p) => p.test(r)) };
}

function compileLeaf(env: Env, model: string, leaf: XmlRpcValue): Predicate {
  if (!Array.isArray(leaf) || leaf.length !== 3) invalidLeaf(leaf);
  const [left, rawOp, right] = leaf as [XmlRpcValue, XmlRpcValue, XmlRpcValue];
  if ((left === 1 || left === 0) && rawOp === '=' && right === 1) return left === 1 ? ALWAYS : NEVER;
  if (typeof left !== 'string' || typeof rawOp !== 'string') invalidLeaf(leaf);
  let op = rawOp.toLowerCase();
  if (op === '<>') op = '!=';
  if (!OPERATORS.has(op)) invalidLeaf(leaf);
  const [head, ...rest] = left.split('.');
  const fields = env.def(model).fields;
  const f = head === 'id' ? ID_FIELD : fields[head!];
  const invalid = (): never => {
    throw pyError('ValueError', `Invalid field ${model}.${head} in leaf ${pyRepr([left, rawOp, right], true)}`, DOMAIN_FRAMES);
  };
  if (!f) invalid();
  const field = f as FieldDef;
  const fname = head!;
  const relational = field.type === 'many2one' || field.type === 'one2many' || field.type === 'many2many';

  if (rest.length || op === 'any' || op === 'not any') {
    if (!relational) invalid();
    const sub = rest.length
      ? compileLeaf(env, field.comodel!, [rest.join('.'), rawOp, right])
      : compileDomain(env, field.comodel!, right, false);
    const comodel = field.comodel!;
    const anyMatch = (rec: Rec): boolean => {
      for (const id of relatedIds(env.value(model, rec, fname))) {
        const target = env.get(comodel, id);
        if (target && sub.test(target)) return true;
      }
      return false;
    };
    return op === 'not any' ? { test: (r) => !anyMatch(r) } : { test: anyMatch };
  }

  if (op === '=?') {
    if (right === false || right === null) return ALWAYS;
    op = '=';
  }
  const value = normalizeRight(field, op, right);
  const get = fname === 'id' ? (r: Rec): Stored => r.id : (r: Rec): Stored => env.value(model, r, fname);

  if (op === 'child_of' || op === 'parent_of') {
    const treeModel = fname === 'id' ? model : field.comodel;
    if (!treeModel) invalid();
    const ids = hierarchy(env, treeModel!, toList(value).filter((v): v is number => typeof v === 'number'), op);
    return { test: (r) => relatedIds(get(r)).some((id) => ids.has(id)) };
  }

  if (relational && isNameMatch(value)) {
    const comodel = field.comodel!;
    const positive = NEGATIVE[op] ?? op;
    const names = toList(value);
    const nameTest = scalarTest(positive, names.length === 1 && positive !== 'in' ? names[0]! : names, 'char');
    const matches = (v: Stored): boolean => relatedIds(v).some((id) => nameTest(env.displayName(comodel, id)));
    return NEGATIVE[op] ? { test: (r) => !matches(get(r)) } : { test: (r) => matches(get(r)) };
  }

  if (field.type === 'one2many' || field.type === 'many2many') {
    const positive = NEGATIVE[op] ?? op;
    let matches: (ids: number[]) => boolean;
    if (value === false) matches = (ids) => ids.length === 0;
    else {
      const wanted = new Set(toList(value));
      matches = (ids) => ids.some((id) => wanted.has(id));
    }
    if (positive !== '=' && positive !== 'in') invalidLeaf(leaf);
    return NEGATIVE[op] ? { test: (r) => !matches(relatedIds(get(r))) } : { test: (r) => matches(relatedIds(get(r))) };
  }

  const test = scalarTest(op, value, field.type);
  const predicate: Predicate = { test: (r) => test(get(r)) };
  if ((op === '=' || op === 'in') && (fname === 'id' || field.type === 'many2one')) {
    const ids = toList(value).filter((v): v is number => typeof v === 'number');
    if (ids.length === toList(value).length) {
      predicate.candidates =
        fname === 'id'
          ? () => ids
          : () => ids.flatMap((target) => [...env.orm.referencing(model, fname, target)]);
    }
  }
  return predicate;
}

function relatedIds(v: Stored): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v as number[];
  return [];
}

function toList(v: XmlRpcValue): XmlRpcValue[] {
  return Array.isArray(v) ? v : [v];
}

function isNameMatch(v: XmlRpcValue): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

/**
 * A date-only bound on a datetime field covers the whole day, as in Odoo's expression.py
 * (`> '2024-05-01'` means after 23:59:59 that day).
 */
function normalizeRight(field: FieldDef, op: string, right: XmlRpcValue): XmlRpcValue {
  if (right instanceof Date) return toOdooDatetime(right);
  if (field.type === 'datetime' && typeof right === 'string' && right.length === 10) {
    return `${right} ${op === '>' || op === '<=' ? '23:59:59' : '00:00:00'}`;
  }
  if (Array.isArray(right)) return right.map((v) => (v instanceof Date ? toOdooDatetime(v) : v));
  return right;
}

function hierarchy(env: Env, model: string, roots: number[], op: string): Set<number> {
  const parentField = env.def(model).parentField;
  const out = new Set<number>();
  const queue = roots.filter((id) => env.get(model, id));
  while (queue.length) {
    const id = queue.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    if (!parentField) continue;
    if (op === 'child_of') queue.push(...env.orm.referencing(model, parentField, id));
    else {
      const parent = env.get(model, id)?.[parentField];
      if (typeof parent === 'number') queue.push(parent);
    }
  }
  return out;
}

const collator = new Intl.Collator('en');

function isNull(v: Stored | XmlRpcValue): boolean {
  return v === false || v === undefined || v === null;
}

function loose(a: Stored, b: XmlRpcValue): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'number') return a === String(b);
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  return false;
}

function compareScalar(a: Stored, b: XmlRpcValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeRegex(pattern: string, wrap: boolean, insensitive: boolean): RegExp {
  let body = '';
  for (const ch of pattern) {
    if (ch === '%') body += '.*';
    else if (ch === '_') body += '.';
    else body += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(wrap ? `^.*${body}.*$` : `^${body}$`, insensitive ? 'is' : 's');
}

/**
 * One comparison with SQL's NULL rules as Odoo writes them: `= False` means IS NULL, and the
 * negative operators (`!=`, `not in`, `not like`) also let NULL through.
 */
function scalarTest(op: string, right: XmlRpcValue, type: FieldDef['type']): (v: Stored) => boolean {
  const boolean = type === 'boolean';
  const empty = boolean ? (v: Stored) => v !== true : isNull;
  const r = boolean && typeof right === 'number' ? right !== 0 : right;
  switch (op) {
    case '=':
      return isNull(r) || (boolean && r === false) ? empty : (v) => !empty(v) && loose(v, r);
    case '!=':
      return isNull(r) || (boolean && r === false) ? (v) => !empty(v) : (v) => empty(v) || !loose(v, r);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (isNull(r)) return () => false;
      const ok = { '<': (c: number) => c < 0, '<=': (c: number) => c <= 0, '>': (c: number) => c > 0, '>=': (c: number) => c >= 0 }[op];
      return (v) => !isNull(v) && ok(compareScalar(v, r));
    }
    case 'in':
    case 'not in': {
      const list = toList(r);
      const withNull = list.some((x) => isNull(x));
      const values = list.filter((x) => !isNull(x));
      const hit = (v: Stored): boolean => (empty(v) ? withNull : values.some((x) => loose(v, x)));
      return op === 'in' ? hit : (v) => !hit(v);
    }
    default: {
      const positive = NEGATIVE[op] ?? op;
      const re = likeRegex(typeof r === 'string' ? r : '', positive === 'like' || positive === 'ilike', positive.endsWith('ilike'));
      const hit = (v: Stored): boolean => !isNull(v) && re.test(String(v));
      return NEGATIVE[op] ? (v) => !hit(v) : hit;
    }
  }
}

const ORDER_TERM = /^"?([a-z0-9_]+)"?(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?$/i;

/**
 * Odoo's `order` argument: comma-separated fields with asc/desc. many2one sorts by the target's
 * name; NULLs sort as PostgreSQL does (last ascending, first descending).
 */
export function compileOrder(env: Env, model: string, order: string): (recs: Rec[]) => Rec[] {
  const fields = env.def(model).fields;
  const keys = order.split(',').map((term) => {
    const m = ORDER_TERM.exec(term.trim());
    if (!m) {
      throw userError(
        `Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list of valid ` +
          'field names (optionally followed by asc/desc for the direction)',
      );
    }
    const fname = m[1]!;
    const f = fname === 'id' ? ID_FIELD : fields[fname];
    if (!f) {
      throw pyError('ValueError', `Invalid field ${pyRepr(fname)} on model ${pyRepr(model)}`, [
        frame('models.py', 4985, '_order_field_to_sql', 'raise ValueError(f"Invalid field {field_name!r} on model {self._name!r}")'),
      ]);
    }
    const desc = m[2]?.toLowerCase() === 'desc';
    const nullsFirst = m[3] ? m[3].toLowerCase() === 'first' : desc;
    const textual = f.type === 'char' || f.type === 'text' || f.type === 'html' || f.type === 'many2one';
    const key = (r: Rec): string | number | null => {
      if (fname === 'id') return r.id;
      const v = env.value(model, r, fname);
      if (f.type === 'many2one') return typeof v === 'number' ? env.displayName(f.comodel!, v) : null;
      if (f.type === 'boolean') return v === true ? 1 : 0;
      if (Array.isArray(v)) return null;
      return v === false ? null : (v as string | number);
    };
    return { key, desc, nullsFirst, textual };
  });
  return (recs) => {
    const keyed = recs.map((r) => ({ r, k: keys.map((s) => s.key(r)) }));
    keyed.sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const spec = keys[i]!;
        const x = a.k[i]!;
        const y = b.k[i]!;
        if (x === y) continue;
        if (x === null) return spec.nullsFirst ? -1 : 1;
        if (y === null) return spec.nullsFirst ? 1 : -1;
        let c: number;
        if (typeof x === 'number' && typeof y === 'number') c = x - y;
        else if (spec.textual) c = collator.compare(String(x), String(y));
        else c = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
        if (c !== 0) return spec.desc ? -c : c;
      }
      return 0;
    });
    return keyed.map((e) => e.r);
  };
}
