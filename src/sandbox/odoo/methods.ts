import type { XmlRpcValue } from '../../xmlrpc/value.js';
import {
  type AccessOp,
  type Args,
  Env,
  type MethodDef,
  type MethodResult,
  type ModelDef,
  type Orm,
  type Param,
  isStored,
  normalizeIds,
} from './orm.js';
import { type Frame, OdooError, accessError, frame, pyError, pyRepr } from './python.js';

export function method(
  kind: MethodDef['kind'],
  qualname: string,
  params: readonly (string | Param)[],
  access: AccessOp,
  line: number,
  run: MethodDef['run'],
  options: { varKw?: boolean; file?: string; code?: string; returnsRecords?: boolean } = {},
): MethodDef {
  const name = qualname.split('.').pop()!;
  return {
    kind,
    qualname,
    params: params.map((p) => (typeof p === 'string' ? { name: p } : p)),
    access,
    varKw: options.varKw,
    returnsRecords: options.returnsRecords,
    frame: frame(options.file ?? 'models.py', line, name, options.code ?? `res = super().${name}(*args, **kwargs)`),
    run,
  };
}

const str = (v: XmlRpcValue | undefined): string | null => (typeof v === 'string' ? v : null);

function fieldList(v: XmlRpcValue | undefined): string[] | null {
  if (v === null || v === false || v === undefined) return null;
  if (typeof v === 'string') return [...v];
  if (!Array.isArray(v)) return null;
  return v.map((x) => String(x));
}

function intOrNull(v: XmlRpcValue | undefined): number | null {
  return typeof v === 'number' ? v : null;
}

function fieldsGet(env: Env, model: string, allfields: string[] | null, attributes: string[] | null): Args {
  const def = env.def(model);
  const out: Args = {};
  const names = ['id', ...Object.keys(def.fields)];
  for (const fname of names) {
    if (allfields && !allfields.includes(fname)) continue;
    const f = fname === 'id' ? { type: 'integer' as const, string: 'ID', readonly: true } : def.fields[fname]!;
    const stored = fname === 'id' || isStored(f);
    const desc: Args = {
      type: f.type,
      string: f.string,
      name: fname,
      required: Boolean(f.required),
      readonly: Boolean(f.readonly) || Boolean('compute' in f && f.compute) || Boolean('related' in f && f.related),
      store: stored,
      searchable: true,
      sortable: stored && f.type !== 'one2many' && f.type !== 'many2many',
      manual: false,
      company_dependent: false,
      change_default: false,
      depends: 'related' in f && f.related ? [f.related] : [],
    };
    if ('comodel' in f && f.comodel) desc.relation = f.comodel;
    if ('inverse' in f && f.inverse) desc.relation_field = f.inverse;
    if ('selection' in f && f.selection) desc.selection = f.selection.map(([k, label]) => [k, label]);
    if ('help' in f && f.help) desc.help = f.help;
    if (attributes) for (const key of Object.keys(desc)) if (!attributes.includes(key)) delete desc[key];
    out[fname] = desc;
  }
  return out;
}

