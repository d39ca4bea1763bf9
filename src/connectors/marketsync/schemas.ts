import { z } from 'zod';
import { readAmount, type Amount } from '../../core/money.js';

/**
 * Marketsync's wire shapes (controllers/pedidos.md). Answers write almost every value as a string
 * ("299.00", "1", "162958") while the charges endpoint writes real numbers; both become numbers here, and a
 * string that is not a number is an error naming the value, not a NaN further down.
 */

const decimalText = /^\s*-?\d+(\.\d+)?\s*$/;

export const numberish = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  if (decimalText.test(value)) return Number(value);
  ctx.addIssue({ code: 'custom', message: `expected a number, got "${value}"` });
  return z.NEVER;
});

/** Money, kept as the exact decimal text it came as ("257.7586"), never through a binary float. */
export const money = z.union([z.number(), z.string()]).transform((value, ctx): Amount => {
  const read = readAmount(value);
  if (read !== null) return read;
  ctx.addIssue({ code: 'custom', message: `expected an amount, got "${String(value)}"` });
  return z.NEVER;
});

/** Ids and order numbers: digits arrive as strings or numbers, and are kept as strings. */
export const idText = z.union([z.string().regex(/^\d+$/, 'expected digits'), z.number().int().nonnegative()]).transform(String);

/** Free text that PHP may send as null or as a number (a postal code, a phone). */
export const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined ? '' : String(value).trim()));

/** Every answer: `{ answer, timestamp }`, the timestamp in the server's local time ("YYYY-MM-DD HH:mm:ss"). */
export function envelope<T extends z.ZodType>(answer: T) {
  return z.object({ answer, timestamp: z.string().nullish() });
}

export const kitComponentSchema = z.object({
  id: idText,
  product_id: idText.nullish(),
  sku: text,
  nombre: text,
  color: text,
  talla: text,
  /** Already multiplied out along the bill of materials (see the connector's kitQuantities setting). */
  cantidad: numberish,
});

export const pedidoItemSchema = z.object({
  id: idText,
  product_id: idText.nullish(),
  sku: text,
  modelo: text,
  descripcion: text,
  cantidad: numberish,
  precio: money,
  color: text,
  variacion: text,
  /** "1" when the marketplace ships the line itself, "0" when the seller does. */
  fulfillment: text,
  kit_id: idText.nullish(),
  kit: z
    .array(kitComponentSchema)
    .nullish()
    .transform((value) => value ?? []),
});

export const pedidoSchema = z.object({
  id: idText,
  referencia: z.union([z.string().min(1), z.number()]).transform(String),
  fecha_pedido: text,
  fecha_autoriza: text,
  total: money,
  subtotal: money,
  email: text,
  entregara: text,
  telefono: text,
  direccion: text,
  entrecalles: text,
  colonia: text,
  ciudad: text,
  estado: text,
  observaciones: text,
  cp: text,
  estatus: text,
  mensajeria: text,
  guias: text,
  orden_id: text,
  shipping_id: text,
  fecha_orden: text,
  fecha: text,
  envio: money.nullish(),
  comision: money.nullish(),
  market_id: idText.nullish(),
  market: text,
  items: z.array(pedidoItemSchema),
});

/** What a look-up needs of an order; the rest of it may be anything. */
export const pedidoRefSchema = z.looseObject({
  id: idText,
  referencia: z.union([z.string(), z.number()]).transform(String),
  estatus: text,
  market_id: idText.nullish(),
});

/** What tells an order we created from another one with the same number: its amounts, internal id and goods. */
export const pedidoOwnershipSchema = pedidoRefSchema.extend({
  total: money,
  orden_id: text,
  items: z.array(z.looseObject({ sku: text, cantidad: numberish })).nullish(),
});

/** One row of GET /pedidos/totales/{id}: SUBTOTAL, IVA, TOTAL, PAGO_*, ENVIO_COSTO, OTROS_INGRESOS, OTROS_EGRESOS. */
export const totalSchema = z.object({
  id: numberish.nullish(),
  pedido_id: numberish.nullish(),
  concepto: z.string(),
  label: text,
  total: money,
  estado: numberish.nullish(),
  fecha: z.string().nullish(),
});

export const pedidoListSchema = envelope(z.array(z.unknown()));
export const totalListSchema = envelope(z.array(totalSchema));
/** Create and update answers are not documented for pedidos: any envelope is accepted. */
export const actionAnswerSchema = envelope(z.unknown());

/** The ids a create answer carries, when it carries them (`answer.ids`, as for productos in public client code). */
export const createdIdsSchema = z.object({ ids: z.array(idText) });

export const lineaCreateSchema = z.object({
  product_id: z.number().int().nonnegative(),
  sku: z.string(),
  descripcion: z.string(),
  fulfillment: z.union([z.literal(0), z.literal(1)]),
  cantidad: z.number().int().positive(),
  precio: z.number(),
  color: z.string(),
  referencia: z.string(),
  variacion: z.string(),
});

/** POST /pedidos: every column must be present, though most may be "" or 0 (README, 2020-09-24). */
export const pedidoCreateSchema = z.object({
  referencia: z.string().min(1).max(30),
  fecha_pedido: z.string(),
  fecha_autoriza: z.string(),
  subtotal: z.number(),
  total: z.number(),
  email: z.string(),
  entregara: z.string(),
  telefono: z.string(),
  direccion: z.string(),
  entrecalles: z.string(),
  colonia: z.string(),
  ciudad: z.string(),
  estado: z.string(),
  observaciones: z.string(),
  cp: z.string(),
  estatus: z.string(),
  mensajeria: z.string(),
  guias: z.string(),
  orden_id: z.number().int().nonnegative(),
  shipping_id: z.string(),
  fecha_orden: z.string(),
  fecha: z.string(),
  lineas: z.array(lineaCreateSchema).min(1),
});

export const statusUpdateSchema = z.object({
  referencia: z.string().min(1),
  estatus: z.string().min(1),
  comentario: z.string(),
});

export type KitComponent = z.infer<typeof kitComponentSchema>;
export type PedidoItem = z.infer<typeof pedidoItemSchema>;
export type Pedido = z.infer<typeof pedidoSchema>;
export type PedidoRef = z.infer<typeof pedidoRefSchema>;
export type PedidoOwnership = z.infer<typeof pedidoOwnershipSchema>;
export type Total = z.infer<typeof totalSchema>;
export type LineaCreate = z.infer<typeof lineaCreateSchema>;
export type PedidoCreate = z.infer<typeof pedidoCreateSchema>;
export type StatusUpdate = z.infer<typeof statusUpdateSchema>;
