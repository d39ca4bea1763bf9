import { z } from 'zod';
import type { OdooDialect } from './versions.js';

/**
 * What Odoo 17.0–19.0 answer for the fields we read (load='_classic_read'): empty values are `false`,
 * many2one is [id, display name], x2many a list of ids.
 */
const falsy = z.literal(false);
export const many2one = z.union([z.tuple([z.number().int(), z.string()]), falsy]);
export const optionalText = z.union([z.string(), falsy]);

export const saleOrderFields = [
  'name',
  'state',
  'date_order',
  'partner_id',
  'partner_shipping_id',
  'user_id',
  'note',
  'currency_id',
  'order_line',
  'amount_tax',
  'amount_total',
  'write_date',
] as const;

/** Loose: the configured sync state field is read along (see MapperOptions.syncStateField). */
export const saleOrderRecord = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  state: z.string(),
  date_order: optionalText,
  partner_id: many2one,
  partner_shipping_id: many2one,
  user_id: many2one,
  note: optionalText,
  currency_id: many2one,
  order_line: z.array(z.number().int()),
  amount_tax: z.number(),
  amount_total: z.number(),
  write_date: z.string(),
});

/** The sale.order.line fields we read, with the unit of measure under its name in that version. */
export function saleOrderLineFields(dialect: OdooDialect): string[] {
  return ['order_id', 'product_id', 'name', 'product_uom_qty', dialect.saleLineUom, 'price_unit', 'discount', 'price_subtotal', 'display_type'];
}

export const saleOrderLineRecord = z
  .object({
    id: z.number().int(),
    order_id: many2one,
    product_id: many2one,
    name: optionalText,
    product_uom_qty: z.number(),
    /** The unit of measure: `product_uom` up to 18.0, `product_uom_id` from 19.0 (see lineUom). */
    product_uom: many2one.optional(),
    product_uom_id: many2one.optional(),
    price_unit: z.number(),
    discount: z.number(),
    price_subtotal: z.number(),
    display_type: optionalText,
  })
  .catchall(z.unknown());

/** A line's unit of measure, whichever of the two names its version reads it under. */
export function lineUom(line: SaleOrderLineRecord): z.infer<typeof many2one> {
  return line.product_uom ?? line.product_uom_id ?? false;
}

export const productFields = ['name', 'default_code', 'type'] as const;

/** Read with `tracking` when stock is there (serialsFromDeliveries): serial/lot tracked products wait for their serials. */
export const productRecord = z
  .object({
    id: z.number().int(),
    name: z.string(),
    default_code: optionalText,
    type: optionalText,
    tracking: optionalText.optional().catch(undefined),
  })
  .catchall(z.unknown());

/** The res.partner fields we read: the phone fields that version has (19.0 has no `mobile`). */
export function partnerFields(dialect: OdooDialect): string[] {
  return ['name', 'parent_id', 'street', 'street2', 'city', 'zip', 'state_id', 'country_id', ...dialect.partnerPhones, 'email'];
}

export const partnerRecord = z.object({
  id: z.number().int(),
  name: optionalText,
  parent_id: many2one,
  street: optionalText,
  street2: optionalText,
  city: optionalText,
  zip: optionalText,
  state_id: many2one,
  country_id: many2one,
  phone: optionalText,
  mobile: optionalText.optional(),
  email: optionalText,
});

export const countryRecord = z.object({ id: z.number().int(), code: optionalText });

export const stockMoveRecord = z.object({
  id: z.number().int(),
  sale_line_id: many2one,
  move_line_ids: z.array(z.number().int()),
});

export const stockMoveLineRecord = z.object({
  id: z.number().int(),
  lot_id: many2one,
  lot_name: optionalText,
});

export const versionInfo = z.looseObject({ server_version: z.string(), server_serie: z.string().optional() });

export type SaleOrderRecord = z.infer<typeof saleOrderRecord>;
export type SaleOrderLineRecord = z.infer<typeof saleOrderLineRecord>;
export type ProductRecord = z.infer<typeof productRecord>;
export type PartnerRecord = z.infer<typeof partnerRecord>;
export type CountryRecord = z.infer<typeof countryRecord>;
