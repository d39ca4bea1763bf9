/**
 * Every failure that crosses a module boundary is one of these two kinds, because the job engine's only
 * question is "try again later, or stop and tell a person". The message is written for that person.
 */
export type ErrorKind = 'retryable' | 'permanent';

export interface ErrorContext {
  /** Which external system or part of ours failed, e.g. "odoo", "ysell", "config". */
  system?: string;
  /** The operation, e.g. "sale.order.search_read", "POST /api/orders/create". */
  operation?: string;
  /** HTTP status, when there was one. */
  httpStatus?: number;
  /** Odoo fault code, when there was one. */
  faultCode?: number;
  /** Anything else a person needs to act (order number, product id, …). */
  [key: string]: unknown;
}

export class IntegrationError extends Error {
  readonly kind: ErrorKind;
  /** Stable machine-readable code, e.g. "ODOO_FAULT", "HTTP_429", "MISSING_YSELL_PRODUCT_ID". */
  readonly code: string;
  readonly context: ErrorContext;
  /** Honoured by the job engine instead of its own backoff (from Retry-After and the like). */
  readonly retryAfterMs: number | undefined;
  /** Long diagnostic text (e.g. an Odoo traceback) kept for the exchange log, never shown as the message. */
  readonly detail: string | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options: { context?: ErrorContext; retryAfterMs?: number; detail?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = kind === 'retryable' ? 'RetryableError' : 'PermanentError';
    this.kind = kind;
    this.code = code;
    this.context = options.context ?? {};
    this.retryAfterMs = options.retryAfterMs;
    this.detail = options.detail;
  }
}

export function retryable(
  code: string,
  message: string,
  options?: { context?: ErrorContext; retryAfterMs?: number; detail?: string; cause?: unknown },
): IntegrationError {
  return new IntegrationError('retryable', code, message, options);
}

export function permanent(
  code: string,
  message: string,
  options?: { context?: ErrorContext; detail?: string; cause?: unknown },
): IntegrationError {
  return new IntegrationError('permanent', code, message, options);
}

export function isIntegrationError(err: unknown): err is IntegrationError {
  return err instanceof IntegrationError;
}

/**
 * Anything we did not classify is treated as retryable: an unknown failure is more often a passing
 * fault than a bad order, and the attempt limit still stops it from looping forever.
 */
export function classify(err: unknown): IntegrationError {
  if (isIntegrationError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return retryable('UNEXPECTED', message, { cause: err });
}

/** HTTP statuses that mean "the server could not do it now" rather than "the request is wrong". */
export function isRetryableHttpStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
