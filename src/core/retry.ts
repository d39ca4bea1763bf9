import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { classify } from './errors.js';

export interface InlineRetry {
  /** Tries in all, the first included. */
  attempts: number;
  backoff: BackoffPolicy;
}

/**
 * Repeats a safe call (a read, or a write guarded by an idempotency key) a few times on retryable
 * errors before giving up. A poll that pages through thousands of records should not fail as a whole,
 * and start again from its cursor, because one page met a 429 or a 502.
 */
export async function withInlineRetry<T>(policy: InlineRetry, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const error = classify(err);
      if (error.kind === 'permanent' || attempt >= policy.attempts || signal?.aborted === true) throw error;
      await sleep(retryDelayMs(attempt, policy.backoff, error.retryAfterMs), undefined, signal === undefined ? undefined : { signal });
    }
  }
}
