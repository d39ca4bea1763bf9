import { z } from 'zod';
import type { ChangedPage, Connector, ConnectorDefinition, FetchedOrder, OrderSource, PollWindow, SecretStore, WebhookTrigger } from '../../core/connector.js';
import { withInlineRetry, type InlineRetry } from '../../core/retry.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { OdooActions } from './actions.js';
import { OdooClient } from './client.js';
import { malformed } from './errors.js';
import { odooConfigSchema, type OdooConfig } from './config.js';
import { toFetchedOrder, type OrderDetails } from './mapper.js';
import {
  countryRecord,
  partnerFields,
  partnerRecord,
  productFields,
  productRecord,
  saleOrderFields,
  saleOrderLineFields,
  saleOrderLineRecord,
  saleOrderRecord,
  stockMoveLineRecord,
  stockMoveRecord,
  type SaleOrderRecord,
} from './schemas.js';

/** A poll's page reads are repeated this often (the first included) on retryable failures, as Ozon's are. */
const pageRetry: InlineRetry = { attempts: 4, backoff: { baseMs: 500, maxMs: 10_000 } };

/** Where the poll is: the last (write_date, id) it read. */
const cursorSchema = z.object({ writeDate: z.string(), id: z.number().int() });
type Cursor = z.infer<typeof cursorSchema>;

function odooDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function shiftOdooDate(value: string, ms: number): string {
  return odooDate(new Date(Date.parse(`${value.replace(' ', 'T')}Z`) + ms));
}

function later(a: Cursor, b: Cursor): Cursor {
  return a.writeDate > b.writeDate || (a.writeDate === b.writeDate && a.id > b.id) ? a : b;
}

function parseRecords<T>(schema: z.ZodType<T>, value: XmlRpcValue, operation: string): T[] {
  const parsed = z.array(schema).safeParse(value);
  if (!parsed.success) throw malformed(operation, parsed.error);
  return parsed.data;
}

function unique(ids: Iterable<number>): number[] {
  return [...new Set(ids)];
}

/**
 * Odoo 17's "Send Webhook Notification" body: `_id`, `_model`, `_action` and the selected fields read
 * with load=None (many2one as a bare id, empty as false).
 */
export const odooWebhookSchema = z.looseObject({
  _id: z.number().int().positive(),
  _model: z.literal('sale.order', { error: 'only sale.order records can be sent to this hook' }),
  _action: z.string().optional(),
  name: z.string().optional(),
  state: z.string().optional(),
  write_date: z.union([z.string(), z.literal(false)]).optional(),
});

const webhook: WebhookTrigger = {
  schema: odooWebhookSchema,
  interpret(body) {
    const payload = odooWebhookSchema.parse(body);
    if (payload.state !== undefined && payload.state !== 'sale') {
      return { ignore: `sale.order ${payload._id} is in state "${payload.state}"; only confirmed orders (sale) are exported` };
    }
    return {
      sourceId: String(payload._id),
      number: payload.name ?? null,
      // A webhook means "this order was (re)confirmed": it carries no revision so that it always counts.
      revision: null,
    };
  },
};

