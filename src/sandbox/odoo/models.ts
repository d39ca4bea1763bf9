import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { method } from './methods.js';
import {
  type Env,
  type FieldDef,
  type MethodDef,
  type ModelDef,
  NONE,
  type Rec,
  type Stored,
  type Vals,
} from './orm.js';
import { frame, pyError, pyStr, recordsetRepr, userError, validationError } from './python.js';
import { type OdooVersion, majorOf, saleLineUomField, userGroupsField } from './versions.js';

type FieldOpts = Partial<Omit<FieldDef, 'type' | 'string'>>;
type Selection = ReadonlyArray<readonly [string, string]>;

const char = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'char', string, ...o });
const text = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'text', string, ...o });
const html = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'html', string, ...o });
const int = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'integer', string, ...o });
const float = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'float', string, ...o });
const monetary = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'monetary', string, ...o });
const bool = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'boolean', string, default: false, ...o });
const date = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'date', string, ...o });
const datetime = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'datetime', string, ...o });
const sel = (selection: Selection, string: string, o: FieldOpts = {}): FieldDef => ({
  type: 'selection',
  string,
  selection,
  ...o,
});
const m2o = (comodel: string, string: string, o: FieldOpts = {}): FieldDef => ({
  type: 'many2one',
  comodel,
  string,
  ...o,
});
const o2m = (comodel: string, inverse: string, string: string, o: FieldOpts = {}): FieldDef => ({
  type: 'one2many',
  comodel,
  inverse,
  string,
  readonly: false,
  ...o,
});
const ref2 = (string: string, o: FieldOpts = {}): FieldDef => ({ type: 'many2one_reference', string, ...o });

const now = (env: Env): string => env.now;
const currentUser = (env: Env): number => env.uid;
const mainCompany = (env: Env): number => refId(env, 'base.main_company');

interface ModelSpec {
  name: string;
  description: string;
  order?: string;
  fields: Record<string, FieldDef>;
  methods?: Record<string, MethodDef>;
  parentField?: string;
  systemOnly?: boolean;
  mailThread?: boolean;
  recName?: string;
  displayName?: (env: Env, rec: Rec) => string;
  beforeCreate?: (env: Env, vals: Vals) => void;
  beforeUnlink?: (env: Env, ids: readonly number[]) => void;
}

/** Adds what every Odoo model has: display_name and the four log-access fields. */
function defineModel(spec: ModelSpec): ModelDef {
  const recName = spec.recName ?? 'name';
  const displayName =
    spec.displayName ??
    ((_env: Env, rec: Rec): string => {
      const v = rec[recName];
      return typeof v === 'string' ? v : `${spec.name},${rec.id}`;
    });
  return {
    name: spec.name,
    description: spec.description,
    order: spec.order ?? 'id',
    parentField: spec.parentField,
    systemOnly: spec.systemOnly,
    displayName,
    beforeCreate: spec.beforeCreate,
    beforeUnlink: spec.beforeUnlink,
    fields: {
      ...spec.fields,
      display_name: char('Display Name', { compute: (env, rec) => displayName(env, rec) }),
      create_uid: m2o('res.users', 'Created by', { readonly: true }),
      create_date: datetime('Created on', { readonly: true }),
      write_uid: m2o('res.users', 'Last Updated by', { readonly: true }),
      write_date: datetime('Last Updated on', { readonly: true }),
    },
    methods: { ...(spec.mailThread ? MAIL_THREAD : {}), ...(spec.methods ?? {}) },
  };
}

export function ref(env: Env, xmlid: string): [string, number] {
  const dot = xmlid.indexOf('.');
  if (dot < 0) throw pyError('ValueError', 'not enough values to unpack (expected 2, got 1)');
  const module = xmlid.slice(0, dot);
  const name = xmlid.slice(dot + 1);
  for (const rec of env.orm.table('ir.model.data').values()) {
    if (rec.module === module && rec.name === name && typeof rec.res_id === 'number' && rec.res_id) {
      return [rec.model as string, rec.res_id];
    }
  }
  throw pyError('ValueError', `External ID not found in the system: ${xmlid}`, [
    frame('addons/base/models/ir_model.py', 2112, '_xmlid_lookup', "raise ValueError('External ID not found in the system: %s' % xmlid)"),
  ]);
}

export function refId(env: Env, xmlid: string): number {
  return ref(env, xmlid)[1];
}

const num = (v: Stored | undefined): number => (typeof v === 'number' ? v : 0);
const id = (v: Stored | undefined): number | null => (typeof v === 'number' && v > 0 ? v : null);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const pad5 = (n: number): string => String(n).padStart(5, '0');

function requireSingleton(model: string, ids: readonly number[]): number {
  if (ids.length !== 1) throw pyError('ValueError', `Expected singleton: ${recordsetRepr(model, ids)}`);
  return ids[0]!;
}

/** markupsafe.escape, which Odoo applies to a plain-text message body. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

/** `"Name" <email>` as Odoo's res.partner.email_formatted, or '' when the partner has no email. */
function emailFormatted(env: Env, partnerId: number): string {
  const partner = env.get('res.partner', partnerId);
  const email = typeof partner?.email === 'string' ? partner.email.trim() : '';
  return email === '' ? '' : `"${String(partner?.name ?? '')}" <${email}>`;
}

/**
 * mail.thread._message_compute_author (17.0): the author defaults to the current user's partner and the
 * sender to its formatted email; a sender given without an author is looked up among partners by email.
 * Without a sender, anyone but the superuser is refused, which is what message_post and message_notify do.
 */
export function computeAuthor(env: Env, authorIn: XmlRpcValue | undefined, emailIn: XmlRpcValue | undefined): { authorId: number | false; emailFrom: string | false } {
  let authorId: number | false;
  let emailFrom = typeof emailIn === 'string' && emailIn !== '' ? emailIn : null;
  if (authorIn === null || authorIn === undefined) {
    if (emailFrom !== null) {
      const address = /<([^>]+)>/.exec(emailFrom)?.[1] ?? emailFrom;
      authorId = env.search('res.partner', [['email', '=ilike', address.trim()]], { limit: 1 })[0] ?? false;
    } else {
      authorId = env.rec('res.users', env.uid).partner_id as number;
      emailFrom = emailFormatted(env, authorId);
    }
  } else {
    authorId = typeof authorIn === 'number' ? authorIn : false;
  }
  if (emailFrom === null && authorId) emailFrom = emailFormatted(env, authorId);
  if (!emailFrom && env.uid !== SUPERUSER) throw userError("Unable to send message, please configure the sender's email address.");
  return { authorId, emailFrom: emailFrom || false };
}

const SUPERUSER = 1;

