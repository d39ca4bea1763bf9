import { z } from 'zod';
import type { ChangedPage, Connector, ConnectorContext, ConnectorDefinition, FetchedOrder, OrderSource, PollWindow } from '../../core/connector.js';
import { readJsonCursor } from '../../core/cursor.js';
import { Bizon365Client, bizonMaxLimit } from './client.js';
import { bizon365ConfigSchema, type Bizon365Config } from './config.js';
import { moscowDayEnd, moscowDayStart, toFetchedOrder, type BizonMapOptions, type MappedOrder } from './mapper.js';
import { paidFilterLabels, type PaidFilter } from './schemas.js';

const dayMs = 86_400_000;

/**
 * Where the poll is. `readUntil`: a whole window up to this instant was read, so the next one starts
 * `rescanDays` before it. `resumeFrom`: a window starting here was left unfinished (a page failed), so the
 * next one starts here again, and nothing between its start and the failure is lost.
 */
const cursorSchema = z.union([z.strictObject({ readUntil: z.iso.datetime() }), z.strictObject({ resumeFrom: z.iso.datetime() })]);

export interface Bizon365SourceOptions extends BizonMapOptions {
  rescanDays: number;
  lookupDays: number;
  /** The current time; tests pass the fake server's clock. */
  now?: () => Date;
}

interface Window {
  dateBegin: Date;
  dateEnd: Date;
}

/**
 * Bizon365 as an order source.
 *
 * Polling: Bizon can list orders by creation date only, and an order is often paid days after it was
 * created, so there is no "changed since" to follow. Each poll therefore re-reads a rolling window of
 * whole Moscow days, from `rescanDays` before the end of the last complete poll up to the end of today,
 * with the connection's `paid` filter. An order that became paid within `rescanDays` of its creation is
 * listed by the next poll; re-listing orders already queued costs requests but no duplicates, because
 * queueing is idempotent per order and the revision (payment state and a digest of the order) tells a
 * changed order from an unchanged one. Whole days are asked for because Bizon answers with its window as
 * "DD.MM.YYYY": a server that reads the bounds by day still returns everything we need.
 *
 * Cost: a poll lists every order of the window that passes the filter, ⌈orders / 100⌉ requests spaced
 * by `minIntervalMs`, e.g. 1,500 paid orders in 14 days = 15 requests, about 5 s.
 */
