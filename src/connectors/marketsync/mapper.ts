import { BigNumber } from 'bignumber.js';
import { permanent } from '../../core/errors.js';
import { allocate, amount, dec, formatMoney, sameAmount, sum, toMinor, type Decimal } from '../../core/money.js';
import { inexactAtDestination, payableParts, unitPriceFor } from '../../core/order-amounts.js';
import type { FetchedOrder } from '../../core/connector.js';
import { orderSchema, type Fee, type NormalizedStatus, type Order, type OrderLine, type Party } from '../../core/order.js';
import { idText, pedidoSchema, type LineaCreate, type Pedido, type PedidoCreate, type PedidoItem, type PedidoOwnership, type Total } from './schemas.js';
import { mexicoCityTimestamp, parseMexicoCityTime } from './signature.js';

/** Marketsync sells on Mexican marketplaces; its orders carry neither a country nor a currency. */
const country = { name: 'México', code: 'MX' } as const;

export interface SourceMapOptions {
  /** Statuses (any case) whose orders are not exported. */
  skipStatuses: readonly string[];
  marketplaceFulfilled: 'skip' | 'include';
  kitQuantities: 'expanded' | 'perKit';
  /** The currency of every amount of the account (Marketsync does not say; MXN by default). */
  currency: string;
}

export interface DestinationMapOptions {
  createStatus: string;
  /** The account's currency: orders in another one are refused. */
  currency: string;
  /** The SKU of the product that stands for shipping and service charges; without it such orders are refused. */
  surchargeSku: string | null;
}

/**
 * The order number a Marketsync order gets everywhere else: `referencia` is the marketplace's own number,
 * unique only within that marketplace, so it is qualified by the marketplace id ("1-32274456" is Claro's
 * order 32274456). Two marketplaces using the same number can then never share one destination order.
 */
export function marketsyncNumber(marketId: string, referencia: string): string {
  return `${marketId}-${referencia}`;
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
    unitPrice: item.precio,
    discount: '0',
    taxRate: null,
    sourceProductId: item.product_id ?? null,
    destinationProductId: null,
    unitOfMeasure: null,
    serials: [],
  };
}

/**
 * A kit line as the goods in it: one line per component, the kit's price spread evenly over the units
 * (rounded up at the fourth decimal, as Marketsync writes prices) and the few ten-thousandths that
 * rounding adds taken off the components as their discount, so the goods add up to exactly the kit.
 */
function kitLines(item: PedidoItem, kitQuantities: SourceMapOptions['kitQuantities']): OrderLine[] {
  const components = item.kit
    .map((component) => ({ component, units: kitQuantities === 'expanded' ? component.cantidad : component.cantidad * item.cantidad }))
    .filter(({ units }) => units > 0);
  const units = components.reduce((sum, c) => sum + c.units, 0);
  if (units === 0) return [plainLine(item)];
  const kit = dec(item.precio).times(item.cantidad);
  const unit = kit.div(units).dp(4, BigNumber.ROUND_CEIL);
  let rounding = unit.times(units).minus(kit);
  return components.map(({ component, units: quantity }) => {
    const discount = BigNumber.min(rounding, unit.times(quantity));
    rounding = rounding.minus(discount);
    return {
      sourceLineId: `${item.id}/${component.id}`,
      sku: orNull(component.sku),
      name: component.nombre || component.sku || item.descripcion,
      quantity,
      unitPrice: amount(unit),
      discount: amount(discount),
      taxRate: null,
      sourceProductId: component.product_id ?? null,
      destinationProductId: null,
      unitOfMeasure: null,
      serials: [],
    };
  });
}

/** What the marketplace charges on the order, as positive amounts the seller pays. */
export function feesFromCharges(charges: readonly Total[], currency: string): Fee[] {
  const fees: Fee[] = [];
  for (const charge of charges) {
    const value = dec(charge.total);
    if (value.isZero()) continue;
    if (charge.concepto === 'ENVIO_COSTO') fees.push({ kind: 'service:delivery', amount: amount(value.abs()), currency, sku: null });
    else if (charge.concepto === 'OTROS_EGRESOS') fees.push({ kind: `charge:${charge.label || 'other'}`, amount: amount(value.negated()), currency, sku: null });
  }
  return fees;
}

/**
 * `comision` and `envio` sit together at the end of an order and neither is in its total (total =
 * subtotal + IVA, in the document's example and in its charges example, where ENVIO_COSTO stands apart
 * from TOTAL and the postage is an expense): what the marketplace charges the seller, not what the
 * customer paid. POST /pedidos, for the seller's own web orders, has no column for either.
 */
function feesFromOrder(pedido: Pedido, currency: string): Fee[] {
  const fees: Fee[] = [];
  if (pedido.comision != null && !dec(pedido.comision).isZero()) fees.push({ kind: 'commission', amount: pedido.comision, currency, sku: null });
  if (pedido.envio != null && !dec(pedido.envio).isZero()) fees.push({ kind: 'service:delivery', amount: pedido.envio, currency, sku: null });
  return fees;
}

