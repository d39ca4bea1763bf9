import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "5m", "1h", or a number of milliseconds. */
export const durationSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(ms|s|m|h)$/, 'expected a duration like "30s", "5m" or "1h"')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const match = /^(\d+)(ms|s|m|h)$/.exec(value);
    return Number(match?.[1]) * (units[match?.[2] ?? 'ms'] ?? 1);
  });
