import { z } from 'zod';
import { isIntegrationError, permanent, type IntegrationError } from '../../core/errors.js';
import type { DeliveredOrder, FailureNotice } from '../../core/connector.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { malformed } from './errors.js';
import type { OdooConfig } from './config.js';
import type { SyncState } from './fields.js';
import type { OrderDetails } from './mapper.js';
import { chatterNote, escapeHtml } from './notes.js';
import { lineUom, many2one, type SaleOrderRecord } from './schemas.js';
import type { OdooDialect } from './versions.js';

export type Call = (model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal: AbortSignal) => Promise<XmlRpcValue>;

const idRows = z.array(z.looseObject({ id: z.number().int() }));
const locationRows = z.array(z.looseObject({ id: z.number().int(), complete_name: z.union([z.string(), z.literal(false)]) }));
/** `check_object_reference` answers `[model, id]`, or `[model, false]` when the record was deleted. */
const reference = z.tuple([z.string(), z.union([z.number().int(), z.literal(false)])]);
const syncRows = z.array(z.looseObject({ id: z.number().int() }).catchall(z.unknown()));
const userRows = z.array(z.looseObject({ id: z.number().int(), name: z.union([z.string(), z.literal(false)]), email: z.union([z.string(), z.literal(false)]).optional(), partner_id: many2one }));
const groupRows = z.array(z.looseObject({ id: z.number().int(), procurement_group_id: many2one }));

/** Reads an answer we depend on; an unexpected shape is Odoo answering oddly (retryable), never a crash. */
function parse<T>(schema: z.ZodType<T>, value: XmlRpcValue, operation: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw malformed(operation, parsed.error);
  return parsed.data;
}

/** The marker that ties a picking to the route and destination order: how a re-run finds it. */
export function pickingMarker(order: DeliveredOrder): string {
  return `order-bridge:${order.route}:${order.destinationId}`;
}

/** Where a sync state stands: a later state is never replaced by an earlier one ("error" stands apart). */
const progress: Record<SyncState, number> = { waiting: 1, exported: 2, delivered: 3, error: 0 };

interface DeliveryTargets {
  sourceLocation: number;
  destinationLocation: number;
  pickingType: number;
}

/** Who the chatter notes are from: the integration user's partner, with a sender that needs no email address. */
interface Author {
  partnerId: number;
  emailFrom: string;
}

/**
 * Creates the draft deliveries, sync states and notes in Odoo. Locations and the picking type are
 * resolved once per process (they do not move), and a misconfiguration is a permanent error naming the
 * setting.
 */
export class OdooActions {
  private targets: Promise<DeliveryTargets> | null = null;
  private author: Promise<Author> | null = null;

  constructor(
    private readonly config: OdooConfig,
    private readonly call: Call,
    private readonly readOrder: (id: number, signal: AbortSignal) => Promise<{ record: SaleOrderRecord; details: OrderDetails } | null>,
    /** The integration user's id. */
    private readonly uid: (signal: AbortSignal) => Promise<number>,
    /** The connected server's version differences. */
    private readonly dialect: (signal: AbortSignal) => Promise<OdooDialect>,
  ) {}

  async createDraftPicking(order: DeliveredOrder, signal: AbortSignal): Promise<string> {
    const loaded = await this.readOrder(Number(order.sourceId), signal);
    if (loaded === null) throw permanent('SOURCE_ORDER_MISSING', `sale.order ${order.sourceId} no longer exists in Odoo`);
    const { record, details } = loaded;
    const marker = pickingMarker(order);

    // Look before creating: a run that died after Odoo created the picking left it behind with our marker.
    const existing = parse(
      idRows,
      await this.call('stock.picking', 'search_read', [[['origin', '=', record.name], ['note', 'ilike', marker]]], { fields: ['id'], limit: 1 }, signal),
      'stock.picking.search_read',
    );
    let pickingId = existing[0]?.id;
    if (pickingId === undefined) pickingId = await this.newDraftPicking(order, record, details, marker, signal);
    if (this.config.delivery.cancelOdooPicking) await this.cancelOdooPickings(record.id, pickingId, signal);
    await this.writeSyncState(record.id, 'delivered', false, signal);
    return `stock.picking:${pickingId}`;
  }

