import { z } from 'zod';
import { permanent, retryable, type ErrorContext, type IntegrationError } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure, type HttpRequest } from '../../core/http-json.js';
import { REDACTED } from '../../core/redact.js';
import { withInlineRetry, type InlineRetry } from '../../core/retry.js';
import {
  actionAnswerSchema,
  createdIdsSchema,
  idText,
  pedidoListSchema,
  pedidoOwnershipSchema,
  totalListSchema,
  type PedidoCreate,
  type PedidoOwnership,
  type StatusUpdate,
  type Total,
} from './schemas.js';
import { signedQuery, type Credentials } from './signature.js';

export const pedidosPath = '/api/pedidos';
export const totalsPath = '/api/pedidos/totales';

const label = 'Marketsync';

export interface MarketsyncFilters {
  /** The list parameter that takes Marketsync order ids. */
  byId: string;
  /** The list parameter that takes order numbers (referencia). */
  byReference: string;
}

export interface MarketsyncClientOptions extends Credentials {
  /** The server; the caller already checked it is HTTPS or loopback. */
  baseUrl: string;
  timeoutMs: number;
  /** Least time between the end of one totales call and the start of the next. */
  totalsIntervalMs: number;
  filters: MarketsyncFilters;
  /** How a read (a page, a look-up) is repeated on a 5xx, 429, timeout or reset before it fails. */
  readRetry?: InlineRetry;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
  /** The clock the request timestamps are taken from. */
  now?: () => number;
}

/** Orders per request when reading a list of ids. */
const idBatch = 50;
/** Rows per request when looking an order number up: a handful match at most. */
const findPageSize = 50;
/**
 * A look-up that runs past this many pages means the filter was ignored: reading every order of the
 * account on each export is not a look-up any more, and would hide a broken filter setting.
 */
const maxFindPages = 20;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The error wrapper is not documented (contract notes §4.3): we read `{"error": "…"}`, and also an
 * `answer` that is an "Error …" string, the other shape the documented messages suggest.
 */
export function isErrorBody(body: unknown): boolean {
  if (!isRecord(body)) return false;
  if (nonEmptyString(body['error']) !== undefined) return true;
  const answer = nonEmptyString(body['answer']);
  return answer !== undefined && /^error\b/i.test(answer);
}

/** The message in an error answer, from its JSON wrapper or, for a short plain-text body, the text itself. */
export function errorText(answer: HttpAnswer): string | undefined {
  const body = answer.body;
  if (isRecord(body)) return nonEmptyString(body['error']) ?? nonEmptyString(body['message']) ?? nonEmptyString(body['answer']);
  const plain = answer.text.trim();
  return plain !== '' && plain.length <= 200 && !plain.startsWith('<') ? plain : undefined;
}

export function describeError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure | undefined {
  const reason = errorText(answer);
  const detail = snippet(answer.text);
  if (answer.status >= 200 && answer.status < 300) {
    const message = reason ?? 'an error';
    return { error: permanent('MARKETSYNC_REJECTED', `${label} refused ${operation}: ${message}`, { context, detail }), fault: message };
  }
  if (answer.status === 401 || answer.status === 403) {
    const fault = reason ?? `HTTP ${answer.status}`;
    const said = `HTTP ${answer.status}${reason === undefined ? '' : `: ${reason}`}`;
    return { error: refusal(reason ?? '', said, operation, context, answer.status, detail), fault };
  }
  return reason === undefined ? undefined : statusFailure(label, answer, operation, context, reason);
}

/**
 * A refused request, told apart by what Marketsync says: a wrong timestamp is this machine's clock, a wrong
 * signature is the private key or the encoding of a value (the documentation's two examples encode a space
 * differently), a wrong version is ours; only a refused or unknown token is the credentials alone.
 */
