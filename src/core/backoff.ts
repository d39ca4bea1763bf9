export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with full jitter: spreads retries of many jobs that failed together (an outage,
 * a 429 burst) instead of sending them back in lock-step. A server's Retry-After wins when it asks for
 * longer than our draw.
 */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const drawn = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? drawn : Math.max(drawn, retryAfterMs);
}
