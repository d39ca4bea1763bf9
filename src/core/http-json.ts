import type { z } from 'zod';
import { isRetryableHttpStatus, parseRetryAfter, permanent, retryable, type ErrorContext, type IntegrationError } from './errors.js';
import type { ExchangeEntry, ExchangeSink } from './exchange.js';
import { describeFetchFailure } from './fetch-failure.js';

/**
 * One HTTP call to an external JSON API, the way every connector needs it: a timeout, the caller's
 * cancellation, one exchange-log entry per attempt, transport failures and HTTP statuses turned into typed
 * errors, and 2xx bodies validated by a zod schema. Connectors add their auth and their error-body
 * reading; nothing here knows a particular system.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Appended to the base URL. */
  path: string;
  /** Repeated names (a list value) are sent as repeated parameters. A string is sent as is (already encoded). */
  query?: Record<string, string | readonly string[]> | string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (some APIs take their operation in a form). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Names the call in logs and errors; defaults to "METHOD path". */
  operation?: string;
  /** More context for the errors of this call (e.g. the order it is for), so that their messages can name it. */
  context?: ErrorContext;
  /** Safe to send twice (a read made with POST): one immediate resend when a kept-alive socket was reset, as for GET. */
  idempotent?: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, undefined when it is not JSON. */
  body: unknown;
}

export interface HttpFailure {
  error: IntegrationError;
  /** One line for the exchange log's fault column. */
  fault: string;
}

export interface HttpJsonOptions {
  /** Connector type, as it appears in the exchange log and in error context, e.g. "moysklad". */
  system: string;
  /** The system's name as people know it, for messages, e.g. "MoySklad". */
  label: string;
  /** Checked by the connector's config (HTTPS, or loopback http). */
  baseUrl: string;
  timeoutMs: number;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
  /** Headers every request carries (auth), asked before each attempt so a rotated secret is picked up. */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /**
   * Reads a non-2xx answer (or a 2xx one the system uses for errors) into a typed error. Return undefined
   * to fall back on the status-only reading.
   */
  describeError?: (answer: HttpAnswer, operation: string, context: ErrorContext) => HttpFailure | undefined;
  /** Some systems answer 200 with an error envelope; this says whether a 2xx answer is one. */
  isErrorBody?: (body: unknown) => boolean;
}

const snippetLength = 200;

