import { z } from 'zod';
import { readJsonCursor } from '../../core/cursor.js';
import { permanent, retryable } from '../../core/errors.js';
import type { ChangedPage, Connector, ConnectorDefinition, DestinationRef, FetchedOrder, OrderDestination, OrderSource, PollWindow } from '../../core/connector.js';
import type { Order } from '../../core/order.js';
import { MarketsyncClient, pedidosPath } from './client.js';
import { marketsyncConfigSchema, type MarketsyncConfig } from './config.js';
import { notOurs, sourceIdOf, toFetchedOrder, toPedidoCreate, type SourceMapOptions } from './mapper.js';
import { idText, pedidoOwnershipSchema, pedidoRefSchema, type PedidoOwnership, type PedidoRef } from './schemas.js';
import { mexicoCityTimestamp } from './signature.js';

/**
 * Where the next poll starts. Marketsync numbers its orders as it stores them, so the poll follows ids
 * (`afterid`), not creation dates: an order stored hours after its date is still read. Each finished poll
 * leaves a mark: at `at`, every id below `next` had been given out. An id given out before another one may
 * be committed after it, so a poll starts at the mark of the newest poll that ended at least the overlap
 * before the last one: ids given out by then were committed and read since. Before the first id is seen,
 * the poll reads by creation date from `from` (the first-start window).
 */
const markSchema = z.object({ at: z.iso.datetime(), next: z.number().int().nonnegative() });
const cursorSchema = z.union([z.object({ marks: z.array(markSchema).min(1) }), z.object({ from: z.iso.datetime() })]);
type Mark = z.infer<typeof markSchema>;

/** The mark a poll starts from: the newest one at least `overlapMs` older than the newest, else the oldest. */
export function startMark(marks: readonly Mark[], overlapMs: number): Mark {
  const newest = marks[marks.length - 1]!;
  const limit = Date.parse(newest.at) - overlapMs;
  let start = marks[0]!;
  for (const mark of marks) if (Date.parse(mark.at) <= limit) start = mark;
  return start;
}

/** The marks after a poll that saw ids below `next`: only those a later start may still need are kept. */
export function nextMarks(marks: readonly Mark[], next: number, at: number, overlapMs: number): Mark[] {
  const all = [...marks, { at: new Date(at).toISOString(), next: Math.max(next, marks[marks.length - 1]?.next ?? 0) }];
  const start = startMark(all, overlapMs);
  return all.slice(all.indexOf(start));
}

function toRef(found: PedidoRef): DestinationRef {
  return { id: found.id, status: found.estatus === '' ? null : found.estatus };
}

function duplicates(referencia: string, found: readonly PedidoRef[]): Error {
  const ids = found.map((f) => f.id);
  return permanent(
    'DUPLICATE_AT_DESTINATION',
    `Marketsync has ${found.length} orders numbered ${referencia} that we sent (ids ${ids.join(', ')}); remove the extra ones in Marketsync, then replay the job.`,
    { context: { system: 'marketsync', operation: `GET ${pedidosPath}`, referencia, marketsyncIds: ids } },
  );
}

function foreign(order: Order, found: readonly PedidoOwnership[], why: (f: PedidoOwnership) => string[]): Error {
  const theirs = found.map((f) => `id ${f.id}${f.market_id == null ? '' : ` (market ${f.market_id})`}: ${why(f).join(', ')}`);
  return permanent(
    'FOREIGN_ORDER',
    `Marketsync already has an order numbered ${order.number} that is not the one order-bridge sends for ${order.source.connector} order ${order.source.id} — ${theirs.join('; ')}. ` +
      'It was left alone and nothing was created. Renumber or remove the other order in Marketsync (or give this route\'s source a number prefix), then replay the job.',
    { context: { system: 'marketsync', order: order.number, marketsyncIds: found.map((f) => f.id) } },
  );
}

