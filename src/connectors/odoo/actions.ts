import { z } from 'zod';
import { isIntegrationError, permanent } from '../../core/errors.js';
import type { DeliveredOrder, FailureNotice } from '../../core/connector.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { malformed } from './client.js';
import type { OdooConfig } from './config.js';
import type { SyncState } from './fields.js';
import type { OrderDetails } from './mapper.js';
import type { SaleOrderRecord } from './schemas.js';

export type Call = (model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal: AbortSignal) => Promise<XmlRpcValue>;

const idRows = z.array(z.object({ id: z.number().int() }).loose());
const locationRows = z.array(z.object({ id: z.number().int(), complete_name: z.union([z.string(), z.literal(false)]) }));
const reference = z.tuple([z.string(), z.number().int()]);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The marker that ties a picking to the route and destination order: how a re-run finds it. */
export function pickingMarker(order: DeliveredOrder): string {
  return `order-bridge:${order.route}:${order.destinationId}`;
}

interface DeliveryTargets {
  sourceLocation: number;
  destinationLocation: number;
  pickingType: number;
}

/**
 * Creates the draft deliveries and failure notices in Odoo. Locations and the picking type are resolved
 * once per process (they do not move), and a misconfiguration is a permanent error naming the setting.
 */
export class OdooActions {
  private targets: Promise<DeliveryTargets> | null = null;

  constructor(
    private readonly config: OdooConfig,
    private readonly call: Call,
    private readonly readOrder: (id: number, signal: AbortSignal) => Promise<{ record: SaleOrderRecord; details: OrderDetails } | null>,
  ) {}

