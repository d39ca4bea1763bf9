import { z } from 'zod';
import type { ChangedPage, Connector, ConnectorContext, ConnectorDefinition, FetchedOrder, OrderSource } from '../../core/connector.js';
import { readJsonCursor } from '../../core/cursor.js';
import { isIntegrationError, permanent } from '../../core/errors.js';
import type { Fee } from '../../core/order.js';
import { OzonClient, type OzonScheme, type RawPosting } from './client.js';
import { ozonConfigSchema, ozonMaxPageSize, type OzonConfig } from './config.js';
import { articlesBySku, commissionFees, postingCurrency, serviceFees, toFetchedOrder } from './mapper.js';
import { ozonPostingSchema, type OzonAccrual } from './schemas.js';

/** Where the poll is: postings that started processing before `until` were read. */
const cursorSchema = z.object({ until: z.iso.datetime() });

/** Accrual types Ozon has not named yet are asked for again, but not more often than this. */
const unknownTypeRetryMs = 600_000;
/** How many postings' commissions are remembered between a listing and the charges read after it. */
const rememberedPostings = 200_000;

function postingNumberOf(raw: RawPosting): string | null {
  const number = raw['posting_number'];
  return typeof number === 'string' && number !== '' ? number : null;
}

/** What a listing told us about a posting that its charges need later: the commission and the articles. */
interface PostingCharges {
  commission: Fee[];
  articles: Map<number, string>;
  currency: string;
}

/** Ozon's accrual type names, read once and kept; an unknown id reads them again (at most every ten minutes). */
class AccrualTypeNames {
  private names: Map<number, string> | null = null;
  private readAt = 0;

  constructor(
    private readonly client: OzonClient,
    private readonly ttlMs: number,
  ) {}

  async for(ids: Iterable<number>, signal: AbortSignal): Promise<ReadonlyMap<number, string>> {
    const now = Date.now();
    const known = this.names;
    const stale = known === null || now - this.readAt > this.ttlMs;
    const unknown = known !== null && [...ids].some((id) => !known.has(id)) && now - this.readAt > unknownTypeRetryMs;
    if (!stale && !unknown) return known;
    const names = await this.client.accrualTypes(signal);
    this.names = names;
    this.readAt = now;
    return names;
  }
}