export function createMarketsyncConnector(config: MarketsyncConfig, client: MarketsyncClient, now: () => number = Date.now): Connector {
  const mapOptions: SourceMapOptions = {
    skipStatuses: config.skipStatuses,
    marketplaceFulfilled: config.marketplaceFulfilled,
    kitQuantities: config.kitQuantities,
    currency: config.currency,
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
     * Orders stored since the cursor's start mark (`afterid`, inclusive as documented), paged by offset
     * inside that start; on the very first poll, orders created since the first-start window (`after`).
     * Until a poll reads to its end, its pages carry the cursor it started from, so a restart reads them
     * again; the end records how far the ids went.
     */
    async *changedOrders(cursor: string | null, window: PollWindow, signal: AbortSignal): AsyncIterable<ChangedPage> {
      const state = readJsonCursor(cursorSchema, cursor);
      const marks = state !== null && 'marks' in state ? state.marks : null;
      const params: Record<string, string> = {};
      if (marks === null) params['after'] = mexicoCityTimestamp(state !== null && 'from' in state ? Date.parse(state.from) : window.since.getTime());
      else params['afterid'] = String(startMark(marks, window.overlapMs).next);
      if (config.markets !== null) params['markets'] = config.markets.join(',');
      const restart = cursor ?? JSON.stringify({ from: window.since.toISOString() });
      let highest = -1;
      for await (const rows of client.pages(params, window.pageSize, signal)) {
        for (const row of rows) {
          const id = sourceIdOf(row);
          if (id !== null) highest = Math.max(highest, Number(id));
        }
        yield { orders: await mapRows(rows.filter(inMarkets), signal), cursor: restart };
      }
      const at = now();
      if (marks !== null) yield { orders: new Map(), cursor: JSON.stringify({ marks: nextMarks(marks, highest + 1, at, window.overlapMs) }) };
      else if (highest >= 0) yield { orders: new Map(), cursor: JSON.stringify({ marks: nextMarks([], highest + 1, at, window.overlapMs) }) };
      else yield { orders: new Map(), cursor: restart };
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

    /**
     * Our number may also be another marketplace's (`referencia` is unique per marketplace only): an order
     * found by it is ours only when it is what we send (its total, orden_id and goods). Another order with
     * our number is a FOREIGN_ORDER for a person, never a match and never a reason to create a second one.
     */
    async find(order, signal) {
      const expected = toPedidoCreate(order, config);
      const found = await client.findByReference(order.number, signal);
      const ours = found.filter((f) => notOurs(expected, f, config.currency).length === 0);
      if (ours.length > 1) throw duplicates(order.number, ours);
      if (ours[0] !== undefined) return toRef(ours[0]);
      if (found.length > 0) throw foreign(order, found, (f) => notOurs(expected, f, config.currency));
      return null;
    },

    /**
     * The create answers the new id (`answer.ids`); the export job keeps it at once and reads the order back
     * by it. An answer without ids (the answer is not documented) falls back to the look-up by number.
     */
    async create(order, signal) {
      const ids = await client.createOrders([toPedidoCreate(order, config)], signal);
      if (ids[0] !== undefined) return { id: ids[0], status: null };
      const found = await destination.find(order, signal);
      if (found !== null) return found;
      throw permanent(
        'MARKETSYNC_LOOKUP_BROKEN',
        `Marketsync accepted order ${order.number} without saying its id, and does not find it by its number with the "${config.filters.byReference}" filter, ` +
          'so the look-up that prevents duplicates does not work. Fix the connection\'s "filters.byReference" setting, and check this order in Marketsync before replaying the job.',
        { context: { system: 'marketsync', operation: `GET ${pedidosPath}`, referencia: order.number } },
      );
    },

    async readBack(order, destinationId, signal) {
      const id = idText.safeParse(destinationId);
      if (!id.success) throw permanent('BAD_DESTINATION_ID', `"${destinationId}" is not a Marketsync order id`);
      const raw = (await client.ordersByIds([id.data], signal)).get(id.data);
      if (raw === undefined) return null;
      const found = pedidoOwnershipSchema.safeParse(raw);
      if (!found.success) {
        throw retryable('MALFORMED_RESPONSE', `Marketsync answered the read-back of order ${order.number} (id ${id.data}) with an order it cannot be read from`, {
          context: { system: 'marketsync', operation: `GET ${pedidosPath}`, marketsyncId: id.data },
        });
      }
      const why = notOurs(toPedidoCreate(order, config), found.data, config.currency);
      if (why.length > 0) throw foreign(order, [found.data], () => why);
      return toRef(found.data);
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
      readRetry: { attempts: config.readAttempts, backoff: { baseMs: 500, maxMs: 10_000 } },
      exchanges: context.exchanges,
    });
    return createMarketsyncConnector(config, client);
  },
};
