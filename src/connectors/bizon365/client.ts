import { isIntegrationError, permanent, retryable, type ErrorContext, type IntegrationError } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure } from '../../core/http-json.js';
import { moscowDateTime } from './mapper.js';
import { bizonErrorBodySchema, bizonOrdersPageSchema, type BizonOrdersPage, type PaidFilter } from './schemas.js';

/** Bizon's documented ceiling for `limit`. */
export const bizonMaxLimit = 100;
/** A wait longer than this (a long Retry-After) is left to the job engine, which honours it. */
const maxInClientWaitMs = 10_000;

export interface Bizon365ClientOptions {
  /** Checked by the config (HTTPS, or loopback http). */
  baseUrl: string;
  projectId: string;
  token: string;
  timeoutMs: number;
  /** Least time between the starts of two requests. */
  minIntervalMs: number;
  /** How many times a read that met a 429, a 5xx, a timeout or a dropped connection is tried again before it fails. */
  readRetries: number;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
  /** Waits before a 429 is retried; tests pass one that records the wait instead of sleeping. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** The documented arguments of `getorders`; dates are instants, sent as Moscow time. */
export interface OrdersQuery {
  skip?: number;
  /** At most 100; larger values are sent as 100. */
  limit?: number;
  /** Today and this many days before it; wins over dateBegin/dateEnd at Bizon. 0 counts as not given. */
  days?: number;
  dateBegin?: Date;
  dateEnd?: Date;
  paid?: PaidFilter;
  free?: boolean;
  search?: string;
}

/** One page of a listing followed to `total`. */
export interface OrdersPage {
  skip: number;
  total: number;
  /** The raw list items: each one is read (or found broken) by the mapper on its own. */
  orders: unknown[];
  /** No page follows: the listing reached `total`, or Bizon answered an empty page. */
  last: boolean;
  /** The window Bizon says it used, "DD.MM.YYYY". */
  dateBegin: string | null;
  dateEnd: string | null;
}

function abortable(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = (): IntegrationError => retryable('ABORTED', 'The wait before repeating a Bizon365 call was cancelled', { context: { system: 'bizon365' } });
    if (signal?.aborted === true) {
      reject(aborted());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Keeps the starts of requests at least `intervalMs` apart, also when several callers share the client:
 * each caller reserves the next free slot before it waits, so no two callers take the same one.
 */
export class RequestSpacer {
  private nextSlot = 0;

  constructor(private readonly intervalMs: number) {}

  async wait(): Promise<void> {
    if (this.intervalMs <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.intervalMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

function errorMessage(answer: HttpAnswer): string | undefined {
  const body = bizonErrorBodySchema.safeParse(answer.body);
  if (!body.success) return undefined;
  if (body.data.message !== undefined && body.data.message.trim() !== '') return body.data.message.trim();
  return typeof body.data.error === 'string' && body.data.error.trim() !== '' ? body.data.error.trim() : undefined;
}

function describeError(projectId: string): (answer: HttpAnswer, operation: string, context: ErrorContext) => HttpFailure {
  return (answer, operation, context) => {
    const message = errorMessage(answer);
    const fault = message ?? `HTTP ${answer.status}`;
    const said = message === undefined ? '' : `: ${message}`;
    const detail = snippet(answer.text);
    switch (answer.status) {
      case 401:
        return {
          fault,
          error: permanent(
            'BIZON_UNAUTHORIZED',
            `Bizon365 rejected the token for ${operation} (HTTP 401${said}); set the connection's token to the X-Token of the Bizon ID account (Учетная запись → Безопасность)`,
            { context, detail },
          ),
        };
      case 403:
        return {
          fault,
          error: permanent(
            'BIZON_FORBIDDEN',
            `Bizon365 refused ${operation} (HTTP 403${said}): the token's account has no rights to the orders of project ${projectId}; grant them in Bizon365 or check the connection's projectId`,
            { context, detail },
          ),
        };
      case 404:
        return {
          fault,
          error: permanent('BIZON_NOT_FOUND', `Bizon365 does not know ${operation} (HTTP 404${said}); check the connection's projectId (${projectId}) and baseUrl`, {
            context,
            detail,
          }),
        };
      default:
        return statusFailure('Bizon365', answer, operation, context, message);
    }
  };
}

function queryOf(query: OrdersQuery): Record<string, string> {
  const out: Record<string, string> = {};
  const count = (name: string, value: number | undefined, min: number): void => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min) throw permanent('BIZON_BAD_QUERY', `${name} must be a whole number of at least ${min}, got ${value}`);
    out[name] = String(value);
  };
  count('skip', query.skip, 0);
  count('limit', query.limit === undefined ? bizonMaxLimit : Math.min(query.limit, bizonMaxLimit), 1);
  count('days', query.days, 0);
  if (query.dateBegin !== undefined) out['dateBegin'] = moscowDateTime(query.dateBegin);
  if (query.dateEnd !== undefined) out['dateEnd'] = moscowDateTime(query.dateEnd);
  if (query.paid !== undefined) out['paid'] = String(query.paid);
  if (query.free === true) out['free'] = '1';
  if (query.search !== undefined && query.search !== '') out['search'] = query.search;
  return out;
}

/** Bizon365 API v2, the orders part: `GET /api/v2/{projectId}/orders/getorders`. */
export class Bizon365Client {
  private readonly http: HttpJsonClient;
  private readonly spacer: RequestSpacer;
  private readonly path: string;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;

  constructor(private readonly options: Bizon365ClientOptions) {
    this.spacer = new RequestSpacer(options.minIntervalMs);
    this.path = `/api/v2/${encodeURIComponent(options.projectId)}/orders/getorders`;
    this.sleep = options.sleep ?? abortable;
    this.http = new HttpJsonClient({
      system: 'bizon365',
      label: 'Bizon365',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      exchanges: options.exchanges,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      // Asked right before every attempt (also the one repeat after a reset), so spacing here spaces
      // every request that leaves, and the wait counts neither into the timeout nor into the logged duration.
      headers: async () => {
        await this.spacer.wait();
        return { 'X-Token': this.options.token };
      },
      describeError: describeError(options.projectId),
    });
  }

  /**
   * One page. Reads are safe to repeat: a 429, a 5xx, a timeout or a dropped connection is waited out a few
   * times (Retry-After, else 1 s, 2 s, 4 s …) instead of failing the whole poll for one page.
   */
  async getOrders(query: OrdersQuery, signal?: AbortSignal): Promise<BizonOrdersPage> {
    const request = { method: 'GET' as const, path: this.path, query: queryOf(query), signal };
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.http.json(bizonOrdersPageSchema, request)).data;
      } catch (err) {
        if (!isIntegrationError(err) || err.kind !== 'retryable' || err.code === 'ABORTED' || attempt >= this.options.readRetries) throw err;
        const waitMs = err.retryAfterMs ?? 1_000 * 2 ** attempt;
        if (waitMs > maxInClientWaitMs) throw err;
        await this.sleep(waitMs, signal);
      }
    }
  }

  /**
   * Every page of a listing, from skip 0 until `total` is reached. The next skip counts the orders
   * actually received, so a server that clamps `limit` below ours is followed correctly.
   */
  async *listOrders(query: Omit<OrdersQuery, 'skip'>, signal?: AbortSignal): AsyncGenerator<OrdersPage> {
    let skip = 0;
    for (;;) {
      const page = await this.getOrders({ ...query, skip }, signal);
      const next = skip + page.list.length;
      const last = page.list.length === 0 || next >= page.total;
      yield { skip, total: page.total, orders: page.list, last, dateBegin: page.dateBegin ?? null, dateEnd: page.dateEnd ?? null };
      if (last) return;
      skip = next;
    }
  }
}