export function snippet(text: string): string {
  return text.length > snippetLength ? `${text.slice(0, snippetLength)}…` : text;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function queryString(query: HttpRequest['query']): string {
  if (query === undefined) return '';
  if (typeof query === 'string') return query === '' ? '' : `?${query}`;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') params.append(name, value);
    else for (const item of value) params.append(name, item);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export class HttpJsonClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HttpJsonOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  get label(): string {
    return this.options.label;
  }

  /** Calls and validates the 2xx body; a body of another shape is a retryable MALFORMED_RESPONSE. */
  async json<T>(schema: z.ZodType<T>, request: HttpRequest): Promise<{ data: T; answer: HttpAnswer }> {
    let data: T | undefined;
    const answer = await this.send(request, (ok) => {
      const checked = schema.safeParse(ok.body);
      if (checked.success) {
        data = checked.data;
        return null;
      }
      const problem =
        ok.body === undefined
          ? 'the body is not JSON'
          : `the body is not the expected shape (${checked.error.issues
              .slice(0, 3)
              .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
              .join('; ')})`;
      return this.malformed(request, ok, problem);
    });
    return { data: data as T, answer };
  }

  /** Calls and returns any 2xx answer as it came. */
  async request(request: HttpRequest): Promise<HttpAnswer> {
    return this.send(request, () => null);
  }

  /** The error for a 2xx answer that is not what the contract promises. */
  malformed(request: HttpRequest, answer: HttpAnswer, problem: string): IntegrationError {
    const operation = this.operationOf(request);
    return retryable('MALFORMED_RESPONSE', `${this.options.label} answered ${operation} with HTTP ${answer.status}, but ${problem}`, {
      context: { system: this.options.system, operation, httpStatus: answer.status },
      detail: snippet(answer.text),
    });
  }

  private operationOf(request: HttpRequest): string {
    return request.operation ?? `${request.method} ${request.path}`;
  }

  private async send(request: HttpRequest, check: (answer: HttpAnswer) => IntegrationError | null): Promise<HttpAnswer> {
    const { system, label } = this.options;
    const operation = this.operationOf(request);
    const url = `${this.baseUrl}${request.path}${queryString(request.query)}`;
    let requestBody = '';
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (request.json !== undefined) {
      requestBody = JSON.stringify(request.json);
      headers['Content-Type'] = 'application/json';
    } else if (request.form !== undefined) {
      requestBody = new URLSearchParams(request.form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    let connectionRetried = false;

    for (;;) {
      const allHeaders = { ...headers, ...(await this.options.headers?.()), ...request.headers };
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
      const startedAt = new Date();
      const started = performance.now();
      const report = (part: Pick<ExchangeEntry, 'httpStatus' | 'responseBody' | 'fault' | 'error'>): void => {
        try {
          this.options.exchanges?.({ connector: system, operation, url, requestBody, durationMs: Math.round(performance.now() - started), startedAt, ...part });
        } catch {
          // A failing log must not turn a finished call (perhaps a create) into an error and a retry.
        }
      };

      let status: number | null = null;
      let answer: HttpAnswer;
      try {
        const response = await this.fetchImpl(url, {
          method: request.method,
          headers: allHeaders,
          body: requestBody === '' ? undefined : requestBody,
          signal,
        });
        status = response.status;
        const text = await response.text();
        answer = { status, headers: response.headers, text, body: parseJson(text) };
      } catch (err) {
        const failure = describeFetchFailure(err, timeout, request.signal);
        const context: ErrorContext = { ...request.context, system, operation, ...(status === null ? {} : { httpStatus: status }) };
        const error =
          failure.kind === 'aborted'
            ? retryable('ABORTED', `The call ${operation} to ${label} was cancelled before it finished`, { context, cause: err })
            : failure.kind === 'timeout'
              ? retryable('TIMEOUT', `${label} did not answer ${operation} within ${this.options.timeoutMs} ms`, { context, cause: err })
              : retryable('CONNECTION_FAILED', `Could not reach ${label} at ${new URL(this.baseUrl).host} for ${operation} (${failure.code ?? failure.message})`, {
                  context,
                  cause: err,
                });
        report({ httpStatus: status, responseBody: '', fault: null, error: error.message });
        // On a kept-alive socket the server closed, one repeat of a read is safe.
        if ((request.method === 'GET' || request.idempotent === true) && !connectionRetried && status === null && failure.reset) {
          connectionRetried = true;
          continue;
        }
        throw error;
      }

      const context: ErrorContext = { ...request.context, system, operation, httpStatus: answer.status };
      const isError = answer.status < 200 || answer.status >= 300 || this.options.isErrorBody?.(answer.body) === true;
      if (!isError) {
        const problem = check(answer);
        report({ httpStatus: answer.status, responseBody: answer.text, fault: null, error: problem?.message ?? null });
        if (problem !== null) throw problem;
        return answer;
      }
      const failure = this.options.describeError?.(answer, operation, context) ?? statusFailure(label, answer, operation, context);
      report({ httpStatus: answer.status, responseBody: answer.text, fault: failure.fault, error: null });
      throw failure.error;
    }
  }
}

/** The reading of an error answer from its status alone: what is left when the body says nothing useful. */
export function statusFailure(label: string, answer: HttpAnswer, operation: string, context: ErrorContext, reason?: string): HttpFailure {
  const { status, headers } = answer;
  const detail = snippet(answer.text);
  const why = reason === undefined ? '' : `: ${reason}`;
  const fault = reason ?? `HTTP ${status}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get('Retry-After'));
    const wait = retryAfterMs === undefined ? '' : `; it asks to wait ${Math.ceil(retryAfterMs / 1000)} s`;
    const error = retryable('HTTP_429', `${label} is limiting our request rate (HTTP 429 on ${operation})${wait}${why}`, {
      context,
      detail,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    return { error, fault };
  }
  if (status === 401 || status === 403) {
    const error = permanent(`HTTP_${status}`, `${label} refused our credentials for ${operation} (HTTP ${status})${why}; check the connection's key or token`, {
      context,
      detail,
    });
    return { error, fault };
  }
  if (isRetryableHttpStatus(status)) {
    const retryAfterMs = parseRetryAfter(headers.get('Retry-After'));
    const error = retryable(`HTTP_${status}`, `${label} failed on ${operation} (HTTP ${status})${why}`, {
      context,
      detail,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    return { error, fault };
  }
  return { error: permanent(`HTTP_${status}`, `${label} refused ${operation} (HTTP ${status})${why}`, { context, detail }), fault };
}