  private async newDraftPicking(order: DeliveredOrder, record: SaleOrderRecord, details: OrderDetails, marker: string, signal: AbortSignal): Promise<number> {
    const targets = await this.resolveTargets(signal);
    const dialect = await this.dialect(signal);
    // Up to 18.0 the order's procurement group is what links a picking to the order (sale_stock:
    // stock.picking.sale_id is related to group_id.sale_id, and group_id to the moves' group_id); 19.0 has
    // no procurement groups: the moves carry the order's stock reference instead.
    const link: Record<string, XmlRpcValue> =
      dialect.orderLink === 'procurementGroup'
        ? { group_id: await this.procurementGroup(record, signal) }
        : { reference_ids: [[4, await this.stockReference(record, signal)]] };
    const serialNotes: string[] = [];
    const moves: XmlRpcValue[] = [];
    for (const lineId of record.order_line) {
      const line = details.lines.get(lineId);
      if (line === undefined || line.display_type !== false || line.product_id === false || line.product_uom_qty <= 0) continue;
      const product = details.products.get(line.product_id[0]);
      if (typeof product?.type === 'string' && dialect.nonGoodsTypes.includes(product.type)) continue;
      const uom = lineUom(line);
      if (uom === false) throw permanent('ODOO_LINE_WITHOUT_UOM', `order ${record.name}: line "${line.name || line.product_id[1]}" has no unit of measure`);
      moves.push([
        0,
        0,
        {
          // stock.move's description field is gone in 19.0; Odoo then shows the product's name.
          ...(dialect.moveName ? { name: typeof line.name === 'string' && line.name !== '' ? line.name : line.product_id[1] } : {}),
          product_id: line.product_id[0],
          product_uom_qty: line.product_uom_qty,
          product_uom: uom[0],
          location_id: targets.sourceLocation,
          location_dest_id: targets.destinationLocation,
          ...link,
        },
      ]);
      const serials = details.deliveredSerials.get(line.id) ?? [];
      if (serials.length > 0) serialNotes.push(`${line.product_id[1]}: ${serials.join(', ')}`);
    }
    if (moves.length === 0) throw permanent('NOTHING_TO_DELIVER', `order ${record.name} has no goods lines to put on a delivery`);

    const note = [
      `<p>Delivered according to Ysell: order ${escapeHtml(order.destinationId)}, status "${escapeHtml(order.destinationStatus)}".</p>`,
      serialNotes.length > 0 ? `<p>Serial numbers: ${serialNotes.map(escapeHtml).join('; ')}</p>` : '',
      `<p>${escapeHtml(marker)}</p>`,
    ].join('');
    const shipping = record.partner_shipping_id !== false ? record.partner_shipping_id[0] : record.partner_id !== false ? record.partner_id[0] : false;
    const created = await this.call(
      'stock.picking',
      'create',
      [
        {
          picking_type_id: targets.pickingType,
          location_id: targets.sourceLocation,
          location_dest_id: targets.destinationLocation,
          partner_id: shipping,
          origin: record.name,
          note,
          move_ids: moves,
          ...(dialect.orderLink === 'stockReference' ? { sale_id: record.id } : {}),
        },
      ],
      {},
      signal,
    );
    const pickingId = Array.isArray(created) ? created[0] : created;
    if (typeof pickingId !== 'number') throw malformed('stock.picking.create', `expected an id, got ${JSON.stringify(created)}`);
    return pickingId;
  }

