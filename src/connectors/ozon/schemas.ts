import { z } from 'zod';

/**
 * Ozon Seller API shapes, from Ozon's OpenAPI document (posting.v4.PostingFbsListResponse,
 * posting.v3.PostingFboListResponse, the switched-off v3 FBS / v2 FBO lists, finance.v1 accruals), only the
 * parts we read. Validation is per posting where it can be: one unreadable posting becomes an error for that
 * posting alone, and the rest of the page still flows.
 */

/** The switched-off lists send prices as decimal strings, the current ones as money objects `{amount, currency}`; both are read. */
const money = z.union([
  z.string(),
  z.number(),
  z.looseObject({ amount: z.union([z.string(), z.number()]), currency: z.string().nullish(), currency_code: z.string().nullish() }),
]);
export type OzonMoney = z.infer<typeof money>;

export const ozonProductSchema = z.looseObject({
  sku: z.number().int(),
  offer_id: z.string(),
  name: z.string(),
  quantity: z.number().positive(),
  price: money,
  currency_code: z.string().nullish(),
});

export const ozonFinancialProductSchema = z.looseObject({
  product_id: z.number().int(),
  /** v3 FBS and v2 FBO. */
  commission_amount: z.number().nullish(),
  /** v4 FBS and v3 FBO: `{amount: number, currency, percent}`. */
  commission: z.looseObject({ amount: z.union([z.string(), z.number()]) }).nullable().optional(),
});

export const ozonFinancialDataSchema = z.looseObject({
  products: z.array(ozonFinancialProductSchema).nullable().default([]),
});

/** Fields Ozon may send as null or "" when it has no value are read as optional. */
const text = z.string().nullish();

export const ozonPostingSchema = z.looseObject({
  posting_number: z.string().min(1),
  order_id: z.union([z.number(), z.string()]).nullish(),
  order_number: text,
  status: z.string().min(1),
  in_process_at: text,
  created_at: text,
  products: z.array(ozonProductSchema).min(1),
  financial_data: ozonFinancialDataSchema.nullish(),
  analytics_data: z.looseObject({ city: text, region: text, warehouse: text, warehouse_name: text }).nullish(),
  addressee: z.looseObject({ name: text, phone: text }).nullish(),
});

export type OzonPosting = z.infer<typeof ozonPostingSchema>;

/** Only what is needed to page; the postings themselves are checked one by one. */
const rawPostings = z.array(z.looseObject({ posting_number: z.string().optional() }));

/** v4 FBS and v3 FBO: cursor paging, not wrapped in `result`. */
export const cursorListSchema = z.looseObject({ cursor: z.string().nullable().default(''), has_next: z.boolean(), postings: rawPostings.nullable().default([]) });
export const fbsListV3Schema = z.looseObject({ result: z.looseObject({ has_next: z.boolean(), postings: rawPostings }) });
export const fboListV2Schema = z.looseObject({ result: rawPostings });
export const postingGetSchema = z.looseObject({ result: z.looseObject({ posting_number: z.string().optional() }) });

/** finance.v1.GetFinanceAccrualPostingsResponse: `accrued.amount` is decimal text, negative for a charge. */
export const accrualSchema = z.looseObject({
  type_id: z.number().int(),
  accrued: z.looseObject({ amount: z.union([z.string(), z.number()]), currency: z.string().optional() }),
  sku: z.number().int().nullable().optional(),
  seller_price: z.looseObject({ amount: z.union([z.string(), z.number()]).optional() }).nullable().optional(),
});
export type OzonAccrual = z.infer<typeof accrualSchema>;

export const accrualPostingsSchema = z.looseObject({
  posting_accruals: z
    .array(z.looseObject({ posting_number: z.string(), accruals: z.array(accrualSchema).nullable().default([]) }))
    .nullable()
    .default([]),
});

/** finance.v1.GetFinanceAccrualTypesResponse. */
export const accrualTypesSchema = z.looseObject({
  accrual_types: z.array(z.looseObject({ id: z.number().int(), name: z.string().optional() })).nullable().default([]),
});

/** rpcStatus, Ozon's error body. */
export const ozonErrorSchema = z.looseObject({ code: z.number().int().optional(), message: z.string().optional() });
