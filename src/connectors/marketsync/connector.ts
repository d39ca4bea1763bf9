import { z } from 'zod';
import { permanent, retryable } from '../../core/errors.js';
import type { ChangedPage, Connector, ConnectorDefinition, DestinationRef, FetchedOrder, OrderDestination, OrderSource, PollWindow } from '../../core/connector.js';
import { MarketsyncClient, pedidosPath } from './client.js';
import { marketsyncConfigSchema, type MarketsyncConfig } from './config.js';
import { sourceIdOf, toFetchedOrder, toPedidoCreate, type SourceMapOptions } from './mapper.js';
import { pedidoRefSchema, type PedidoRef } from './schemas.js';
import { mexicoCityTimestamp } from './signature.js';

/** Where the next poll starts reading (order creation time, as an instant). */
const cursorSchema = z.object({ from: z.iso.datetime() });

function readCursor(cursor: string | null): Date | null {
  if (cursor === null) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(cursor));
    return parsed.success ? new Date(parsed.data.from) : null;
  } catch {
    return null;
  }
}

function cursorAt(instant: number): string {
  return JSON.stringify({ from: new Date(instant).toISOString() });
}

function toRef(found: PedidoRef): DestinationRef {
  return { id: found.id, status: found.estatus === '' ? null : found.estatus };
}

function duplicates(referencia: string, found: readonly PedidoRef[]): Error {
  const ids = found.map((f) => f.id);
  return permanent(
    'DUPLICATE_AT_DESTINATION',
    `Marketsync has ${found.length} orders numbered ${referencia} (ids ${ids.join(', ')}); remove the extra ones in Marketsync, then replay the job.`,
    { context: { system: 'marketsync', operation: `GET ${pedidosPath}`, referencia, marketsyncIds: ids } },
  );
}

