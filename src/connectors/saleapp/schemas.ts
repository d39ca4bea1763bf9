import { z } from 'zod';

/**
 * SaleApp's Orders API on the wire (the user's document "Замовлення", seeds/saleapp-orders-api.uk.txt).
 * Every call is a form POST to `/Orders?secret_key=…` whose `method_type` field names the operation; every
 * answer is an envelope `{ error, error_description, response | create_id | deleted }` in which `error` is
 * the string "false" on success (the document's own examples) and numbers may come as strings.
 */

export const saleAppOperations = ['GET', 'POST', 'PUT', 'DELETE'] as const;
export type SaleAppOperation = (typeof saleAppOperations)[number];

/** The document's deliveryType dictionary; 4 is absent from it, so it is refused here too. */
export const deliveryTypeNames = {
  1: 'pickup (Самовивіз)',
  2: 'own delivery (Своя доставка)',
  3: 'Nova Poshta branch (Нова Пошта відділення)',
  5: 'Nova Poshta address (Нова Пошта адреса)',
} as const;

export const saleAppDeliveryTypeSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(5)]);
export type SaleAppDeliveryType = z.infer<typeof saleAppDeliveryTypeSchema>;

/** The only statuses in which the API deletes an order: 0 New, 1 Fully reserved, 2 Partially reserved. */
export const deletableStatusIds: ReadonlySet<number> = new Set([0, 1, 2]);

/**
 * One line of the JSON-encoded `products` field. SaleApp looks the product up by `id`, then by
 * `external_id` (organization key) or `supplier_id` (counterparty key), then by `sku`.
 */
export const saleAppProductLineSchema = z.object({
  id: z.number().int().positive().optional(),
  external_id: z.string().min(1).optional(),
  /** The product's supplier code in SaleApp, matched only with a counterparty key. */
  supplier_id: z.string().min(1).optional(),
  sku: z.string().min(1).optional(),
  qty: z.number().positive(),
  cost: z.number().nonnegative(),
  discount_percent: z.number().min(0).max(100).optional(),
});

/** The fields an update (PUT) may change: the document lists neither `funnel` (ignored on PUT) nor `custom_fields` for it. */
export const saleAppOrderChangesSchema = z.object({
  delivery_types: saleAppDeliveryTypeSchema.optional(),
  receiver_name: z.string().min(1).optional(),
  /** Digits only: SaleApp strips everything else when it saves, so we send what it will keep. */
  receiver_phone: z.string().regex(/^\d+$/, 'digits only').optional(),
  city: z.string().min(1).optional(),
  city_ref: z.string().min(1).optional(),
  addres: z.string().min(1).optional(),
  branch_ref: z.string().min(1).optional(),
  insurance_amount: z.number().int().nonnegative().optional(),
  delivery_amount: z.number().int().nonnegative().optional(),
  /** Tag ids joined by commas, e.g. "8,3". */
  type: z.string().regex(/^\d+(,\d+)*$/, 'tag ids joined by commas').optional(),
  products: z.array(saleAppProductLineSchema).min(1).optional(),
});

export const saleAppCreateOrderSchema = saleAppOrderChangesSchema.extend({
  /** Our idempotency key (the source's order number): what we look up before creating. */
  external_id: z.string().min(1),
  /** The order's currency (organization key); without it, the connection's currencyId. */
  curency_id: z.string().regex(/^\d+$/).optional(),
  delivery_types: saleAppDeliveryTypeSchema,
  products: z.array(saleAppProductLineSchema).min(1),
  /** Keyed by each custom field's "API name" in the SaleApp settings; sent JSON-encoded. */
  custom_fields: z.record(z.string(), z.string()).optional(),
  funnel: z.string().min(1).optional(),
});

export type SaleAppProductLine = z.infer<typeof saleAppProductLineSchema>;
export type SaleAppOrderChanges = z.infer<typeof saleAppOrderChangesSchema>;
export type SaleAppCreateOrder = z.infer<typeof saleAppCreateOrderSchema>;

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === '';

export interface DeliveryProblem {
  field: 'delivery_types' | 'city_ref' | 'branch_ref';
  message: string;
}

/**
 * The document's delivery rules: `city_ref` is required unless the type is 1 or 2, `branch_ref` for type 3,
 * and on an update the type is required whenever the city, branch or address changes.
 */