  /** The order's procurement group; one is made (as sale_stock makes it at confirmation) when it has none. */
  private async procurementGroup(record: SaleOrderRecord, signal: AbortSignal): Promise<number> {
    const [order] = parse(groupRows, await this.call('sale.order', 'read', [[record.id], ['procurement_group_id']], {}, signal), 'sale.order.read');
    if (order !== undefined && order.procurement_group_id !== false) return order.procurement_group_id[0];
    const shipping = record.partner_shipping_id !== false ? record.partner_shipping_id[0] : record.partner_id !== false ? record.partner_id[0] : false;
    const created = await this.call('procurement.group', 'create', [{ name: record.name, sale_id: record.id, partner_id: shipping, move_type: 'direct' }], {}, signal);
    const groupId = Array.isArray(created) ? created[0] : created;
    if (typeof groupId !== 'number') throw malformed('procurement.group.create', `expected an id, got ${JSON.stringify(created)}`);
    return groupId;
  }

  /** 19.0: the order's stock reference; one is made (as sale_stock makes it at confirmation) when it has none. */
  private async stockReference(record: SaleOrderRecord, signal: AbortSignal): Promise<number> {
    const rows = z.array(z.looseObject({ id: z.number().int(), stock_reference_ids: z.array(z.number().int()) }));
    const [order] = parse(rows, await this.call('sale.order', 'read', [[record.id], ['stock_reference_ids']], {}, signal), 'sale.order.read');
    const existing = order?.stock_reference_ids[0];
    if (existing !== undefined) return existing;
    const created = await this.call('stock.reference', 'create', [{ name: record.name, sale_ids: [[4, record.id]] }], {}, signal);
    const referenceId = Array.isArray(created) ? created[0] : created;
    if (typeof referenceId !== 'number') throw malformed('stock.reference.create', `expected an id, got ${JSON.stringify(created)}`);
    return referenceId;
  }

  /** Odoo's own outgoing pickings of the order that are not done, now that Ysell delivered it (opt-in). */
  private async cancelOdooPickings(orderId: number, ours: number, signal: AbortSignal): Promise<void> {
    const open = parse(
      idRows,
      await this.call(
        'stock.picking',
        'search_read',
        [[['sale_id', '=', orderId], ['picking_type_code', '=', 'outgoing'], ['state', 'not in', ['done', 'cancel']], ['id', '!=', ours]]],
        { fields: ['id'] },
        signal,
      ),
      'stock.picking.search_read',
    );
    if (open.length > 0) await this.call('stock.picking', 'action_cancel', [open.map((p) => p.id)], {}, signal);
  }

  /**
   * Tells the people on the order that a job failed: the sync state and message first, so that they see
   * it whatever happens next; then the chatter note and the to-do. A note or to-do Odoo refuses does not
   * undo the state: it is reported (permanent) once everything else is done.
   */
  async notifyFailure(notice: FailureNotice, signal: AbortSignal): Promise<{ revision: string | null }> {
    const orderId = Number(notice.sourceId);
    await this.writeSyncState(orderId, 'error', notice.message, signal);
    const refused: string[] = [];
    const attempt = async (what: string, step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (err) {
        if (!isIntegrationError(err) || err.kind === 'retryable') throw err;
        refused.push(`${what}: ${err.message}`);
      }
    };
    if (notice.chatter) await attempt('the chatter note', () => this.postNote(orderId, notice.title, notice.message, notice.marker, signal));
    if (notice.activity) await attempt('the to-do', () => this.scheduleActivity(orderId, notice, signal));
    if (refused.length > 0) {
      throw permanent(
        'ODOO_NOTICE_REFUSED',
        `the failure is shown on the order (${this.config.fields.syncState ?? 'no sync state field'}), but Odoo refused ${refused.join('; ')}`,
        { context: { system: 'odoo', sourceId: notice.sourceId } },
      );
    }
    return { revision: await this.revision(orderId, signal) };
  }

