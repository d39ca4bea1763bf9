import { z } from 'zod';

/**
 * The one model between sources and destinations: N sources and M destinations need N + M mappers.
 * Every mapper produces or consumes exactly this shape, validated at the boundary.
 */
export const normalizedStatuses = ['new', 'confirmed', 'shipped', 'delivered', 'cancelled', 'unknown'] as const;
export type NormalizedStatus = (typeof normalizedStatuses)[number];

export const addressSchema = z.object({
  street: z.string().nullable(),
  street2: z.string().nullable(),
  city: z.string().nullable(),
  zip: z.string().nullable(),
  state: z.string().nullable(),
  country: z.string().nullable(),
  countryCode: z.string().nullable(),
});

export const partySchema = z.object({
  /** The source system's id of this person or company, when it has one. */
  sourceId: z.string().nullable(),
  name: z.string(),
  company: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  address: addressSchema,
});

export const orderLineSchema = z.object({
  sourceLineId: z.string().nullable(),
  sku: z.string().nullable(),
  name: z.string(),
  quantity: z.number().positive(),
  unitPrice: z.number(),
  /** The product's id in the source system (e.g. Odoo product.product id). */
  sourceProductId: z.string().nullable(),
  /** The product's id in the destination system, when the source stores it (e.g. ysell_product_id in Odoo). */
  destinationProductId: z.string().nullable(),
  unitOfMeasure: z.string().nullable(),
  serials: z.array(z.string()),
});

export const feeSchema = z.object({
  /** e.g. "commission", "service:delivery", "service:<name>". */
  kind: z.string(),
  amount: z.number(),
  currency: z.string().nullable(),
  /** The line this fee belongs to, when the source charges per line. */
  sku: z.string().nullable(),
});

export const orderSchema = z.object({
  source: z.object({ connector: z.string(), id: z.string() }),
  /** The human order number (e.g. Odoo's S00017): also our idempotency key at destinations. */
  number: z.string().min(1),
  createdAt: z.string(),
  status: z.object({ raw: z.string(), normalized: z.enum(normalizedStatuses) }),
  currency: z.string().nullable(),
  customer: partySchema,
  /** Who receives the goods: a delivery address, which may differ from the customer. */
  recipient: partySchema,
  comment: z.string().nullable(),
  lines: z.array(orderLineSchema).min(1),
  fees: z.array(feeSchema),
  total: z.number().nullable(),
  /** Source-specific references a later step may need (salesperson id, shipping partner id, …). */
  refs: z.record(z.string(), z.string()),
});

export type Address = z.infer<typeof addressSchema>;
export type Party = z.infer<typeof partySchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type Fee = z.infer<typeof feeSchema>;
export type Order = z.infer<typeof orderSchema>;
