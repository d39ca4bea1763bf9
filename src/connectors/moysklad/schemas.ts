import { z } from 'zod';

/** MoySklad JSON API 1.2 shapes (the docs' md/documents/_retaildemand.md, _retailshift.md, md/_general.md), only the parts we read. */

export const metaSchema = z.looseObject({ href: z.string(), type: z.string(), mediaType: z.string().optional() });
export type Meta = z.infer<typeof metaSchema>;

export const attributeValueSchema = z.looseObject({ meta: metaSchema, id: z.string().optional(), value: z.unknown() });

export const documentSchema = z.looseObject({
  meta: metaSchema,
  id: z.string(),
  name: z.string().optional(),
  externalCode: z.string().optional(),
  /** Set once at creation, never changed (§3.4): tells a sale we created from one with the same external code. */
  syncId: z.string().optional(),
  description: z.string().optional(),
  moment: z.string().optional(),
  created: z.string().optional(),
  closeDate: z.string().optional(),
  attributes: z.array(attributeValueSchema).optional(),
});
export type MoySkladDocument = z.infer<typeof documentSchema>;

export const productSchema = z.looseObject({ meta: metaSchema, id: z.string(), article: z.string().optional(), name: z.string().optional() });
export type MoySkladProduct = z.infer<typeof productSchema>;

export function listSchema<T>(row: z.ZodType<T>) {
  return z.looseObject({
    meta: z.looseObject({ size: z.number().int().optional(), limit: z.number().int().optional(), offset: z.number().int().optional(), nextHref: z.string().optional() }),
    rows: z.array(row),
  });
}

export const errorItemSchema = z.looseObject({
  error: z.string(),
  code: z.number().int().optional(),
  parameter: z.string().optional(),
  moreInfo: z.string().optional(),
});
export const errorBodySchema = z.looseObject({ errors: z.array(errorItemSchema).min(1) });
export type MoySkladErrorItem = z.infer<typeof errorItemSchema>;

/** One element of a bulk POST answer: the saved object, or the errors for that element alone. */
export const bulkItemSchema = z.union([errorBodySchema, documentSchema]);