interface SourceMoney {
  tax: string;
  total: string;
}

/**
 * The customer paid `total`, IVA included; `precio` and `subtotal` are before tax. The lines must make the
 * subtotal (to the centavo), else something we do not understand is in it and the order is refused with
 * the amounts. When lines the marketplace ships itself are left out, the order keeps the tax share of the
 * lines that remain (split in proportion, to the centavo), so its total is what the customer paid for them.
 */
function sourceMoney(pedido: Pedido, all: Decimal, kept: Decimal, currency: string): SourceMoney | string {
  if (!sameAmount(all, pedido.subtotal, currency)) {
    return `its lines make ${formatMoney(all, currency)} before tax but its subtotal is ${formatMoney(pedido.subtotal, currency)} (total ${formatMoney(pedido.total, currency)}); check the order in Marketsync, then replay the job`;
  }
  const tax = dec(pedido.total).minus(pedido.subtotal);
  if (tax.isNegative()) return `its total ${formatMoney(pedido.total, currency)} is less than its subtotal ${formatMoney(pedido.subtotal, currency)}`;
  if (kept.isEqualTo(all)) return { tax: amount(dec(pedido.total).minus(kept)), total: pedido.total };
  const [keptTax] = allocate(tax, [kept, all.minus(kept)], currency);
  const total = toMinor(kept.plus(keptTax ?? 0), currency);
  return { tax: amount(total.minus(kept)), total: amount(total) };
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
  const referencia = looseText(raw, 'referencia');
  const marketId = looseText(raw, 'market_id');
  const number = referencia !== null && marketId !== null ? marketsyncNumber(marketId, referencia) : referencia;
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
    error: permanent(code, `Marketsync order ${name}: ${message}`, { context: { system: 'marketsync', order: name, marketsyncId: pedido.id } }),
  });

  const skip = new Set(options.skipStatuses.map((s) => s.toLowerCase()));
  if (skip.has(pedido.estatus.toLowerCase())) {
    return { number, revision, kind: 'skip', reason: `order ${name} is "${pedido.estatus}" at Marketsync` };
  }

  if (pedido.market_id == null) {
    return invalid('MARKETSYNC_BAD_ORDER', 'it has no market_id, so its number (unique only within its marketplace) cannot be told apart from another marketplace\'s');
  }
  const lines: OrderLine[] = [];
  let shippedByMarketplace = 0;
  let allGoods = dec(0);
  for (const item of pedido.items) {
    allGoods = allGoods.plus(dec(item.precio).times(item.cantidad));
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
      ? { number, revision, kind: 'skip', reason: `order ${name} is shipped by the marketplace (${pedido.market || 'fulfillment'})` }
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
  const currency = options.currency;
  const money = sourceMoney(pedido, allGoods, sum(lines.map((line) => dec(line.unitPrice).times(line.quantity).minus(line.discount))), currency);
  if (typeof money === 'string') return invalid('MARKETSYNC_AMOUNTS', money);
  const refs: Record<string, string> = { marketsyncId: pedido.id, referencia: pedido.referencia };
  const optionalRefs: [string, string | null | undefined][] = [
    ['marketId', pedido.market_id],
    ['market', pedido.market],
    ['ordenId', pedido.orden_id],
    ['shippingId', pedido.shipping_id],
    ['subtotal', pedido.subtotal],
    ['carrier', pedido.mensajeria],
    ['trackingNumbers', pedido.guias],
  ];
  for (const [key, value] of optionalRefs) if (value) refs[key] = value;

  const order: Order = {
    source: { connector: 'marketsync', id: pedido.id },
    number: marketsyncNumber(pedido.market_id, pedido.referencia),
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
    tax: money.tax,
    total: money.total,
    fees: charges === undefined ? feesFromOrder(pedido, currency) : feesFromCharges(charges, currency),
    refs,
  };
  const checked = orderSchema.safeParse(order);
  if (!checked.success) return invalid('MARKETSYNC_BAD_ORDER', issuesOf(checked.error));
  return { number, revision, kind: 'ready', order: checked.data };
}

const limits = { entregara: 120, direccion: 100, colonia: 100, ciudad: 100, estado: 100, cp: 10, telefono: 20, email: 50 } as const;

const cut = (value: string, max: number): string => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

/**
 * Marketsync keeps a subtotal before tax, a total with tax and a price before tax per line, and nothing
 * else: no discount, no shipping. What the customer paid is the total; the tax the source states (none,
 * when it states none: prices then already hold whatever tax there is) separates it from the subtotal,
 * which is spread over the lines (and the surcharge lines, when a surcharge SKU is set) in proportion to
 * what each one costs the customer. Each line's price, at Marketsync's four decimals, must make its share
 * to the centavo, else the order is refused with the amounts. Fills in the `precio` of `lineas`.
 */