export function createBizon365Source(client: Bizon365Client, options: Bizon365SourceOptions): OrderSource {
  const now = options.now ?? (() => new Date());
  const mapOptions: BizonMapOptions = { paid: options.paid, free: options.free, numberPrefix: options.numberPrefix };
  const filter = { paid: options.paid, free: options.free };

  function windowStart(cursor: string | null, window: PollWindow, at: Date): Date {
    const previous = readJsonCursor(cursorSchema, cursor);
    let start: number;
    if (previous === null) start = window.since.getTime();
    else if ('resumeFrom' in previous) start = Date.parse(previous.resumeFrom);
    else start = Date.parse(previous.readUntil) - Math.max(options.rescanDays * dayMs, window.overlapMs);
    return moscowDayStart(new Date(Math.min(start, at.getTime())));
  }

  /** Lists one window with one filter and hands each wanted order to `take` until every one is found. */
  async function collect(
    window: Window,
    query: { paid: PaidFilter; free: boolean },
    wanted: ReadonlySet<string>,
    found: Map<string, FetchedOrder>,
    take: (mapped: MappedOrder) => FetchedOrder,
    signal: AbortSignal,
  ): Promise<void> {
    for await (const page of client.listOrders({ ...window, ...query, limit: bizonMaxLimit }, signal)) {
      for (const raw of page.orders) {
        const mapped = toFetchedOrder(raw, mapOptions);
        if (wanted.has(mapped.sourceId) && !found.has(mapped.sourceId)) found.set(mapped.sourceId, take(mapped));
      }
      if (found.size === wanted.size) return;
    }
  }

  return {
    async *changedOrders(cursor, window, signal): AsyncIterable<ChangedPage> {
      const at = now();
      const dateBegin = windowStart(cursor, window, at);
      const unfinished = JSON.stringify({ resumeFrom: dateBegin.toISOString() });
      const finished = JSON.stringify({ readUntil: at.toISOString() });
      const limit = Math.min(window.pageSize, bizonMaxLimit);
      for await (const page of client.listOrders({ dateBegin, dateEnd: moscowDayEnd(at), ...filter, limit }, signal)) {
        const orders = new Map<string, FetchedOrder>();
        for (const raw of page.orders) {
          const mapped = toFetchedOrder(raw, mapOptions);
          orders.set(mapped.sourceId, mapped.fetched);
        }
        yield { orders, cursor: page.last ? finished : unfinished };
      }
    },

    /**
     * Bizon cannot read an order by id: this lists the last `rescanDays` with the connection's filter
     * (the cost of one poll) and picks the ids. Ids not found there are looked for among all orders of
     * that window (found there: outside the filter, so skipped), then the same in the older days up to
     * `lookupDays`. An order older than that is reported absent. Bizon's filter is the judge of what is
     * inside it, because "recurring" (paid=2, 3) is not in the order's fields.
     */
    async fetchOrders(sourceIds, signal) {
      const wanted = new Set(sourceIds.filter((id) => id.trim() !== ''));
      const found = new Map<string, FetchedOrder>();
      if (wanted.size === 0) return found;
      const at = now();
      const recentBegin = moscowDayStart(new Date(at.getTime() - options.rescanDays * dayMs));
      const windows: Window[] = [{ dateBegin: recentBegin, dateEnd: moscowDayEnd(at) }];
      if (options.lookupDays > options.rescanDays) {
        windows.push({ dateBegin: moscowDayStart(new Date(at.getTime() - options.lookupDays * dayMs)), dateEnd: new Date(recentBegin.getTime() - 1000) });
      }
      const filtered = filter.paid !== -1 || !filter.free;
      const filterText = `paid=${filter.paid}${filter.free ? ', free=1' : ''}`;
      const outside = (mapped: MappedOrder): FetchedOrder =>
        mapped.fetched.kind === 'skip'
          ? mapped.fetched
          : {
              kind: 'skip',
              number: mapped.fetched.number,
              revision: mapped.fetched.revision,
              reason: `order ${mapped.sourceId} is not among the ${paidFilterLabels[filter.paid]} orders Bizon365 lists for this connection (${filterText})`,
            };

      for (const window of windows) {
        await collect(window, filter, wanted, found, (mapped) => mapped.fetched, signal);
        if (found.size === wanted.size) break;
        if (filtered) {
          await collect(window, { paid: -1, free: true }, wanted, found, outside, signal);
          if (found.size === wanted.size) break;
        }
      }
      return found;
    },
  };
}

export function createBizon365Connector(
  config: Bizon365Config,
  context: ConnectorContext,
  deps: { now?: () => Date; fetch?: typeof fetch } = {},
): Connector {
  context.scrubber.add(config.token);
  const client = new Bizon365Client({
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    projectId: config.projectId,
    token: config.token,
    timeoutMs: config.timeout,
    minIntervalMs: config.minIntervalMs,
    readRetries: config.readRetries,
    exchanges: context.exchanges,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
  });
  const source = createBizon365Source(client, {
    paid: config.paid,
    free: config.free,
    numberPrefix: config.numberPrefix,
    rescanDays: config.rescanDays,
    lookupDays: config.lookupDays,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  return { type: 'bizon365', source };
}

export const bizon365Connector: ConnectorDefinition<Bizon365Config> = {
  type: 'bizon365',
  roles: ['source'],
  configSchema: bizon365ConfigSchema,
  create: (config, context) => createBizon365Connector(config, context),
};
