import type { z } from 'zod';
import { isRetryableHttpStatus, parseRetryAfter, permanent, retryable, type ErrorContext, type IntegrationError } from '../../core/errors.js';
import type { ExchangeEntry, ExchangeSink } from '../../core/exchange.js';
import { describeFetchFailure, type FetchFailure } from '../../core/fetch-failure.js';
import {
  yiiErrorSchema,
  yiiValidationErrorsSchema,
  ysellOrderListSchema,
  ysellOrderSchema,
  ysellOrderStatusSchema,
  type YiiValidationErrors,
  type YsellCreateOrder,
  type YsellOrder,
  type YsellOrderStatus,
} from './schemas.js';

export interface YsellPaths {
  create: string;
  status: string;
  find: string;
}

/** Ysell documents none of these (contract notes §0.1): they are our decision and stay configurable. */
export const defaultYsellPaths: YsellPaths = {
  create: '/api/orders/create',
  status: '/api/orders/status',
  find: '/api/v1/order',
};

export interface YsellClientOptions {
  /** Tenant URL; the caller already checked it is HTTPS or loopback. */
  baseUrl: string;
  /** Read (and cached) by the caller; asked before each request so a rotated key is picked up. */
  apiKey: () => Promise<string>;
  /** Called on a 401 so that the next apiKey() reads the key again. */
  invalidateApiKey: () => void;
  timeoutMs: number;
  paths: YsellPaths;
  exchanges?: ExchangeSink;
  fetch?: typeof fetch;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal: AbortSignal | undefined;
}

interface Answer<T> {
  data: T;
  headers: Headers;
}

const pageSize = 50;
/**
 * A number lookup that spans this many pages means the filter was ignored (or matches loosely); reading
 * every order of the account on each export is not a lookup any more.
 */
const maxFindPages = 20;
const snippetLength = 200;

