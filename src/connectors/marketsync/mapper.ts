import { permanent } from '../../core/errors.js';
import { amount, dec, sum } from '../../core/money.js';
import type { FetchedOrder } from '../../core/connector.js';
import { orderSchema, type Fee, type NormalizedStatus, type Order, type OrderLine, type Party } from '../../core/order.js';
import { idText, pedidoSchema, type LineaCreate, type Pedido, type PedidoCreate, type PedidoItem, type Total } from './schemas.js';
import { mexicoCityTimestamp, parseMexicoCityTime } from './signature.js';

/** Marketsync sells on Mexican marketplaces only, in pesos; its orders carry neither a country nor a currency. */
const country = { name: 'México', code: 'MX' } as const;
const currency = 'MXN';

export interface SourceMapOptions {
  /** Statuses (any case) whose orders are not exported. */
  skipStatuses: readonly string[];
  marketplaceFulfilled: 'skip' | 'include';
  kitQuantities: 'expanded' | 'perKit';
}

export interface DestinationMapOptions {
  createStatus: string;
}

/** The status lists of the seed document's table, across marketplaces. */
const statusByName: Record<string, NormalizedStatus> = {
  pendiente: 'new',
  pending: 'new',
  'waiting acceptance': 'new',
  paid: 'confirmed',
  authorized: 'confirmed',
  received: 'confirmed',
  unshipped: 'confirmed',
  ready_to_ship: 'confirmed',
  embarcados: 'shipped',
  shipped: 'shipped',
  entregados: 'delivered',
  delivered: 'delivered',
  canceled: 'cancelled',
  cancelled: 'cancelled',
  voided: 'cancelled',
  refunded: 'cancelled',
  failed: 'cancelled',
  refused: 'cancelled',
};