const MAIL_THREAD: Record<string, MethodDef> = {
  message_post: method(
    'multi',
    'MailThread.message_post',
    [
      { name: 'body', default: '', kwOnly: true },
      { name: 'subject', default: null, kwOnly: true },
      { name: 'message_type', default: 'notification', kwOnly: true },
      { name: 'email_from', default: null, kwOnly: true },
      { name: 'author_id', default: null, kwOnly: true },
      { name: 'parent_id', default: false, kwOnly: true },
      { name: 'subtype_xmlid', default: null, kwOnly: true },
      { name: 'subtype_id', default: false, kwOnly: true },
      { name: 'partner_ids', default: null, kwOnly: true },
      { name: 'attachments', default: null, kwOnly: true },
      { name: 'attachment_ids', default: null, kwOnly: true },
      { name: 'body_is_html', default: false, kwOnly: true },
    ],
    'write',
    4180,
    (env, model, ids, a) => {
      const resId = requireSingleton(model, ids);
      env.ensureExist(model, [resId]);
      const raw = typeof a.body === 'string' ? a.body : '';
      const body = a.body_is_html || raw === '' ? raw : `<p>${escapeHtml(raw)}</p>`;
      let subtype = typeof a.subtype_id === 'number' && a.subtype_id ? a.subtype_id : null;
      if (typeof a.subtype_xmlid === 'string' && a.subtype_xmlid) subtype = refId(env, a.subtype_xmlid);
      if (!subtype) subtype = refId(env, 'mail.mt_note');
      const { authorId, emailFrom } = computeAuthor(env, a.author_id, a.email_from);
      return env.create('mail.message', {
        body,
        subject: typeof a.subject === 'string' ? a.subject : false,
        model,
        res_id: resId,
        record_name: env.displayName(model, resId),
        message_type: a.message_type ?? 'notification',
        subtype_id: subtype,
        author_id: authorId,
        email_from: emailFrom,
        parent_id: typeof a.parent_id === 'number' ? a.parent_id : false,
      });
    },
    { varKw: true, file: 'addons/mail/models/mail_thread.py', returnsRecords: true },
  ),
};

const PARTNER_TYPES: Selection = [
  ['contact', 'Contact'],
  ['invoice', 'Invoice Address'],
  ['delivery', 'Delivery Address'],
  ['other', 'Other Address'],
];

/** `res.partner.address_get`: the first child contact of the wanted type, else the partner itself. */
function addressGet(env: Env, partnerId: number, type: string): number {
  for (const child of env.children('res.partner', 'parent_id', partnerId)) {
    const rec = env.get('res.partner', child);
    if (rec?.type === type && rec.active !== false) return child;
  }
  return partnerId;
}

const ORDER_STATES: Selection = [
  ['draft', 'Quotation'],
  ['sent', 'Quotation Sent'],
  ['sale', 'Sales Order'],
  ['cancel', 'Cancelled'],
];

