import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { compileDomain, compileOrder } from './domain.js';
import {
  type Frame,
  frame,
  missingError,
  pyError,
  pyRepr,
  recordsetRepr,
  userError,
  validationError,
} from './python.js';

export type FieldType =
  | 'char'
  | 'text'
  | 'html'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'many2one_reference'
  | 'one2many'
  | 'many2many';

/** How a value sits in the store: `false` for empty, many2one as a bare id, many2many as ids. */
export type Stored = string | number | boolean | readonly number[];

export interface Rec {
  readonly id: number;
  readonly [field: string]: Stored;
}

export type Vals = Record<string, XmlRpcValue>;
export type Args = Record<string, XmlRpcValue>;

export interface FieldDef {
  readonly type: FieldType;
  readonly string: string;
  readonly required?: boolean;
  readonly readonly?: boolean;
  readonly comodel?: string;
  /** For one2many: the many2one on the comodel that points back. */
  readonly inverse?: string;
  readonly selection?: ReadonlyArray<readonly [string, string]>;
  readonly default?: Stored | ((env: Env, vals: Vals) => XmlRpcValue);
  /** Non-stored computed value, recomputed on every access like a field without `store=True`. */
  readonly compute?: (env: Env, rec: Rec) => Stored;
  /** Dotted path through many2one fields, e.g. `picking_id.picking_type_id.code`. */
  readonly related?: string;
  readonly ondelete?: 'cascade' | 'restrict' | 'set null';
  readonly help?: string;
}

export type AccessOp = 'read' | 'write' | 'create' | 'unlink';

export interface Param {
  readonly name: string;
  /** Absent means the argument is required. */
  readonly default?: XmlRpcValue;
  readonly kwOnly?: boolean;
}

/** Python `None`: a method result that Odoo's marshaller refuses to send. */
export const NONE = Symbol('None');
export type MethodResult = XmlRpcValue | typeof NONE;

export interface MethodDef {
  /** `model` methods (`@api.model`) take no ids; `multi` methods take ids as their first argument. */
  readonly kind: 'model' | 'multi';
  /** Python qualified name, used in TypeErrors, e.g. `BaseModel.search_read`. */
  readonly qualname: string;
  readonly params: readonly Param[];
  readonly varKw?: boolean;
  readonly access: AccessOp;
  /**
   * The Python method returns records (create, message_post): call_kw hands XML-RPC their id(s), the
   * JSON-2 controller `result.ids`, always a list.
   */
  readonly returnsRecords?: boolean;
  /** The frame of the method itself in a traceback. */
  readonly frame: Frame;
  run(env: Env, model: string, ids: readonly number[], args: Args): MethodResult;
}

export interface ModelDef {
  readonly name: string;
  readonly description: string;
  readonly order: string;
  readonly fields: Readonly<Record<string, FieldDef>>;
  readonly methods: Readonly<Record<string, MethodDef>>;
  readonly parentField?: string;
  /** Only base.group_system may touch it (ir.config_parameter's single ACL). */
  readonly systemOnly?: boolean;
  readonly displayName: (env: Env, rec: Rec) => string;
  /** Fills values that depend on other values, after defaults and before conversion. */
  readonly beforeCreate?: (env: Env, vals: Vals) => void;
  readonly beforeUnlink?: (env: Env, ids: readonly number[]) => void;
}

export type ChangeListener = (env: Env, model: string, before: Rec | undefined, after: Rec) => void;

interface JournalEntry {
  model: string;
  id: number;
  before: Rec | undefined;
  after: Rec | undefined;
}

/**
 * One call's changes. Kept as before/after images so the call can be rolled back on an error, and
 * hidden from other calls while it waits on a webhook (Odoo 17 posts webhooks inside the still
 * open transaction, so a reader at that moment sees the old state).
 */
export class Txn {
  readonly journal: JournalEntry[] = [];
  /** Side effects Odoo performs inside the transaction (webhook posts), run just before it commits. */
  readonly effects: (() => Promise<void>)[] = [];
}

export const emptyValue = (type: FieldType): Stored => {
  switch (type) {
    case 'integer':
    case 'float':
    case 'monetary':
    case 'many2one_reference':
      return 0;
    case 'one2many':
    case 'many2many':
      return [];
    default:
      return false;
  }
};