export function normalizeStatus(estatus: string): NormalizedStatus {
  return statusByName[estatus.trim().toLowerCase()] ?? 'unknown';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id of an order as it came, read leniently so that even an unreadable order can be named. */
export function sourceIdOf(raw: unknown): string | null {
  const id = isRecord(raw) ? idText.safeParse(raw['id']) : undefined;
  return id?.success === true ? id.data : null;
}

function looseText(raw: unknown, field: string): string | null {
  const value = isRecord(raw) ? raw[field] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : null;
}

const orNull = (value: string): string | null => (value === '' ? null : value);

function plainLine(item: PedidoItem): OrderLine {
  return {
    sourceLineId: item.id,
    sku: orNull(item.sku),
    name: item.descripcion || item.sku || `product ${item.product_id ?? item.id}`,
    quantity: item.cantidad,
    unitPrice: amount(item.precio),
    discount: '0',
    taxRate: null,
    sourceProductId: item.product_id ?? null,
    destinationProductId: null,
    unitOfMeasure: null,
    serials: [],
  };
}

/**
 * A kit line as the goods in it: one line per component, the kit's price spread evenly over the units so
 * that the order's goods still add up to what the customer paid for the kit.
 */
function kitLines(item: PedidoItem, kitQuantities: SourceMapOptions['kitQuantities']): OrderLine[] {
  const components = item.kit
    .map((component) => ({ component, units: kitQuantities === 'expanded' ? component.cantidad : component.cantidad * item.cantidad }))
    .filter(({ units }) => units > 0);
  const units = components.reduce((sum, c) => sum + c.units, 0);
  if (units === 0) return [plainLine(item)];
  const unitPrice = amount(dec(item.precio).times(item.cantidad).div(units).dp(4));
  return components.map(({ component, units: quantity }) => ({
    sourceLineId: `${item.id}/${component.id}`,
    sku: orNull(component.sku),
    name: component.nombre || component.sku || item.descripcion,
    quantity,
    unitPrice,
    discount: '0',
    taxRate: null,
    sourceProductId: component.product_id ?? null,
    destinationProductId: null,
    unitOfMeasure: null,
    serials: [],
  }));
}

/** What the marketplace charges on the order, as positive amounts the seller pays. */
export function feesFromCharges(charges: readonly Total[]): Fee[] {
  const fees: Fee[] = [];
  for (const charge of charges) {
    if (charge.total === 0) continue;
    if (charge.concepto === 'ENVIO_COSTO') fees.push({ kind: 'service:delivery', amount: amount(Math.abs(charge.total)), currency, sku: null });
    else if (charge.concepto === 'OTROS_EGRESOS') fees.push({ kind: `charge:${charge.label || 'other'}`, amount: amount(-charge.total), currency, sku: null });
  }
  return fees;
}

function feesFromOrder(pedido: Pedido): Fee[] {
  const fees: Fee[] = [];
  if (pedido.comision != null && pedido.comision !== 0) fees.push({ kind: 'commission', amount: amount(pedido.comision), currency, sku: null });
  if (pedido.envio != null && pedido.envio !== 0) fees.push({ kind: 'service:delivery', amount: amount(pedido.envio), currency, sku: null });
  return fees;
}

function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || 'order'}: ${issue.message}`)
    .join('; ');
}

/**
 * One order of GET /pedidos as what the core needs: ready (mapped), skipped (cancelled, or shipped by the
 * marketplace), or invalid with a message naming what is wrong. `charges`, when read, replace the fees the
 * order itself carries (its commission and shipping).
 */
export function toFetchedOrder(raw: unknown, options: SourceMapOptions, charges?: readonly Total[]): FetchedOrder {
  const parsed = pedidoSchema.safeParse(raw);
  const number = looseText(raw, 'referencia');
  const revision = looseText(raw, 'fecha');
  const name = number ?? sourceIdOf(raw) ?? '(no number)';
  if (!parsed.success) {
    return {
      number,
      revision,
      kind: 'invalid',
      error: permanent('MARKETSYNC_BAD_ORDER', `Marketsync order ${name} cannot be read: ${issuesOf(parsed.error)}`, {
        context: { system: 'marketsync', order: name },
      }),
    };
  }
  const pedido = parsed.data;
  const invalid = (code: string, message: string): FetchedOrder => ({
    number,
    revision,
    kind: 'invalid',
    error: permanent(code, `Marketsync order ${pedido.referencia}: ${message}`, { context: { system: 'marketsync', order: pedido.referencia } }),
  });

  const skip = new Set(options.skipStatuses.map((s) => s.toLowerCase()));
  if (skip.has(pedido.estatus.toLowerCase())) {
    return { number, revision, kind: 'skip', reason: `order ${pedido.referencia} is "${pedido.estatus}" at Marketsync` };
  }

  const lines: OrderLine[] = [];
  let shippedByMarketplace = 0;
  for (const item of pedido.items) {
    if (item.fulfillment === '1' && options.marketplaceFulfilled === 'skip') {
      shippedByMarketplace += 1;
      continue;
    }
    if (item.cantidad < 0 || item.kit.some((c) => c.cantidad < 0)) return invalid('MARKETSYNC_BAD_ORDER', `line ${item.id} has a negative quantity`);
    if (item.cantidad === 0) continue;
    lines.push(...(item.kit.length > 0 ? kitLines(item, options.kitQuantities) : [plainLine(item)]));
  }
  if (lines.length === 0) {
    return shippedByMarketplace > 0
      ? { number, revision, kind: 'skip', reason: `order ${pedido.referencia} is shipped by the marketplace (${pedido.market || 'fulfillment'})` }
      : invalid('NO_GOODS', 'the order has no lines with a quantity to deliver');
  }

  const createdAt = parseMexicoCityTime(pedido.fecha_pedido) ?? parseMexicoCityTime(pedido.fecha_orden);
  if (createdAt === null) return invalid('MARKETSYNC_BAD_ORDER', `neither fecha_pedido "${pedido.fecha_pedido}" nor fecha_orden "${pedido.fecha_orden}" is a date`);

  const party: Party = {
    sourceId: null,
    name: pedido.entregara,
    company: null,
    email: orNull(pedido.email),
    phone: orNull(pedido.telefono),
    address: {
      street: orNull(pedido.direccion),
      street2: orNull(pedido.colonia),
      city: orNull(pedido.ciudad),
      zip: orNull(pedido.cp),
      state: orNull(pedido.estado),
      country: country.name,
      countryCode: country.code,
    },
  };
  const comment = [pedido.observaciones, pedido.entrecalles === '' ? '' : `Entre calles: ${pedido.entrecalles}`].filter((s) => s !== '').join('\n');
  const refs: Record<string, string> = { marketsyncId: pedido.id };
  const optionalRefs: [string, string | null | undefined][] = [
    ['marketId', pedido.market_id],
    ['market', pedido.market],
    ['ordenId', pedido.orden_id],
    ['shippingId', pedido.shipping_id],
    ['carrier', pedido.mensajeria],
    ['trackingNumbers', pedido.guias],
  ];
  for (const [key, value] of optionalRefs) if (value) refs[key] = value;

  const order: Order = {
    source: { connector: 'marketsync', id: pedido.id },
    number: pedido.referencia,
    createdAt: createdAt.toISOString(),
    status: { raw: pedido.estatus, normalized: normalizeStatus(pedido.estatus) },
    currency,
    // precio is before tax (IVA); the tax is what the total holds beyond the goods.
    prices: 'net',
    customer: party,
    recipient: party,
    comment: comment === '' ? null : comment,
    lines,
    discounts: [],
    surcharges: [],
    tax: amount(dec(pedido.total).minus(sum(lines.map((line) => dec(line.unitPrice).times(line.quantity))))),
    total: amount(pedido.total),
    fees: charges === undefined ? feesFromOrder(pedido) : feesFromCharges(charges),
    refs,
  };
  const checked = orderSchema.safeParse(order);
  if (!checked.success) return invalid('MARKETSYNC_BAD_ORDER', issuesOf(checked.error));
  return { number, revision, kind: 'ready', order: checked.data };
}

const limits = { entregara: 120, direccion: 100, colonia: 100, ciudad: 100, estado: 100, cp: 10, telefono: 20, email: 50 } as const;

const cut = (value: string, max: number): string => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

/**
 * The canonical order as a POST /pedidos record. Identifiers and address fields that do not fit the
 * documented column sizes are errors (cutting them would send a parcel astray or lose the look-up);
 * descriptions and remarks are cut to fit. Every problem is named in one message.
 */
export function toPedidoCreate(order: Order, options: DestinationMapOptions): PedidoCreate {
  const problems: string[] = [];
  if (order.number.length > 30) problems.push(`the order number "${order.number}" is longer than the 30 characters Marketsync keeps`);

  const lineas: LineaCreate[] = [];
  for (const line of order.lines) {
    const label = `"${line.name}"${line.sku ? ` [${line.sku}]` : ''}`;
    const productId = line.destinationProductId === null ? 0 : Number(line.destinationProductId);
    if (!Number.isSafeInteger(productId) || productId < 0) problems.push(`product ${label} has Marketsync product id "${line.destinationProductId}", which is not a whole number`);
    if ((line.sku ?? '') === '' && productId === 0) problems.push(`product ${label} has neither a SKU nor a Marketsync product id`);
    if ((line.sku ?? '').length > 18) problems.push(`the SKU of ${label} is longer than the 18 characters Marketsync keeps`);
    if (!Number.isInteger(line.quantity)) problems.push(`${label} has quantity ${line.quantity}; Marketsync takes whole units`);
    lineas.push({
      product_id: Number.isSafeInteger(productId) && productId > 0 ? productId : 0,
      sku: line.sku ?? '',
      descripcion: cut(line.name, 120),
      fulfillment: 0,
      cantidad: line.quantity,
      precio: dec(line.unitPrice).dp(4).toNumber(),
      color: '',
      referencia: (line.sourceLineId ?? '').slice(0, 30),
      variacion: '',
    });
  }

  const recipient = order.recipient;
  const address = recipient.address;
  const missing = [
    ['name', recipient.name.trim() === '' ? null : recipient.name],
    ['street', address.street],
    ['city', address.city],
    ['postal code', address.zip],
  ]
    .filter(([, value]) => value === null)
    .map(([field]) => field);
  if (missing.length > 0) problems.push(`the delivery address has no ${missing.join(', ')}: complete the shipping contact, then retry`);

  const fields = {
    entregara: recipient.name.trim(),
    direccion: address.street ?? '',
    colonia: address.street2 ?? '',
    ciudad: address.city ?? '',
    estado: address.state ?? '',
    cp: address.zip ?? '',
    telefono: recipient.phone ?? order.customer.phone ?? '',
    email: recipient.email ?? order.customer.email ?? '',
  };
  for (const [field, max] of Object.entries(limits) as [keyof typeof limits, number][]) {
    if (fields[field].length > max) problems.push(`${field} "${fields[field]}" is longer than the ${max} characters Marketsync keeps`);
  }

  const created = Date.parse(order.createdAt);
  if (Number.isNaN(created)) problems.push(`the order date "${order.createdAt}" is not a date`);

  if (problems.length > 0) {
    throw permanent('CANNOT_SEND_TO_MARKETSYNC', `order ${order.number} cannot be sent to Marketsync: ${problems.join('; ')}`, {
      context: { system: 'marketsync', order: order.number },
    });
  }

  const when = mexicoCityTimestamp(created);
  const subtotal = sum(order.lines.map((line) => dec(line.unitPrice).times(line.quantity)))
    .dp(2)
    .toNumber();
  return {
    referencia: order.number,
    fecha_pedido: when,
    fecha_autoriza: when,
    subtotal,
    total: dec(order.total).dp(2).toNumber(),
    ...fields,
    entrecalles: '',
    observaciones: cut(order.comment ?? '', 200),
    estatus: options.createStatus,
    mensajeria: '',
    guias: '',
    orden_id: /^\d{1,15}$/.test(order.source.id) ? Number(order.source.id) : 0,
    shipping_id: '',
    fecha_orden: when,
    fecha: when,
    lineas,
  };
}
