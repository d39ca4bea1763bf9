import { z } from 'zod';
import type { ChangedPage, Connector, ConnectorContext, ConnectorDefinition, FetchedOrder, OrderSource } from '../../core/connector.js';
import { OzonClient, type OzonScheme } from './client.js';
import { ozonConfigSchema, type OzonConfig } from './config.js';
import { toFetchedOrder } from './mapper.js';

/** Where the poll is: postings that started processing before `until` were read. */
const cursorSchema = z.object({ until: z.iso.datetime() });

function readCursor(cursor: string | null): Date | null {
  if (cursor === null) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(cursor));
    return parsed.success ? new Date(parsed.data.until) : null;
  } catch {
    return null;
  }
}

export function createOzonConnector(config: OzonConfig, context: ConnectorContext): Connector {
  context.scrubber.add(config.apiKey);
  const client = new OzonClient({ config, exchanges: context.exchanges });

  function pageOf(raw: readonly Record<string, unknown>[], scheme: OzonScheme): Map<string, FetchedOrder> {
    const orders = new Map<string, FetchedOrder>();
    for (const posting of raw) {
      const fetched = toFetchedOrder(posting, scheme, config.skipStatuses);
      const id = fetched.number;
      // A posting without a number cannot be tracked; its neighbours still can.
      if (id === null) context.logger.warn({ error: fetched.kind === 'invalid' ? fetched.error.message : null }, 'Ozon sent a posting without posting_number');
      else orders.set(id, fetched);
    }
    return orders;
  }

  const source: OrderSource = {
    /**
     * Ozon filters lists by processing time, which never changes for a posting: a time window that starts
     * a little before the last one ended (overlap, for postings Ozon registers late) reads every posting.
     * Status changes after the export are the reconciliation's job. The cursor moves only when every
     * scheme's listing ended, so a failure part-way re-reads the window and the queue absorbs repeats.
     */
    async *changedOrders(cursor, window, signal): AsyncGenerator<ChangedPage> {
      const until = new Date();
      const from = readCursor(cursor) ?? window.since;
      const since = new Date(Math.min(from.getTime() - window.overlapMs, until.getTime()));
      const keep = cursor ?? JSON.stringify({ until: from.toISOString() });
      for (const scheme of config.schemes) {
        for await (const raw of client.listPostings(scheme, since, until, window.pageSize, signal)) {
          yield { orders: pageOf(raw, scheme), cursor: keep };
        }
      }
      yield { orders: new Map(), cursor: JSON.stringify({ until: until.toISOString() }) };
    },

    async fetchOrders(ids, signal) {
      const result = new Map<string, FetchedOrder>();
      for (const id of ids) {
        for (const scheme of config.schemes) {
          const raw = await client.getPosting(scheme, id, signal);
          if (raw === null) continue;
          result.set(id, toFetchedOrder(raw, scheme, config.skipStatuses));
          break;
        }
      }
      return result;
    },

    async statusesSince(since, signal) {
      const statuses = new Map<string, string>();
      const until = new Date();
      for (const scheme of config.schemes) {
        for await (const raw of client.listPostings(scheme, since, until, 1000, signal)) {
          for (const posting of raw) {
            const number = posting['posting_number'];
            const status = posting['status'];
            if (typeof number === 'string' && typeof status === 'string') statuses.set(number, status);
          }
        }
      }
      return statuses;
    },
  };

  return { type: 'ozon', source };
}

export const ozonConnector: ConnectorDefinition<OzonConfig> = {
  type: 'ozon',
  roles: ['source'],
  configSchema: ozonConfigSchema,
  create: createOzonConnector,
};
