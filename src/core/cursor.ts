import type { z } from 'zod';

/**
 * A poll cursor a connector stored as JSON, read back with its schema. An unreadable or foreign cursor
 * reads as none, so the poll starts again at its window's start: reading too much is harmless (queueing
 * is idempotent), skipping is not.
 */
export function readJsonCursor<T>(schema: z.ZodType<T>, cursor: string | null): T | null {
  if (cursor === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(cursor));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
