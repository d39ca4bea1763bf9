import type { z } from 'zod';
import { isIntegrationError, permanent, retryable, type ErrorContext } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure } from '../../core/http-json.js';
import { withInlineRetry, type InlineRetry } from '../../core/retry.js';
import { ozonMaxPageSize, type OzonConfig } from './config.js';
import {
  accrualPostingsSchema,
  accrualTypesSchema,
  cursorListSchema,
  fboListV2Schema,
  fbsListV3Schema,
  ozonErrorSchema,
  postingGetSchema,
  type OzonAccrual,
} from './schemas.js';

export type OzonScheme = 'fbs' | 'fbo';

/** A page of postings as Ozon sent them; each is validated later, on its own. */
export type RawPosting = Record<string, unknown>;

/** The switched-off v2 FBO list capped offsets at 20,000: a longer listing continues from the last date seen. */
const fboMaxOffset = 20_000;
/** The lists refuse a period over a year (PERIOD_IS_TOO_LONG): a longer one is read a window at a time. */
const maxPeriodMs = 364 * 86_400_000;
/** `posting_numbers`: at most 200 a call (finance.v1.GetFinanceAccrualPostingsRequest). */
const accrualBatch = 200;

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

  /**
   * Pages of postings whose processing started (FBS) or that were created (FBO) within [since, to], oldest
   * first, at most `pageSize` (1..100) a page.
   */
  async *listPostings(scheme: OzonScheme, since: Date, to: Date, pageSize: number, signal?: AbortSignal): AsyncGenerator<RawPosting[]> {
    const limit = Math.min(ozonMaxPageSize, Math.max(1, Math.floor(pageSize)));
    const { config } = this.options;
    for (let from = since.getTime(); from <= to.getTime(); from += maxPeriodMs + 1000) {
      const window = { since: new Date(from), to: new Date(Math.min(to.getTime(), from + maxPeriodMs)) };
      if (scheme === 'fbs' && config.fbsList === 'v4') yield* this.listByCursor(config.paths.fbsListV4, 'FBS', this.windowFilter(window), limit, signal);
      else if (scheme === 'fbs') yield* this.listFbsV3(window, limit, signal);
      else if (config.fboList === 'v3') yield* this.listByCursor(config.paths.fboListV3, 'FBO', this.windowFilter(window), limit, signal);
      else yield* this.listFboV2(window, limit, signal);
    }
  }

  private windowFilter(window: { since: Date; to: Date }): Record<string, unknown> {
    return { since: ozonTime(window.since), to: ozonTime(window.to) };
  }

  /** v4 FBS and v3 FBO: the cursor of each answer leads to the next page until `has_next` is false. */
  private async *listByCursor(path: string, label: string, filter: Record<string, unknown>, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    let cursor = '';
    for (;;) {
      const page = await this.post(
        cursorListSchema,
        path,
        { filter, limit, cursor, sort_dir: 'ASC', with: { analytics_data: true, financial_data: true } },
        signal,
      );
      yield page.postings ?? [];
      if (!page.has_next) return;
      const next = page.cursor ?? '';
      if (next === '' || next === cursor) {
        throw retryable('OZON_CURSOR_STUCK', `Ozon said more ${label} postings follow on ${path} but gave no new cursor; the listing cannot go on`, {
          context: { system: 'ozon', operation: `POST ${path}` },
        });
      }
      cursor = next;
    }
  }

  private async *listFbsV3(window: { since: Date; to: Date }, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    const path = this.options.config.paths.fbsListV3;
    for (let offset = 0; ; offset += limit) {
      const page = await this.post(
        fbsListV3Schema,
        path,
        { dir: 'ASC', filter: this.windowFilter(window), limit, offset, with: { analytics_data: true, financial_data: true } },
        signal,
      );
      yield page.result.postings;
      if (!page.result.has_next || page.result.postings.length === 0) return;
    }
  }

  /** The v2 FBO list has no has_next: a short page is the last one. */
  private async *listFboV2(window: { since: Date; to: Date }, limit: number, signal: AbortSignal | undefined): AsyncGenerator<RawPosting[]> {
    const path = this.options.config.paths.fboListV2;
    let from = window.since;
    let offset = 0;
    for (;;) {
      const page = await this.post(
        fboListV2Schema,
        path,
        { dir: 'ASC', filter: this.windowFilter({ since: from, to: window.to }), limit, offset, with: { analytics_data: true, financial_data: true } },
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

  /**
   * FBO postings by number, through the v3 list's `posting_numbers` filter, a page of 100 at a time (within
   * the last year: the list refuses longer periods). Numbers Ozon does not know as FBO are absent.
   */
  async fboByNumbers(numbers: readonly string[], signal?: AbortSignal): Promise<RawPosting[]> {
    const found: RawPosting[] = [];
    const unique = [...new Set(numbers)];
    const to = new Date();
    const window = this.windowFilter({ since: new Date(to.getTime() - maxPeriodMs), to });
    for (let i = 0; i < unique.length; i += ozonMaxPageSize) {
      const filter = { ...window, posting_numbers: unique.slice(i, i + ozonMaxPageSize) };
      for await (const page of this.listByCursor(this.options.config.paths.fboListV3, 'FBO', filter, ozonMaxPageSize, signal)) found.push(...page);
    }
    return found;
  }

  /** One FBS posting by number (`/v3/posting/fbs/get`), or null when Ozon does not know it. */
  async fbsByNumber(postingNumber: string, signal?: AbortSignal): Promise<RawPosting | null> {
    const path = this.options.config.paths.fbsGet;
    try {
      const answer = await this.post(postingGetSchema, path, { posting_number: postingNumber, with: { analytics_data: true, financial_data: true } }, signal);
      return answer.result;
    } catch (err) {
      if (isIntegrationError(err) && err.context.httpStatus === 404) return null;
      throw err;
    }
  }

  /** What Ozon has accrued on these postings so far, by posting number, 200 numbers a call. */
  async accruals(numbers: readonly string[], signal?: AbortSignal): Promise<Map<string, OzonAccrual[]>> {
    const result = new Map<string, OzonAccrual[]>();
    const unique = [...new Set(numbers)];
    for (let i = 0; i < unique.length; i += accrualBatch) {
      const answer = await this.post(accrualPostingsSchema, this.options.config.paths.accrualPostings, { posting_numbers: unique.slice(i, i + accrualBatch) }, signal);
      for (const posting of answer.posting_accruals ?? []) result.set(posting.posting_number, [...(result.get(posting.posting_number) ?? []), ...(posting.accruals ?? [])]);
    }
    return result;
  }

  /** The names of Ozon's accrual types, by id. */
  async accrualTypes(signal?: AbortSignal): Promise<Map<number, string>> {
    const answer = await this.post(accrualTypesSchema, this.options.config.paths.accrualTypes, {}, signal);
    return new Map((answer.accrual_types ?? []).map((type) => [type.id, type.name?.trim() || `accrual type ${type.id}`]));
  }
}
