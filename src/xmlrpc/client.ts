import { isRetryableHttpStatus, parseRetryAfter, permanent, retryable, type IntegrationError } from '../core/errors.js';
import type { ExchangeSink } from '../core/exchange.js';
import { describeFetchFailure } from '../core/fetch-failure.js';
import { parseMethodResponse, type XmlRpcResponse } from './parse.js';
import { serializeMethodCall } from './serialize.js';
import type { XmlRpcValue } from './value.js';

export interface XmlRpcClientOptions {
  /** e.g. http://127.0.0.1:8069; the caller has already checked HTTPS or loopback. */
  baseUrl: string;
  /** Name put on each ExchangeEntry and error context, e.g. "odoo". */
  connector: string;
  timeoutMs: number;
  /** Every attempt is reported here, whether it worked or not. */
  exchanges?: ExchangeSink;
  fetch?: typeof fetch;
}

export interface XmlRpcCallOptions {
  /** Safe to send twice: allows one immediate resend when a kept-alive connection turns out to be dead. */
  idempotent?: boolean;
  /** Recorded on the exchange and in error context; defaults to the method name. */
  operation?: string;
  signal?: AbortSignal;
}

/** A well-formed XML-RPC fault. Left unclassified: what a code means is the caller's business. */
export class XmlRpcFault extends Error {
  readonly faultCode: number | string;
  readonly faultString: string;

  constructor(faultCode: number | string, faultString: string) {
    super(`XML-RPC fault ${faultCode}: ${faultSummary(faultString)}`);
    this.name = 'XmlRpcFault';
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

/**
 * One line that says what went wrong. Odoo's fault 1 carries a whole Python traceback, whose first
 * line ("Traceback (most recent call last):") says nothing and whose last line is the actual error.
 */
export function faultSummary(faultString: string): string {
  const trimmed = faultString.trim();
  if (trimmed.startsWith('Traceback')) {
    const lastBreak = trimmed.lastIndexOf('\n');
    return trimmed.slice(lastBreak + 1).trim();
  }
  const firstBreak = trimmed.indexOf('\n');
  return firstBreak < 0 ? trimmed : trimmed.slice(0, firstBreak).trim();
}

function displayName(connector: string): string {
  return connector.length === 0 ? 'the server' : connector[0]!.toUpperCase() + connector.slice(1);
}

interface Attempt {
  result?: XmlRpcValue;
  error?: IntegrationError | XmlRpcFault;
  /** Only set for connection resets, the one failure that may be retried on the spot. */
  reset?: boolean;
}

export class XmlRpcClient {
  private readonly baseUrl: string;
  private readonly connector: string;
  private readonly system: string;
  private readonly timeoutMs: number;
  private readonly exchanges: ExchangeSink | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: XmlRpcClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.connector = options.connector;
    this.system = displayName(options.connector);
    this.timeoutMs = options.timeoutMs;
    this.exchanges = options.exchanges;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async call(path: string, method: string, params: readonly XmlRpcValue[], options: XmlRpcCallOptions = {}): Promise<XmlRpcValue> {
    const url = this.baseUrl + (path.startsWith('/') ? path : `/${path}`);
    const operation = options.operation ?? method;
    const body = serializeMethodCall(method, params);
    let attempt = await this.attempt(url, method, operation, body, options.signal);
    if (attempt.reset === true && options.idempotent === true) {
      attempt = await this.attempt(url, method, operation, body, options.signal);
    }
    if (attempt.error !== undefined) throw attempt.error;
    return attempt.result as XmlRpcValue;
  }

  private async attempt(url: string, method: string, operation: string, body: string, signal: AbortSignal | undefined): Promise<Attempt> {
    const startedAt = new Date();
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const context = { system: this.connector, operation };
    let httpStatus: number | null = null;
    let text = '';
    const report = (fault: string | null, error: string | null): void => {
      this.exchanges?.({
        connector: this.connector,
        operation,
        url,
        requestBody: body,
        httpStatus,
        responseBody: text,
        fault,
        error,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      });
    };

    let retryAfter: string | null = null;
    const fetchImpl = this.fetchImpl;
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml' },
        body,
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      httpStatus = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (err) {
      const failure = describeFetchFailure(err, timeout, signal);
      let error: IntegrationError;
      if (failure.kind === 'timeout') {
        error = retryable('TIMEOUT', `${this.system} did not answer ${method} within ${this.timeoutMs} ms`, { context, cause: err });
      } else if (failure.kind === 'aborted') {
        error = retryable('ABORTED', `the call to ${this.system} ${method} was cancelled`, { context, cause: err });
      } else {
        error = retryable(
          'CONNECTION_FAILED',
          `could not reach ${this.system} for ${method}: ${failure.message}${failure.code === undefined ? '' : ` (${failure.code})`}`,
          { context: failure.code === undefined ? context : { ...context, code: failure.code }, cause: err },
        );
      }
      report(null, error.message);
      return { error, reset: failure.reset };
    }

    if (httpStatus < 200 || httpStatus >= 300) {
      const detail = text.slice(0, 200);
      const message = `${this.system} answered ${method} with HTTP ${httpStatus}`;
      const errContext = { ...context, httpStatus };
      let error: IntegrationError;
      if (httpStatus === 429) {
        error = retryable('HTTP_429', message, { context: errContext, detail, retryAfterMs: parseRetryAfter(retryAfter) });
      } else if (isRetryableHttpStatus(httpStatus)) {
        error = retryable(`HTTP_${httpStatus}`, message, { context: errContext, detail });
      } else {
        error = permanent(`HTTP_${httpStatus}`, message, { context: errContext, detail });
      }
      report(`HTTP ${httpStatus}`, message);
      return { error };
    }

    let parsed: XmlRpcResponse;
    try {
      parsed = parseMethodResponse(text);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const error = retryable('MALFORMED_RESPONSE', `${this.system} answered ${method} with something that is not XML-RPC: ${reason}`, {
        context: { ...context, httpStatus },
        detail: text.slice(0, 200),
        cause: err,
      });
      report(null, error.message);
      return { error };
    }

    if (parsed.kind === 'fault') {
      const fault = new XmlRpcFault(parsed.faultCode, parsed.faultString);
      report(`${parsed.faultCode}: ${faultSummary(parsed.faultString)}`, null);
      return { error: fault };
    }
    report(null, null);
    return { result: parsed.value };
  }
}
