import { z } from 'zod';

/**
 * Ozon Seller API shapes (contract notes §2). Validation is per posting where it can be: one unreadable
 * posting becomes an error for that posting, and the rest of the page still flows.
 */

/** v3 sends prices as decimal strings, v4 as money objects `{amount, currency}`; both are read. */
const money = z.union([
  z.string(),
  z.number(),
  z.looseObject({ amount: z.union([z.string(), z.number()]), currency: z.string().optional(), currency_code: z.string().optional() }),
]);
export type OzonMoney = z.infer<typeof money>;

export const ozonProductSchema = z.looseObject({
  sku: z.number().int(),
  offer_id: z.string(),
  name: z.string(),
  quantity: z.number().positive(),
  price: money,
  currency_code: z.string().optional(),
});

const serviceDictionary = z.record(z.string(), z.number()).nullable().optional();

export const ozonFinancialProductSchema = z.looseObject({
  product_id: z.number().int(),
  commission_amount: z.number().optional(),
  commission: z.looseObject({ amount: z.union([z.string(), z.number()]) }).optional(),
  quantity: z.number().optional(),
  /** Marked outdated by Ozon on 2024-05-24; older payloads still carry it. */
  item_services: serviceDictionary,
});

export const ozonFinancialDataSchema = z.looseObject({
  products: z.array(ozonFinancialProductSchema).default([]),
  posting_services: serviceDictionary,
});

export const ozonPostingSchema = z.looseObject({
  posting_number: z.string().min(1),
  order_id: z.union([z.number(), z.string()]).optional(),
  order_number: z.string().optional(),
  status: z.string().min(1),
  in_process_at: z.string().optional(),
  created_at: z.string().optional(),
  products: z.array(ozonProductSchema).min(1),
  financial_data: ozonFinancialDataSchema.nullable().optional(),
  analytics_data: z.looseObject({ city: z.string().optional(), region: z.string().optional(), warehouse: z.string().optional(), warehouse_name: z.string().optional() }).nullable().optional(),
  addressee: z.looseObject({ name: z.string().optional(), phone: z.string().optional() }).nullable().optional(),
});

export type OzonPosting = z.infer<typeof ozonPostingSchema>;

/** Only what is needed to page; the postings themselves are checked one by one. */
const rawPostings = z.array(z.looseObject({ posting_number: z.string().optional() }));

export const fbsListV4Schema = z.looseObject({ cursor: z.string().default(''), has_next: z.boolean(), postings: rawPostings });
export const fbsListV3Schema = z.looseObject({ result: z.looseObject({ has_next: z.boolean(), postings: rawPostings }) });
export const fboListSchema = z.looseObject({ result: rawPostings });
export const postingGetSchema = z.looseObject({ result: z.looseObject({ posting_number: z.string().optional() }) });

/** rpcStatus, Ozon's error body. */
export const ozonErrorSchema = z.looseObject({ code: z.number().int().optional(), message: z.string().optional() });