function pedidoMoney(order: Order, options: DestinationMapOptions, lineas: LineaCreate[]): { subtotal: Decimal; total: Decimal } {
  const currency = options.currency;
  const total = toMinor(order.total, currency);
  if (order.currency !== null && order.currency !== currency) {
    throw permanent(
      'AMOUNT_NOT_EXACT',
      `order ${order.number} was not sent to Marketsync: the customer paid ${formatMoney(order.total, order.currency)}, and Marketsync would book that number in ${currency}: ` +
        `it keeps every amount in one currency and has no field for another. Send orders in ${order.currency} elsewhere, or set "currency" of the Marketsync connection if that account works in ${order.currency}.`,
      { context: { system: 'marketsync', order: order.number, total: order.total, currency: order.currency } },
    );
  }
  const paid = payableParts(order);
  if (paid.surcharges.length > 0 && options.surchargeSku === null) {
    throw inexactAtDestination(
      order,
      'Marketsync',
      sum(paid.lines),
      `Marketsync orders have no field for ${order.surcharges.map((s) => `${s.name} ${formatMoney(s.amount, order.currency)}`).join(', ')}`,
      'Set "surchargeSku" of the Marketsync connection to the SKU of a product that stands for such charges, then retry.',
    );
  }
  const subtotal = toMinor(total.minus(order.tax ?? 0), currency);
  const parts = [...paid.lines, ...paid.surcharges];
  const net = allocate(subtotal, parts, currency);
  lineas.forEach((linea, index) => {
    const share = net[index] ?? dec(0);
    const price = unitPriceFor(share, linea.cantidad, currency, 4);
    if (price === null) {
      const shown = share.div(linea.cantidad).dp(4).times(linea.cantidad);
      throw inexactAtDestination(
        order,
        'Marketsync',
        total.minus(share).plus(shown),
        `line "${linea.descripcion}" comes to ${formatMoney(share, currency)} before tax for ${linea.cantidad} units, which no price with four decimals makes`,
        'Split the line at the source so that each unit has a price Marketsync can hold, then retry.',
      );
    }
    linea.precio = price.toNumber();
  });
  const lines = sum(lineas.map((linea) => dec(linea.precio).times(linea.cantidad)));
  if (!sameAmount(lines, subtotal, currency)) {
    throw inexactAtDestination(
      order,
      'Marketsync',
      total.minus(subtotal).plus(toMinor(lines, currency)),
      `its line prices, at Marketsync's four decimals, add up to ${lines.toFixed()} before tax, not the subtotal ${formatMoney(subtotal, currency)}`,
      'Split a line at the source so that each unit has a price in whole centavos, then retry.',
    );
  }
  return { subtotal, total };
}

/**
 * Why an order found by our number at Marketsync is not the one we would have created for `order`
 * (empty when it is ours): its total, our internal id (`orden_id`) and its goods must be what we send.
 */
export function notOurs(expected: PedidoCreate, found: PedidoOwnership, currency: string): string[] {
  const differences: string[] = [];
  if (found.referencia !== expected.referencia) differences.push(`its number is ${found.referencia}`);
  if (!sameAmount(found.total, expected.total, currency)) differences.push(`its total is ${formatMoney(found.total, currency)}, ours ${formatMoney(expected.total, currency)}`);
  if (found.orden_id !== '' && found.orden_id !== String(expected.orden_id)) differences.push(`its orden_id is ${found.orden_id}, ours ${expected.orden_id}`);
  if (found.items != null) {
    const goods = (rows: readonly { sku: string; cantidad: number }[]): string =>
      rows
        .map((row) => `${row.sku}×${row.cantidad}`)
        .sort()
        .join(', ');
    const theirs = goods(found.items);
    const ours = goods(expected.lineas);
    if (theirs !== ours) differences.push(`its goods are ${theirs || 'none'}, ours ${ours}`);
  }
  return differences;
}

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
      precio: 0,
      color: '',
      referencia: (line.sourceLineId ?? '').slice(0, 30),
      variacion: '',
    });
  }
  if (options.surchargeSku !== null) {
    for (const surcharge of order.surcharges) {
      lineas.push({ product_id: 0, sku: options.surchargeSku, descripcion: cut(surcharge.name, 120), fulfillment: 0, cantidad: 1, precio: 0, color: '', referencia: surcharge.kind, variacion: '' });
    }
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

  const money = pedidoMoney(order, options, lineas);
  const when = mexicoCityTimestamp(created);
  return {
    referencia: order.number,
    fecha_pedido: when,
    fecha_autoriza: when,
    subtotal: money.subtotal.toNumber(),
    total: money.total.toNumber(),
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