function refusal(reason: string, said: string, operation: string, context: ErrorContext, status: number, detail: string): IntegrationError {
  if (/timestamp|time|fecha|hora/i.test(reason)) {
    return permanent(
      'MARKETSYNC_CLOCK',
      `${label} refused the time of our request ${operation} (${said}); requests carry this machine's time as Mexico City time, so its clock must be right to within a few minutes (NTP)`,
      { context, detail },
    );
  }
  if (/signature|firma/i.test(reason)) {
    return permanent(
      'MARKETSYNC_SIGNATURE',
      `${label} refused the signature of our request ${operation} (${said}). Either the connection's privateKey is not the private key of its token (Mis usuarios → Reset Private Key gives a new one), ` +
        'or Marketsync encodes some parameter value differently from the RFC 3986 encoding of its PHP example: if the key is right and only some requests fail, report them (their parameters are in the exchange log)',
      { context, detail },
    );
  }
  if (/version/i.test(reason)) {
    return permanent('MARKETSYNC_VERSION', `${label} refused the API version of our request ${operation} (${said}); report it: order-bridge speaks version 1.0`, { context, detail });
  }
  return permanent(`HTTP_${status}`, `${label} refused our credentials for ${operation} (${said}); check the connection's token and privateKey`, { context, detail });
}

function abortError(operation: string): Error {
  return retryable('ABORTED', `The call ${operation} to ${label} was cancelled before it finished`, { context: { system: 'marketsync', operation } });
}

function pause(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortError(operation));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(operation));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Spaces the calls of one endpoint: each starts at least `intervalMs` after the previous one ended, one at
 * a time. Counting from the end, not the start, keeps the gap the server sees even when a call was slow.
 */
