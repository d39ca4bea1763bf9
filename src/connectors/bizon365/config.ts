import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';
import { paidFilters, type PaidFilter } from './schemas.js';

export const bizonDefaultBaseUrl = 'https://online.bizon365.ru';

export const bizon365ConfigSchema = z.strictObject({
  /** Bizon365's API host; only a test or a proxy needs another one. */
  baseUrl: externalUrlSchema.default(bizonDefaultBaseUrl),
  /** The project number, the {projectId} in /api/v2/{projectId}/orders/getorders. */
  projectId: z
    .union([z.number().int().positive(), z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected the project number, e.g. "12345"')])
    .transform(String),
  /** The X-Token of the Bizon ID account (Учетная запись → Безопасность); keep it in ${ENV}. */
  token: z.string().min(8),
  /** Bizon's `paid` filter: -1 all, 0 unpaid, 1 fully paid, 2 recurring from the 2nd payment, 3 paid without recurring, 5 unpaid or partly paid. */
  paid: z
    .number()
    .refine((value): value is PaidFilter => (paidFilters as readonly number[]).includes(value), { message: `expected one of ${paidFilters.join(', ')}` })
    .transform((value) => value as PaidFilter)
    .default(1),
  /** Also export free orders (Bizon lists them only with free=1). */
  free: z.boolean().default(false),
  /**
   * Each poll re-reads the orders created this many days before the end of the last poll, because Bizon
   * cannot list "changed since": an order paid later than this after its creation is not seen by the poll.
   */
  rescanDays: z.number().int().min(1).max(90).default(14),
  /** How far back an export job looks for its order (Bizon cannot read one order by id). */
  lookupDays: z.number().int().min(1).max(730).default(90),
  /** Spacing between two requests: Bizon asks for at most 2–3 requests a second. */
  minIntervalMs: z.number().int().min(0).max(60_000).default(350),
  /** A read that met a 429, a 5xx, a timeout or a dropped connection is tried again (Retry-After, else 1 s, 2 s, 4 s) this many times before the poll fails. */
  readRetries: z.number().int().min(0).max(5).default(3),
  timeout: durationSchema.default(15_000),
  /** Put before Bizon's order number in the canonical order number, e.g. "BZ-", to keep numbers apart at a shared destination. */
  numberPrefix: z.string().max(20).default(''),
});

export type Bizon365Config = z.infer<typeof bizon365ConfigSchema>;