export const isStored = (f: FieldDef): boolean => !f.compute && !f.related && f.type !== 'one2many';

/** Odoo drops these from create/write values: only the ORM sets them. */
const LOG_ACCESS = new Set(['id', 'create_uid', 'create_date', 'write_uid', 'write_date']);

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function validCalendar(y: string, mo: string, d: string, h = '0', mi = '0', s = '0'): boolean {
  const t = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  return (
    t.getUTCFullYear() === +y &&
    t.getUTCMonth() === +mo - 1 &&
    t.getUTCDate() === +d &&
    t.getUTCHours() === +h &&
    t.getUTCMinutes() === +mi &&
    t.getUTCSeconds() === +s
  );
}

export function formatDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Odoo's `Datetime.to_datetime` on a string: first 19 characters, date-only means midnight. */
export function toOdooDatetime(value: string | Date): string {
  if (value instanceof Date) return formatDatetime(value);
  let s = value.slice(0, 19);
  if (s.length === 10) s += ' 00:00:00';
  const m = DATETIME_RE.exec(s);
  if (!m || !validCalendar(m[1]!, m[2]!, m[3]!, m[4], m[5], m[6])) {
    throw pyError('ValueError', `time data ${pyRepr(s)} does not match format '%Y-%m-%d %H:%M:%S'`, [
      frame('fields.py', 2283, 'to_datetime', 'return datetime.strptime(value, DATETIME_FORMAT)'),
      frame('/usr/lib/python3.10/_strptime.py', 349, '_strptime', 'raise ValueError("time data %r does not match format %r" %'),
    ]);
  }
  return s;
}

export function toOdooDate(value: string | Date): string {
  if (value instanceof Date) return formatDatetime(value).slice(0, 10);
  const s = value.slice(0, 10);
  const m = DATE_RE.exec(s);
  if (!m || !validCalendar(m[1]!, m[2]!, m[3]!)) {
    throw pyError('ValueError', `time data ${pyRepr(s)} does not match format '%Y-%m-%d'`, [
      frame('fields.py', 2166, 'to_date', 'return datetime.strptime(value[:DATE_LENGTH], DATE_FORMAT).date()'),
    ]);
  }
  return s;
}

const INVALID_FIELD_FRAMES: Record<'read' | 'write' | 'create', readonly Frame[]> = {
  read: [
    frame('models.py', 2812, 'check_field_access_rights', 'raise ValueError(_("Invalid field %r on model %r", field, self._name))'),
  ],
  write: [frame('models.py', 4290, 'write', 'raise ValueError("Invalid field %r on model %r" % (fname, self._name))')],
  create: [frame('models.py', 4600, 'create', 'raise ValueError("Invalid field %r on model %r" % (key, self._name))')],
};

function invalidField(model: string, fname: string, where: 'read' | 'write' | 'create' = 'read'): never {
  throw pyError('ValueError', `Invalid field ${pyRepr(fname)} on model ${pyRepr(model)}`, INVALID_FIELD_FRAMES[where]);
}

function wrongValue(model: string, fname: string, value: XmlRpcValue): never {
  throw pyError('ValueError', `Wrong value for ${model}.${fname}: ${pyRepr(value)}`, [
    frame('fields.py', 1287, 'convert_to_cache', 'raise ValueError("Wrong value for %s: %r" % (self, value))'),
  ]);
}

function normalizeIds(value: XmlRpcValue): number[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw pyError('TypeError', `'${pyTypeName(v)}' object cannot be interpreted as an integer`, [
        frame('models.py', 5801, 'browse', 'ids = tuple(ids)'),
      ]);
    }
    return v;
  });
}

function pyTypeName(v: XmlRpcValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Date) return 'datetime';
  if (v instanceof Uint8Array) return 'bytes';
  return 'dict';
}

export { normalizeIds };

