import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration the way a person writes it: "7d", "1h", "30s", "250ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * "250ms", "30s", "5m", "1h", "7d", or a number of milliseconds, within [min, max]: a zero lease or poll
 * interval, or a timeout of years, is refused at start with the bounds named (the path names the setting).
 */
export function duration(bounds: { min: number; max: number }) {
  return z
    .union([z.number().int().min(0), z.string().regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration like "30s", "5m", "1h" or "7d"')])
    .transform((value) => {
      if (typeof value === 'number') return value;
      const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
      return Number(match?.[1]) * (units[match?.[2] ?? 'ms'] ?? 1);
    })
    .superRefine((ms, ctx) => {
      if (ms < bounds.min) ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(bounds.min)} (got ${formatDuration(ms)})` });
      else if (ms > bounds.max) ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(bounds.max)} (got ${formatDuration(ms)})` });
    });
}

/** Any duration setting without bounds of its own (connectors' timeouts and the like): not zero, not over 30 days. */
export const durationSchema = duration({ min: 1, max: 30 * 86_400_000 });

/** A size in bytes within [min, max], with the bounds named when it is not. */
export function byteSize(bounds: { min: number; max: number }) {
  const show = (n: number): string => (n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);
  return z
    .number()
    .int()
    .superRefine((n, ctx) => {
      if (n < bounds.min) ctx.addIssue({ code: 'custom', message: `must be at least ${show(bounds.min)} (got ${n})` });
      else if (n > bounds.max) ctx.addIssue({ code: 'custom', message: `must be at most ${show(bounds.max)} (got ${n})` });
    });
}