export function createOzonConnector(config: OzonConfig, context: ConnectorContext): Connector {
  context.scrubber.add(config.apiKey);
  const client = new OzonClient({ config, exchanges: context.exchanges });
  const typeNames = new AccrualTypeNames(client, config.serviceCharges.typesTtl);
  const excluded = new Set(config.serviceCharges.excludeTypes);
  const remembered = new Map<string, PostingCharges>();

  /** Keeps what the charges need of a listed posting; the oldest are forgotten first. */
  function remember(number: string, raw: RawPosting): void {
    const parsed = ozonPostingSchema.safeParse(raw);
    if (!parsed.success) return;
    const currency = postingCurrency(parsed.data);
    remembered.delete(number);
    remembered.set(number, { commission: commissionFees(parsed.data, currency), articles: articlesBySku(parsed.data), currency });
    if (remembered.size > rememberedPostings) remembered.delete(remembered.keys().next().value as string);
  }

  /**
   * Ozon's accruals of these postings as service charges. A refusal that retrying cannot cure (the key lacks
   * the finance role, the beta method moved) says what to change.
   */
  async function accrualsOf(numbers: readonly string[], signal: AbortSignal): Promise<Map<string, OzonAccrual[]>> {
    if (!config.serviceCharges.enabled || numbers.length === 0) return new Map();
    try {
      return await client.accruals(numbers, signal);
    } catch (err) {
      if (isIntegrationError(err) && err.kind === 'permanent') {
        throw permanent(
          'OZON_ACCRUALS_REFUSED',
          `Ozon refused its accruals API (${config.paths.accrualPostings}), where the service charges come from: ${err.message}; give the API key access to finance, or set connections.ozon.serviceCharges.enabled to false`,
          { context: { ...err.context, system: 'ozon' }, cause: err },
        );
      }
      throw err;
    }
  }

  async function servicesOf(numbers: readonly string[], signal: AbortSignal): Promise<Map<string, Fee[]>> {
    const accruals = await accrualsOf(numbers, signal);
    const result = new Map<string, Fee[]>();
    if (accruals.size === 0) return result;
    const names = await typeNames.for(
      [...accruals.values()].flatMap((list) => list.map((a) => a.type_id)),
      signal,
    );
    for (const [number, list] of accruals) {
      const posting = remembered.get(number);
      result.set(number, serviceFees(list, { names, excluded }, posting?.articles ?? new Map(), posting?.currency ?? null));
    }
    return result;
  }

  /** Postings as orders, with the service charges Ozon has accrued on them so far (read together). */
  async function ordersOf(postings: readonly { raw: RawPosting; scheme: OzonScheme }[], signal: AbortSignal): Promise<Map<string, FetchedOrder>> {
    const numbers: string[] = [];
    for (const { raw } of postings) {
      const number = postingNumberOf(raw);
      if (number === null) continue;
      numbers.push(number);
      remember(number, raw);
    }
    const services = await servicesOf(numbers, signal);
    const orders = new Map<string, FetchedOrder>();
    for (const { raw, scheme } of postings) {
      const number = postingNumberOf(raw);
      const fetched = toFetchedOrder(raw, scheme, config.skipStatuses, number === null ? [] : (services.get(number) ?? []));
      // A posting without a number cannot be tracked; its neighbours still can.
      if (fetched.number === null) context.logger.warn({ error: fetched.kind === 'invalid' ? fetched.error.message : null }, 'Ozon sent a posting without posting_number');
      else orders.set(fetched.number, fetched);
    }
    return orders;
  }

  /** Postings by number: FBO through the v3 list's number filter, FBS one by one; unknown ones are absent. */
  async function postingsByNumber(numbers: readonly string[], signal: AbortSignal): Promise<Map<string, { raw: RawPosting; scheme: OzonScheme }>> {
    const found = new Map<string, { raw: RawPosting; scheme: OzonScheme }>();
    const wanted = new Set(numbers);
    if (config.schemes.includes('fbo')) {
      for (const raw of await client.fboByNumbers([...wanted], signal)) {
        const number = postingNumberOf(raw);
        if (number !== null && wanted.has(number)) found.set(number, { raw, scheme: 'fbo' });
      }
    }
    if (config.schemes.includes('fbs')) {
      for (const number of wanted) {
        if (found.has(number)) continue;
        const raw = await client.fbsByNumber(number, signal);
        if (raw !== null) found.set(number, { raw, scheme: 'fbs' });
      }
    }
    return found;
  }

  const source: OrderSource = {
    /**
     * Ozon filters lists by processing (FBS) or creation (FBO) time, which never changes for a posting: a time
     * window that starts a little before the last one ended (overlap, for postings Ozon registers late) reads
     * every posting. Status changes and later charges are the reconciliation's job. The cursor moves only
     * when every scheme's listing ended, so a failure part-way re-reads the window and the queue absorbs repeats.
     */
    async *changedOrders(cursor, window, signal): AsyncGenerator<ChangedPage> {
      const until = new Date();
      const stored = readJsonCursor(cursorSchema, cursor);
      const from = stored === null ? window.since : new Date(stored.until);
      const since = new Date(Math.min(from.getTime() - window.overlapMs, until.getTime()));
      const keep = cursor ?? JSON.stringify({ until: from.toISOString() });
      for (const scheme of config.schemes) {
        for await (const raw of client.listPostings(scheme, since, until, window.pageSize, signal)) {
          yield { orders: await ordersOf(raw.map((posting) => ({ raw: posting, scheme })), signal), cursor: keep };
        }
      }
      yield { orders: new Map(), cursor: JSON.stringify({ until: until.toISOString() }) };
    },

    async fetchOrders(ids, signal) {
      return ordersOf([...(await postingsByNumber(ids, signal)).values()], signal);
    },

    async statusesSince(since, signal) {
      const statuses = new Map<string, string>();
      const until = new Date();
      for (const scheme of config.schemes) {
        for await (const raw of client.listPostings(scheme, since, until, ozonMaxPageSize, signal)) {
          for (const posting of raw) {
            const number = postingNumberOf(posting);
            const status = posting['status'];
            if (number === null || typeof status !== 'string') continue;
            statuses.set(number, status);
            remember(number, posting);
          }
        }
      }
      return statuses;
    },

    /**
     * The commission as the posting reports it (remembered from the listing that just ran, else read by
     * number) and the service charges accrued so far.
     */
    async chargesOf(numbers, signal) {
      const unread = numbers.filter((number) => !remembered.has(number));
      if (unread.length > 0) {
        for (const [number, { raw }] of await postingsByNumber(unread, signal)) remember(number, raw);
      }
      const known = numbers.filter((number) => remembered.has(number));
      const services = await servicesOf(known, signal);
      const result = new Map<string, Fee[]>();
      for (const number of known) result.set(number, [...(remembered.get(number)?.commission ?? []), ...(services.get(number) ?? [])]);
      return result;
    },
  };

  return { type: 'ozon', source };
}

export const ozonConnector: ConnectorDefinition<OzonConfig> = {
  type: 'ozon',
  roles: ['source'],
  maxPageSize: {
    value: ozonMaxPageSize,
    why: `Ozon lists at most ${ozonMaxPageSize} postings a page ("limit" maximum ${ozonMaxPageSize} in /v4/posting/fbs/list and /v3/posting/fbo/list)`,
  },
  configSchema: ozonConfigSchema,
  create: createOzonConnector,
};
