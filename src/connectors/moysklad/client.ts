import type { z } from 'zod';
import { isIntegrationError, permanent, retryable, type ErrorContext } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure, type HttpMethod } from '../../core/http-json.js';
import { withInlineRetry } from '../../core/retry.js';
import { RequestBudget, type BudgetFeedback } from './budget.js';
import { requestWeight, type MoySkladConfig } from './config.js';
import {
  bulkItemSchema,
  documentSchema,
  errorBodySchema,
  listSchema,
  productSchema,
  type Meta,
  type MoySkladDocument,
  type MoySkladErrorItem,
  type MoySkladProduct,
} from './schemas.js';

/** MoySklad's rate codes (md/_errors.md): over the budget (1049), and too many requests in parallel (1073). */
const rateCodes = new Set([1049, 1073]);
/** Array bodies and `limit` are capped at 1000 (md/_restrictions.md, md/_general.md). */
export const maxBatch = 1000;
/**
 * MoySklad takes at most 8 KB of request headers, the URL among them (md/_restrictions.md, "Лимиты и
 * ограничения"; longer is 414, md/_general.md): look-ups put every wanted value in the URL, so they keep the
 * whole URL under this, leaving room for our other headers (authorization, encodings, host).
 */
export const maxUrlBytes = 7 * 1024;
/** A 429 is answered by waiting as told and sending again: the request was not processed. */
const rejectedAttempts = 6;