export class CallSpacer {
  private tail: Promise<void> = Promise.resolve();
  private lastEnd = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly operation: string,
  ) {}

  run<T>(call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const result = this.tail.then(async () => {
      await pause(this.lastEnd + this.intervalMs - performance.now(), signal, this.operation);
      try {
        return await call();
      } finally {
        this.lastEnd = performance.now();
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const signatureInUrl = /([?&]signature=)[^&#]*/g;
const idOnly = z.looseObject({ id: idText });

export class MarketsyncClient {
  private readonly http: HttpJsonClient;
  private readonly totals: CallSpacer;
  private readonly now: () => number;
  private readonly readRetry: InlineRetry;

  constructor(private readonly options: MarketsyncClientOptions) {
    this.readRetry = options.readRetry ?? { attempts: 5, backoff: { baseMs: 500, maxMs: 10_000 } };
    const sink = options.exchanges;
    this.http = new HttpJsonClient({
      system: 'marketsync',
      label,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      // The signature is good for one request only, yet it is a credential while the timestamp is fresh.
      exchanges: sink === undefined ? undefined : (entry) => sink({ ...entry, url: entry.url.replace(signatureInUrl, `$1${REDACTED}`) }),
      describeError,
      isErrorBody,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    this.totals = new CallSpacer(options.totalsIntervalMs, `GET ${totalsPath}/{id}`);
    this.now = options.now ?? Date.now;
  }

  private signed(request: Omit<HttpRequest, 'query'>, params: Record<string, string> = {}): HttpRequest {
    return { ...request, query: signedQuery(params, this.options, this.now()) };
  }

  /**
   * One page of GET /pedidos, the orders as they came (each is checked on its own by the mapper). A read
   * is safe to repeat: a 5xx, a 429, a timeout or a reset is tried again (signed anew each time) before it
   * fails the poll or the look-up.
   */
  async listPage(params: Record<string, string>, signal?: AbortSignal): Promise<unknown[]> {
    return withInlineRetry(this.readRetry, signal, async () => {
      const { data } = await this.http.json(pedidoListSchema, this.signed({ method: 'GET', path: pedidosPath, signal }, params));
      return data.answer;
    });
  }

  /**
   * Pages of GET /pedidos by limit and offset. Only an empty page ends the list: the server's largest
   * `limit` is not documented, and a short page from a capped limit is not the end.
   */
  async *pages(params: Record<string, string>, pageSize: number, signal?: AbortSignal, maxPages = Number.POSITIVE_INFINITY): AsyncIterable<unknown[]> {
    let offset = 0;
    for (let page = 1; ; page++) {
      const rows = await this.listPage({ ...params, limit: String(pageSize), offset: String(offset) }, signal);
      if (rows.length === 0) return;
      if (page > maxPages) {
        throw permanent(
          'MARKETSYNC_FIND_UNRELIABLE',
          `${label} answered a look-up (${Object.keys(params).join(', ')}) with more than ${maxPages} pages, so it does not filter as expected; ` +
            'without a working look-up an export could create a duplicate. Check the connection\'s "filters" setting.',
          { context: { system: 'marketsync', operation: `GET ${pedidosPath}`, params } },
        );
      }
      offset += rows.length;
      yield rows;
    }
  }

  /** Orders numbered exactly `referencia` (the filter's matches are checked again here), with what tells ours apart. */
  async findByReference(referencia: string, signal?: AbortSignal): Promise<PedidoOwnership[]> {
    const found = new Map<string, PedidoOwnership>();
    const operation = `GET ${pedidosPath}`;
    for await (const rows of this.pages({ [this.options.filters.byReference]: referencia }, findPageSize, signal, maxFindPages)) {
      for (const row of rows) {
        const parsed = pedidoOwnershipSchema.safeParse(row);
        if (!parsed.success) {
          throw retryable('MALFORMED_RESPONSE', `${label} answered ${operation} with an order whose id, referencia, total or items cannot be read`, {
            context: { system: 'marketsync', operation },
            detail: snippet(JSON.stringify(row) ?? ''),
          });
        }
        if (parsed.data.referencia === referencia) found.set(parsed.data.id, parsed.data);
      }
    }
    return [...found.values()];
  }

  /** The orders with these Marketsync ids, as they came; ids the server does not know are absent. */
  async ordersByIds(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, unknown>> {
    const wanted = new Set(ids);
    const found = new Map<string, unknown>();
    const unique = [...wanted];
    for (let start = 0; start < unique.length; start += idBatch) {
      const batch = unique.slice(start, start + idBatch);
      for await (const rows of this.pages({ [this.options.filters.byId]: batch.join(',') }, batch.length, signal, maxFindPages)) {
        for (const row of rows) {
          const id = idOnly.safeParse(row);
          if (id.success && wanted.has(id.data.id)) found.set(id.data.id, row);
        }
      }
    }
    return found;
  }

  /** POST /pedidos with an array of orders; returns the new ids when the answer carries them. */
  async createOrders(pedidos: readonly PedidoCreate[], signal?: AbortSignal): Promise<string[]> {
    const { data } = await this.http.json(actionAnswerSchema, this.signed({ method: 'POST', path: pedidosPath, json: pedidos, signal }));
    const ids = createdIdsSchema.safeParse(data.answer);
    return ids.success ? ids.data.ids : [];
  }

  /** PUT /pedidos: sets the order's status and adds the comment to its history. */
  async updateStatus(referencia: string, estatus: string, comentario: string, signal?: AbortSignal): Promise<void> {
    const body: StatusUpdate[] = [{ referencia, estatus, comentario }];
    await this.http.json(actionAnswerSchema, this.signed({ method: 'PUT', path: pedidosPath, json: body, signal }));
  }

  /** GET /pedidos/totales/{id}, never sooner than the configured pause after the previous one. */
  async getTotals(id: string, signal?: AbortSignal): Promise<Total[]> {
    if (!/^\d+$/.test(id)) throw permanent('BAD_ORDER_ID', `"${id}" is not a Marketsync order id`, { context: { system: 'marketsync' } });
    return this.totals.run(async () => {
      const { data } = await this.http.json(totalListSchema, this.signed({ method: 'GET', path: `${totalsPath}/${id}`, operation: `GET ${totalsPath}/{id}`, signal }));
      return data.answer;
    }, signal);
  }
}
