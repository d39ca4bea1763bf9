import { z } from 'zod';

/**
 * Bizon365's `getorders` answer, with the field names of the user's copy of the API page
 * (docs/seeds/bizon365-getorders-api.ru.txt). The contract notes could not confirm the response shape
 * (§5.3), so only what we act on is required and everything else is read leniently: an order we cannot
 * read becomes one `invalid` order, never a failed page.
 */

/** The documented values of the `paid` filter. */
export const paidFilters = [-1, 0, 1, 2, 3, 5] as const;
export type PaidFilter = (typeof paidFilters)[number];

export const paidFilterLabels: Record<PaidFilter, string> = {
  [-1]: 'all orders',
  0: 'unpaid, excluding partially paid',
  1: 'fully paid',
  2: 'recurring payments from the 2nd on',
  3: 'fully paid, excluding recurring payments',
  5: 'unpaid or partially paid',
};

/** The page envelope: `list` items are checked one by one by the mapper, so one broken order spoils nothing else. */
export const bizonOrdersPageSchema = z.looseObject({
  skip: z.number().int().nonnegative().optional(),
  limit: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative(),
  list: z.array(z.unknown()),
  dateBegin: z.string().nullish(),
  dateEnd: z.string().nullish(),
  search: z.string().nullish(),
});

/** Numbers sometimes travel as strings in JSON written by hand-made exports; both mean the same amount. */
const amount = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
/** Free text that a system may also store as a number (a channel id, a phone). */
const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined ? null : String(value).trim() || null));
/** Documented as a boolean; 0/1 are read the same way. */
const flag = z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((value) => value === true || value === 1);
const id = z.union([z.number().int(), z.string().trim().min(1)]).transform(String);

export const bizonPaymentSchema = z.looseObject({
  date: text,
  amount: amount.nullish(),
  cur: text,
  gate: text,
});

export const bizonOrderSchema = z.looseObject({
  _id: id,
  firstname: text,
  lastname: text,
  middlename: text,
  email: text,
  phone: text,
  /** A JSON array packed in a string; parsed by the mapper so a broken one names its order. */
  goods: z.unknown(),
  title: text,
  amount: amount.nullish(),
  currency: text,
  amount_RUR: amount.nullish(),
  gate: text,
  channel: text,
  partner: text,
  partner2: text,
  comment: text,
  coupon: text,
  address: text,
  city: text,
  country_code: text,
  created: z.string().min(1),
  paid: flag,
  /** Present on partially paid orders only. */
  partialPaid: amount.nullish(),
  partialPaid_RUR: amount.nullish(),
  /** The seller's tax on the order, as Bizon computes it (the document's example: 60 on 1000). */
  tax: amount.nullish(),
  payments: z.array(bizonPaymentSchema).nullish(),
});

export const bizonGoodsItemSchema = z.looseObject({
  _id: id,
  price: amount,
  /** The documented example always carries it; an item without a count is one item. */
  cnt: amount.default(1),
  /** Not documented, but when an item carries its own name it is better than the order's title. */
  name: text,
  title: text,
});

export const bizonErrorBodySchema = z.looseObject({
  message: z.string().optional(),
  error: z.union([z.string(), z.boolean()]).optional(),
});

export type BizonOrdersPage = z.infer<typeof bizonOrdersPageSchema>;
export type BizonOrder = z.infer<typeof bizonOrderSchema>;
export type BizonPayment = z.infer<typeof bizonPaymentSchema>;
export type BizonGoodsItem = z.infer<typeof bizonGoodsItemSchema>;
