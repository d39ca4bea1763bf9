// The Odoo module, one folder per Odoo series (odoo-addon-stub/<series>/order_bridge), checked without
// an Odoo: its Python compiles, its XML is well-formed and names only what exists (in the module or in
// that series' entry of odoo-standard.ts), its manifest carries the series and lists exactly its data
// files, its names agree with the service's defaults and the Odoo fake, and the folders differ only
// where a series needs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import t from 'tap';
import { odooWebhookSchema } from '../../src/connectors/odoo/connector.js';
import { odooDefaults, syncStates } from '../../src/connectors/odoo/fields.js';
import { XmlRpcClient } from '../../src/xmlrpc/client.js';
import type { XmlRpcValue } from '../../src/xmlrpc/value.js';
import { startOdooFake } from '../../src/sandbox/odoo/server.js';
import { SERIES, standards, type Series } from './odoo-standard.js';

const here = dirname(fileURLToPath(import.meta.url));
const MODULE = 'order_bridge';
const moduleDirOf = (series: Series): string => join(here, '..', '..', 'odoo-addon-stub', series, MODULE);

function moduleFiles(moduleDir: string, dir: string = moduleDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '__pycache__') return [];
    const full = join(dir, entry.name);
    return entry.isDirectory() ? moduleFiles(moduleDir, full) : [relative(moduleDir, full).split(sep).join('/')];
  });
}

// --- The Python side, described by describe_addon.py (ast, no import of odoo) ---