function numberHeader(headers: Headers, name: string): number | undefined {
  const value = headers.get(name);
  if (value === null || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

export function errorSummary(errors: readonly MoySkladErrorItem[]): string {
  return errors.map((e) => `${e.code === undefined ? '' : `${e.code}: `}${e.error}${e.parameter === undefined ? '' : ` (${e.parameter})`}`).join('; ');
}

/** What a person should know about an error MoySklad returned, and whether trying again can help. */
export function moyskladError(errors: readonly MoySkladErrorItem[], status: number, operation: string, context: ErrorContext, detail?: string): HttpFailure {
  const fault = errorSummary(errors);
  const codes = errors.map((e) => e.code).filter((c): c is number => c !== undefined);
  const full = { ...context, moyskladCodes: codes };
  const options = { context: full, ...(detail === undefined ? {} : { detail }) };
  if (status === 429 || codes.some((c) => rateCodes.has(c))) {
    return { error: retryable('MOYSKLAD_RATE_LIMIT', `MoySklad refused ${operation} for our request rate: ${fault}`, options), fault };
  }
  if (status === 401 || codes.includes(1056)) {
    return { error: permanent('MOYSKLAD_UNAUTHORIZED', `MoySklad rejected the token for ${operation}: ${fault}; check the moysklad connection's token`, options), fault };
  }
  if (status === 403) {
    return { error: permanent('MOYSKLAD_FORBIDDEN', `MoySklad denies ${operation} to this user: ${fault}; give the user the rights in MoySklad`, options), fault };
  }
  if (status >= 500) return { error: retryable(`HTTP_${status}`, `MoySklad failed on ${operation} (HTTP ${status}): ${fault}`, options), fault };
  return { error: permanent('MOYSKLAD_REFUSED', `MoySklad refused ${operation}: ${fault}`, options), fault };
}

function describeMoySkladError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure | undefined {
  if (answer.status === 415) {
    return {
      error: permanent('MOYSKLAD_HEADERS', `MoySklad refused ${operation} with HTTP 415: it processes only requests that accept gzip`, { context }),
      fault: 'HTTP 415',
    };
  }
  const body = errorBodySchema.safeParse(answer.body);
  if (body.success) return moyskladError(body.data.errors, answer.status, operation, context, snippet(answer.text));
  // A 429 may come as an HTML page from the proxy in front: the status alone is enough.
  return answer.status === 429 ? moyskladError([{ error: 'HTTP 429' }], 429, operation, context, snippet(answer.text)) : statusFailure('MoySklad', answer, operation, context);
}

function feedbackFrom(answer: HttpAnswer | null, windowMs: number): BudgetFeedback {
  if (answer === null) return {};
  if (answer.status === 429) {
    const wait = numberHeader(answer.headers, 'X-Lognex-Retry-After') ?? numberHeader(answer.headers, 'X-Lognex-Retry-TimeInterval') ?? windowMs;
    return { rejectedForMs: wait };
  }
  return { remaining: numberHeader(answer.headers, 'X-RateLimit-Remaining') };
}

export interface ListOptions {
  filter?: string[];
  order?: string;
  limit?: number;
}

export interface MoySkladClientOptions {
  config: MoySkladConfig;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
  now?: () => number;
}

export class MoySkladClient {
  readonly budget: RequestBudget;
  private readonly http: HttpJsonClient;
  private readonly baseUrl: string;

  constructor(private readonly options: MoySkladClientOptions) {
    const { config } = options;
    const now = options.now ?? Date.now;
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.budget = new RequestBudget({
      units: config.budget.units,
      windowMs: config.budget.window,
      maxParallel: config.budget.maxParallel,
      weight: () => requestWeight(config, new Date(now())),
      now,
    });
    this.http = new HttpJsonClient({
      system: 'moysklad',
      label: 'MoySklad',
      baseUrl: this.baseUrl,
      timeoutMs: config.timeout,
      exchanges: options.exchanges,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      // Without gzip MoySklad answers 415 and processes nothing (§3.1).
      headers: () => ({ Authorization: `Bearer ${config.token}`, 'Accept-Encoding': 'gzip' }),
      describeError: describeMoySkladError,
    });
  }

  meta(type: string, id: string): { meta: Meta } {
    return { meta: { href: `${this.baseUrl}/entity/${type}/${id}`, type, mediaType: 'application/json' } };
  }

  attributeMeta(entity: string, attributeId: string): Meta {
    return { href: `${this.baseUrl}/entity/${entity}/metadata/attributes/${attributeId}`, type: 'attributemetadata', mediaType: 'application/json' };
  }

  /** Every call goes through the budget; a 429 pauses everyone for as long as MoySklad says, then repeats. */
  private async call<T>(schema: z.ZodType<T>, method: HttpMethod, path: string, init: { query?: string; json?: unknown; signal?: AbortSignal | undefined }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const ticket = await this.budget.acquire(init.signal);
      let answer: HttpAnswer | null = null;
      try {
        const result = await this.http.json(schema, { method, path, ...init });
        answer = result.answer;
        return result.data;
      } catch (err) {
        const rejected = isIntegrationError(err) && err.code === 'MOYSKLAD_RATE_LIMIT';
        if (rejected) answer = { status: 429, headers: new Headers(), text: '', body: undefined };
        if (!rejected || attempt >= rejectedAttempts) throw err;
      } finally {
        ticket.release(feedbackFrom(answer, this.options.config.budget.window));
      }
    }
  }

  /** Reads are also repeated after a 5xx or a dropped connection. */
  private read<T>(schema: z.ZodType<T>, path: string, query: string, signal: AbortSignal | undefined): Promise<T> {
    return withInlineRetry({ attempts: 4, backoff: { baseMs: 500, maxMs: 8_000 } }, signal, () => this.call(schema, 'GET', path, { query, signal }));
  }

  private listQuery(options: ListOptions, limit: number, offset: number): string {
    const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (options.filter !== undefined && options.filter.length > 0) params.set('filter', options.filter.join(';'));
    if (options.order !== undefined) params.set('order', options.order);
    return params.toString();
  }

  /** Every row matching the filter, page by page (at most 1000 per page). */
  async *list<T>(row: z.ZodType<T>, path: string, options: ListOptions, signal?: AbortSignal): AsyncGenerator<T[]> {
    const limit = Math.min(maxBatch, options.limit ?? maxBatch);
    const schema = listSchema(row);
    for (let offset = 0; ; offset += limit) {
      const page = await this.read(schema, path, this.listQuery(options, limit, offset), signal);
      yield page.rows;
      const size = page.meta.size ?? 0;
      if (page.rows.length < limit || offset + limit >= size) return;
    }
  }

  /**
   * Rows whose `field` equals one of `values` (repeated "=" is OR), in as few requests as the URL allows:
   * the values are split over several look-ups by the length of the URL each one makes, not by their count.
   */
  async findByValues<T>(row: z.ZodType<T>, path: string, field: string, values: readonly string[], signal?: AbortSignal): Promise<T[]> {
    // The URL without conditions, with room for a long offset, and what each condition adds to it once encoded.
    const fixed = Buffer.byteLength(`${this.baseUrl}${path}?${this.listQuery({ filter: ['x'] }, maxBatch, 999_999_999)}`) - 1;
    const encoded = (text: string): number => Buffer.byteLength(new URLSearchParams({ x: text }).toString()) - 2;
    const found: T[] = [];
    let chunk: string[] = [];
    let bytes = fixed;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      for await (const rows of this.list(row, path, { filter: chunk }, signal)) found.push(...rows);
      chunk = [];
      bytes = fixed;
    };
    const separator = encoded(';');
    for (const value of new Set(values)) {
      // A ";" inside a value is written "\;" (md/_general.md, "Фильтрация выборки с помощью параметра filter").
      const condition = `${field}=${value.replaceAll(';', '\\;')}`;
      const length = encoded(condition);
      if (fixed + length > maxUrlBytes) {
        throw permanent('LOOKUP_TOO_LONG', `A MoySklad look-up of ${field} "${value.slice(0, 60)}…" alone would exceed MoySklad's 8 KB limit on request headers`, {
          context: { system: 'moysklad', operation: `GET ${path}` },
        });
      }
      if (chunk.length > 0 && (bytes + separator + length > maxUrlBytes || chunk.length >= maxBatch)) await flush();
      bytes += (chunk.length > 0 ? separator : 0) + length;
      chunk.push(condition);
    }
    await flush();
    return found;
  }

  /** Retail sales by external code, in as many look-ups as MoySklad's URL limit needs. */
  findDemandsByExternalCode(codes: readonly string[], signal?: AbortSignal): Promise<MoySkladDocument[]> {
    return this.findByValues(documentSchema, '/entity/retaildemand', 'externalCode', codes, signal);
  }

  findProductsByArticle(articles: readonly string[], signal?: AbortSignal): Promise<MoySkladProduct[]> {
    return this.findByValues(productSchema, '/entity/product', 'article', articles, signal);
  }

  /**
   * One POST with many documents (§3.2: up to 1000). The answer holds, in order, each saved document or
   * the errors for that element alone. Not repeated after a failure whose outcome is unknown: the caller
   * looks up before trying again.
   */
  async saveDemands(bodies: readonly unknown[], signal?: AbortSignal): Promise<(MoySkladDocument | MoySkladErrorItem[])[]> {
    const answer = await this.call(bulkItemSchema.array(), 'POST', '/entity/retaildemand', { json: bodies, signal });
    if (answer.length !== bodies.length) {
      throw retryable('MALFORMED_RESPONSE', `MoySklad answered a bulk save of ${bodies.length} documents with ${answer.length} results`, {
        context: { system: 'moysklad', operation: 'POST /entity/retaildemand' },
      });
    }
    return answer.map((item) => {
      const failed = errorBodySchema.safeParse(item);
      return failed.success ? failed.data.errors : documentSchema.parse(item);
    });
  }

  getShift(id: string, signal?: AbortSignal): Promise<MoySkladDocument> {
    return this.read(documentSchema, `/entity/retailshift/${encodeURIComponent(id)}`, '', signal);
  }

  /** Open shifts (no closeDate) of a retail store, newest first. */
  async findOpenShifts(retailStoreId: string, signal?: AbortSignal): Promise<MoySkladDocument[]> {
    const rows: MoySkladDocument[] = [];
    const filter = [`retailStore=${this.meta('retailstore', retailStoreId).meta.href}`, 'closeDate='];
    for await (const page of this.list(documentSchema, '/entity/retailshift', { filter, order: 'moment,desc', limit: 100 }, signal)) rows.push(...page);
    return rows;
  }

  openShift(body: unknown, signal?: AbortSignal): Promise<MoySkladDocument> {
    return this.call(documentSchema, 'POST', '/entity/retailshift', { json: body, signal });
  }

  closeShift(id: string, closeDate: string, signal?: AbortSignal): Promise<MoySkladDocument> {
    return this.call(documentSchema, 'PUT', `/entity/retailshift/${encodeURIComponent(id)}`, { json: { closeDate }, signal });
  }
}