  /**
   * Writes the destination's id back, and the sync state unless the order is already further on (a
   * delivered order stays delivered). Warnings (e.g. serials missing) stay in the sync message, and go
   * into the chatter once.
   */
  async markExported(orderId: number, destinationId: string, warnings: readonly string[], knownState: string | undefined, signal: AbortSignal): Promise<void> {
    const { destinationOrderId, syncState, syncMessage } = this.config.fields;
    const values: Record<string, XmlRpcValue> = {};
    if (destinationOrderId !== null) values[destinationOrderId] = destinationId;
    if (syncState !== null && (await this.canMoveTo(orderId, 'exported', knownState, signal))) values[syncState] = 'exported';
    if (syncMessage !== null) values[syncMessage] = warnings.length === 0 ? false : warnings.join('\n');
    if (Object.keys(values).length > 0) await this.call('sale.order', 'write', [[orderId], values], {}, signal);
    if (warnings.length === 0) return;
    try {
      await this.postNote(orderId, 'order-bridge: sent to Ysell with a warning', warnings.join('\n'), `order-bridge:warning:${orderId}:${destinationId}`, signal);
    } catch (err) {
      // The order is in Ysell and the warning is in its sync message: a refused note must not fail the export.
      if (!isIntegrationError(err) || err.kind === 'retryable') throw err;
    }
  }

  /** Shows that the order waits (e.g. for its serial numbers), writing only when that changes. */
  async markWaiting(orderId: number, message: string, signal: AbortSignal): Promise<void> {
    const { syncState, syncMessage } = this.config.fields;
    if (syncState === null && syncMessage === null) return;
    const current = await this.syncValues(orderId, signal);
    if (current === null) return;
    const state = syncState === null ? undefined : current[syncState];
    if (typeof state === 'string' && state in progress && progress[state as SyncState] > progress.waiting) return;
    const values: Record<string, XmlRpcValue> = {};
    if (syncState !== null && state !== 'waiting') values[syncState] = 'waiting';
    if (syncMessage !== null && current[syncMessage] !== message) values[syncMessage] = message;
    if (Object.keys(values).length > 0) await this.call('sale.order', 'write', [[orderId], values], {}, signal);
  }

  /** The order's write_date: our own writes must not count as a change that queues the order again. */
  async revision(orderId: number, signal: AbortSignal): Promise<string | null> {
    const [after] = parse(z.array(z.looseObject({ write_date: z.string() })), await this.call('sale.order', 'read', [[orderId], ['write_date']], {}, signal), 'sale.order.read');
    return after?.write_date ?? null;
  }

  /**
   * An internal note, posted as the integration user but with an explicit author and sender: Odoo 17's
   * message_post otherwise takes the sender from the user's email address and refuses to post without one
   * (mail.thread._message_compute_author). A note notifies no one by email, so the sender is only a label.
   */
  private async postNote(orderId: number, title: string, message: string, marker: string, signal: AbortSignal): Promise<void> {
    const posted = parse(
      idRows,
      await this.call('mail.message', 'search_read', [[['model', '=', 'sale.order'], ['res_id', '=', orderId], ['body', 'ilike', marker]]], { fields: ['id'], limit: 1 }, signal),
      'mail.message.search_read',
    );
    if (posted.length > 0) return;
    const author = await this.noteAuthor(signal);
    await this.call(
      'sale.order',
      'message_post',
      [[orderId]],
      {
        body: chatterNote(title, message, marker),
        body_is_html: true,
        message_type: 'comment',
        subtype_xmlid: 'mail.mt_note',
        author_id: author.partnerId,
        email_from: author.emailFrom,
      },
      signal,
    );
  }