const PICKING_STATES: Selection = [
  ['draft', 'Draft'],
  ['waiting', 'Waiting Another Operation'],
  ['confirmed', 'Waiting'],
  ['assigned', 'Ready'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];

const MOVE_STATES: Selection = [
  ['draft', 'New'],
  ['waiting', 'Waiting Another Move'],
  ['confirmed', 'Waiting Availability'],
  ['partially_available', 'Partially Available'],
  ['assigned', 'Available'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];

const PICKING_CODES: Selection = [
  ['incoming', 'Receipt'],
  ['outgoing', 'Delivery'],
  ['internal', 'Internal Transfer'],
];

const orderFile = 'addons/sale/models/sale_order.py';
const pickingFile = 'addons/stock/models/stock_picking.py';

function lineSubtotal(env: Env, lineId: number): number {
  const line = env.rec('sale.order.line', lineId);
  return round2(num(line.product_uom_qty) * num(line.price_unit) * (1 - num(line.discount) / 100));
}

function orderTotal(env: Env, orderId: number): number {
  return round2(
    env.children('sale.order.line', 'order_id', orderId).reduce((sum, l) => sum + lineSubtotal(env, l), 0),
  );
}

/**
 * sale_stock's procurement, reduced to its effect: one outgoing picking from WH/Stock with a move per line.
 * 17.0/18.0 group the moves under the order's procurement.group; 19.0 has no procurement.group and tags
 * them with a stock.reference named after the order instead (addons/sale_stock/models/sale_order_line.py
 * `_prepare_procurement_values`: `reference_ids`, made with `sale_ids` = the order when it has none).
 */
function launchDeliveries(env: Env, orderId: number, version: OdooVersion): void {
  const lineUom = saleLineUomField(version);
  const v19 = majorOf(version) >= 19;
  const order = env.rec('sale.order', orderId);
  const warehouse = env.rec('stock.warehouse', refId(env, 'stock.warehouse0'));
  const pickingType = id(warehouse.out_type_id)!;
  const source = id(warehouse.lot_stock_id)!;
  const dest = refId(env, 'stock.stock_location_customers');
  const moves: XmlRpcValue[] = [];
  for (const lineId of env.children('sale.order.line', 'order_id', orderId)) {
    const line = env.rec('sale.order.line', lineId);
    const productId = id(line.product_id);
    if (!productId || env.rec('product.product', productId).type === 'service') continue;
    const planned = env
      .children('stock.move', 'sale_line_id', lineId)
      .map((m) => env.rec('stock.move', m))
      .filter((m) => m.state !== 'cancel')
      .reduce((sum, m) => sum + num(m.product_uom_qty), 0);
    const missing = num(line.product_uom_qty) - planned;
    if (missing <= 0) continue;
    moves.push([
      0,
      0,
      {
        ...(v19 ? {} : { name: line.name as string }),
        product_id: productId,
        product_uom_qty: missing,
        product_uom: id(line[lineUom]) ?? refId(env, 'uom.product_uom_unit'),
        location_id: source,
        location_dest_id: dest,
        sale_line_id: lineId,
        origin: order.name as string,
        state: 'confirmed',
      },
    ]);
  }
  if (!moves.length) return;
  let link: Vals;
  if (v19) {
    const existing = env.value('sale.order', order, 'stock_reference_ids') as readonly number[];
    const reference = existing[0] ?? env.create('stock.reference', { name: order.name as string, sale_ids: [[4, orderId]] });
    link = { reference_ids: [[4, reference]] };
  } else {
    let group = id(order.procurement_group_id);
    if (!group) {
      group = env.create('procurement.group', { name: order.name as string, sale_id: orderId, partner_id: order.partner_shipping_id as XmlRpcValue, move_type: 'direct' });
      env.write('sale.order', [orderId], { procurement_group_id: group });
    }
    link = { group_id: group };
  }
  const picking = env.create('stock.picking', {
    picking_type_id: pickingType,
    location_id: source,
    location_dest_id: dest,
    partner_id: order.partner_shipping_id as XmlRpcValue,
    origin: order.name as string,
    state: 'confirmed',
    move_ids: moves.map((cmd) => [0, 0, { ...((cmd as XmlRpcValue[])[2] as Vals), ...link }]),
  });
  // Reservation method "at confirmation" (stock.picking.type.reservation_method's default).
  reserveTracked(env, [picking]);
}

/** Locations a quant may be taken from for a move leaving `location`: it and the locations under it. */
function within(env: Env, location: number, candidate: number): boolean {
  for (let at: number | null = candidate; at !== null; at = id(env.get('stock.location', at)?.location_id)) {
    if (at === location) return true;
  }
  return false;
}

/**
 * Reserves the moves of products tracked by serial or lot from the quants of their source location, as
 * stock.move._action_assign does: one move line per lot taken, with its lot, and the move available,
 * partially available or still waiting. The stock of untracked products is not modelled.
 */
function reserveTracked(env: Env, pickingIds: readonly number[]): void {
  for (const pickingId of pickingIds) {
    for (const move of movesOf(env, pickingId)) {
      if (!['confirmed', 'waiting', 'partially_available'].includes(String(move.state))) continue;
      const productId = move.product_id as number;
      if (env.rec('product.product', productId).tracking === 'none') continue;
      const reserved = env.children('stock.move.line', 'move_id', move.id).reduce((sum, l) => sum + num(env.rec('stock.move.line', l).quantity), 0);
      let needed = num(move.product_uom_qty) - reserved;
      const quants = [...env.orm.table('stock.quant').values()]
        .filter((q) => q.product_id === productId && within(env, move.location_id as number, q.location_id as number))
        .sort((a, b) => a.id - b.id);
      for (const quant of quants) {
        if (needed <= 0) break;
        const free = num(quant.quantity) - num(quant.reserved_quantity);
        if (free <= 0) continue;
        const take = Math.min(free, needed);
        env.create('stock.move.line', { move_id: move.id, lot_id: quant.lot_id as XmlRpcValue, quantity: take, location_id: quant.location_id as number });
        env.write('stock.quant', [quant.id], { reserved_quantity: num(quant.reserved_quantity) + take });
        needed -= take;
      }
      const state = needed <= 0 ? 'assigned' : needed < num(move.product_uom_qty) ? 'partially_available' : 'confirmed';
      if (state !== move.state) env.write('stock.move', [move.id], { state, quantity: num(move.product_uom_qty) - Math.max(needed, 0) });
    }
    syncPickingState(env, pickingId);
  }
}

export function confirmOrders(env: Env, ids: readonly number[], version: OdooVersion): true {
  env.ensureExist('sale.order', ids);
  for (const orderId of ids) {
    const order = env.rec('sale.order', orderId);
    if (order.state !== 'draft' && order.state !== 'sent') {
      throw userError('Some orders are not in a state requiring confirmation.');
    }
    for (const lineId of env.children('sale.order.line', 'order_id', orderId)) {
      const line = env.rec('sale.order.line', lineId);
      if (!line.display_type && !id(line.product_id)) {
        throw userError('A line on these orders missing a product, you cannot confirm it.');
      }
    }
  }
  env.write('sale.order', ids, { state: 'sale', date_order: env.now });
  for (const orderId of ids) launchDeliveries(env, orderId, version);
  return true;
}

function movesOf(env: Env, pickingId: number): Rec[] {
  return env.children('stock.move', 'picking_id', pickingId).map((m) => env.rec('stock.move', m));
}

/** stock.picking's state is computed from its moves. */
export function syncPickingState(env: Env, pickingId: number): void {
  const moves = movesOf(env, pickingId);
  if (!moves.length) return;
  const states = moves.map((m) => m.state);
  let state: string;
  if (states.every((s) => s === 'cancel')) state = 'cancel';
  else if (states.every((s) => s === 'done' || s === 'cancel')) state = 'done';
  else if (states.some((s) => s === 'draft')) state = 'draft';
  else if (states.every((s) => s === 'assigned' || s === 'done' || s === 'cancel')) state = 'assigned';
  else state = 'confirmed';
  const picking = env.rec('stock.picking', pickingId);
  if (picking.state === state) return;
  env.write('stock.picking', [pickingId], state === 'done' ? { state, date_done: env.now } : { state });
}

function confirmPickings(env: Env, ids: readonly number[]): void {
  for (const pickingId of ids) {
    const moves = movesOf(env, pickingId).filter((m) => m.state === 'draft');
    if (moves.length) env.write('stock.move', moves.map((m) => m.id), { state: 'confirmed' });
    if (env.rec('stock.picking', pickingId).state === 'draft') env.write('stock.picking', [pickingId], { state: 'confirmed' });
    syncPickingState(env, pickingId);
  }
}

/** `button_validate` without wizards: unpicked moves are done in full, serial tracking is enforced. */
function validatePickings(env: Env, ids: readonly number[]): void {
  env.ensureExist('stock.picking', ids);
  confirmPickings(env, ids.filter((p) => env.rec('stock.picking', p).state === 'draft'));
  for (const pickingId of ids) {
    const moves = movesOf(env, pickingId).filter((m) => m.state !== 'done' && m.state !== 'cancel');
    if (!moves.length) throw userError('Please add some items to move.');
    const untracked: string[] = [];
    for (const move of moves) {
      const product = env.rec('product.product', move.product_id as number);
      if (product.tracking === 'none') continue;
      const lines = env.children('stock.move.line', 'move_id', move.id).map((l) => env.rec('stock.move.line', l));
      if (!lines.length || lines.some((l) => !id(l.lot_id) && !l.lot_name)) untracked.push(env.displayName('product.product', product.id));
    }
    if (untracked.length) {
      throw userError(`You need to supply a Lot/Serial number for product: \n - ${untracked.join('\n - ')}`);
    }
    for (const move of moves) {
      const lineIds = env.children('stock.move.line', 'move_id', move.id);
      for (const lineId of lineIds) {
        const line = env.rec('stock.move.line', lineId);
        if (!id(line.lot_id) && typeof line.lot_name === 'string' && line.lot_name) {
          const lot = env.create('stock.lot', { name: line.lot_name, product_id: move.product_id as number });
          env.write('stock.move.line', [lineId], { lot_id: lot });
        }
      }
      const picked = lineIds.reduce((sum, l) => sum + num(env.rec('stock.move.line', l).quantity), 0);
      const qty = picked || num(move.quantity) || num(move.product_uom_qty);
      if (!lineIds.length) env.create('stock.move.line', { move_id: move.id, quantity: qty, picked: true });
      else env.write('stock.move.line', lineIds, { picked: true });
      env.write('stock.move', [move.id], { state: 'done', quantity: qty, picked: true });
    }
    syncPickingState(env, pickingId);
  }
}

function cancelPickings(env: Env, ids: readonly number[]): void {
  for (const pickingId of ids) {
    const moves = movesOf(env, pickingId).filter((m) => m.state !== 'done' && m.state !== 'cancel');
    if (moves.length) env.write('stock.move', moves.map((m) => m.id), { state: 'cancel' });
    if (env.rec('stock.picking', pickingId).state !== 'done') env.write('stock.picking', [pickingId], { state: 'cancel' });
  }
}

function orderMethod(name: string, line: number, run: MethodDef['run'], params: string[] = []): MethodDef {
  return method('multi', `SaleOrder.${name}`, params, 'write', line, run, { file: orderFile });
}

function pickingMethod(name: string, line: number, run: MethodDef['run']): MethodDef {
  return method('multi', `Picking.${name}`, [], 'write', line, run, { file: pickingFile });
}

/**
 * Product storability. 17.0: `detailed_type` (consu/service, stock adds `product` "Storable Product") with
 * `type` computed from it (addons/product/models/product_template.py, addons/stock/models/product.py).
 * 18.0 and 19.0: `type` is consu ("Goods")/service/combo, and stock adds the boolean `is_storable`;
 * `type: 'product'` is a wrong selection value there.
 */
function productTypeFields(version: OdooVersion): Record<string, FieldDef> {
  if (majorOf(version) < 18) {
    const types: Selection = [
      ['consu', 'Consumable'],
      ['service', 'Service'],
      ['product', 'Storable Product'],
    ];
    return {
      // No default of its own here: beforeCreate fills it from `type` when the caller gave none.
      detailed_type: sel(types, 'Product Type', { required: true }),
      type: sel(types, 'Type', { default: 'consu', required: true }),
    };
  }
  return {
    type: sel(
      [
        ['consu', 'Goods'],
        ['service', 'Service'],
        ['combo', 'Combo'],
      ],
      'Product Type',
      { default: 'consu', required: true },
    ),
    is_storable: bool('Track Inventory'),
  };
}

/**
 * sale_stock 19.0's stock.picking.sale_id (addons/sale_stock/models/stock.py): stored, computed from
 * `move_ids.sale_line_id.order_id` (the first one; `reference_ids.sale_ids` is only a dependency), with
 * an inverse (linkSaleReference), so a value given at create is kept. An earlier stored version of that
 * file computed it from `reference_ids.sale_ids[:1]` instead; the fake follows the later one.
 */
function saleOfMove(env: Env, move: Vals): number | null {
  const line = typeof move.sale_line_id === 'number' ? env.get('sale.order.line', move.sale_line_id) : undefined;
  return line ? id(line.order_id) : null;
}

/**
 * sale_stock 19.0's inverse of stock.picking.sale_id (`_set_sale_id`), for a picking created with one: the
 * order joins the `sale_ids` of the references its moves carry, or, when they carry none, a new
 * stock.reference named after the order is made and put on every move. (`_reassign_sale_lines`, which it
 * calls next, is not modelled.)
 */
function linkSaleReference(env: Env, saleId: number, commands: readonly XmlRpcValue[]): XmlRpcValue[] {
  const creates = commands.filter((cmd): cmd is XmlRpcValue[] => Array.isArray(cmd) && cmd[0] === 0 && typeof cmd[2] === 'object' && cmd[2] !== null && !Array.isArray(cmd[2]));
  const refs = new Set<number>();
  for (const cmd of creates) {
    for (const link of Array.isArray((cmd[2] as Vals).reference_ids) ? ((cmd[2] as Vals).reference_ids as XmlRpcValue[]) : []) {
      if (typeof link === 'number') refs.add(link);
      else if (Array.isArray(link) && link[0] === 4 && typeof link[1] === 'number') refs.add(link[1]);
      else if (Array.isArray(link) && link[0] === 6 && Array.isArray(link[2])) for (const r of link[2]) if (typeof r === 'number') refs.add(r);
    }
  }
  if (refs.size) {
    env.write('stock.reference', [...refs], { sale_ids: [[4, saleId]] });
    return [...commands];
  }
  const name = env.get('sale.order', saleId)?.name;
  const reference = env.create('stock.reference', { name: typeof name === 'string' ? name : false, sale_ids: [[4, saleId]] });
  return commands.map((cmd) =>
    creates.includes(cmd as XmlRpcValue[])
      ? [0, 0, { ...((cmd as XmlRpcValue[])[2] as Vals), reference_ids: [[4, reference]] }]
      : cmd,
  );
}

/**
 * Every model the fake knows, with the fields of the chosen series. `serialField` names the sale.order.line
 * char field holding serial numbers.
 */
export function buildModels(options: { serialField: string; version: OdooVersion }): ModelDef[] {
  const { version } = options;
  const major = majorOf(version);
  const lineUom = saleLineUomField(version);
  return [
    defineModel({
      name: 'res.partner',
      description: 'Contact',
      mailThread: true,
      parentField: 'parent_id',
      fields: {
        name: char('Name'),
        street: char('Street'),
        street2: char('Street2'),
        city: char('City'),
        zip: char('Zip'),
        state_id: m2o('res.country.state', 'State', { ondelete: 'restrict' }),
        country_id: m2o('res.country', 'Country', { ondelete: 'restrict' }),
        phone: char('Phone'),
        // 19.0 removed `mobile` from res.partner (odoo/addons/base/models/res_partner.py); 17.0 and 18.0 have it.
        ...(major < 19 ? { mobile: char('Mobile') } : {}),
        email: char('Email'),
        parent_id: m2o('res.partner', 'Related Company'),
        child_ids: o2m('res.partner', 'parent_id', 'Contact'),
        type: sel(PARTNER_TYPES, 'Address Type', { default: 'contact' }),
        company_name: char('Company Name'),
        is_company: bool('Is a Company'),
        ref: char('Reference'),
        vat: char('Tax ID'),
        lang: char('Language', { default: 'en_US' }),
        active: bool('Active', { default: true }),
      },
      displayName: (env, rec) => {
        let name = typeof rec.name === 'string' ? rec.name : '';
        const parent = id(rec.parent_id);
        if (parent || rec.company_name) {
          if (!name && rec.type !== 'contact') name = PARTNER_TYPES.find(([k]) => k === rec.type)?.[1] ?? '';
          if (!rec.is_company) {
            const company = parent ? env.get('res.partner', parent)?.name : rec.company_name;
            name = `${typeof company === 'string' ? company : ''}, ${name}`;
          }
        }
        return name;
      },
      beforeCreate: (_env, vals) => {
        if ((vals.type ?? 'contact') === 'contact' && !vals.name) throw validationError('Contacts require a name');
      },
    }),
    defineModel({
      name: 'res.country',
      description: 'Country',
      order: 'name',
      fields: { name: char('Country Name', { required: true }), code: char('Country Code') },
    }),
    defineModel({
      name: 'res.country.state',
      description: 'Country state',
      order: 'code',
      fields: {
        name: char('State Name', { required: true }),
        code: char('State Code', { required: true }),
        country_id: m2o('res.country', 'Country', { required: true }),
      },
      displayName: (env, rec) => `${rec.name} (${env.get('res.country', rec.country_id as number)?.code ?? ''})`,
    }),
    defineModel({
      name: 'res.currency',
      description: 'Currency',
      order: 'name',
      fields: { name: char('Currency', { required: true }), symbol: char('Symbol', { required: true }) },
    }),
    defineModel({
      name: 'res.company',
      description: 'Companies',
      fields: {
        name: char('Company Name', { required: true }),
        partner_id: m2o('res.partner', 'Partner', { required: true }),
        currency_id: m2o('res.currency', 'Currency', { required: true }),
      },
    }),
    defineModel({
      name: 'res.users',
      description: 'User',
      order: 'name, login',
      fields: {
        name: char('Name'),
        login: char('Login', { required: true }),
        partner_id: m2o('res.partner', 'Related Partner', { required: true }),
        email: char('Email', { related: 'partner_id.email' }),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
        active: bool('Active', { default: true }),
        [userGroupsField(version)]: { type: 'many2many', comodel: 'res.groups', string: 'Groups' },
      },
    }),
    defineModel({
      name: 'res.groups',
      description: 'Access Groups',
      order: 'name',
      fields: { name: char('Name', { required: true }) },
    }),
    defineModel({
      name: 'uom.uom',
      description: 'Product Unit of Measure',
      order: 'factor DESC, id',
      fields: { name: char('Unit of Measure', { required: true }), factor: float('Ratio', { default: 1 }) },
    }),
    defineModel({
      name: 'product.product',
      description: 'Product Variant',
      order: 'default_code, name, id',
      mailThread: true,
      fields: {
        name: char('Name', { required: true }),
        default_code: char('Internal Reference'),
        barcode: char('Barcode'),
        ...productTypeFields(version),
        tracking: sel(
          [
            ['serial', 'By Unique Serial Number'],
            ['lot', 'By Lots'],
            ['none', 'No Tracking'],
          ],
          'Tracking',
          { default: 'none', required: true },
        ),
        uom_id: m2o('uom.uom', 'Unit of Measure', { required: true, default: (env) => refId(env, 'uom.product_uom_unit') }),
        lst_price: float('Sales Price', { default: 1 }),
        active: bool('Active', { default: true }),
        ysell_product_id: char('Ysell Product ID', { help: 'Product id in Ysell.pro, sent with every exported order line.' }),
      },
      displayName: (_env, rec) => (rec.default_code ? `[${rec.default_code}] ${rec.name}` : String(rec.name)),
      beforeCreate: (_env, vals) => {
        if (major >= 18) return;
        // product.template._sanitize_vals (17.0): `type` alone sets `detailed_type`, and the other way round.
        if (vals.detailed_type === undefined || vals.detailed_type === false) vals.detailed_type = vals.type ?? 'consu';
        else vals.type = vals.detailed_type;
      },
    }),
    defineModel({
      name: 'sale.order',
      description: 'Sales Order',
      order: 'date_order desc, id desc',
      mailThread: true,
      fields: {
        name: char('Order Reference', { required: true, default: 'New' }),
        state: sel(ORDER_STATES, 'Status', { readonly: true, default: 'draft' }),
        locked: bool('Locked', { help: 'Locked orders cannot be modified.' }),
        date_order: datetime('Order Date', { required: true, default: now }),
        partner_id: m2o('res.partner', 'Customer', { required: true }),
        partner_invoice_id: m2o('res.partner', 'Invoice Address', { required: true }),
        partner_shipping_id: m2o('res.partner', 'Delivery Address', { required: true }),
        user_id: m2o('res.users', 'Salesperson', { default: currentUser }),
        note: html('Terms and conditions'),
        currency_id: m2o('res.currency', 'Currency'),
        company_id: m2o('res.company', 'Company', { required: true, default: mainCompany }),
        order_line: o2m('sale.order.line', 'order_id', 'Order Lines'),
        amount_untaxed: monetary('Untaxed Amount', { compute: (env, rec) => orderTotal(env, rec.id) }),
        amount_tax: monetary('Taxes', { compute: () => 0 }),
        amount_total: monetary('Total', { compute: (env, rec) => orderTotal(env, rec.id) }),
        client_order_ref: char('Customer Reference'),
        origin: char('Source Document'),
        ...(major < 19
          ? { procurement_group_id: m2o('procurement.group', 'Procurement Group', { readonly: true }) }
          : {
              // sale_stock 19.0: the order's stock.reference records (relation stock_reference_sale_rel); the
              // fake stores the link on the stock.reference side (`sale_ids`) and reads it back from there.
              stock_reference_ids: {
                type: 'many2many',
                comodel: 'stock.reference',
                string: 'References',
                compute: (env: Env, rec: Rec) => env.search('stock.reference', [['sale_ids', 'in', [rec.id]]]),
              } satisfies FieldDef,
            }),
        picking_ids: o2m('stock.picking', 'sale_id', 'Transfers'),
        delivery_count: int('Delivery Orders', {
          compute: (env, rec) => env.children('stock.picking', 'sale_id', rec.id).length,
        }),
        ysell_order_id: char('Ysell Order ID'),
        // The selection of odoo-addon-stub's order_bridge module, which declares the service's values.
        ysell_sync_state: sel(
          [
            ['waiting', 'Waiting for serials'],
            ['exported', 'Exported'],
            ['delivered', 'Delivered'],
            ['error', 'Error'],
          ],
          'Ysell Sync State',
        ),
        ysell_sync_message: text('Ysell Sync Message'),
      },
      beforeCreate: (env, vals) => {
        if (!vals.name || vals.name === 'New') vals.name = `S${pad5(env.orm.nextSequence('sale.order'))}`;
        if (typeof vals.partner_id === 'number' && env.get('res.partner', vals.partner_id)) {
          if (!('partner_invoice_id' in vals)) vals.partner_invoice_id = addressGet(env, vals.partner_id, 'invoice');
          if (!('partner_shipping_id' in vals)) vals.partner_shipping_id = addressGet(env, vals.partner_id, 'delivery');
        }
        if (!('currency_id' in vals) && typeof vals.company_id === 'number') {
          vals.currency_id = id(env.get('res.company', vals.company_id)?.currency_id) ?? false;
        }
      },
      beforeUnlink: (env, ids) => {
        for (const orderId of ids) {
          const state = env.rec('sale.order', orderId).state;
          if (state !== 'draft' && state !== 'cancel') {
            throw userError('You can not delete a sent quotation or a confirmed sales order. You must first cancel it.');
          }
        }
      },
      methods: {
        action_confirm: orderMethod('action_confirm', 1012, (env, _m, ids) => confirmOrders(env, ids, version)),
        action_cancel: orderMethod('action_cancel', 1096, (env, model, ids) => {
          env.ensureExist(model, ids);
          if (ids.some((o) => env.rec(model, o).locked === true)) {
            throw userError('You cannot cancel a locked order. Please unlock it first.');
          }
          for (const o of ids) {
            const pickings = env.children('stock.picking', 'sale_id', o).filter((p) => env.rec('stock.picking', p).state !== 'done');
            cancelPickings(env, pickings);
          }
          env.write(model, ids, { state: 'cancel' });
          return true;
        }),
        action_draft: orderMethod('action_draft', 1087, (env, model, ids) => {
          env.ensureExist(model, ids);
          const drafts = ids.filter((o) => ['cancel', 'sent'].includes(env.rec(model, o).state as string));
          env.write(model, drafts, { state: 'draft' });
          return true;
        }),
        action_quotation_sent: orderMethod('action_quotation_sent', 968, (env, model, ids) => {
          env.ensureExist(model, ids);
          if (ids.some((o) => env.rec(model, o).state !== 'draft')) {
            throw userError('Only draft orders can be marked as sent directly.');
          }
          env.write(model, ids, { state: 'sent' });
          return NONE;
        }),
        action_lock: orderMethod('action_lock', 1074, (env, model, ids) => {
          env.write(model, ids, { locked: true });
          return NONE;
        }),
        action_unlock: orderMethod('action_unlock', 1078, (env, model, ids) => {
          env.write(model, ids, { locked: false });
          return NONE;
        }),
      },
    }),
    defineModel({
      name: 'sale.order.line',
      description: 'Sales Order Line',
      order: 'order_id, sequence, id',
      fields: {
        order_id: m2o('sale.order', 'Order Reference', { required: true, ondelete: 'cascade' }),
        sequence: int('Sequence', { default: 10 }),
        display_type: sel(
          [
            ['line_section', 'Section'],
            ['line_note', 'Note'],
          ],
          'Display Type',
        ),
        product_id: m2o('product.product', 'Product', { ondelete: 'restrict' }),
        name: text('Description', { required: true }),
        product_uom_qty: float('Quantity', { required: true, default: 1 }),
        [lineUom]: m2o('uom.uom', 'Unit of Measure'),
        price_unit: float('Unit Price', { required: true }),
        discount: float('Discount (%)', { default: 0 }),
        price_subtotal: monetary('Subtotal', { compute: (env, rec) => lineSubtotal(env, rec.id) }),
        price_total: monetary('Total', { compute: (env, rec) => lineSubtotal(env, rec.id) }),
        qty_delivered: float('Delivery Quantity', {
          compute: (env, rec) =>
            env
              .children('stock.move', 'sale_line_id', rec.id)
              .map((m) => env.rec('stock.move', m))
              .filter((m) => m.state === 'done')
              .reduce((sum, m) => sum + num(m.quantity), 0),
        }),
        move_ids: o2m('stock.move', 'sale_line_id', 'Stock Moves'),
        state: sel(ORDER_STATES, 'Order Status', { related: 'order_id.state' }),
        order_partner_id: m2o('res.partner', 'Customer', { related: 'order_id.partner_id' }),
        currency_id: m2o('res.currency', 'Currency', { related: 'order_id.currency_id' }),
        company_id: m2o('res.company', 'Company', { related: 'order_id.company_id' }),
        [options.serialField]: char('Serial Numbers', { help: 'Serial numbers sent to Ysell with the order.' }),
      },
      displayName: (env, rec) => {
        const order = id(rec.order_id) ? env.get('sale.order', rec.order_id as number) : undefined;
        const first = String(rec.name ?? '').split('\n')[0];
        return order ? `${order.name} - ${first}` : first ?? '';
      },
      beforeCreate: (env, vals) => {
        const product = typeof vals.product_id === 'number' ? env.get('product.product', vals.product_id) : undefined;
        if (!('price_unit' in vals)) vals.price_unit = product ? num(product.lst_price) : 0;
        if (!product) return;
        if (!vals.name) vals.name = env.displayName('product.product', product.id);
        if (!(lineUom in vals)) vals[lineUom] = product.uom_id as number;
      },
      beforeUnlink: (env, ids) => {
        for (const lineId of ids) {
          const line = env.rec('sale.order.line', lineId);
          if (env.value('sale.order.line', line, 'state') === 'sale' && !line.display_type) {
            throw userError(
              "Once a sales order is confirmed, you can't remove one of its lines (we need to track if something gets invoiced or delivered).\n" +
                'Set the quantity to 0 instead.',
            );
          }
        }
      },
    }),
    defineModel({
      name: 'stock.location',
      description: 'Inventory Locations',
      order: 'complete_name, id',
      parentField: 'location_id',
      recName: 'complete_name',
      fields: {
        name: char('Location Name', { required: true }),
        complete_name: char('Full Location Name', {
          compute: (env, rec) => {
            const parent = id(rec.location_id);
            if (parent && rec.usage !== 'view') return `${env.displayName('stock.location', parent)}/${rec.name}`;
            return String(rec.name);
          },
        }),
        usage: sel(
          [
            ['supplier', 'Vendor Location'],
            ['view', 'View'],
            ['internal', 'Internal Location'],
            ['customer', 'Customer Location'],
            ['inventory', 'Inventory Loss'],
            ['production', 'Production'],
            ['transit', 'Transit Location'],
          ],
          'Location Type',
          { required: true, default: 'internal' },
        ),
        location_id: m2o('stock.location', 'Parent Location', { ondelete: 'cascade' }),
        company_id: m2o('res.company', 'Company'),
        active: bool('Active', { default: true }),
      },
      displayName: (env, rec) => {
        const parent = id(rec.location_id);
        if (parent && rec.usage !== 'view') return `${env.displayName('stock.location', parent)}/${rec.name}`;
        return String(rec.name);
      },
    }),
    defineModel({
      name: 'stock.warehouse',
      description: 'Warehouse',
      order: 'sequence,id',
      fields: {
        name: char('Warehouse', { required: true }),
        code: char('Short Name', { required: true }),
        sequence: int('Sequence', { default: 10 }),
        lot_stock_id: m2o('stock.location', 'Location Stock'),
        view_location_id: m2o('stock.location', 'View Location'),
        in_type_id: m2o('stock.picking.type', 'In Type'),
        out_type_id: m2o('stock.picking.type', 'Out Type'),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
        active: bool('Active', { default: true }),
      },
    }),
    defineModel({
      name: 'stock.picking.type',
      description: 'Picking Type',
      order: 'sequence, id',
      fields: {
        name: char('Operation Type', { required: true }),
        code: sel(PICKING_CODES, 'Type of Operation', { required: true }),
        sequence: int('Sequence', { default: 1 }),
        sequence_code: char('Sequence Prefix', { required: true }),
        warehouse_id: m2o('stock.warehouse', 'Warehouse', { ondelete: 'cascade' }),
        default_location_src_id: m2o('stock.location', 'Default Source Location'),
        default_location_dest_id: m2o('stock.location', 'Default Destination Location'),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
        active: bool('Active', { default: true }),
      },
      displayName: (env, rec) => {
        const wh = id(rec.warehouse_id);
        return wh ? `${env.rec('stock.warehouse', wh).name}: ${rec.name}` : String(rec.name);
      },
    }),
    defineModel({
      name: 'stock.picking',
      description: 'Transfer',
      order: 'id',
      mailThread: true,
      fields: {
        name: char('Reference', { default: '/' }),
        origin: char('Source Document'),
        note: html('Notes'),
        state: sel(PICKING_STATES, 'Status', { readonly: true, default: 'draft' }),
        scheduled_date: datetime('Scheduled Date', { default: now }),
        date_done: datetime('Date of Transfer', { readonly: true }),
        location_id: m2o('stock.location', 'Source Location', { required: true }),
        location_dest_id: m2o('stock.location', 'Destination Location', { required: true }),
        move_ids: o2m('stock.move', 'picking_id', 'Stock Moves'),
        move_line_ids: o2m('stock.move.line', 'picking_id', 'Operations'),
        picking_type_id: m2o('stock.picking.type', 'Operation Type', { required: true }),
        picking_type_code: sel(PICKING_CODES, 'Type of Operation', { related: 'picking_type_id.code' }),
        partner_id: m2o('res.partner', 'Contact'),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
        user_id: m2o('res.users', 'Responsible', { default: currentUser }),
        // 17.0/18.0: stored related fields (stock: group_id = move_ids.group_id; sale_stock: sale_id =
        // group_id.sale_id), set here from the moves the picking is created with. 19.0 has no
        // procurement.group: reference_ids is related to move_ids.reference_ids (addons/stock/models/
        // stock_picking.py), and sale_stock computes sale_id from the moves' sale lines (saleOfMove).
        ...(major < 19
          ? { group_id: m2o('procurement.group', 'Procurement Group', { readonly: true }) }
          : {
              reference_ids: {
                type: 'many2many',
                comodel: 'stock.reference',
                string: 'References',
                readonly: true,
                compute: (env: Env, rec: Rec) => [
                  ...new Set(movesOf(env, rec.id).flatMap((m) => (m.reference_ids ?? []) as readonly number[])),
                ].sort((a, b) => a - b),
              } satisfies FieldDef,
            }),
        sale_id: m2o('sale.order', 'Sales Order'),
      },
      beforeCreate: (env, vals) => {
        const newMoves = Array.isArray(vals.move_ids)
          ? vals.move_ids
              .filter((cmd): cmd is XmlRpcValue[] => Array.isArray(cmd) && cmd[0] === 0 && typeof cmd[2] === 'object' && cmd[2] !== null && !Array.isArray(cmd[2]))
              .map((cmd) => cmd[2] as Vals)
          : [];
        if (major < 19) {
          const group = newMoves.length ? id(newMoves[0]!.group_id as Stored) : null;
          vals.group_id = group ?? false;
          const groupSale = group === null ? null : id(env.get('procurement.group', group)?.sale_id);
          if (groupSale !== null) vals.sale_id = groupSale;
        } else if (!vals.sale_id) {
          const sale = newMoves.map((m) => saleOfMove(env, m)).find((o) => o !== null);
          if (sale !== undefined) vals.sale_id = sale;
        } else if (typeof vals.sale_id === 'number' && Array.isArray(vals.move_ids)) {
          vals.move_ids = linkSaleReference(env, vals.sale_id, vals.move_ids);
        }
        const type = typeof vals.picking_type_id === 'number' ? env.get('stock.picking.type', vals.picking_type_id) : undefined;
        if (vals.location_id && vals.location_dest_id && Array.isArray(vals.move_ids)) {
          vals.move_ids = vals.move_ids.map((cmd) =>
            Array.isArray(cmd) && cmd[0] === 0 && cmd[2] && typeof cmd[2] === 'object' && !Array.isArray(cmd[2])
              ? [0, 0, {
                  ...(cmd[2] as Vals),
                  location_id: vals.location_id!,
                  location_dest_id: vals.location_dest_id!,
                  picking_type_id: vals.picking_type_id ?? false,
                }]
              : cmd,
          );
        }
        if (!type) return;
        if (!vals.location_id) vals.location_id = id(type.default_location_src_id) ?? false;
        if (!vals.location_dest_id) {
          vals.location_dest_id =
            id(type.default_location_dest_id) ??
            (type.code === 'outgoing' ? refId(env, 'stock.stock_location_customers') : false);
        }
        if (!vals.name || vals.name === '/') {
          const wh = id(type.warehouse_id) ? env.get('stock.warehouse', type.warehouse_id as number) : undefined;
          const prefix = `${wh ? `${wh.code}/` : ''}${type.sequence_code}/`;
          vals.name = `${prefix}${pad5(env.orm.nextSequence(`stock.picking.type.${type.id}`))}`;
        }
      },
      methods: {
        action_confirm: pickingMethod('action_confirm', 1190, (env, model, ids) => {
          env.ensureExist(model, ids);
          confirmPickings(env, ids);
          return true;
        }),
        action_assign: pickingMethod('action_assign', 1243, (env, model, ids) => {
          env.ensureExist(model, ids);
          confirmPickings(env, ids.filter((p) => env.rec(model, p).state === 'draft'));
          reserveTracked(env, ids);
          for (const p of ids) {
            for (const move of movesOf(env, p)) {
              if (env.rec('product.product', move.product_id as number).tracking !== 'none') continue;
              if (move.state === 'confirmed' || move.state === 'waiting' || move.state === 'partially_available') {
                env.write('stock.move', [move.id], { state: 'assigned', quantity: num(move.product_uom_qty) });
              }
            }
            syncPickingState(env, p);
          }
          return true;
        }),
        button_validate: pickingMethod('button_validate', 1117, (env, _model, ids) => {
          validatePickings(env, ids);
          return true;
        }),
        action_cancel: pickingMethod('action_cancel', 1276, (env, model, ids) => {
          env.ensureExist(model, ids);
          cancelPickings(env, ids);
          return true;
        }),
      },
    }),
    defineModel({
      name: 'stock.move',
      description: 'Stock Move',
      order: 'sequence, id',
      fields: {
        // 19.0 dropped stock.move's `name` (addons/stock/models/stock_move.py): creating a move with it is
        // "Invalid field 'name' on model 'stock.move'". 17.0 and 18.0 require it.
        ...(major < 19 ? { name: char('Description', { required: true }) } : {}),
        sequence: int('Sequence', { default: 10 }),
        product_id: m2o('product.product', 'Product', { required: true }),
        product_uom_qty: float('Demand', { required: true, default: 0 }),
        quantity: float('Quantity', { default: 0 }),
        product_uom: m2o('uom.uom', 'UoM', { required: true }),
        location_id: m2o('stock.location', 'Source Location', { required: true }),
        location_dest_id: m2o('stock.location', 'Destination Location', { required: true }),
        picking_id: m2o('stock.picking', 'Transfer'),
        picking_type_id: m2o('stock.picking.type', 'Operation Type'),
        picking_code: sel(PICKING_CODES, 'Type of Operation', { related: 'picking_type_id.code' }),
        sale_line_id: m2o('sale.order.line', 'Sale Line'),
        ...(major < 19
          ? { group_id: m2o('procurement.group', 'Procurement Group') }
          : { reference_ids: { type: 'many2many', comodel: 'stock.reference', string: 'References' } satisfies FieldDef }),
        state: sel(MOVE_STATES, 'Status', { readonly: true, default: 'draft' }),
        move_line_ids: o2m('stock.move.line', 'move_id', 'Move Lines'),
        picked: bool('Picked'),
        origin: char('Source Document'),
        partner_id: m2o('res.partner', 'Destination Address'),
        date: datetime('Date Scheduled', { default: now }),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
      },
      beforeCreate: (env, vals) => {
        const picking = typeof vals.picking_id === 'number' ? env.get('stock.picking', vals.picking_id) : undefined;
        if (!picking) return;
        if (!vals.picking_type_id) vals.picking_type_id = picking.picking_type_id as number;
        if (!vals.location_id) vals.location_id = picking.location_id as number;
        if (!vals.location_dest_id) vals.location_dest_id = picking.location_dest_id as number;
      },
    }),
    defineModel({
      name: 'stock.move.line',
      description: 'Product Moves (Stock Move Line)',
      order: 'id',
      fields: {
        move_id: m2o('stock.move', 'Stock Operation', { ondelete: 'cascade' }),
        picking_id: m2o('stock.picking', 'Transfer'),
        product_id: m2o('product.product', 'Product', { ondelete: 'cascade' }),
        product_uom_id: m2o('uom.uom', 'Unit of Measure', { required: true }),
        lot_id: m2o('stock.lot', 'Lot/Serial Number'),
        lot_name: char('Lot/Serial Number Name'),
        quantity: float('Quantity', { default: 0 }),
        picked: bool('Picked'),
        state: sel(MOVE_STATES, 'Status', { related: 'move_id.state' }),
        picking_code: sel(PICKING_CODES, 'Type of Operation', { related: 'picking_id.picking_type_id.code' }),
        location_id: m2o('stock.location', 'From', { required: true }),
        location_dest_id: m2o('stock.location', 'To', { required: true }),
        date: datetime('Date', { default: now }),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
      },
      beforeCreate: (env, vals) => {
        const move = typeof vals.move_id === 'number' ? env.get('stock.move', vals.move_id) : undefined;
        if (!move) return;
        if (!vals.picking_id) vals.picking_id = move.picking_id as number;
        if (!vals.product_id) vals.product_id = move.product_id as number;
        if (!vals.product_uom_id) vals.product_uom_id = move.product_uom as number;
        if (!vals.location_id) vals.location_id = move.location_id as number;
        if (!vals.location_dest_id) vals.location_dest_id = move.location_dest_id as number;
      },
    }),
    major < 19
      ? defineModel({
          name: 'procurement.group',
          description: 'Procurement Group',
          order: 'id desc',
          fields: {
            name: char('Reference', { required: true }),
            move_type: sel(
              [
                ['direct', 'Partial'],
                ['one', 'All at once'],
              ],
              'Delivery Type',
              { default: 'direct', required: true },
            ),
            partner_id: m2o('res.partner', 'Partner'),
            sale_id: m2o('sale.order', 'Sale Order'),
          },
        })
      : // 19.0: addons/stock/models/stock_reference.py (name, move_ids over stock_reference_move_rel,
        // picking_ids computed from the moves) and addons/sale_stock/models/stock_reference.py (sale_ids).
        // The fake stores the move link on stock.move.reference_ids and reads move_ids back from there.
        defineModel({
          name: 'stock.reference',
          description: 'Reference between stock documents',
          fields: {
            name: char('Reference', { required: true }),
            move_ids: {
              type: 'many2many',
              comodel: 'stock.move',
              string: 'Stock Moves',
              compute: (env: Env, rec: Rec) => env.search('stock.move', [['reference_ids', 'in', [rec.id]]], { order: 'id' }),
            },
            picking_ids: {
              type: 'many2many',
              comodel: 'stock.picking',
              string: 'Transfers',
              readonly: true,
              compute: (env: Env, rec: Rec) => [
                ...new Set(
                  env
                    .search('stock.move', [['reference_ids', 'in', [rec.id]]])
                    .map((m) => id(env.rec('stock.move', m).picking_id))
                    .filter((p): p is number => p !== null),
                ),
              ].sort((a, b) => a - b),
            },
            sale_ids: { type: 'many2many', comodel: 'sale.order', string: 'Sales' },
          },
        }),
    defineModel({
      name: 'stock.quant',
      description: 'Quants',
      order: 'id',
      fields: {
        product_id: m2o('product.product', 'Product', { required: true, ondelete: 'restrict' }),
        location_id: m2o('stock.location', 'Location', { required: true }),
        lot_id: m2o('stock.lot', 'Lot/Serial Number'),
        quantity: float('Quantity', { readonly: true }),
        reserved_quantity: float('Reserved Quantity', { readonly: true, default: 0 }),
        company_id: m2o('res.company', 'Company', { default: mainCompany }),
      },
    }),
    defineModel({
      name: 'stock.lot',
      description: 'Lot/Serial',
      order: 'name, id',
      mailThread: true,
      fields: {
        name: char('Lot/Serial Number', { required: true }),
        ref: char('Internal Reference'),
        product_id: m2o('product.product', 'Product', { required: true }),
        company_id: m2o('res.company', 'Company', { required: true, default: mainCompany }),
      },
      beforeCreate: (env, vals) => {
        const clash = env.search('stock.lot', [
          ['name', '=', vals.name ?? false],
          ['product_id', '=', vals.product_id ?? false],
          ['company_id', '=', vals.company_id ?? false],
        ]);
        if (clash.length) {
          throw validationError(
            'The combination of serial number and product must be unique across a company.\n' +
              `Following combination contains duplicates:\n - Product: ${env.displayName('product.product', vals.product_id as number)}, ` +
              `Serial Number: ${pyStr(vals.name ?? false)}`,
          );
        }
      },
    }),
    defineModel({
      name: 'ir.model',
      description: 'Models',
      order: 'model',
      fields: { model: char('Model', { required: true }), name: char('Model Description', { required: true }) },
    }),
    defineModel({
      name: 'ir.model.data',
      description: 'Model Data',
      order: 'module, model, name',
      recName: 'complete_name',
      fields: {
        name: char('External Identifier', { required: true }),
        complete_name: char('Complete ID', { compute: (_env, rec) => `${rec.module}.${rec.name}` }),
        model: char('Model Name', { required: true }),
        module: char('Module', { required: true, default: '' }),
        res_id: ref2('Record ID'),
        noupdate: bool('Non Updatable'),
      },
      methods: {
        check_object_reference: method(
          'model',
          'IrModelData.check_object_reference',
          ['module', 'xml_id', { name: 'raise_on_access_error', default: false }],
          'read',
          2140,
          (env, _model, _ids, a) => {
            const [model, resId] = ref(env, `${pyStr(a.module!)}.${pyStr(a.xml_id!)}`);
            return [model, env.get(model, resId) ? resId : false];
          },
          { file: 'addons/base/models/ir_model.py' },
        ),
      },
    }),
    defineModel({
      name: 'ir.config_parameter',
      description: 'System Parameter',
      order: 'key',
      systemOnly: true,
      recName: 'key',
      fields: { key: char('Key', { required: true }), value: text('Value', { required: true }) },
      beforeCreate: (env, vals) => {
        if (env.search('ir.config_parameter', [['key', '=', vals.key ?? false]]).length) {
          throw validationError('Key must be unique.');
        }
      },
      methods: {
        get_param: method(
          'model',
          'IrConfigParameter.get_param',
          ['key', { name: 'default', default: false }],
          'read',
          87,
          (env, model, _ids, a) => {
            const [hit] = env.search(model, [['key', '=', a.key!]]);
            return hit ? (env.rec(model, hit).value as string) : a.default!;
          },
          { file: 'addons/base/models/ir_config_parameter.py' },
        ),
        set_param: method(
          'model',
          'IrConfigParameter.set_param',
          ['key', 'value'],
          'read',
          108,
          (env, model, _ids, a) => {
            const [hit] = env.search(model, [['key', '=', a.key!]]);
            const value = a.value!;
            const set = value !== false && value !== null;
            if (hit) {
              const old = env.rec(model, hit).value as string;
              if (!set) env.unlink(model, [hit]);
              else if (pyStr(value) !== old) env.write(model, [hit], { value: pyStr(value) });
              return old;
            }
            if (set) env.create(model, { key: a.key!, value: pyStr(value) });
            return false;
          },
          { file: 'addons/base/models/ir_config_parameter.py' },
        ),
      },
    }),
    defineModel({
      name: 'mail.message.subtype',
      description: 'Message subtypes',
      order: 'sequence, id',
      fields: {
        name: char('Message Type', { required: true }),
        internal: bool('Internal Only'),
        sequence: int('Sequence', { default: 1 }),
      },
    }),
    defineModel({
      name: 'mail.message',
      description: 'Message',
      order: 'id desc',
      recName: 'record_name',
      fields: {
        subject: char('Subject'),
        date: datetime('Date', { default: now }),
        body: html('Contents', { default: '' }),
        model: char('Related Document Model'),
        res_id: ref2('Related Document ID'),
        record_name: char('Message Record Name'),
        message_type: sel(
          [
            ['email', 'Incoming Email'],
            ['comment', 'Comment'],
            ['email_outgoing', 'Outgoing Email'],
            ['notification', 'System notification'],
            ['auto_comment', 'Automated Targeted Notification'],
            ['user_notification', 'User Specific Notification'],
          ],
          'Type',
          { required: true, default: 'comment' },
        ),
        subtype_id: m2o('mail.message.subtype', 'Subtype', { ondelete: 'set null' }),
        author_id: m2o('res.partner', 'Author'),
        email_from: char('From'),
        parent_id: m2o('mail.message', 'Parent Message', { ondelete: 'set null' }),
      },
    }),
    defineModel({
      name: 'mail.activity.type',
      description: 'Activity Type',
      order: 'sequence, id',
      fields: {
        name: char('Name', { required: true }),
        summary: char('Default Summary'),
        sequence: int('Sequence', { default: 10 }),
      },
    }),
    defineModel({
      name: 'mail.activity',
      description: 'Activity',
      order: 'date_deadline ASC, id ASC',
      fields: {
        res_model_id: m2o('ir.model', 'Document Model', { required: true, ondelete: 'cascade' }),
        res_model: char('Related Document Model', { related: 'res_model_id.model' }),
        res_id: ref2('Related Document ID', { required: true }),
        res_name: char('Document Name', {
          compute: (env, rec) => {
            const model = env.value('mail.activity', rec, 'res_model');
            return typeof model === 'string' && env.orm.models.has(model) ? env.displayName(model, num(rec.res_id)) : false;
          },
        }),
        activity_type_id: m2o('mail.activity.type', 'Activity Type', { ondelete: 'restrict' }),
        summary: char('Summary'),
        note: html('Note'),
        date_deadline: date('Due Date', { required: true, default: (env) => env.today() }),
        user_id: m2o('res.users', 'Assigned to', { required: true, default: currentUser }),
      },
      displayName: (env, rec) =>
        typeof rec.summary === 'string' && rec.summary
          ? rec.summary
          : env.displayName('mail.activity.type', num(rec.activity_type_id)),
      // mail.activity.create (17.0) notifies an assignee other than the creator with message_notify,
      // which needs a sender as message_post does, unless the context asks for a quick update.
      beforeCreate: (env, vals) => {
        const assignee = typeof vals.user_id === 'number' ? vals.user_id : env.uid;
        if (assignee !== env.uid && !env.context.mail_activity_quick_update) computeAuthor(env, null, null);
      },
    }),
  ];
}