/** The record store: tables by model, ids in Maps, and an index from every stored many2one back to its records. */
export class Orm {
  readonly models: ReadonlyMap<string, ModelDef>;
  readonly listeners: ChangeListener[] = [];
  readonly sequences = new Map<string, number>();
  /** Members of base.group_system. */
  readonly systemUsers = new Set<number>();
  /** BaseModel methods this Odoo series no longer has (name_get from 18.0 on). */
  readonly removedBaseMethods = new Set<string>();
  /**
   * 19.0's call_kw (odoo/service/model.py): methods are looked up with `get_public_method` (its texts for
   * private and unknown methods) and any recordset result becomes its ids, where 17.0's `@api.returns`
   * gave message_post's single id.
   */
  publicMethodLookup = false;
  private readonly tables = new Map<string, Map<number, Rec>>();
  private readonly nextIds = new Map<string, number>();
  private readonly index = new Map<string, Map<number, Set<number>>>();
  private readonly m2oFields = new Map<string, string[]>();
  private readonly referrers = new Map<string, [string, string, FieldDef][]>();
  private current: Txn | null = null;
  private readonly suspended = new Set<Txn>();
  private idleWaiters: (() => void)[] = [];

  constructor(models: readonly ModelDef[]) {
    this.models = new Map(models.map((m) => [m.name, m]));
    for (const m of models) {
      const m2o = Object.entries(m.fields)
        .filter(([, f]) => f.type === 'many2one' && isStored(f))
        .map(([name]) => name);
      this.m2oFields.set(m.name, m2o);
      for (const fname of m2o) {
        const f = m.fields[fname]!;
        const list = this.referrers.get(f.comodel!) ?? [];
        list.push([m.name, fname, f]);
        this.referrers.set(f.comodel!, list);
      }
    }
    this.clear();
  }

  clear(): void {
    for (const name of this.models.keys()) {
      this.tables.set(name, new Map());
      this.nextIds.set(name, 1);
    }
    this.index.clear();
    this.sequences.clear();
  }

  table(model: string): ReadonlyMap<number, Rec> {
    const t = this.tables.get(model);
    if (!t) throw new Error(`the Odoo fake has no model ${model}`);
    return t;
  }

  get(model: string, id: number): Rec | undefined {
    return this.tables.get(model)?.get(id);
  }

  allocateId(model: string): number {
    const id = this.nextIds.get(model) ?? 1;
    this.nextIds.set(model, id + 1);
    return id;
  }

  /** Base data needs the ids a real database has (uid 2 for admin, location 5 for customers). */
  setNextId(model: string, id: number): void {
    this.nextIds.set(model, id);
  }

  nextSequence(code: string): number {
    const n = (this.sequences.get(code) ?? 0) + 1;
    this.sequences.set(code, n);
    return n;
  }

  /** Ids of `model` records whose many2one `field` is `target`. */
  referencing(model: string, field: string, target: number): ReadonlySet<number> {
    return this.index.get(`${model}.${field}`)?.get(target) ?? EMPTY_SET;
  }

  referrersOf(comodel: string): readonly [string, string, FieldDef][] {
    return this.referrers.get(comodel) ?? [];
  }

  setRow(model: string, id: number, rec: Rec | undefined): void {
    const table = this.tables.get(model)!;
    const before = table.get(id);
    this.reindex(model, id, before, rec);
    if (rec) table.set(id, rec);
    else table.delete(id);
    this.current?.journal.push({ model, id, before, after: rec });
  }

  private reindex(model: string, id: number, before: Rec | undefined, after: Rec | undefined): void {
    for (const fname of this.m2oFields.get(model) ?? []) {
      const old = before?.[fname];
      const cur = after?.[fname];
      if (old === cur) continue;
      const key = `${model}.${fname}`;
      let byTarget = this.index.get(key);
      if (!byTarget) {
        byTarget = new Map();
        this.index.set(key, byTarget);
      }
      if (typeof old === 'number') byTarget.get(old)?.delete(id);
      if (typeof cur === 'number') {
        let set = byTarget.get(cur);
        if (!set) {
          set = new Set();
          byTarget.set(cur, set);
        }
        set.add(id);
      }
    }
  }

