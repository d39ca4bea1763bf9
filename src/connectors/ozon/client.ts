import type { z } from 'zod';
import { isIntegrationError, permanent, retryable, type ErrorContext } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure } from '../../core/http-json.js';
import { withInlineRetry, type InlineRetry } from '../../core/retry.js';
import type { OzonConfig } from './config.js';
import { fboListSchema, fbsListV3Schema, fbsListV4Schema, ozonErrorSchema, postingGetSchema } from './schemas.js';

export type OzonScheme = 'fbs' | 'fbo';

/** A page of postings as Ozon sent them; each is validated later, on its own. */
export type RawPosting = Record<string, unknown>;

/** Ozon caps FBO offsets at 20,000: a longer listing continues from the last date seen. */
const fboMaxOffset = 20_000;
const maxPageSize = 1000;

/** Ozon's "UTC: YYYY-MM-DDTHH:MM:SSZ". */
export function ozonTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function describeOzonError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure | undefined {
  const body = ozonErrorSchema.safeParse(answer.body);
  if (!body.success || body.data.message === undefined) return undefined;
  const { code, message } = body.data;
  const fault = `${code ?? '?'}: ${message}`;
  const detail = snippet(answer.text);
  const full = { ...context, ozonCode: code };
  if (answer.status === 429 || code === 8) {
    return { error: retryable('OZON_RATE_LIMIT', `Ozon is limiting our request rate on ${operation} (code ${code ?? '?'}: ${message})`, { context: full, detail }), fault };
  }
  if (answer.status === 401 || answer.status === 403) {
    return {
      error: permanent('OZON_UNAUTHORIZED', `Ozon refused the Client-Id/Api-Key for ${operation} (HTTP ${answer.status}: ${message}); check the ozon connection's clientId and apiKey`, {
        context: full,
        detail,
      }),
      fault,
    };
  }
  return statusFailure('Ozon', answer, operation, full, message);
}

export interface OzonClientOptions {
  config: OzonConfig;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
  retry?: InlineRetry;
}

export class OzonClient {
  private readonly http: HttpJsonClient;
  private readonly retry: InlineRetry;

  constructor(private readonly options: OzonClientOptions) {
    const { config } = options;
    this.http = new HttpJsonClient({
      system: 'ozon',
      label: 'Ozon',
      baseUrl: config.baseUrl,
      timeoutMs: config.timeout,
      exchanges: options.exchanges,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      headers: () => ({ 'Client-Id': config.clientId, 'Api-Key': config.apiKey }),
      describeError: describeOzonError,
    });
    this.retry = options.retry ?? { attempts: config.readAttempts, backoff: { baseMs: 500, maxMs: 10_000 } };
  }

  /** Every listing is a read: it is repeated on a 429 or 5xx instead of failing the whole poll. */
  private post<T>(schema: z.ZodType<T>, path: string, json: unknown, signal: AbortSignal | undefined): Promise<T> {
    return withInlineRetry(this.retry, signal, async () => (await this.http.json(schema, { method: 'POST', path, json, signal })).data);
  }

  /** Pages of postings whose processing started within [since, to], oldest first. */
  async *listPostings(scheme: OzonScheme, since: Date, to: Date, pageSize: number, signal?: AbortSignal): AsyncGenerator<RawPosting[]> {
    const limit = Math.min(maxPageSize, Math.max(1, pageSize));
    if (scheme === 'fbo') yield* this.listFbo(since, to, limit, signal);
    else if (this.options.config.fbsList === 'v4') yield* this.listFbsV4(since, to, limit, signal);
    else yield* this.listFbsV3(since, to, limit, signal);
  }

  private async *listFbsV4(since: Date, to: Date, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    const path = this.options.config.paths.fbsListV4;
    let cursor = '';
    for (;;) {
      const page = await this.post(
        fbsListV4Schema,
        path,
        {
          filter: { since: ozonTime(since), to: ozonTime(to) },
          limit,
          cursor,
          sort_dir: 'ASC',
          with: { analytics_data: true, financial_data: true },
        },
        signal,
      );
      yield page.postings;
      if (!page.has_next) return;
      if (page.cursor === '' || page.cursor === cursor) {
        throw retryable('OZON_CURSOR_STUCK', `Ozon said more FBS postings follow on ${path} but gave no new cursor; the listing cannot go on`, {
          context: { system: 'ozon', operation: `POST ${path}` },
        });
      }
      cursor = page.cursor;
    }
  }

  private async *listFbsV3(since: Date, to: Date, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    const path = this.options.config.paths.fbsListV3;
    for (let offset = 0; ; offset += limit) {
      const page = await this.post(
        fbsListV3Schema,
        path,
        { dir: 'ASC', filter: { since: ozonTime(since), to: ozonTime(to) }, limit, offset, with: { analytics_data: true, financial_data: true } },
        signal,
      );
      yield page.result.postings;
      if (!page.result.has_next || page.result.postings.length === 0) return;
    }
  }

  /** The FBO list has no has_next: a short page is the last one. */
  private async *listFbo(since: Date, to: Date, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    const path = this.options.config.paths.fboList;
    let from = since;
    let offset = 0;
    for (;;) {
      const page = await this.post(
        fboListSchema,
        path,
        { dir: 'ASC', filter: { since: ozonTime(from), to: ozonTime(to) }, limit, offset, with: { analytics_data: true, financial_data: true } },
        signal,
      );
      yield page.result;
      if (page.result.length < limit) return;
      offset += limit;
      if (offset + limit > fboMaxOffset) {
        // Start again from the newest date read: postings at that second are read twice, which is harmless.
        const last = page.result.at(-1)?.['created_at'];
        const lastDate = typeof last === 'string' ? new Date(last) : null;
        if (lastDate === null || Number.isNaN(lastDate.getTime()) || lastDate.getTime() <= from.getTime()) {
          throw permanent('OZON_FBO_WINDOW_TOO_FULL', `More than ${fboMaxOffset} FBO postings share one second on ${path}; narrow the poll window`, {
            context: { system: 'ozon', operation: `POST ${path}` },
          });
        }
        from = lastDate;
        offset = 0;
      }
    }
  }

  /** One posting by number, or null when Ozon does not know it. */
  async getPosting(scheme: OzonScheme, postingNumber: string, signal?: AbortSignal): Promise<RawPosting | null> {
    const path = scheme === 'fbs' ? this.options.config.paths.fbsGet : this.options.config.paths.fboGet;
    try {
      const answer = await this.post(postingGetSchema, path, { posting_number: postingNumber, with: { analytics_data: true, financial_data: true } }, signal);
      return answer.result;
    } catch (err) {
      if (isIntegrationError(err) && err.context.httpStatus === 404) return null;
      throw err;
    }
  }
}