export function deliveryProblems(fields: SaleAppOrderChanges): DeliveryProblem[] {
  const type = fields.delivery_types;
  if (type === undefined) {
    const changed = (['city', 'city_ref', 'addres', 'branch_ref'] as const).filter((name) => fields[name] !== undefined);
    if (changed.length === 0) return [];
    return [{ field: 'delivery_types', message: `a change of ${changed.join(', ')} needs the delivery type (delivery_types) as well` }];
  }
  const problems: DeliveryProblem[] = [];
  if (type !== 1 && type !== 2 && blank(fields.city_ref)) {
    problems.push({ field: 'city_ref', message: `delivery type ${type} (${deliveryTypeNames[type]}) needs the carrier's city REF (city_ref)` });
  }
  if (type === 3 && blank(fields.branch_ref)) {
    problems.push({ field: 'branch_ref', message: `delivery type 3 (${deliveryTypeNames[3]}) needs the carrier's branch REF (branch_ref)` });
  }
  return problems;
}

/** "false"/"true" as in the document's examples, and the booleans and 0/1 a PHP backend may send instead. */
const errorFlagSchema = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0']), z.literal(1), z.literal(0)])
  .transform((flag) => flag === true || flag === 'true' || flag === '1' || flag === 1);

const descriptionSchema = z
  .string()
  .nullish()
  .transform((text) => text ?? '');

export const saleAppEnvelopeSchema = z.looseObject({ error: errorFlagSchema, error_description: descriptionSchema });

/** Whether a body is SaleApp's envelope reporting an error (SaleApp reports errors with HTTP 200). */
export function isSaleAppErrorBody(body: unknown): boolean {
  const parsed = saleAppEnvelopeSchema.safeParse(body);
  return parsed.success && parsed.data.error;
}

const successFlagSchema = errorFlagSchema.refine((error) => !error, 'expected "false"');

/** SaleApp's ids and numbers come as strings in answers ("74") and as numbers in create_id (134). */
const idSchema = z
  .union([z.string().regex(/^\d+$/, 'expected a whole number'), z.number().int().nonnegative()])
  .transform((id) => String(id));

const optionalTextSchema = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined || String(value).trim() === '' ? null : String(value).trim()));

/**
 * An order in a GET answer, as far as lookups and status reads need it. The rest passes through
 * unchecked here: a source reads it with `saleAppOrderSchema`, order by order, so that one unreadable
 * order does not fail a whole read.
 */
export const saleAppListedOrderSchema = z.looseObject({
  id: idSchema,
  number: optionalTextSchema,
  external_id: optionalTextSchema,
  status_id: idSchema.transform(Number),
  status_name: optionalTextSchema,
});

export const saleAppGetAnswerSchema = z.looseObject({
  error: successFlagSchema,
  error_description: descriptionSchema,
  response: z.array(saleAppListedOrderSchema),
});

export const saleAppCreateAnswerSchema = z.looseObject({
  error: successFlagSchema,
  error_description: descriptionSchema,
  create_id: idSchema.refine((id) => id !== '0', 'expected a positive id'),
});

export const saleAppUpdateAnswerSchema = z.looseObject({ error: successFlagSchema, error_description: descriptionSchema });

/** The document shows `deleted` next to an `{ id, number, external_id }` sketch; bare ids are read too. */
export const saleAppDeleteAnswerSchema = z.looseObject({
  error: successFlagSchema,
  error_description: descriptionSchema,
  deleted: z.array(z.union([idSchema, z.looseObject({ id: idSchema })]).transform((item) => (typeof item === 'string' ? item : item.id))),
});

const numberSchema = z
  .union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, 'expected a number')])
  .transform((value) => Number(value));

export const saleAppProductSchema = z.looseObject({
  id: idSchema,
  name: z.string(),
  sku: optionalTextSchema,
  external_id: optionalTextSchema,
  qty: numberSchema,
  cost: numberSchema,
  discount_percent: numberSchema.nullish(),
});

/** A whole order as a source reads it: the model in the document, with the types its example shows. */
export const saleAppOrderSchema = z.looseObject({
  id: idSchema,
  /** Not in the document's model; read when an account sends it. */
  curency_id: optionalTextSchema,
  number: idSchema,
  external_id: optionalTextSchema,
  status_id: idSchema.transform(Number),
  status_name: optionalTextSchema,
  delivery_types: optionalTextSchema,
  delivery_type_name: optionalTextSchema,
  receiver_name: optionalTextSchema,
  receiver_phone: optionalTextSchema,
  city: optionalTextSchema,
  city_ref: optionalTextSchema,
  addres: optionalTextSchema,
  branch_ref: optionalTextSchema,
  insurance_amount: optionalTextSchema,
  delivery_amount: optionalTextSchema,
  ttn: optionalTextSchema,
  ttn_ref: optionalTextSchema,
  date_entered: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/, 'expected "YYYY-MM-DD HH:MM:SS"'),
  date_update: optionalTextSchema,
  products: z.array(saleAppProductSchema),
});

export type SaleAppListedOrder = z.infer<typeof saleAppListedOrderSchema>;
export type SaleAppOrder = z.infer<typeof saleAppOrderSchema>;
export type SaleAppProduct = z.infer<typeof saleAppProductSchema>;