  private noteAuthor(signal: AbortSignal): Promise<Author> {
    this.author ??= (async () => {
      const uid = await this.uid(signal);
      const [user] = parse(userRows, await this.call('res.users', 'read', [[uid], ['name', 'email', 'partner_id']], {}, signal), 'res.users.read');
      if (user === undefined || user.partner_id === false) throw malformed('res.users.read', `the integration user ${uid} has no partner`);
      const name = (user.name || user.partner_id[1] || 'order-bridge').replace(/["<>]/g, '');
      const email = typeof user.email === 'string' ? user.email.trim() : '';
      return { partnerId: user.partner_id[0], emailFrom: email === '' ? name : `"${name}" <${email}>` };
    })().catch((err: unknown) => {
      this.author = null;
      throw err;
    });
    return this.author;
  }

  private async scheduleActivity(orderId: number, notice: FailureNotice, signal: AbortSignal): Promise<void> {
    const existing = parse(
      idRows,
      await this.call('mail.activity', 'search_read', [[['res_model', '=', 'sale.order'], ['res_id', '=', orderId], ['note', 'ilike', notice.marker]]], { fields: ['id'], limit: 1 }, signal),
      'mail.activity.search_read',
    );
    if (existing.length > 0) return;
    const [models, todo, orders] = await Promise.all([
      this.call('ir.model', 'search_read', [[['model', '=', 'sale.order']]], { fields: ['id'], limit: 1 }, signal),
      this.call('ir.model.data', 'check_object_reference', ['mail', 'mail_activity_data_todo'], {}, signal),
      this.call('sale.order', 'read', [[orderId], ['user_id']], {}, signal),
    ]);
    const model = parse(idRows, models, 'ir.model.search_read')[0];
    const salesperson = parse(z.array(z.looseObject({ user_id: many2one })), orders, 'sale.order.read')[0]?.user_id;
    const activityType = parse(reference, todo, 'ir.model.data.check_object_reference')[1];
    if (model === undefined || salesperson === undefined || salesperson === false || activityType === false) return;
    const values = {
      res_model_id: model.id,
      res_id: orderId,
      activity_type_id: activityType,
      user_id: salesperson[0],
      summary: notice.title.slice(0, 120),
      note: chatterNote(notice.title, notice.message, notice.marker),
      date_deadline: new Date().toISOString().slice(0, 10),
    };
    try {
      await this.call('mail.activity', 'create', [values], {}, signal);
    } catch (err) {
      // Odoo mails the salesperson about a to-do from the integration user's address; without one the
      // to-do is still worth having, without that mail (the context Odoo's own quick updates use).
      if (!isSenderAddressMissing(err)) throw err;
      await this.call('mail.activity', 'create', [values], { context: { mail_activity_quick_update: true } }, signal);
    }
  }

  private async syncValues(orderId: number, signal: AbortSignal): Promise<Record<string, unknown> | null> {
    const names = [this.config.fields.syncState, this.config.fields.syncMessage].filter((f): f is string => f !== null);
    const [row] = parse(syncRows, await this.call('sale.order', 'read', [[orderId], names], {}, signal), 'sale.order.read');
    return row ?? null;
  }

  /**
   * Whether the order's sync state may become `state`: never back from a later one ("error" may always be
   * left). The state read along with the order is used when there is one; otherwise it is read now.
   */
  private async canMoveTo(orderId: number, state: SyncState, knownState: string | undefined, signal: AbortSignal): Promise<boolean> {
    const field = this.config.fields.syncState;
    if (field === null) return false;
    const current = knownState ?? (await this.syncValues(orderId, signal))?.[field];
    return !(typeof current === 'string' && current in progress && progress[current as SyncState] > progress[state]);
  }

  private async writeSyncState(orderId: number, state: SyncState, message: string | false, signal: AbortSignal): Promise<void> {
    const { syncState, syncMessage } = this.config.fields;
    const values: Record<string, XmlRpcValue> = {};
    if (syncState !== null) values[syncState] = state;
    if (syncMessage !== null) values[syncMessage] = message;
    if (Object.keys(values).length > 0) await this.call('sale.order', 'write', [[orderId], values], {}, signal);
  }

  private resolveTargets(signal: AbortSignal): Promise<DeliveryTargets> {
    this.targets ??= this.lookUpTargets(signal).catch((err: unknown) => {
      this.targets = null;
      throw err;
    });
    return this.targets;
  }

  private async lookUpTargets(signal: AbortSignal): Promise<DeliveryTargets> {
    const settings = this.config.delivery;
    const sourceLocation = await this.sourceLocation(settings.sourceLocation, signal);
    const destinationLocation =
      typeof settings.destinationLocation === 'number' ? settings.destinationLocation : await this.xmlId(settings.destinationLocation, 'delivery.destinationLocation', signal);
    let pickingType: number;
    if (settings.pickingType !== undefined) {
      pickingType = typeof settings.pickingType === 'number' ? settings.pickingType : await this.xmlId(settings.pickingType, 'delivery.pickingType', signal);
    } else {
      const own = parse(
        idRows,
        await this.call('stock.picking.type', 'search_read', [[['code', '=', 'outgoing'], ['default_location_src_id', '=', sourceLocation]]], { fields: ['id'] }, signal),
        'stock.picking.type.search_read',
      );
      pickingType = own.length === 1 ? own[0]!.id : await this.xmlId('stock.picking_type_out', 'delivery.pickingType', signal);
    }
    return { sourceLocation, destinationLocation, pickingType };
  }

  /**
   * The internal location a setting names: by complete name ("WH/ShemaxGlobal") or by name
   * ("ShemaxGlobal"); an exact complete name wins over names. None, or several, is a permanent error that
   * lists what Odoo has.
   */
  private async sourceLocation(setting: string | number, signal: AbortSignal): Promise<number> {
    if (typeof setting === 'number') return setting;
    const search = (domain: XmlRpcValue[], limit?: number): Promise<z.infer<typeof locationRows>> =>
      this.call('stock.location', 'search_read', [[...domain, ['usage', '=', 'internal']]], { fields: ['id', 'complete_name'], ...(limit ? { limit } : {}) }, signal).then((value) =>
        parse(locationRows, value, 'stock.location.search_read'),
      );
    const found = await search(['|', ['complete_name', '=', setting], ['name', '=', setting]]);
    const exact = found.filter((l) => l.complete_name === setting);
    if (exact.length === 1) return exact[0]!.id;
    if (found.length === 1) return found[0]!.id;
    const describe = (rows: z.infer<typeof locationRows>): string => rows.map((l) => `"${l.complete_name || '?'}" (id ${l.id})`).join(', ');
    const setIt = 'set connections.<odoo>.delivery.sourceLocation to one complete name or id';
    if (found.length > 1) {
      throw permanent('ODOO_LOCATION_AMBIGUOUS', `delivery.sourceLocation "${setting}" matches ${found.length} internal locations: ${describe(found)}; ${setIt}`, {
        context: { system: 'odoo', setting, candidates: found.map((l) => l.id) },
      });
    }
    const similar = await search([['complete_name', 'ilike', setting]], 10);
    throw permanent(
      'ODOO_LOCATION_MISSING',
      `delivery.sourceLocation: no internal stock location is named or completely named "${setting}" in Odoo` +
        `${similar.length > 0 ? `; similar: ${describe(similar)}` : ''}; ${setIt}`,
      { context: { system: 'odoo', setting } },
    );
  }

  private async xmlId(xmlId: string, setting: string, signal: AbortSignal): Promise<number> {
    const [module, name] = xmlId.split('.') as [string, string];
    const missing = (cause?: unknown): IntegrationError => permanent('ODOO_XMLID_MISSING', `${setting}: Odoo has no record "${xmlId}"`, cause === undefined ? {} : { cause });
    const value = await this.call('ir.model.data', 'check_object_reference', [module, name], {}, signal).catch((err: unknown) => {
      if (isIntegrationError(err) && err.kind === 'retryable') throw err;
      throw missing(err);
    });
    const id = parse(reference, value, 'ir.model.data.check_object_reference')[1];
    if (id === false) throw missing();
    return id;
  }
}

/** Odoo 17's refusal to send mail from a user without an email address (mail.thread._message_compute_author). */
export function isSenderAddressMissing(err: unknown): boolean {
  return isIntegrationError(err) && err.code === 'ODOO_USER_ERROR' && /sender's email address/i.test(err.message);
}
