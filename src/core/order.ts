import { z } from 'zod';
import { amountSchema } from './money.js';

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
  /** Price of one unit before this line's discount, with or without tax as the order's `prices` says. */
  unitPrice: amountSchema,
  /** This line's discount for all its units, same tax basis as the price ("0" when none). */
  discount: amountSchema,
  /** The line's tax rate in percent (e.g. "16"), when the source states it. */
  taxRate: amountSchema.nullable(),
  /** The product's id in the source system (e.g. Odoo product.product id). */
  sourceProductId: z.string().nullable(),
  /** The product's id in the destination system, when the source stores it (e.g. ysell_product_id in Odoo). */
  destinationProductId: z.string().nullable(),
  unitOfMeasure: z.string().nullable(),
  serials: z.array(z.string()),
});

/**
 * What a marketplace charges the seller for this order (commission, logistics): not part of what the
 * customer paid, so never part of the order's total.
 */
export const feeSchema = z.object({
  /** e.g. "commission", "service:delivery", "service:<name>". */
  kind: z.string(),
  amount: amountSchema,
  currency: z.string().nullable(),
  /** The line this fee belongs to, when the source charges per line. */
  sku: z.string().nullable(),
});

/** A discount on the whole order (a coupon, a promotion), same tax basis as the prices; positive. */
export const orderDiscountSchema = z.object({
  kind: z.enum(['coupon', 'promotion', 'other']),
  /** The coupon or promotion code, when the source names it. */
  code: z.string().nullable(),
  amount: amountSchema,
});

/** What the customer pays beyond the goods: delivery, and service products such as gift wrap. */
export const surchargeSchema = z.object({
  kind: z.enum(['shipping', 'service']),
  name: z.string(),
  /** Same tax basis as the prices. */
  amount: amountSchema,
});

export const orderSchema = z.object({
  source: z.object({ connector: z.string(), id: z.string() }),
  /**
   * The order number people use (Odoo's S00017, an Ozon posting number), unique within its source
   * connection: it is the external id the order gets at destinations, so a source whose own numbers
   * repeat (Marketsync's per-marketplace numbers) qualifies them.
   */
  number: z.string().min(1),
  createdAt: z.string(),
  status: z.object({ raw: z.string(), normalized: z.enum(normalizedStatuses) }),
  /** ISO 4217 code of every amount in the order; null when the source does not say (the destination's own currency is assumed). */
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"').nullable(),
  /** Whether line prices, discounts and surcharges include tax (gross) or not (net, tax added on top). */
  prices: z.enum(['gross', 'net']),
  customer: partySchema,
  /** Who receives the goods: a delivery address, which may differ from the customer. */
  recipient: partySchema,
  comment: z.string().nullable(),
  lines: z.array(orderLineSchema).min(1),
  discounts: z.array(orderDiscountSchema),
  surcharges: z.array(surchargeSchema),
  /** The order's tax, when the source states it; required when prices are net (it is added on top). */
  tax: amountSchema.nullable(),
  /**
   * What the customer pays, tax included: the lines after their discounts, less order discounts, plus
   * surcharges, plus tax when prices are net. Checked to the minor unit before any export.
   */
  total: amountSchema,
  fees: z.array(feeSchema),
  /** Source-specific references a later step may need (salesperson id, shipping partner id, …). */
  refs: z.record(z.string(), z.string()),
});

export type Address = z.infer<typeof addressSchema>;
export type Party = z.infer<typeof partySchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type Fee = z.infer<typeof feeSchema>;
export type OrderDiscount = z.infer<typeof orderDiscountSchema>;
export type Surcharge = z.infer<typeof surchargeSchema>;
export type Order = z.infer<typeof orderSchema>;