  private apply(entries: readonly JournalEntry[], direction: 'undo' | 'redo'): void {
    const saved = this.current;
    this.current = null;
    if (direction === 'undo') {
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i]!;
        this.setRow(e.model, e.id, e.before);
      }
    } else {
      for (const e of entries) this.setRow(e.model, e.id, e.after);
    }
    this.current = saved;
  }

  begin(): Txn {
    if (this.current) throw new Error('the Odoo fake does not nest transactions');
    this.current = new Txn();
    return this.current;
  }

  commit(txn: Txn): void {
    if (this.current === txn) this.current = null;
  }

  get transaction(): Txn | null {
    return this.current;
  }

  rollback(txn: Txn): void {
    if (this.current === txn) this.current = null;
    this.apply(txn.journal, 'undo');
  }

  /** Hides a finished-but-uncommitted call's changes from other calls. */
  suspend(txn: Txn): void {
    if (this.current === txn) this.current = null;
    this.apply(txn.journal, 'undo');
    this.suspended.add(txn);
  }

  resume(txn: Txn): void {
    this.apply(txn.journal, 'redo');
    this.suspended.delete(txn);
    if (this.suspended.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Whether `txn` wrote a record that an uncommitted call also wrote: PostgreSQL would block it on
   * the row lock until that call commits, and Odoo would then retry it after the serialization failure.
   */
  conflicts(txn: Txn): boolean {
    if (this.suspended.size === 0 || txn.journal.length === 0) return false;
    const mine = new Set(txn.journal.map((e) => `${e.model}:${e.id}`));
    for (const other of this.suspended) {
      if (other.journal.some((e) => mine.has(`${e.model}:${e.id}`))) return true;
    }
    return false;
  }

  idle(): Promise<void> {
    if (this.suspended.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

const EMPTY_SET: ReadonlySet<number> = new Set();

export interface SearchOptions {
  offset?: number;
  limit?: number | null;
  order?: string | null;
}

/**
 * What a model method sees: the store, the acting user, and the transaction's frozen "now" (Odoo
 * stamps every write of one call with the same `cr.now()`).
 */
export class Env {
  constructor(
    readonly orm: Orm,
    readonly uid: number,
    readonly now: string,
    readonly context: Readonly<Record<string, XmlRpcValue>> = {},
  ) {}

  withUser(uid: number): Env {
    return new Env(this.orm, uid, this.now, this.context);
  }

  today(): string {
    return this.now.slice(0, 10);
  }

  def(model: string): ModelDef {
    const def = this.orm.models.get(model);
    if (!def) throw userError(`Object ${model} doesn't exist`);
    return def;
  }

  get(model: string, id: number): Rec | undefined {
    return this.orm.get(model, id);
  }

  rec(model: string, id: number): Rec {
    const r = this.orm.get(model, id);
    if (!r) this.missing(model, [id]);
    return r;
  }

  missing(model: string, ids: readonly number[]): never {
    throw missingError(
      `Record does not exist or has been deleted.\n(Record: ${recordsetRepr(model, ids)}, User: ${this.uid})`,
    );
  }

  ensureExist(model: string, ids: readonly number[]): void {
    const missing = ids.filter((id) => !this.orm.get(model, id));
    if (missing.length) this.missing(model, missing);
  }

  /** A field's value on a record, in stored form, whether stored, computed, related or one2many. */
  value(model: string, rec: Rec, fname: string): Stored {
    if (fname === 'id') return rec.id;
    const f = this.def(model).fields[fname];
    if (!f) return false;
    if (f.compute) return f.compute(this, rec);
    if (f.related) return this.related(model, rec, f);
    if (f.type === 'one2many') return this.children(f.comodel!, f.inverse!, rec.id);
    const v = rec[fname];
    return v === undefined ? emptyValue(f.type) : v;
  }

  private related(model: string, rec: Rec, f: FieldDef): Stored {
    let curModel = model;
    let cur: Rec | undefined = rec;
    const path = f.related!.split('.');
    for (let i = 0; i < path.length - 1; i++) {
      const hop = this.def(curModel).fields[path[i]!]!;
      const target = this.value(curModel, cur, path[i]!);
      if (typeof target !== 'number') return emptyValue(f.type);
      curModel = hop.comodel!;
      cur = this.get(curModel, target);
      if (!cur) return emptyValue(f.type);
    }
    return this.value(curModel, cur, path[path.length - 1]!);
  }

  children(comodel: string, inverse: string, id: number): number[] {
    return [...this.orm.referencing(comodel, inverse, id)].sort((a, b) => a - b);
  }

  displayName(model: string, id: number): string {
    const rec = this.get(model, id);
    return rec ? this.def(model).displayName(this, rec) : '';
  }

  /** `{'id': …, field: value}` as `read` returns it; `load: null` is the webhook's raw form. */
  wire(model: string, rec: Rec, fname: string, load: 'classic' | null): XmlRpcValue {
    if (fname === 'id') return rec.id;
    const f = this.def(model).fields[fname]!;
    const v = this.value(model, rec, fname);
    switch (f.type) {
      case 'integer':
      case 'float':
      case 'monetary':
      case 'many2one_reference':
        return typeof v === 'number' ? v : 0;
      case 'boolean':
        return v === true;
      case 'many2one':
        if (typeof v !== 'number') return false;
        return load === 'classic' ? [v, this.displayName(f.comodel!, v)] : v;
      case 'one2many':
      case 'many2many':
        return Array.isArray(v) ? [...(v as number[])] : [];
      default:
        return typeof v === 'string' ? v : false;
    }
  }

  checkFieldNames(model: string, fnames: readonly string[]): void {
    const fields = this.def(model).fields;
    for (const fname of fnames) if (fname !== 'id' && !fields[fname]) invalidField(model, fname);
  }

  read(model: string, ids: readonly number[], fnames: readonly string[] | null, load: 'classic' | null): Vals[] {
    const fields = fnames && fnames.length ? fnames : Object.keys(this.def(model).fields);
    this.checkFieldNames(model, fields);
    const out: Vals[] = [];
    for (const id of ids) {
      const rec = this.get(model, id);
      if (!rec) continue;
      const row: Vals = { id };
      for (const fname of fields) if (fname !== 'id') row[fname] = this.wire(model, rec, fname, load);
      out.push(row);
    }
    return out;
  }

  search(model: string, domain: XmlRpcValue, opts: SearchOptions = {}): number[] {
    const def = this.def(model);
    const predicate = compileDomain(this, model, domain, this.context.active_test !== false);
    const compare = compileOrder(this, model, opts.order || def.order);
    const table = this.orm.table(model);
    const candidates = predicate.candidates ? predicate.candidates() : table.keys();
    const hits: Rec[] = [];
    for (const id of candidates) {
      const rec = table.get(id);
      if (rec && predicate.test(rec)) hits.push(rec);
    }
    const sorted = compare(hits);
    const offset = opts.offset || 0;
    const end = opts.limit ? offset + opts.limit : undefined;
    return sorted.slice(offset, end).map((r) => r.id);
  }

  private convert(model: string, fname: string, f: FieldDef, raw: XmlRpcValue): Stored {
    if (raw === null || raw === false) {
      if (f.type === 'boolean') return false;
      return emptyValue(f.type);
    }
    switch (f.type) {
      case 'char':
      case 'text':
      case 'html':
        if (typeof raw === 'string') return raw;
        if (typeof raw === 'number' || raw === true) return typeof raw === 'number' ? String(raw) : 'True';
        return wrongValue(model, fname, raw);
      case 'selection':
        if (typeof raw === 'string' && f.selection!.some(([k]) => k === raw)) return raw;
        return wrongValue(model, fname, raw);
      case 'integer':
      case 'many2one_reference':
        if (typeof raw === 'number') return Math.trunc(raw);
        if (raw === true) return 1;
        if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) return Number(raw);
        return wrongValue(model, fname, raw);
      case 'float':
      case 'monetary':
        if (typeof raw === 'number') return raw;
        if (raw === true) return 1;
        if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
        return wrongValue(model, fname, raw);
      case 'boolean':
        return Boolean(raw);
      case 'date':
        if (typeof raw === 'string' || raw instanceof Date) return toOdooDate(raw);
        return wrongValue(model, fname, raw);
      case 'datetime':
        if (typeof raw === 'string' || raw instanceof Date) return toOdooDatetime(raw);
        return wrongValue(model, fname, raw);
      case 'many2one': {
        if (typeof raw !== 'number' || !Number.isInteger(raw)) return wrongValue(model, fname, raw);
        if (raw === 0) return false;
        if (!this.get(f.comodel!, raw)) this.foreignKey(model, fname);
        return raw;
      }
      default:
        return wrongValue(model, fname, raw);
    }
  }

  /** PostgreSQL's FK violation as Odoo 17 rewords it, including its mention of deletion on inserts too. */
  foreignKey(model: string, fname: string): never {
    const def = this.def(model);
    throw validationError(
      'The operation cannot be completed: another model requires the record being deleted. ' +
        `If possible, archive it instead.\n\nModel: ${def.description} (${model})\n` +
        `Constraint: ${model.replace(/\./g, '_')}_${fname}_fkey`,
    );
  }

  private checkRequired(model: string, row: Record<string, Stored>, only?: readonly string[]): void {
    const def = this.def(model);
    for (const [fname, f] of Object.entries(def.fields)) {
      if (!f.required || !isStored(f) || f.type === 'many2many') continue;
      if (only && !only.includes(fname)) continue;
      const v = row[fname];
      if (v === undefined || v === false) {
        throw validationError(
          `The operation cannot be completed: Missing required value for the field '${f.string}' (${fname}).\n` +
            `Model: ${def.description} (${model})`,
        );
      }
    }
  }

  private checkVals(model: string, vals: XmlRpcValue, where: 'write' | 'create'): Vals {
    if (vals === null || typeof vals !== 'object' || Array.isArray(vals) || vals instanceof Date || vals instanceof Uint8Array) {
      throw pyError('AttributeError', `'${pyTypeName(vals)}' object has no attribute 'items'`, [
        frame('models.py', 4478, 'write', 'for fname, value in vals.items():'),
      ]);
    }
    const fields = this.def(model).fields;
    for (const fname of Object.keys(vals)) if (!fields[fname] && fname !== 'id') invalidField(model, fname, where);
    return vals;
  }

  create(model: string, rawVals: XmlRpcValue): number {
    const def = this.def(model);
    const vals: Vals = { ...this.checkVals(model, rawVals, 'create') };
    for (const [fname, f] of Object.entries(def.fields)) {
      if (fname in vals || f.default === undefined) continue;
      vals[fname] = typeof f.default === 'function' ? f.default(this, vals) : (f.default as XmlRpcValue);
    }
    def.beforeCreate?.(this, vals);
    const id = this.orm.allocateId(model);
    const row: Record<string, Stored> = {};
    const commands: [string, FieldDef, XmlRpcValue][] = [];
    for (const [fname, raw] of Object.entries(vals)) {
      const f = def.fields[fname];
      if (!f || LOG_ACCESS.has(fname) || (!isStored(f) && f.type !== 'one2many')) continue;
      if (f.type === 'one2many' || f.type === 'many2many') {
        if (f.type === 'many2many') row[fname] = [];
        commands.push([fname, f, raw]);
        continue;
      }
      row[fname] = this.convert(model, fname, f, raw);
    }
    this.checkRequired(model, row);
    row.create_uid = row.write_uid = this.uid;
    row.create_date = row.write_date = this.now;
    const rec: Rec = Object.freeze({ ...row, id });
    this.orm.setRow(model, id, rec);
    for (const [fname, f, raw] of commands) this.applyCommands(model, id, fname, f, raw);
    const final = this.get(model, id)!;
    for (const listener of this.orm.listeners) listener(this, model, undefined, final);
    return id;
  }

  write(model: string, ids: readonly number[], rawVals: XmlRpcValue): void {
    const vals = this.checkVals(model, rawVals, 'write');
    this.ensureExist(model, ids);
    const def = this.def(model);
    const changes: Record<string, Stored> = {};
    const commands: [string, FieldDef, XmlRpcValue][] = [];
    for (const [fname, raw] of Object.entries(vals)) {
      const f = def.fields[fname];
      if (!f || LOG_ACCESS.has(fname)) continue;
      if (f.type === 'one2many' || f.type === 'many2many') commands.push([fname, f, raw]);
      else if (isStored(f)) changes[fname] = this.convert(model, fname, f, raw);
    }
    this.checkRequired(model, changes, Object.keys(changes));
    for (const id of ids) {
      const before = this.get(model, id)!;
      this.orm.setRow(
        model,
        id,
        Object.freeze({ ...before, ...changes, id, write_uid: this.uid, write_date: this.now }),
      );
      for (const [fname, f, raw] of commands) this.applyCommands(model, id, fname, f, raw);
      const after = this.get(model, id)!;
      for (const listener of this.orm.listeners) listener(this, model, before, after);
    }
  }

  /** Direct update without triggers or write stamps, for compute-like side effects in model methods. */
  patch(model: string, id: number, changes: Record<string, Stored>): void {
    const before = this.rec(model, id);
    this.orm.setRow(model, id, Object.freeze({ ...before, ...changes, id }));
  }

  unlink(model: string, ids: readonly number[]): void {
    this.ensureExist(model, ids);
    this.def(model).beforeUnlink?.(this, ids);
    for (const id of ids) {
      if (!this.get(model, id)) continue;
      for (const [refModel, refField, f] of this.orm.referrersOf(model)) {
        const refs = [...this.orm.referencing(refModel, refField, id)];
        if (!refs.length) continue;
        const mode = f.ondelete ?? (f.required ? 'restrict' : 'set null');
        if (mode === 'cascade') this.unlink(refModel, refs.filter((r) => this.get(refModel, r)));
        else if (mode === 'restrict') this.foreignKey(refModel, refField);
        else for (const r of refs) this.patch(refModel, r, { [refField]: false });
      }
      this.orm.setRow(model, id, undefined);
    }
  }

  /** The ORM's x2many commands: (0,0,vals) (1,id,vals) (2,id) (3,id) (4,id) (5) (6,0,ids), or bare ids. */
  private applyCommands(model: string, id: number, fname: string, f: FieldDef, raw: XmlRpcValue): void {
    if (raw === false || raw === null) return;
    if (!Array.isArray(raw)) wrongValue(model, fname, raw);
    const comodel = f.comodel!;
    const o2m = f.type === 'one2many';
    const current = (): number[] => [...(this.value(model, this.rec(model, id), fname) as readonly number[])];
    const setM2m = (ids: number[]): void => this.patch(model, id, { [fname]: [...new Set(ids)].sort((a, b) => a - b) });
    const link = (target: number): void => {
      this.rec(comodel, target);
      if (o2m) this.write(comodel, [target], { [f.inverse!]: id });
      else setM2m([...current(), target]);
    };
    const detach = (target: number, destroy: boolean): void => {
      if (o2m) {
        const inv = this.def(comodel).fields[f.inverse!]!;
        if (destroy || inv.required || inv.ondelete === 'cascade') this.unlink(comodel, [target]);
        else this.write(comodel, [target], { [f.inverse!]: false });
      } else {
        setM2m(current().filter((x) => x !== target));
        if (destroy) this.unlink(comodel, [target]);
      }
    };
    for (const cmd of raw) {
      if (typeof cmd === 'number') {
        link(cmd);
        continue;
      }
      if (!Array.isArray(cmd) || typeof cmd[0] !== 'number') wrongValue(model, fname, raw);
      const [code, arg, vals] = cmd;
      const target = typeof arg === 'number' ? arg : 0;
      switch (code) {
        case 0: {
          const childVals = { ...this.checkVals(comodel, vals ?? {}, 'create') };
          if (o2m) childVals[f.inverse!] = id;
          const child = this.create(comodel, childVals);
          if (!o2m) setM2m([...current(), child]);
          break;
        }
        case 1:
          this.write(comodel, [target], vals ?? {});
          break;
        case 2:
          detach(target, true);
          break;
        case 3:
          detach(target, false);
          break;
        case 4:
          link(target);
          break;
        case 5:
          for (const t of current()) detach(t, false);
          break;
        case 6: {
          const wanted = normalizeIds(vals ?? []);
          for (const t of current()) if (!wanted.includes(t)) detach(t, false);
          for (const t of wanted) if (!current().includes(t)) link(t);
          break;
        }
        default:
          wrongValue(model, fname, cmd);
      }
    }
  }
}
