import { z } from 'zod';

/** Ysell writes money as decimal strings ("2.50"); a float would lose cents on the way. */
const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string like "12.50"');

export const ysellCreateOrderItemSchema = z.object({
  p_id: z.number().int().positive(),
  qty: z.number().positive(),
  odoo_product_id: z.number().int().optional(),
  sku: z.string().optional(),
  title: z.string().optional(),
  price: decimalString.optional(),
  /** Several serial numbers are joined with commas. */
  serial_num: z.string().optional(),
});

export const ysellCreateOrderSchema = z.object({
  /** Our number for the order; Ysell keeps it unique per account, so it is what we look up before creating. */
  order_num: z.string().min(1),
  purchase_date: z.string().optional(),
  comment: z.string().optional(),
  currency: z.string().optional(),
  recipient: z.object({
    name: z.string().min(1),
    phone: z.string().optional(),
    email: z.string().optional(),
    company: z.string().optional(),
  }),
  address: z.object({
    street: z.string().min(1),
    street2: z.string().optional(),
    city: z.string().min(1),
    zip: z.string().optional(),
    state: z.string().optional(),
    /** Country name or ISO code. */
    country: z.string().min(1),
    country_code: z.string().optional(),
  }),
  items: z.array(ysellCreateOrderItemSchema).min(1),
});

/**
 * What Ysell answers is read as a tolerant reader: only what order-bridge uses is validated, everything
 * else is optional, and a part we do not need that has an unexpected shape is dropped instead of failing a
 * good answer. The project specification promises no answer fields at all (only the two endpoints).
 */

/** Ysell ids are integers; a proxy or another Ysell version may send them as digit strings. */
const ysellId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

/** The order number Ysell shows back, when it does; an integer-looking number is the same text to us. */
const orderNum = z.union([z.string(), z.number().transform(String)]);

export const ysellStatusSchema = z.looseObject({
  status_name: z.string().min(1),
  short_description: z.string().nullish().catch(undefined),
});

/** A status we do not act on may be missing or odd (an object, or its bare name): never a failure. */
const anyStatus = z
  .union([ysellStatusSchema, z.string().min(1).transform((status_name) => ({ status_name }))])
  .nullish()
  .catch(undefined);

const itemSchema = z.looseObject({ p_id: ysellId.nullish().catch(undefined) });

/** An order in a create answer or a look-up: only `id` is needed; the rest, when present, helps prove it is ours. */
export const ysellOrderSchema = z.looseObject({
  id: ysellId,
  order_num: orderNum.nullish().catch(undefined),
  status: anyStatus,
  items: z.array(itemSchema).nullish().catch(undefined),
});

/** A look-up answer: a bare array (Yii2 REST, contract notes §1.3); rows without an id cannot be bound and are left out. */
export const ysellOrderListSchema = z.array(z.unknown()).transform((rows) =>
  rows.flatMap((row) => {
    const parsed = ysellOrderSchema.safeParse(row);
    return parsed.success ? [parsed.data] : [];
  }),
);

/** The status answer: the status is all we use (its bare name is accepted too). */
export const ysellOrderStatusSchema = z.looseObject({
  id: ysellId.nullish().catch(undefined),
  status: z.union([ysellStatusSchema, z.string().min(1).transform((status_name) => ({ status_name }))]),
});

export const yiiErrorSchema = z.object({
  name: z.string().optional(),
  message: z.string(),
  code: z.number().optional(),
  status: z.number().optional(),
});

export const yiiValidationErrorsSchema = z.array(z.object({ field: z.string(), message: z.string() }));

export type YsellCreateOrderItem = z.infer<typeof ysellCreateOrderItemSchema>;
export type YsellCreateOrder = z.infer<typeof ysellCreateOrderSchema>;
export type YsellStatus = z.infer<typeof ysellStatusSchema>;
export type YsellOrder = z.infer<typeof ysellOrderSchema>;
export type YsellOrderStatus = z.infer<typeof ysellOrderStatusSchema>;
export type YiiError = z.infer<typeof yiiErrorSchema>;
export type YiiValidationErrors = z.infer<typeof yiiValidationErrorsSchema>;
