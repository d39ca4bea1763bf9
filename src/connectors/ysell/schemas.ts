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

export const ysellStatusSchema = z.object({
  status_name: z.string(),
  short_description: z.string().nullish(),
});

/** Only what we act on is required: the rest of the order object differs between tenants and versions. */
export const ysellOrderSchema = z.object({
  id: z.number().int(),
  order_num: z.string(),
  status: ysellStatusSchema.nullish(),
});

export const ysellOrderListSchema = z.array(ysellOrderSchema);

export const ysellOrderStatusSchema = z.object({
  id: z.number().int(),
  order_num: z.string(),
  status: ysellStatusSchema,
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