interface PyField {
  type: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

interface PyClass {
  file: string;
  class: string;
  name: string | null;
  inherit: string[];
  fields: Record<string, PyField>;
  methods: string[];
  calls: string[];
  /** Per method, the string constants it uses. */
  strings: Record<string, string[]>;
  depends: string[];
}

interface Described {
  manifest: Record<string, unknown>;
  classes: PyClass[];
  xmlIds: string[];
}

/** The description, or why Python could not give one (then the other checks see an empty module). */
function describeModule(moduleDir: string): { described: Described; problem: string | null } {
  const run = spawnSync('python3', [join(here, 'describe_addon.py'), moduleDir], { encoding: 'utf8' });
  if (run.status === 0) return { described: JSON.parse(run.stdout) as Described, problem: null };
  return { described: { manifest: {}, classes: [], xmlIds: [] }, problem: run.error?.message ?? run.stderr };
}

const classModel = (c: PyClass): string => c.name ?? c.inherit[0] ?? `<${c.class} names no model>`;
const RELATIONAL = new Set(['Many2one', 'One2many', 'Many2many']);

// --- The XML side, read with saxes ---

interface ArchNode {
  tag: string;
  attrs: Record<string, string>;
  /** Inside an inline sub-view of a relational field, where field names belong to another model. */
  inSubview: boolean;
}

interface XmlField {
  name: string;
  attrs: Record<string, string>;
  text: string;
  arch: ArchNode[];
}

interface XmlRecord {
  file: string;
  id: string;
  model: string;
  fields: XmlField[];
}

interface DataFile {
  file: string;
  noupdate: boolean;
  records: XmlRecord[];
  /** Elements this check does not understand; the module must not use them unchecked. */
  unsupported: string[];
}

function parseDataFile(moduleDir: string, file: string): DataFile {
  const out: DataFile = { file, noupdate: false, records: [], unsupported: [] };
  const stack: string[] = [];
  const archStack: ArchNode[] = [];
  let record: XmlRecord | undefined;
  let field: XmlField | undefined;
  const parser = new SaxesParser({ position: true });
  parser.on('error', (err: Error) => {
    throw new Error(`${file}: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    const attrs = tag.attributes as Record<string, string>;
    const parent = stack.at(-1);
    stack.push(tag.name);
    if (field !== undefined && field.attrs.type === 'xml') {
      const node = { tag: tag.name, attrs, inSubview: archStack.some((n) => n.tag === 'field' && n.attrs.position === undefined) };
      field.arch.push(node);
      archStack.push(node);
    } else if (parent === undefined && tag.name === 'odoo') {
      out.noupdate = attrs.noupdate === '1';
    } else if (parent === 'odoo' && tag.name === 'data') {
      out.noupdate = attrs.noupdate === '1';
    } else if ((parent === 'odoo' || parent === 'data') && tag.name === 'record') {
      record = { file, id: attrs.id ?? '', model: attrs.model ?? '', fields: [] };
      out.records.push(record);
    } else if (parent === 'record' && tag.name === 'field' && record !== undefined) {
      field = { name: attrs.name ?? '', attrs, text: '', arch: [] };
      record.fields.push(field);
    } else {
      out.unsupported.push(`<${tag.name}> in <${parent ?? '(document)'}>`);
    }
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    if (archStack.length > 0) archStack.pop();
    else if (tag.name === 'field') field = undefined;
    else if (tag.name === 'record') record = undefined;
  });
  const onText = (text: string): void => {
    if (field !== undefined && field.attrs.type !== 'xml') field.text += text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.write(readFileSync(join(moduleDir, file), 'utf8')).close();
  return out;
}

const qualify = (id: string): string => (id.includes('.') ? id : `${MODULE}.${id}`);
const evalRefs = (expr: string): string[] => [...expr.matchAll(/\bref\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
const fieldOf = (r: XmlRecord, name: string): XmlField | undefined => r.fields.find((f) => f.name === name);
const refsOf = (f: XmlField | undefined): string[] => (f === undefined ? [] : f.attrs.ref !== undefined ? [f.attrs.ref] : evalRefs(f.attrs.eval ?? ''));

/** Names a Python expression of a view modifier reads (invisible="not x", decoration-danger="y == 'z'"). */
const PY_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'True', 'False', 'None', 'id', 'uid', 'context']);
function exprFields(expr: string): string[] {
  const bare = expr.replace(/'[^']*'|"[^"]*"/g, '');
  return [...bare.matchAll(/[A-Za-z_][\w.]*/g)]
    .map((m) => m[0])
    .filter((w) => !PY_WORDS.has(w) && !w.startsWith('parent.') && !w.startsWith('context.'))
    .map((w) => w.split('.')[0]!);
}
const domainFields = (domain: string): string[] => [...domain.matchAll(/\(\s*'([A-Za-z_][\w.]*)'\s*,/g)].map((m) => m[1]!.split('.')[0]!);
const isModifier = (attr: string): boolean =>
  ['invisible', 'readonly', 'required', 'column_invisible'].includes(attr) || attr.startsWith('decoration-');
const POSITIONS = new Set(['before', 'after', 'inside', 'replace', 'attributes', 'move']);

function anchorOf(node: ArchNode): string {
  if (node.tag === 'xpath') return node.attrs.expr ?? '';
  return node.attrs.name !== undefined ? `//${node.tag}[@name='${node.attrs.name}']` : `//${node.tag}`;
}

/** Every check of one series' folder against that series' standard. */
function checkSeries(series: Series): void {
  const standard = standards[series];
  const { availableModules, models: standardModels, records: standardRecords, views: standardViews } = standard;
  const moduleDir = moduleDirOf(series);
  const files = moduleFiles(moduleDir).sort();
  const pyFiles = files.filter((f) => f.endsWith('.py'));
  const xmlFiles = files.filter((f) => f.endsWith('.xml'));
  const csvFiles = files.filter((f) => f.endsWith('.csv'));

  const { described, problem: describeProblem } = describeModule(moduleDir);
  const definedModels = new Set(described.classes.flatMap((c) => (c.name !== null ? [c.name] : [])));

  /** Fields the module declares, by model. */
  const moduleFields = new Map<string, Map<string, PyField>>();
  for (const c of described.classes) {
    const fields = moduleFields.get(classModel(c)) ?? new Map<string, PyField>();
    for (const [name, field] of Object.entries(c.fields)) fields.set(name, field);
    moduleFields.set(classModel(c), fields);
  }

  /** Field name → comodel (null if not relational) for a model, from the standard list and the module. */
  function fieldsOf(model: string): Map<string, string | null> {
    const known = new Map<string, string | null>(Object.entries(standardModels[model]?.fields ?? {}));
    for (const [name, field] of moduleFields.get(model) ?? []) {
      const comodel = field.kwargs.comodel_name ?? field.args[0];
      known.set(name, RELATIONAL.has(field.type) && typeof comodel === 'string' ? comodel : null);
    }
    return known;
  }

  const modelKnown = (model: string): boolean => model in standardModels || definedModels.has(model);

  const parsed = new Map<string, DataFile | Error>();
  for (const file of xmlFiles) {
    try {
      parsed.set(file, parseDataFile(moduleDir, file));
    } catch (err) {
      parsed.set(file, err as Error);
    }
  }
  const dataFiles = [...parsed.values()].filter((p): p is DataFile => !(p instanceof Error));
  const records = dataFiles.flatMap((d) => d.records);

  /** XML id → model of the record, for the module's own records. */
  const moduleIds = new Map(records.map((r) => [qualify(r.id), r.model]));

  function refModel(ref: string): string | undefined {
    const id = qualify(ref);
    return moduleIds.get(id) ?? standardRecords[id] ?? (id in standardViews ? 'ir.ui.view' : undefined);
  }

  function checkRef(ref: string, expected: string | null, where: string, problems: string[]): void {
    const id = qualify(ref);
    const module = id.split('.')[0]!;
    if (module !== MODULE && !availableModules.includes(module)) problems.push(`${where}: ${id} comes from ${module}, which the manifest does not depend on`);
    const model = refModel(ref);
    if (model === undefined) problems.push(`${where}: ${id} is neither in the module nor in odoo-standard.ts`);
    else if (expected !== null && model !== expected) problems.push(`${where}: ${id} is a ${model}, expected a ${expected}`);
  }

  function checkView(r: XmlRecord, problems: string[]): void {
    const model = fieldOf(r, 'model')?.text.trim() ?? '';
    if (!modelKnown(model)) problems.push(`${r.id}: view of unknown model "${model}"`);
    const fields = fieldsOf(model);
    const parentRef = refsOf(fieldOf(r, 'inherit_id'))[0];
    const parent = parentRef === undefined ? undefined : standardViews[qualify(parentRef)];
    if (parent !== undefined && parent.model !== model) problems.push(`${r.id}: extends ${parentRef}, a view of ${parent.model}, as ${model}`);
    const arch = fieldOf(r, 'arch')?.arch ?? [];
    const present = new Set([
      ...(parent?.fields ?? []),
      ...arch.filter((n) => n.tag === 'field' && !n.inSubview).map((n) => n.attrs.name ?? ''),
    ]);
    for (const node of arch) {
      const where = `${r.id}: <${node.tag}${node.attrs.name !== undefined ? ` name="${node.attrs.name}"` : ''}>`;
      if (node.inSubview) {
        problems.push(`${where}: inline sub-views are not checked; teach addon.test.ts before using one`);
        continue;
      }
      if (node.attrs.position !== undefined) {
        if (!POSITIONS.has(node.attrs.position)) problems.push(`${where}: position="${node.attrs.position}"`);
        if (parent === undefined) problems.push(`${where}: positions into ${parentRef ?? 'nothing'}, which odoo-standard.ts does not describe`);
        else if (!parent.anchors.includes(anchorOf(node))) problems.push(`${where}: ${anchorOf(node)} is not a known anchor of ${parentRef}`);
      }
      // ir.ui.view refuses attrs and states since 17.0 (odoo/addons/base/models/ir_ui_view.py, 17.0 to
      // 19.0), and its type selection has 'tree' in 17.0, 'list' since 18.0 (same file).
      for (const gone of ['attrs', 'states']) if (node.attrs[gone] !== undefined) problems.push(`${where}: ${gone}=, which Odoo refuses since 17.0`);
      if ((node.tag === 'tree' || node.tag === 'list') && node.tag !== standard.listTag) problems.push(`${where}: Odoo ${series} calls a list view <${standard.listTag}>`);
      if (node.tag === 'field' && !fields.has(node.attrs.name ?? '')) problems.push(`${where}: no such field on ${model}`);
      if (node.tag === 'label' && node.attrs.for !== undefined && !fields.has(node.attrs.for)) problems.push(`${where}: for="${node.attrs.for}" is no field of ${model}`);
      for (const group of (node.attrs.groups ?? '').split(',').filter(Boolean)) {
        checkRef(group.trim().replace(/^!/, ''), 'res.groups', where, problems);
      }
      for (const used of domainFields(node.attrs.domain ?? '')) {
        if (!fields.has(used)) problems.push(`${where}: domain uses ${used}, no field of ${model}`);
      }
      for (const [attr, value] of Object.entries(node.attrs)) {
        if (!isModifier(attr)) continue;
        for (const used of exprFields(value)) {
          if (!fields.has(used)) problems.push(`${where}: ${attr} uses ${used}, no field of ${model}`);
          else if (!present.has(used)) problems.push(`${where}: ${attr} uses ${used}, which the view does not contain`);
        }
      }
    }
  }

  function checkRecord(r: XmlRecord, problems: string[]): void {
    if (r.id === '') problems.push(`${r.file}: a <record> without id`);
    if (!modelKnown(r.model)) {
      problems.push(`${r.id}: model "${r.model}" is neither defined by the module nor in odoo-standard.ts`);
      return;
    }
    const fields = fieldsOf(r.model);
    const selections = standardModels[r.model]?.selections ?? {};
    for (const f of r.fields) {
      const where = `${r.id}.${f.name}`;
      if (!fields.has(f.name)) {
        problems.push(`${where}: no such field on ${r.model}`);
        continue;
      }
      for (const ref of refsOf(f)) checkRef(ref, fields.get(f.name) ?? null, where, problems);
      const values = selections[f.name];
      if (values !== undefined && f.attrs.ref === undefined && f.attrs.eval === undefined && !values.includes(f.text.trim())) {
        problems.push(`${where}: "${f.text.trim()}" is not one of ${values.join(', ')}`);
      }
    }
    if (r.model === 'ir.ui.view') checkView(r, problems);
  }

  // --- Tests ---

  t.test(`${series}: every Python file compiles`, (tt) => {
    tt.ok(pyFiles.length > 0, 'the module has Python files');
    // py_compile writes .pyc files: keep them out of the checkout.
    const cache = mkdtempSync(join(tmpdir(), 'order-bridge-pyc-'));
    tt.teardown(() => rmSync(cache, { recursive: true, force: true }));
    for (const file of pyFiles) {
      const run = spawnSync('python3', ['-m', 'py_compile', join(moduleDir, file)], {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
      });
      tt.equal(run.status, 0, `${file} compiles${run.status === 0 ? '' : `:\n${run.stderr}`}`);
    }
    tt.equal(describeProblem, null, 'describe_addon.py reads the module');
    tt.end();
  });

  t.test(`${series}: the manifest: the series, its depends, a license, and exactly the data files there are`, (tt) => {
    const manifest = described.manifest;
    tt.match(manifest.version, new RegExp(`^${series.replace('.', '\\.')}\\.\\d+\\.\\d+\\.\\d+$`), `a ${series} version string: Odoo of another series refuses it`);
    tt.same([...(manifest.depends as string[])].sort(), ['base_automation', 'sale_management', 'stock']);
    for (const dep of manifest.depends as string[]) tt.ok(availableModules.includes(dep), `${dep} is among the modules odoo-standard.ts draws on`);
    tt.type(manifest.license, 'string');
    tt.ok(
      ['GPL-2', 'GPL-2 or any later version', 'GPL-3', 'GPL-3 or any later version', 'AGPL-3', 'LGPL-3', 'Other OSI approved licence', 'OEEL-1', 'OPL-1', 'Other proprietary'].includes(
        manifest.license as string,
      ),
      'a license Odoo knows',
    );
    tt.equal(manifest.installable, true);
    const data = manifest.data as string[];
    tt.equal(new Set(data).size, data.length, 'no data file listed twice');
    tt.same([...data].sort(), [...xmlFiles, ...csvFiles].sort(), 'data lists every XML and CSV file of the module, and nothing else');
    tt.end();
  });

  t.test(`${series}: every XML file is well-formed Odoo data this check understands`, (tt) => {
    tt.ok(xmlFiles.length > 0);
    for (const [file, result] of parsed) {
      if (result instanceof Error) tt.fail(result.message);
      else tt.same(result.unsupported, [], `${file}: only <odoo>, <data>, <record> and <field>`);
    }
    const ids = records.map((r) => qualify(r.id));
    tt.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no XML id defined twice');
    tt.end();
  });

  t.test(`${series}: records name only models, fields, XML ids and anchors that exist`, (tt) => {
    const problems: string[] = [];
    for (const r of records) checkRecord(r, problems);
    tt.same(problems, []);
    tt.end();
  });

  t.test(`${series}: the Python names only models, fields and methods that exist`, (tt) => {
    const problems: string[] = [];
    for (const c of described.classes) {
      const model = classModel(c);
      const where = `${c.file} ${c.class}`;
      if (!modelKnown(model)) problems.push(`${where}: extends ${model}, which odoo-standard.ts does not list`);
      const standardFields = standardModels[model]?.fields ?? {};
      for (const [name, field] of Object.entries(c.fields)) {
        if (name in standardFields) problems.push(`${where}: redefines the standard field ${model}.${name}`);
        for (const hook of ['compute', 'inverse', 'search'] as const) {
          const method = field.kwargs[hook];
          if (typeof method === 'string' && !c.methods.includes(method)) problems.push(`${where}: ${name} names ${hook} method ${method}, which the class lacks`);
        }
      }
      for (const call of c.calls) {
        if (!c.methods.includes(call) && !(standardModels[model]?.methods ?? []).includes(call)) {
          problems.push(`${where}: calls ${call}, neither in the class nor among ${model}'s standard methods`);
        }
      }
      for (const path of c.depends) {
        let current = model;
        for (const [i, step] of path.split('.').entries()) {
          const fields = fieldsOf(current);
          if (!fields.has(step)) {
            problems.push(`${where}: @api.depends('${path}'): ${current} has no field ${step}`);
            break;
          }
          const comodel = fields.get(step);
          if (comodel === null || comodel === undefined) {
            if (i < path.split('.').length - 1) problems.push(`${where}: @api.depends('${path}'): ${current}.${step} is not relational`);
            break;
          }
          current = comodel;
        }
      }
    }
    for (const id of described.xmlIds) {
      if (!moduleIds.has(id) && refModel(id) === undefined) problems.push(`env.ref('${id}') finds nothing`);
    }
    tt.same(problems, []);
    tt.end();
  });

  t.test(`${series}: security/ir.model.access.csv: the standard header, and rules only for models the module defines`, (tt) => {
    const [header, ...rows] = readFileSync(join(moduleDir, 'security/ir.model.access.csv'), 'utf8').trim().split(/\r?\n/);
    tt.equal(header, 'id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink');
    const ownModelIds = new Set([...definedModels].map((m) => `model_${m.replace(/\./g, '_')}`));
    for (const row of rows) {
      const [, , modelRef, groupRef] = row.split(',');
      tt.ok(ownModelIds.has(modelRef ?? ''), `${row}: the module defines ${modelRef}`);
      if (groupRef) tt.equal(refModel(groupRef), 'res.groups', `${row}: ${groupRef} is a group`);
    }
    tt.end();
  });

  t.test(`${series}: the fields are the service defaults, on the right models, with the sync states`, (tt) => {
    const order = moduleFields.get('sale.order') ?? new Map<string, PyField>();
    tt.same(
      [...order.keys()].sort(),
      [odooDefaults.destinationOrderIdField, odooDefaults.syncMessageField, odooDefaults.syncStateField].sort(),
      'sale.order: the order id, the sync state and the sync message',
    );
    tt.equal(order.get(odooDefaults.destinationOrderIdField)?.type, 'Char');
    tt.equal(order.get(odooDefaults.syncMessageField)?.type, 'Text');
    const state = order.get(odooDefaults.syncStateField);
    tt.equal(state?.type, 'Selection');
    const selection = (state?.kwargs.selection ?? state?.args[0]) as [string, string][] | undefined;
    tt.same(selection?.map(([value]) => value), [...syncStates], 'the selection values are exactly syncStates');
    for (const name of order.keys()) {
      tt.equal(order.get(name)?.kwargs.readonly, true, `${name} is read-only: the service writes it`);
      tt.equal(order.get(name)?.kwargs.copy, false, `${name} is not copied: a duplicate is a new export`);
    }

    const product = moduleFields.get('product.product') ?? new Map<string, PyField>();
    tt.same([...product.keys()], [odooDefaults.destinationProductIdField], 'product.product: the Ysell product id');
    tt.equal(product.get(odooDefaults.destinationProductIdField)?.type, 'Char');

    const settings = [...(moduleFields.get('res.config.settings') ?? new Map<string, PyField>())];
    const apiKey = settings.find(([, f]) => f.kwargs.config_parameter === odooDefaults.ysellApiKeyParameter);
    tt.ok(apiKey, `a setting stores the Ysell key in ${odooDefaults.ysellApiKeyParameter}`);
    tt.ok(settings.every(([, f]) => typeof f.kwargs.config_parameter === 'string'), 'every setting lives in ir.config_parameter');
    const settingsView = records.find((r) => r.model === 'ir.ui.view' && fieldOf(r, 'model')?.text.trim() === 'res.config.settings');
    tt.ok(settingsView, 'a settings form');
    const settingsArch = settingsView === undefined ? [] : (fieldOf(settingsView, 'arch')?.arch ?? []);
    const shown = new Map(settingsArch.filter((n) => n.tag === 'field').map((n) => [n.attrs.name, n]));
    for (const [name, field] of settings) {
      tt.ok(shown.has(name), `${name} is on the settings form`);
      if (/(api_key|token)$/.test(String(field.kwargs.config_parameter))) tt.equal(shown.get(name)?.attrs.password, 'True', `${name} is a password field`);
    }
    tt.end();
  });

  t.test(`${series}: the automation rule sends exactly the webhook fields the service expects, when an order is confirmed`, (tt) => {
    const webhooks = records.filter((r) => r.model === 'ir.actions.server' && fieldOf(r, 'state')?.text.trim() === 'webhook');
    tt.equal(webhooks.length, 1, 'one webhook server action');
    const action = webhooks[0];
    if (action === undefined) return tt.end();
    tt.same(refsOf(fieldOf(action, 'model_id')), ['sale.model_sale_order']);
    const sent = refsOf(fieldOf(action, 'webhook_field_ids'));
    tt.same(sent, odooDefaults.webhookFields.map((name) => `sale.field_sale_order__${name}`), 'webhook_field_ids is odooDefaults.webhookFields');
    for (const name of odooDefaults.webhookFields) tt.ok(name in odooWebhookSchema.shape, `the webhook schema reads ${name}`);
    tt.ok(described.xmlIds.includes(qualify(action.id)), 'the settings find this action by its XML id');

    const rules = records.filter((r) => r.model === 'base.automation' && refsOf(fieldOf(r, 'action_server_ids')).includes(action.id));
    tt.equal(rules.length, 1, 'one automation rule runs it');
    const rule = rules[0];
    if (rule === undefined) return tt.end();
    tt.same(refsOf(fieldOf(rule, 'model_id')), ['sale.model_sale_order']);
    tt.equal(fieldOf(rule, 'trigger')?.text.trim(), 'on_state_set');
    tt.same(refsOf(fieldOf(rule, 'trigger_field_ids')), ['sale.field_sale_order__state']);
    tt.same(refsOf(fieldOf(rule, 'trg_selection_field_id')), ['sale.selection__sale_order__state__sale'], 'when the state becomes sale');
    tt.equal(fieldOf(rule, 'active')?.attrs.eval, 'False', 'off until the settings give it an address');

    const file = dataFiles.find((d) => d.records.includes(rule));
    tt.ok(file?.noupdate && file.records.includes(action), 'both are noupdate: the settings edit them');
    tt.end();
  });

  t.test(`${series}: a Ysell product id typed while creating a product reaches its first variant`, (tt) => {
    // Odoo's product.template.create (17.0 to 19.0) makes the variants after the template and then writes the
    // values of _get_related_fields_variant_template() again (addons/product/models/product_template.py),
    // which is how the barcode and the internal reference reach the first variant; the template field's
    // inverse alone has no variant to write to during the create.
    const template = described.classes.find((c) => classModel(c) === 'product.template');
    tt.ok(template, 'the module extends product.template');
    const hook = '_get_related_fields_variant_template';
    tt.ok(template?.methods.includes(hook), `it overrides ${hook}`);
    tt.ok(template?.calls.includes(hook), 'and extends the standard list (super()) instead of replacing it');
    tt.ok(template?.strings[hook]?.includes(odooDefaults.destinationProductIdField), `the list gets ${odooDefaults.destinationProductIdField}`);
    tt.ok(standardModels['product.template']?.methods?.includes(hook), `${hook} is a standard Odoo ${series} method (odoo-standard.ts)`);
    const field = moduleFields.get('product.template')?.get(odooDefaults.destinationProductIdField);
    tt.equal(field?.kwargs.inverse, '_inverse_ysell_product_id', 'written back to the variant through its inverse');
    tt.end();
  });

  t.test(`${series}: the README is reStructuredText that Odoo renders in Apps without a docutils message`, (tt) => {
    // odoo/modules/module.py: README.rst, README.md, README.txt (19.0: and README) are read in that order.
    const readmes = files.filter((f) => /^README(\.(rst|md|txt))?$/i.test(f));
    tt.same(readmes, ['README.rst'], 'README.rst, which Odoo reads first, and no other README beside it');
    tt.notOk('description' in described.manifest, 'the manifest has no description, so Odoo takes the README');
    tt.notOk(files.includes('static/description/index.html'), 'no index.html, which Odoo would show instead');
    const run = spawnSync('python3', [join(here, 'render_readme.py'), join(moduleDir, 'README.rst')], { encoding: 'utf8' });
    tt.equal(run.status, 0, `docutils renders it${run.status === 0 ? '' : `:\n${run.stderr}`}`);
    if (run.status !== 0) return tt.end();
    const rendered = JSON.parse(run.stdout) as { messages: string[]; htmlChars: number };
    tt.same(rendered.messages, [], 'no docutils warning or error (Odoo logs them and drops the broken parts)');
    tt.ok(rendered.htmlChars > 5000, 'and it renders to a page');
    const text = readFileSync(join(moduleDir, 'README.rst'), 'utf8');
    tt.match(text, /The integration user/, 'it says what the integration user needs');
    tt.match(text, /email address is \*\*not\*\* needed/, 'including that it needs no email address');
    tt.match(text, `Odoo ${series.split('.')[0]!} module`, 'its title names the series');
    tt.match(text, `odoo-addon-stub/${series}`, "and the addons path to install this series' folder from");
    const { menu, tab, button, persistentKey } = standard.apiKey;
    for (const words of [menu, tab, button]) tt.ok(text.includes(`*${words}*`) || text.includes(`*${tab} → ${button}*`), `where Odoo ${series} makes API keys: ${words}`);
    if (persistentKey) tt.match(text, /\*Persistent Key\*/, 'and that the key must not expire');
    tt.end();
  });

  t.test(`${series}: the module names no field that Odoo ${series} lacks`, (tt) => {
    const sources = [...pyFiles, ...xmlFiles].map((f) => [f, readFileSync(join(moduleDir, f), 'utf8')] as const);
    for (const [model, names] of Object.entries(standard.absentFields)) {
      for (const name of names) {
        const quoted = new RegExp(`['"]${name}['"]`);
        tt.same(sources.filter(([, text]) => quoted.test(text)).map(([f]) => f), [], `${model}.${name} is not in Odoo ${series}`);
      }
    }
    tt.end();
  });

  t.test(`${series}: the settings say where the integration user's API key is made, where JSON-2 needs one`, (tt) => {
    const settingsView = records.find((r) => r.model === 'ir.ui.view' && fieldOf(r, 'model')?.text.trim() === 'res.config.settings');
    const help = (settingsView === undefined ? [] : (fieldOf(settingsView, 'arch')?.arch ?? [])).map((n) => n.attrs.help ?? '').join('\n');
    const { menu, tab, button, persistentKey } = standard.apiKey;
    const says = [menu, tab, button, ...(persistentKey ? ['Persistent Key'] : [])].every((words) => help.includes(words)) && /shows the key once/.test(help);
    tt.equal(says, standard.json2, standard.json2 ? `a setting's help: ${menu}, ${tab}, ${button}, shown once` : 'no such help without JSON-2');
    tt.end();
  });

  t.test(`${series}: odoo-standard.ts agrees with itself`, (tt) => {
    const problems: string[] = [];
    const byPrefix = new Map(Object.keys(standardModels).map((m) => [m.replace(/\./g, '_'), m]));
    for (const [id, model] of Object.entries(standardRecords)) {
      const [module, name] = id.split('.') as [string, string];
      if (!availableModules.includes(module)) problems.push(`${id}: ${module} is not available`);
      const field = /^field_(.+)__(\w+)$/.exec(name);
      const value = /^selection__(.+)__(\w+)__(\w+)$/.exec(name);
      const ofModel = /^model_(.+)$/.exec(name);
      if (field && !(field[2]! in (standardModels[byPrefix.get(field[1]!) ?? '']?.fields ?? {}))) problems.push(`${id}: the field is not listed`);
      if (field && model !== 'ir.model.fields') problems.push(`${id}: a field id of model ${model}`);
      if (value && !(standardModels[byPrefix.get(value[1]!) ?? '']?.selections?.[value[2]!] ?? []).includes(value[3]!)) problems.push(`${id}: the value is not listed`);
      if (ofModel && !byPrefix.has(ofModel[1]!)) problems.push(`${id}: the model is not listed`);
    }
    for (const [model, info] of Object.entries(standardModels)) {
      if (!availableModules.includes(info.module)) problems.push(`${model}: ${info.module} is not available`);
    }
    for (const [id, view] of Object.entries(standardViews)) {
      if (!(view.model in standardModels)) problems.push(`${id}: model ${view.model} is not listed`);
      for (const name of view.fields ?? []) if (!(name in (standardModels[view.model]?.fields ?? {}))) problems.push(`${id}: field ${name} is not listed`);
    }
    tt.same(problems, []);
    tt.end();
  });

  t.test(`${series}: the Odoo fake declares the same fields as the module`, async (tt) => {
    const fake = await startOdooFake();
    tt.teardown(() => fake.close());
    const client = new XmlRpcClient({ baseUrl: fake.url, connector: 'odoo', timeoutMs: 5000 });
    for (const model of ['sale.order', 'product.product']) {
      const declared = moduleFields.get(model) ?? new Map<string, PyField>();
      const got = (await client.call('/xmlrpc/2/object', 'execute_kw', [
        fake.db,
        fake.admin.uid,
        fake.admin.apiKey,
        model,
        'fields_get',
        [[...declared.keys()]],
        { attributes: ['type', 'string', 'selection'] },
      ])) as Record<string, Record<string, XmlRpcValue>>;
      tt.same(Object.keys(got).sort(), [...declared.keys()].sort(), `${model}: the fake has every field of the module`);
      for (const [name, field] of declared) {
        const expected: Record<string, XmlRpcValue> = { type: field.type.toLowerCase(), string: field.kwargs.string as string };
        if (field.type === 'Selection') expected.selection = (field.kwargs.selection ?? field.args[0]) as XmlRpcValue;
        const { type, string, selection } = got[name] ?? {};
        tt.same({ type, string, ...(selection === undefined ? {} : { selection }) }, expected, `${model}.${name}: same type, label and selection`);
      }
    }
  });
}

for (const series of SERIES) checkSeries(series);

t.test('the folders differ only where a series needs it (odoo-addon-stub/README.md lists it)', (tt) => {
  const [first, ...later] = SERIES;
  const firstDir = moduleDirOf(first);
  const firstFiles = moduleFiles(firstDir).sort();
  for (const series of later) {
    const dir = moduleDirOf(series);
    tt.same(moduleFiles(dir).sort(), firstFiles, `${series}: the files of ${first}`);
    for (const file of firstFiles.filter((f) => moduleFiles(dir).includes(f))) {
      const mine = readFileSync(join(dir, file), 'utf8');
      const theirs = readFileSync(join(firstDir, file), 'utf8');
      if (file === 'README.rst') continue;
      if (file === 'views/res_config_settings_views.xml' && standards[series].json2) continue;
      if (file === '__manifest__.py') tt.equal(mine.replace(`'version': '${series}.`, `'version': '${first}.`), theirs, `${series}: the manifest of ${first} but for the series in the version`);
      else tt.equal(mine, theirs, `${series}: ${file} is the same as in ${first}`);
    }
  }
  tt.end();
});