/** The BaseModel methods every model answers over RPC, with Odoo 17's signatures. */
export const BASE_METHODS: Readonly<Record<string, MethodDef>> = {
  create: method('model', 'BaseModel.create', ['vals_list'], 'create', 4555, (env, model, _ids, a) => {
    const v = a.vals_list!;
    if (Array.isArray(v)) return v.map((vals) => env.create(model, vals));
    return env.create(model, v);
  }, { code: 'records = self._create(data_list)', returnsRecords: true }),
  read: method(
    'multi',
    'BaseModel.read',
    [{ name: 'fields', default: null }, { name: 'load', default: '_classic_read' }],
    'read',
    3011,
    (env, model, ids, a) => env.read(model, ids, fieldList(a.fields), a.load === '_classic_read' ? 'classic' : null),
  ),
  write: method('multi', 'BaseModel.write', ['vals'], 'write', 4280, (env, model, ids, a) => {
    if (ids.length) env.write(model, ids, a.vals!);
    return true;
  }),
  unlink: method('multi', 'BaseModel.unlink', [], 'unlink', 3712, (env, model, ids) => {
    env.unlink(model, ids);
    return true;
  }),
  search: method(
    'model',
    'BaseModel.search',
    ['domain', { name: 'offset', default: 0 }, { name: 'limit', default: null }, { name: 'order', default: null }],
    'read',
    1717,
    (env, model, _ids, a) =>
      env.search(model, a.domain!, { offset: intOrNull(a.offset) ?? 0, limit: intOrNull(a.limit), order: str(a.order) }),
  ),
  search_read: method(
    'model',
    'BaseModel.search_read',
    [
      { name: 'domain', default: null },
      { name: 'fields', default: null },
      { name: 'offset', default: 0 },
      { name: 'limit', default: null },
      { name: 'order', default: null },
    ],
    'read',
    5458,
    (env, model, _ids, a) => {
      const extra = Object.keys(a).find((k) => !['domain', 'fields', 'offset', 'limit', 'order', 'load'].includes(k));
      if (extra) {
        throw pyError('TypeError', `BaseModel.read() got an unexpected keyword argument '${extra}'`, [
          frame('models.py', 5475, 'search_read', 'return records._read_format(fnames=fields, **read_kwargs)'),
        ]);
      }
      const fields = fieldList(a.fields);
      if (fields) env.checkFieldNames(model, fields);
      const ids = env.search(model, a.domain ?? [], {
        offset: intOrNull(a.offset) ?? 0,
        limit: intOrNull(a.limit),
        order: str(a.order),
      });
      const load = a.load === undefined || a.load === '_classic_read' ? 'classic' : null;
      return env.read(model, ids, fields, load);
    },
    { varKw: true },
  ),
  search_count: method(
    'model',
    'BaseModel.search_count',
    ['domain', { name: 'limit', default: null }],
    'read',
    1679,
    (env, model, _ids, a) => {
      const n = env.search(model, a.domain!).length;
      const limit = intOrNull(a.limit);
      return limit ? Math.min(n, limit) : n;
    },
  ),
  fields_get: method(
    'model',
    'BaseModel.fields_get',
    [{ name: 'allfields', default: null }, { name: 'attributes', default: null }],
    'read',
    2934,
    (env, model, _ids, a) => fieldsGet(env, model, fieldList(a.allfields), fieldList(a.attributes)),
  ),
  // 17.0 only (deprecated there in favour of display_name); 18.0 removed it from odoo/models.py.
  name_get: method('multi', 'BaseModel.name_get', [], 'read', 1650, (env, model, ids) =>
    ids.filter((id) => env.get(model, id)).map((id) => [id, env.displayName(model, id)]),
  ),
  name_search: method(
    'model',
    'BaseModel.name_search',
    [
      { name: 'name', default: '' },
      { name: 'args', default: null },
      { name: 'operator', default: 'ilike' },
      { name: 'limit', default: 100 },
    ],
    'read',
    1790,
    (env, model, _ids, a) => {
      const domain = [...(Array.isArray(a.args) ? a.args : [])];
      if (a.name) domain.push(['display_name', str(a.operator) ?? 'ilike', a.name]);
      return env.search(model, domain, { limit: intOrNull(a.limit) }).map((id) => [id, env.displayName(model, id)]);
    },
  ),
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function joinNames(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')}${quoted.length > 2 ? ',' : ''} and ${quoted[quoted.length - 1]}`;
}

/** Python's argument binding, with CPython's TypeError texts, so a wrong call faults as it would on Odoo. */
export function bindArgs(m: MethodDef, positional: readonly XmlRpcValue[], kwargs: Readonly<Args>): Args {
  const typeError = (msg: string): never => {
    throw pyError('TypeError', `${m.qualname}() ${msg}`);
  };
  const positionalParams = m.params.filter((p) => !p.kwOnly);
  if (positional.length > positionalParams.length) {
    const max = positionalParams.length + 1;
    const min = positionalParams.filter((p) => !('default' in p)).length + 1;
    const takes = min === max ? plural(max, 'positional argument') : `from ${min} to ${max} positional arguments`;
    typeError(`takes ${takes} but ${positional.length + 1} ${positional.length === 0 ? 'was' : 'were'} given`);
  }
  const out: Args = {};
  positional.forEach((v, i) => {
    out[positionalParams[i]!.name] = v;
  });
  for (const [key, v] of Object.entries(kwargs)) {
    const known = m.params.some((p) => p.name === key);
    if (!known && !m.varKw) typeError(`got an unexpected keyword argument '${key}'`);
    if (key in out) typeError(`got multiple values for argument '${key}'`);
    out[key] = v;
  }
  const missingPositional = positionalParams.filter((p) => !('default' in p) && !(p.name in out)).map((p) => p.name);
  if (missingPositional.length) {
    typeError(
      `missing ${plural(missingPositional.length, 'required positional argument')}: ${joinNames(missingPositional)}`,
    );
  }
  const missingKw = m.params.filter((p) => p.kwOnly && !('default' in p) && !(p.name in out)).map((p) => p.name);
  if (missingKw.length) {
    typeError(`missing ${plural(missingKw.length, 'required keyword-only argument')}: ${joinNames(missingKw)}`);
  }
  for (const p of m.params) if (!(p.name in out) && 'default' in p) out[p.name] = p.default!;
  return out;
}

const OPERATION_TEXT: Record<AccessOp, string> = {
  read: 'access',
  write: 'modify',
  create: 'create',
  unlink: 'delete',
};

function checkAccess(env: Env, def: ModelDef, op: AccessOp): void {
  if (!def.systemOnly || env.orm.systemUsers.has(env.uid)) return;
  throw accessError(
    `You are not allowed to ${OPERATION_TEXT[op]} '${def.description}' (${def.name}) records.\n\n` +
      'This operation is allowed for the following groups:\n\t- Administration/Settings\n\n' +
      'Contact your administrator to request access if necessary.',
  );
}

function withFrames(err: unknown, frames: readonly Frame[]): unknown {
  if (!(err instanceof OdooError) || err.faultCode !== 1) return err;
  return new OdooError(1, err.pythonType, err.message, [...frames, ...err.frames]);
}

/**
 * `odoo.api.call_kw`: the `context` kwarg becomes the environment's context, `multi` methods take
 * their ids from the first argument, everything else is bound like a Python call.
 */
export function callKw(
  orm: Orm,
  uid: number,
  now: string,
  model: string,
  name: string,
  args: readonly XmlRpcValue[],
  kwargs: Readonly<Args>,
): MethodResult {
  const callFrame = frame('api.py', 461, 'call_kw', 'method = getattr(type(model), name)');
  const base = new Env(orm, uid, now);
  const def = base.def(model);
  const m = findMethod(orm, def, name);
  if (!m && orm.publicMethodLookup) {
    throw pyError('AttributeError', `The method '${model}.${name}' does not exist`, [
      frame('service/model.py', 77, 'call_kw', 'method = get_public_method(model, name)'),
      frame('service/model.py', 66, 'get_public_method', `raise AttributeError(f"The method '{model._name}.{name}' does not exist")`),
    ]);
  }
  if (!m) {
    throw pyError('AttributeError', `type object ${pyRepr(model)} has no attribute ${pyRepr(name)}`, [callFrame]);
  }
  const { context, ...rest } = kwargs;
  const ctx = context && typeof context === 'object' && !Array.isArray(context) && !(context instanceof Date) && !(context instanceof Uint8Array) ? context : {};
  const env = new Env(orm, uid, now, ctx);
  const frames =
    m.kind === 'multi'
      ? [
          frame('api.py', 468, 'call_kw', 'result = _call_kw_multi(method, model, args, kwargs)'),
          frame('api.py', 453, '_call_kw_multi', 'result = method(recs, *args, **kwargs)'),
          m.frame,
        ]
      : [
          frame('api.py', 466, 'call_kw', 'result = _call_kw_model(method, model, args, kwargs)'),
          frame('api.py', 435, '_call_kw_model', 'result = method(recs, *args, **kwargs)'),
          m.frame,
        ];
  checkAccess(env, def, m.access);
  if (m.kind === 'multi' && args.length === 0) {
    throw pyError('IndexError', 'list index out of range', [
      frame('api.py', 468, 'call_kw', 'result = _call_kw_multi(method, model, args, kwargs)'),
      frame('api.py', 449, '_call_kw_multi', 'ids, args = args[0], args[1:]'),
    ]);
  }
  try {
    if (m.kind === 'multi') {
      const ids = normalizeIds(args[0]!);
      const result = m.run(env, model, ids, bindArgs(m, args.slice(1), rest));
      return orm.publicMethodLookup && m.returnsRecords && typeof result === 'number' ? [result] : result;
    }
    return m.run(env, model, [], bindArgs(m, args, rest));
  } catch (err) {
    throw withFrames(err, frames);
  }
}

export function findMethod(orm: Orm, def: ModelDef, name: string): MethodDef | undefined {
  return def.methods[name] ?? (orm.removedBaseMethods.has(name) ? undefined : BASE_METHODS[name]);
}

/** What the JSON-2 controller refuses before the method runs: an HTTP error from werkzeug. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 422,
    readonly werkzeugName: 'BadRequest' | 'Unauthorized' | 'NotFound' | 'UnprocessableEntity',
    description: string,
  ) {
    super(description);
    this.name = 'HttpError';
  }
}

const unprocessable = (description: string): HttpError => new HttpError(422, 'UnprocessableEntity', description);

/**
 * addons/rpc/controllers/json2.py (19.0) `web_json_2_rpc`: the model must exist (else NotFound), the
 * method must be public (odoo/service/model.py `get_public_method`: a leading underscore is an
 * AccessError, an unknown name NotFound), an `@api.model` method takes no ids (UnprocessableEntity
 * "cannot call model.method with ids"), and the named arguments must bind to the signature
 * (`inspect.Signature.bind`; its TypeError text becomes an UnprocessableEntity). Then the method runs
 * on `Model.browse(ids)` with the context, and a recordset result becomes its ids.
 */
export function callJson2(orm: Orm, uid: number, now: string, model: string, name: string, body: Readonly<Args>): MethodResult {
  const def = orm.models.get(model);
  if (!def) throw new HttpError(404, 'NotFound', `the model ${pyRepr(model)} does not exist`);
  if (name.startsWith('_')) throw accessError(`Private methods (such as '${model}.${name}') cannot be called remotely.`);
  const m = findMethod(orm, def, name);
  if (!m) throw new HttpError(404, 'NotFound', `The method '${model}.${name}' does not exist`);
  const { ids: rawIds, context, ...kwargs } = body;
  const ctx = context && typeof context === 'object' && !Array.isArray(context) && !(context instanceof Date) && !(context instanceof Uint8Array) ? context : {};
  const ids = rawIds === undefined || rawIds === null ? [] : normalizeIds(rawIds);
  if (m.kind === 'model' && ids.length) throw unprocessable(`cannot call ${model}.${name} with ids`);
  for (const p of m.params) {
    if (!('default' in p) && !(p.name in kwargs)) throw unprocessable(`missing a required argument: ${pyRepr(p.name)}`);
  }
  if (!m.varKw) {
    const extra = Object.keys(kwargs).find((k) => !m.params.some((p) => p.name === k));
    if (extra !== undefined) throw unprocessable(`got an unexpected keyword argument ${pyRepr(extra)}`);
  }
  const args: Args = { ...kwargs };
  for (const p of m.params) if (!(p.name in args) && 'default' in p) args[p.name] = p.default!;
  const env = new Env(orm, uid, now, ctx);
  checkAccess(env, def, m.access);
  const result = m.run(env, model, ids, args);
  if (m.returnsRecords && typeof result === 'number') return [result];
  return result;
}