function snippet(text: string): string {
  return text.length > snippetLength ? `${text.slice(0, snippetLength)}…` : text;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function summarizeValidation(errors: YiiValidationErrors): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

export class YsellClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: YsellClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * The look in look-before-create. Matches are filtered exactly here as well, because a loose or ignored
   * `order_num` filter must not make another order look like ours.
   */
  async findOrderByNumber(orderNum: string, signal?: AbortSignal): Promise<YsellOrder | null> {
    const path = this.options.paths.find;
    const matches = new Map<number, YsellOrder>();
    for (let page = 1; ; page++) {
      const query: Record<string, string> = { order_num: orderNum, 'per-page': String(pageSize) };
      if (page > 1) query['page'] = String(page);
      const { data, headers } = await this.call(ysellOrderListSchema, { method: 'GET', path, query, signal });
      for (const order of data) if (order.order_num === orderNum) matches.set(order.id, order);

      const pageCount = Number(headers.get('X-Pagination-Page-Count') ?? '1');
      if (!Number.isInteger(pageCount) || page >= pageCount) break;
      if (pageCount > maxFindPages) {
        throw permanent(
          'YSELL_FIND_UNRELIABLE',
          `Ysell answered the lookup of order ${orderNum} with ${pageCount} pages of orders, so it does not filter by order_num ` +
            `at ${path}; without a working lookup an export could create a duplicate. Check the Ysell find path in the configuration.`,
          { context: { system: 'ysell', operation: `GET ${path}`, orderNum, pageCount } },
        );
      }
    }

    const found = [...matches.values()];
    if (found.length > 1) {
      const ids = found.map((o) => o.id);
      throw permanent(
        'DUPLICATE_AT_DESTINATION',
        `Ysell has ${found.length} orders numbered ${orderNum} (ids ${ids.join(', ')}); remove the extra ones in Ysell, then replay the job.`,
        { context: { system: 'ysell', operation: `GET ${path}`, orderNum, ysellIds: ids } },
      );
    }
    return found[0] ?? null;
  }

  async createOrder(body: YsellCreateOrder, signal?: AbortSignal): Promise<YsellOrder> {
    const { data } = await this.call(ysellOrderSchema, { method: 'POST', path: this.options.paths.create, body, signal });
    return data;
  }

  async getOrderStatus(id: number, signal?: AbortSignal): Promise<YsellOrderStatus> {
    const { data } = await this.call(ysellOrderStatusSchema, {
      method: 'GET',
      path: this.options.paths.status,
      query: { id: String(id) },
      signal,
    });
    return data;
  }

  private async call<T>(schema: z.ZodType<T>, call: Call): Promise<Answer<T>> {
    const operation = `${call.method} ${call.path}`;
    const query = call.query === undefined ? '' : `?${new URLSearchParams(call.query).toString()}`;
    const url = `${this.baseUrl}${call.path}${query}`;
    const requestBody = call.body === undefined ? '' : JSON.stringify(call.body);
    let keyRetried = false;
    let connectionRetried = false;

    for (;;) {
      const key = await this.options.apiKey();
      const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
      if (call.method === 'POST') headers['Content-Type'] = 'application/json';
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const signal = call.signal === undefined ? timeout : AbortSignal.any([timeout, call.signal]);
      const startedAt = new Date();
      const started = performance.now();
      const entry = (part: Pick<ExchangeEntry, 'httpStatus' | 'responseBody' | 'fault' | 'error'>): void =>
        this.report({
          connector: 'ysell',
          operation,
          url,
          requestBody,
          durationMs: Math.round(performance.now() - started),
          startedAt,
          ...part,
        });

      let status: number | null = null;
      let responseHeaders: Headers;
      let text: string;
      try {
        const response = await this.fetchImpl(url, {
          method: call.method,
          headers,
          body: call.method === 'POST' ? requestBody : undefined,
          signal,
        });
        status = response.status;
        responseHeaders = response.headers;
        text = await response.text();
      } catch (err) {
        const failure = describeFetchFailure(err, timeout, call.signal);
        const error = this.transportError(err, failure, operation, status);
        entry({ httpStatus: status, responseBody: '', fault: null, error: error.message });
        // On a kept-alive socket the server closed, one repeat of a GET is safe.
        if (call.method === 'GET' && !connectionRetried && status === null && failure.reset) {
          connectionRetried = true;
          continue;
        }
        throw error;
      }

      const context: ErrorContext = { system: 'ysell', operation, httpStatus: status };
      if (status >= 200 && status < 300) {
        const parsed = parseJson(text);
        const checked = parsed.ok ? schema.safeParse(parsed.value) : undefined;
        if (checked?.success === true) {
          entry({ httpStatus: status, responseBody: text, fault: null, error: null });
          return { data: checked.data, headers: responseHeaders };
        }
        const problem =
          checked === undefined
            ? 'the body is not JSON'
            : `the body is not the expected shape (${checked.error.issues
                .slice(0, 3)
                .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
                .join('; ')})`;
        const error = retryable('MALFORMED_RESPONSE', `Ysell answered ${operation} with HTTP ${status}, but ${problem}`, {
          context,
          detail: snippet(text),
        });
        entry({ httpStatus: status, responseBody: text, fault: null, error: error.message });
        throw error;
      }

      const error = this.httpError(status, text, responseHeaders, operation, context);
      entry({ httpStatus: status, responseBody: text, fault: error.fault, error: null });
      if (status === 401 && !keyRetried) {
        keyRetried = true;
        this.options.invalidateApiKey();
        continue;
      }
      throw error.error;
    }
  }

  private httpError(
    status: number,
    text: string,
    headers: Headers,
    operation: string,
    context: ErrorContext,
  ): { error: IntegrationError; fault: string } {
    const body = parseJson(text);
    const yii = body.ok ? yiiErrorSchema.safeParse(body.value) : undefined;
    const yiiMessage = yii?.success === true ? yii.data.message : undefined;
    const detail = snippet(text);

    if (status === 401) {
      const fault = yiiMessage ?? 'HTTP 401';
      const error = permanent(
        'YSELL_UNAUTHORIZED',
        `Ysell rejected the API key for ${operation} (HTTP 401), also after reading it again; check the ysell.api_key system parameter in Odoo`,
        { context, detail },
      );
      return { error, fault };
    }

    if (status === 422) {
      const fields = body.ok ? yiiValidationErrorsSchema.safeParse(body.value) : undefined;
      if (fields?.success === true) {
        const fault = summarizeValidation(fields.data);
        const error = permanent('YSELL_VALIDATION', `Ysell rejected ${operation}: ${fault}`, {
          context: { ...context, fields: fields.data },
          detail,
        });
        return { error, fault };
      }
      const fault = yiiMessage ?? 'HTTP 422';
      return { error: permanent('YSELL_VALIDATION', `Ysell rejected ${operation}: ${yiiMessage ?? detail}`, { context, detail }), fault };
    }

    const fault = yiiMessage ?? `HTTP ${status}`;
    const reason = yiiMessage === undefined ? '' : `: ${yiiMessage}`;
    if (status === 429) {
      // Yii2's rate limiter sends X-Rate-Limit-Reset and no Retry-After; either tells us how long to wait.
      const retryAfterMs = parseRetryAfter(headers.get('Retry-After') ?? headers.get('X-Rate-Limit-Reset'));
      const wait = retryAfterMs === undefined ? '' : `; it asks to wait ${Math.ceil(retryAfterMs / 1000)} s`;
      const error = retryable('HTTP_429', `Ysell is limiting our request rate (HTTP 429 on ${operation})${wait}`, {
        context,
        detail,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
      return { error, fault };
    }
    if (isRetryableHttpStatus(status)) {
      const retryAfterMs = parseRetryAfter(headers.get('Retry-After'));
      const error = retryable(`HTTP_${status}`, `Ysell failed on ${operation} (HTTP ${status})${reason}`, {
        context,
        detail,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
      return { error, fault };
    }
    const error = permanent(`HTTP_${status}`, `Ysell refused ${operation} (HTTP ${status})${reason}`, { context, detail });
    return { error, fault };
  }

  private transportError(err: unknown, failure: FetchFailure, operation: string, httpStatus: number | null): IntegrationError {
    const context: ErrorContext = { system: 'ysell', operation, ...(httpStatus === null ? {} : { httpStatus }) };
    if (failure.kind === 'aborted') {
      return retryable('ABORTED', `The call ${operation} to Ysell was cancelled before it finished`, { context, cause: err });
    }
    if (failure.kind === 'timeout') {
      return retryable('TIMEOUT', `Ysell did not answer ${operation} within ${this.options.timeoutMs} ms`, { context, cause: err });
    }
    return retryable('CONNECTION_FAILED', `Could not reach Ysell at ${new URL(this.baseUrl).host} for ${operation} (${failure.code ?? failure.message})`, {
      context,
      cause: err,
    });
  }

  /** A failing log must not turn a finished call (perhaps a create) into an error and a retry. */
  private report(entry: ExchangeEntry): void {
    try {
      this.options.exchanges?.(entry);
    } catch {
      // Swallowed on purpose, see above.
    }
  }
}