export function createOdooConnector(config: OdooConfig, client: OdooClient): Connector {
  const call = (model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal: AbortSignal) =>
    client.executeKw(model, method, args, kwargs, signal);

  async function readMany<T>(model: string, schema: z.ZodType<T>, ids: number[], fields: readonly string[], signal: AbortSignal): Promise<T[]> {
    if (ids.length === 0) return [];
    return parseRecords(schema, await call(model, 'read', [ids, [...fields]], {}, signal), `${model}.read`);
  }

  /** Everything the mapper needs for a page of orders, in three rounds of batched calls. */
  const dialect = async (signal: AbortSignal) => (await client.session(signal)).dialect;

  async function loadDetails(orders: readonly SaleOrderRecord[], signal: AbortSignal): Promise<OrderDetails> {
    const version = await dialect(signal);
    const lineFields = config.fields.lineSerials === null ? saleOrderLineFields(version) : [...saleOrderLineFields(version), config.fields.lineSerials];
    const lines = await readMany('sale.order.line', saleOrderLineRecord, orders.flatMap((o) => o.order_line), lineFields, signal);
    const lineIds = lines.map((l) => l.id);
    const productIds = unique(lines.flatMap((l) => (l.product_id === false ? [] : [l.product_id[0]])));
    const partnerIds = unique(orders.flatMap((o) => [o.partner_id, o.partner_shipping_id].flatMap((p) => (p === false ? [] : [p[0]]))));

    const [products, partners, moves] = await Promise.all([
      readMany('product.product', productRecord, productIds, [...productFields, ...(config.serialsFromDeliveries ? ['tracking'] : []), config.fields.destinationProductId], signal),
      readMany('res.partner', partnerRecord, partnerIds, partnerFields(version), signal),
      config.serialsFromDeliveries && lineIds.length > 0
        ? call(
            'stock.move',
            'search_read',
            [[['sale_line_id', 'in', lineIds], ['picking_code', '=', 'outgoing'], ['state', '!=', 'cancel']]],
            { fields: ['sale_line_id', 'move_line_ids'] },
            signal,
          ).then((value) => parseRecords(stockMoveRecord, value, 'stock.move.search_read'))
        : Promise.resolve([]),
    ]);

    const countryIds = unique(partners.flatMap((p) => (p.country_id === false ? [] : [p.country_id[0]])));
    const [countries, moveLines] = await Promise.all([
      readMany('res.country', countryRecord, countryIds, ['code'], signal),
      readMany('stock.move.line', stockMoveLineRecord, moves.flatMap((m) => m.move_line_ids), ['lot_id', 'lot_name'], signal),
    ]);

    const lotByMoveLine = new Map(moveLines.map((ml) => [ml.id, ml.lot_id !== false ? ml.lot_id[1] : ml.lot_name || null]));
    const deliveredSerials = new Map<number, string[]>();
    for (const move of moves) {
      if (move.sale_line_id === false) continue;
      const serials = deliveredSerials.get(move.sale_line_id[0]) ?? [];
      for (const id of move.move_line_ids) {
        const lot = lotByMoveLine.get(id);
        if (lot) serials.push(lot);
      }
      deliveredSerials.set(move.sale_line_id[0], serials);
    }

    return {
      lines: new Map(lines.map((l) => [l.id, l])),
      products: new Map(products.map((p) => [p.id, p])),
      partners: new Map(partners.map((p) => [p.id, p])),
      countries: new Map(countries.map((c) => [c.id, c])),
      deliveredSerials,
    };
  }

  async function readOrder(id: number, signal: AbortSignal): Promise<{ record: SaleOrderRecord; details: OrderDetails } | null> {
    const [record] = await searchOrders([['id', '=', id]], {}, signal);
    return record === undefined ? null : { record, details: await loadDetails([record], signal) };
  }

  async function mapPage(orders: readonly SaleOrderRecord[], signal: AbortSignal): Promise<Map<string, FetchedOrder>> {
    const details = await loadDetails(orders, signal);
    const options = {
      nonGoodsTypes: (await dialect(signal)).nonGoodsTypes,
      destinationProductIdField: config.fields.destinationProductId,
      lineSerialsField: config.fields.lineSerials,
      serialsWaitMs: config.serials.wait,
      serialsEveryMs: config.serials.every,
      syncStateField: config.fields.syncState,
    };
    return new Map(orders.map((so) => [String(so.id), toFetchedOrder(so, details, options)]));
  }

  async function searchOrders(domain: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal: AbortSignal): Promise<SaleOrderRecord[]> {
    // The sync state comes along, so that writing "exported" back needs no read of its own to stay forward-only.
    const fields = config.fields.syncState === null ? [...saleOrderFields] : [...saleOrderFields, config.fields.syncState];
    const value = await call('sale.order', 'search_read', [domain], { fields, ...kwargs }, signal);
    return parseRecords(saleOrderRecord, value, 'sale.order.search_read');
  }

  const actions = new OdooActions(config, call, readOrder, (signal) => client.authenticate(signal), dialect);

  const source: OrderSource = {
    async *changedOrders(cursor: string | null, window: PollWindow, signal: AbortSignal): AsyncIterable<ChangedPage> {
      let previous: Cursor | null = null;
      if (cursor !== null) {
        const parsed = cursorSchema.safeParse(JSON.parse(cursor));
        if (parsed.success) previous = parsed.data;
      }
      const start = previous === null ? odooDate(window.since) : shiftOdooDate(previous.writeDate, -window.overlapMs);
      let after: Cursor | null = null;
      for (;;) {
        const domain: XmlRpcValue[] = [['state', '=', 'sale']];
        if (after === null) domain.push(['write_date', '>=', start]);
        else domain.push('|', ['write_date', '>', after.writeDate], '&', ['write_date', '=', after.writeDate], ['id', '>', after.id]);
        // Odoo's default order for sale.order is by date, not by change: ask for a stable keyset order. A page
        // is only read, so a timeout, a 5xx or a dropped connection reads it again instead of failing the poll.
        const page = await withInlineRetry(pageRetry, signal, async () => {
          const records = await searchOrders(domain, { order: 'write_date asc, id asc', limit: window.pageSize }, signal);
          return { records, orders: records.length === 0 ? null : await mapPage(records, signal) };
        });
        const records = page.records;
        if (records.length === 0 || page.orders === null) return;
        const last = records[records.length - 1]!;
        after = { writeDate: last.write_date, id: last.id };
        const position = previous === null ? after : later(previous, after);
        yield { orders: page.orders, cursor: JSON.stringify(position) };
        if (records.length < window.pageSize) return;
      }
    },

    async fetchOrders(sourceIds, signal) {
      const ids = sourceIds.map(Number).filter((id) => Number.isInteger(id) && id > 0);
      if (ids.length === 0) return new Map();
      const records = await searchOrders([['id', 'in', ids]], {}, signal);
      return mapPage(records, signal);
    },

    webhook,

    markExported: (sourceId, destination, signal, about = {}) =>
      actions.markExported(Number(sourceId), destination.id, about.warnings ?? [], about.order?.refs['syncState'], signal),
    markWaiting: (sourceId, message, signal) => actions.markWaiting(Number(sourceId), message, signal),

    onDelivered: (order, signal) => actions.createDraftPicking(order, signal),
    notifyFailure: (notice, signal) => actions.notifyFailure(notice, signal),
  };

  const secrets: SecretStore = {
    async readSecret(name, signal) {
      const value = await call('ir.config_parameter', 'get_param', [name], {}, signal);
      if (value === false || value === null) return null;
      if (typeof value !== 'string') throw malformed('ir.config_parameter.get_param', `expected a string, got ${typeof value}`);
      return value;
    },
  };

  return { type: 'odoo', source, secrets, describe: () => client.describe() };
}

export const odooConnector: ConnectorDefinition<OdooConfig> = {
  type: 'odoo',
  roles: ['source'],
  configSchema: odooConfigSchema,
  create(config, context) {
    context.scrubber.add(config.secret);
    const client = new OdooClient({
      url: config.url.replace(/\/+$/, ''),
      db: config.db,
      login: config.login,
      secret: config.secret,
      timeoutMs: config.timeout,
      exchanges: context.exchanges,
      protocol: config.protocol,
    });
    return createOdooConnector(config, client);
  },
};