  async createDraftPicking(order: DeliveredOrder, signal: AbortSignal): Promise<string> {
    const loaded = await this.readOrder(Number(order.sourceId), signal);
    if (loaded === null) throw permanent('SOURCE_ORDER_MISSING', `sale.order ${order.sourceId} no longer exists in Odoo`);
    const { record, details } = loaded;
    const marker = pickingMarker(order);

    // Look before creating: a run that died after Odoo created the picking left it behind with our marker.
    const existing = idRows.parse(
      await this.call('stock.picking', 'search_read', [[['origin', '=', record.name], ['note', 'ilike', marker]]], { fields: ['id'], limit: 1 }, signal),
    );
    if (existing[0] !== undefined) return `stock.picking:${existing[0].id}`;

    const targets = await this.resolveTargets(signal);
    const serialNotes: string[] = [];
    const moves: XmlRpcValue[] = [];
    for (const lineId of record.order_line) {
      const line = details.lines.get(lineId);
      if (line === undefined || line.display_type !== false || line.product_id === false || line.product_uom_qty <= 0) continue;
      const product = details.products.get(line.product_id[0]);
      if (product?.type === 'service') continue;
      if (line.product_uom === false) throw permanent('ODOO_LINE_WITHOUT_UOM', `order ${record.name}: line "${line.name || line.product_id[1]}" has no unit of measure`);
      moves.push([
        0,
        0,
        {
          name: typeof line.name === 'string' && line.name !== '' ? line.name : line.product_id[1],
          product_id: line.product_id[0],
          product_uom_qty: line.product_uom_qty,
          product_uom: line.product_uom[0],
          location_id: targets.sourceLocation,
          location_dest_id: targets.destinationLocation,
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
        },
      ],
      {},
      signal,
    );
    const pickingId = Array.isArray(created) ? created[0] : created;
    if (typeof pickingId !== 'number') throw malformed('stock.picking.create', `expected an id, got ${JSON.stringify(created)}`);
    await this.writeSyncState(record.id, 'delivered', false, signal);
    return `stock.picking:${pickingId}`;
  }

  async notifyFailure(notice: FailureNotice, signal: AbortSignal): Promise<{ revision: string | null }> {
    const orderId = Number(notice.sourceId);
    const text = `${notice.title}\n${notice.message}\n(${notice.marker})`;
    if (notice.chatter) {
      const posted = idRows.parse(
        await this.call('mail.message', 'search_read', [[['model', '=', 'sale.order'], ['res_id', '=', orderId], ['body', 'ilike', notice.marker]]], { fields: ['id'], limit: 1 }, signal),
      );
      if (posted.length === 0) {
        await this.call('sale.order', 'message_post', [[orderId]], { body: text, message_type: 'comment', subtype_xmlid: 'mail.mt_note' }, signal);
      }
    }
    if (notice.activity) await this.scheduleActivity(orderId, notice, signal);
    await this.writeSyncState(orderId, 'error', notice.message, signal);
    const [after] = z.array(z.object({ write_date: z.string() })).parse(await this.call('sale.order', 'read', [[orderId], ['write_date']], {}, signal));
    return { revision: after?.write_date ?? null };
  }

  private async scheduleActivity(orderId: number, notice: FailureNotice, signal: AbortSignal): Promise<void> {
    const existing = idRows.parse(
      await this.call('mail.activity', 'search_read', [[['res_model', '=', 'sale.order'], ['res_id', '=', orderId], ['note', 'ilike', notice.marker]]], { fields: ['id'], limit: 1 }, signal),
    );
    if (existing.length > 0) return;
    const [models, todo, orders] = await Promise.all([
      this.call('ir.model', 'search_read', [[['model', '=', 'sale.order']]], { fields: ['id'], limit: 1 }, signal),
      this.call('ir.model.data', 'check_object_reference', ['mail', 'mail_activity_data_todo'], {}, signal),
      this.call('sale.order', 'read', [[orderId], ['user_id']], {}, signal),
    ]);
    const model = idRows.parse(models)[0];
    const salesperson = z.array(z.object({ user_id: z.union([z.tuple([z.number(), z.string()]), z.literal(false)]) })).parse(orders)[0]?.user_id;
    if (model === undefined || salesperson === undefined || salesperson === false) return;
    await this.call(
      'mail.activity',
      'create',
      [
        {
          res_model_id: model.id,
          res_id: orderId,
          activity_type_id: reference.parse(todo)[1],
          user_id: salesperson[0],
          summary: notice.title.slice(0, 120),
          note: `<p>${escapeHtml(notice.message)}</p><p>${escapeHtml(notice.marker)}</p>`,
          date_deadline: new Date().toISOString().slice(0, 10),
        },
      ],
      {},
      signal,
    );
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
      const own = idRows.parse(
        await this.call('stock.picking.type', 'search_read', [[['code', '=', 'outgoing'], ['default_location_src_id', '=', sourceLocation]]], { fields: ['id'] }, signal),
      );
      pickingType = own.length === 1 ? own[0]!.id : await this.xmlId('stock.picking_type_out', 'delivery.pickingType', signal);
    }
    return { sourceLocation, destinationLocation, pickingType };
  }

  private async sourceLocation(setting: string | number, signal: AbortSignal): Promise<number> {
    if (typeof setting === 'number') return setting;
    for (const field of ['complete_name', 'name']) {
      const found = locationRows.parse(
        await this.call('stock.location', 'search_read', [[[field, '=', setting], ['usage', '=', 'internal']]], { fields: ['id', 'complete_name'] }, signal),
      );
      if (found.length === 1) return found[0]!.id;
      if (found.length > 1) {
        throw permanent('ODOO_LOCATION_AMBIGUOUS', `delivery.sourceLocation "${setting}" matches ${found.length} locations (${found.map((l) => l.complete_name).join(', ')}): use the complete name or the id`);
      }
    }
    throw permanent('ODOO_LOCATION_MISSING', `delivery.sourceLocation: no internal stock location named "${setting}" in Odoo; set connections.<odoo>.delivery.sourceLocation`);
  }

  private async xmlId(xmlId: string, setting: string, signal: AbortSignal): Promise<number> {
    const [module, name] = xmlId.split('.') as [string, string];
    const value = await this.call('ir.model.data', 'check_object_reference', [module, name], {}, signal).catch((err: unknown) => {
      if (isIntegrationError(err) && err.kind === 'retryable') throw err;
      throw permanent('ODOO_XMLID_MISSING', `${setting}: Odoo has no record "${xmlId}"`, { cause: err });
    });
    return reference.parse(value)[1];
  }
}