export function createMarketsyncConnector(config: MarketsyncConfig, client: MarketsyncClient, now: () => number = Date.now): Connector {
  const mapOptions: SourceMapOptions = {
    skipStatuses: config.skipStatuses,
    marketplaceFulfilled: config.marketplaceFulfilled,
    kitQuantities: config.kitQuantities,
  };
  const markets = config.markets === null ? null : new Set(config.markets.map(String));

  /** Each order on its own: a broken one is an `invalid` entry, never the failure of its page. */
  async function mapRows(rows: readonly unknown[], signal: AbortSignal): Promise<Map<string, FetchedOrder>> {
    const orders = new Map<string, FetchedOrder>();
    for (const raw of rows) {
      const id = sourceIdOf(raw);
      if (id === null) {
        throw retryable('MALFORMED_RESPONSE', `Marketsync listed an order without a readable id; nothing of this page was taken`, {
          context: { system: 'marketsync', operation: `GET ${pedidosPath}` },
          detail: JSON.stringify(raw)?.slice(0, 200) ?? '',
        });
      }
      const fetched = toFetchedOrder(raw, mapOptions);
      orders.set(id, config.readCharges && fetched.kind === 'ready' ? toFetchedOrder(raw, mapOptions, await client.getTotals(id, signal)) : fetched);
    }
    return orders;
  }

  function inMarkets(raw: unknown): boolean {
    if (markets === null) return true;
    const ref = pedidoRefSchema.safeParse(raw);
    return !ref.success || ref.data.market_id == null || markets.has(ref.data.market_id);
  }

  const source: OrderSource = {
    /**
     * Orders created in [cursor, now], by the documented after/before filters, paged by offset inside
     * that fixed window so that new orders cannot shift the pages. The next poll starts `overlapMs` before
     * this one's end: an order stored late, or a clock a little off, is read twice rather than never.
     */
    async *changedOrders(cursor: string | null, window: PollWindow, signal: AbortSignal): AsyncIterable<ChangedPage> {
      const from = (readCursor(cursor) ?? window.since).getTime();
      const until = now();
      const params: Record<string, string> = { after: mexicoCityTimestamp(from), before: mexicoCityTimestamp(until) };
      if (config.markets !== null) params['markets'] = config.markets.join(',');
      // Until the window is read to its end, a restart must read it from its start again.
      const restart = cursorAt(from);
      for await (const rows of client.pages(params, window.pageSize, signal)) {
        yield { orders: await mapRows(rows.filter(inMarkets), signal), cursor: restart };
      }
      yield { orders: new Map(), cursor: cursorAt(Math.max(from, until - window.overlapMs)) };
    },

    async fetchOrders(sourceIds, signal) {
      const ids = sourceIds.filter((id) => /^\d+$/.test(id));
      if (ids.length === 0) return new Map();
      const rows = await client.ordersByIds(ids, signal);
      return mapRows([...rows.values()], signal);
    },
  };

  const destination: OrderDestination = {
    check(order) {
      toPedidoCreate(order, config);
    },

    async find(order, signal) {
      const found = await client.findByReference(order.number, signal);
      if (found.length > 1) throw duplicates(order.number, found);
      return found[0] === undefined ? null : toRef(found[0]);
    },

    /**
     * Creates, then reads the order back by its number with the same look-up that guards against
     * duplicates: the create answer is not documented, and a look-up that cannot see what we just made
     * would let every retry make another.
     */
    async create(order, signal) {
      const ids = await client.createOrders([toPedidoCreate(order, config)], signal);
      const found = await client.findByReference(order.number, signal);
      if (found.length > 1) throw duplicates(order.number, found);
      if (found[0] !== undefined) return toRef(found[0]);
      const made = ids.length === 0 ? '' : ` (id ${ids.join(', ')})`;
      throw permanent(
        'MARKETSYNC_LOOKUP_BROKEN',
        `Marketsync accepted order ${order.number}${made} but does not find it by its number with the "${config.filters.byReference}" filter, ` +
          'so the look-up that prevents duplicates does not work. Fix the connection\'s "filters.byReference" setting, and check this order in Marketsync before replaying the job.',
        { context: { system: 'marketsync', operation: `GET ${pedidosPath}`, referencia: order.number, createdIds: ids } },
      );
    },

    async readStatus(destinationId, signal) {
      if (!/^\d+$/.test(destinationId)) throw permanent('BAD_DESTINATION_ID', `"${destinationId}" is not a Marketsync order id`);
      const raw = (await client.ordersByIds([destinationId], signal)).get(destinationId);
      if (raw === undefined) {
        throw permanent('MARKETSYNC_ORDER_MISSING', `Marketsync has no order with id ${destinationId} any more`, {
          context: { system: 'marketsync', operation: `GET ${pedidosPath}`, marketsyncId: destinationId },
        });
      }
      const ref = pedidoRefSchema.safeParse(raw);
      if (!ref.success) {
        throw retryable('MALFORMED_RESPONSE', `Marketsync answered the status read of order ${destinationId} with an order it cannot be read from`, {
          context: { system: 'marketsync', operation: `GET ${pedidosPath}`, marketsyncId: destinationId },
        });
      }
      return ref.data.estatus === '' ? null : ref.data.estatus;
    },
  };

  return { type: 'marketsync', source, destination };
}

export const marketsyncConnector: ConnectorDefinition<MarketsyncConfig> = {
  type: 'marketsync',
  roles: ['source', 'destination'],
  configSchema: marketsyncConfigSchema,
  create(config, context) {
    context.scrubber.add(config.token);
    context.scrubber.add(config.privateKey);
    const client = new MarketsyncClient({
      baseUrl: config.baseUrl.replace(/\/+$/, ''),
      token: config.token,
      privateKey: config.privateKey,
      timeoutMs: config.timeout,
      totalsIntervalMs: config.totalsInterval,
      filters: config.filters,
      exchanges: context.exchanges,
    });
    return createMarketsyncConnector(config, client);
  },
};
