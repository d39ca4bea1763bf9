import type { z } from 'zod';
import { isIntegrationError, parseRetryAfter, permanent, retryable, type ErrorContext } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure, type HttpMethod } from '../../core/http-json.js';
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

const pageSize = 50;
/**
 * A number lookup that spans this many pages means the filter was ignored (or matches loosely); reading
 * every order of the account on each export is not a lookup any more.
 */
const maxFindPages = 20;
function summarizeValidation(errors: YiiValidationErrors): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

/** Yii2's error shapes (contract notes §1.7): 401 with `{name, message}`, 422 as a `[{field, message}]` array, 429. */
function describeYsellError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure {
  const yii = yiiErrorSchema.safeParse(answer.body);
  const yiiMessage = yii.success ? yii.data.message : undefined;
  const detail = snippet(answer.text);
  const { status } = answer;

  if (status === 401) {
    const error = permanent(
      'YSELL_UNAUTHORIZED',
      `Ysell rejected the API key for ${operation} (HTTP 401), also after reading it again; check the ysell.api_key system parameter in Odoo`,
      { context, detail },
    );
    return { error, fault: yiiMessage ?? 'HTTP 401' };
  }
  if (status === 422) {
    const fields = yiiValidationErrorsSchema.safeParse(answer.body);
    if (fields.success) {
      const fault = summarizeValidation(fields.data);
      return { error: permanent('YSELL_VALIDATION', `Ysell rejected ${operation}: ${fault}`, { context: { ...context, fields: fields.data }, detail }), fault };
    }
    return { error: permanent('YSELL_VALIDATION', `Ysell rejected ${operation}: ${yiiMessage ?? detail}`, { context, detail }), fault: yiiMessage ?? 'HTTP 422' };
  }
  if (status === 429) {
    // Yii2's rate limiter sends X-Rate-Limit-Reset and no Retry-After; either tells us how long to wait.
    const retryAfterMs = parseRetryAfter(answer.headers.get('Retry-After') ?? answer.headers.get('X-Rate-Limit-Reset'));
    const wait = retryAfterMs === undefined ? '' : `; it asks to wait ${Math.ceil(retryAfterMs / 1000)} s`;
    const error = retryable('HTTP_429', `Ysell is limiting our request rate (HTTP 429 on ${operation})${wait}`, {
      context,
      detail,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    return { error, fault: yiiMessage ?? 'HTTP 429' };
  }
  return statusFailure('Ysell', answer, operation, context, yiiMessage);
}

export class YsellClient {
  private readonly http: HttpJsonClient;

  constructor(private readonly options: YsellClientOptions) {
    this.http = new HttpJsonClient({
      system: 'ysell',
      label: 'Ysell',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      exchanges: options.exchanges,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      headers: async () => ({ Authorization: `Bearer ${await options.apiKey()}` }),
      describeError: describeYsellError,
    });
  }

  /**
   * The look in look-before-create: every order Ysell lists for our number, except those that show
   * another number (a loose or ignored `order_num` filter must not make another order look like ours).
   * Whether a listed order is really ours is for the caller to judge against what it sent.
   */
  async findOrdersByNumber(orderNum: string, signal?: AbortSignal): Promise<YsellOrder[]> {
    const path = this.options.paths.find;
    const candidates = new Map<number, YsellOrder>();
    for (let page = 1; ; page++) {
      const query: Record<string, string> = { order_num: orderNum, 'per-page': String(pageSize) };
      if (page > 1) query['page'] = String(page);
      const { data, headers } = await this.call(ysellOrderListSchema, { method: 'GET', path, query, signal });
      for (const order of data) {
        if (order.order_num === undefined || order.order_num === null || order.order_num === orderNum) candidates.set(order.id, order);
      }

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
    return [...candidates.values()];
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

  /** A 401 reads the key again once: someone may have rotated it in Odoo without restarting us. */
  private async call<T>(
    schema: z.ZodType<T>,
    call: { method: HttpMethod; path: string; query?: Record<string, string>; body?: unknown; signal: AbortSignal | undefined },
  ): Promise<{ data: T; headers: Headers }> {
    const request = { method: call.method, path: call.path, signal: call.signal, ...(call.query === undefined ? {} : { query: call.query }), ...(call.body === undefined ? {} : { json: call.body }) };
    try {
      const { data, answer } = await this.http.json(schema, request);
      return { data, headers: answer.headers };
    } catch (err) {
      if (!isIntegrationError(err) || err.code !== 'YSELL_UNAUTHORIZED') throw err;
      this.options.invalidateApiKey();
      const { data, answer } = await this.http.json(schema, request);
      return { data, headers: answer.headers };
    }
  }
}
