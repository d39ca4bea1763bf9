import { BigNumber } from 'bignumber.js';
import { permanent } from '../../core/errors.js';
import type { Awaited, FetchedOrder } from '../../core/connector.js';
import { amount, dec } from '../../core/money.js';
import type { Order, OrderDiscount, OrderLine, Party, Surcharge } from '../../core/order.js';
import { lineUom, type CountryRecord, type PartnerRecord, type ProductRecord, type SaleOrderLineRecord, type SaleOrderRecord } from './schemas.js';

/** Everything the mapper needs about one page of orders, read in batches beforehand. */
export interface OrderDetails {
  lines: ReadonlyMap<number, SaleOrderLineRecord>;
  products: ReadonlyMap<number, ProductRecord>;
  partners: ReadonlyMap<number, PartnerRecord>;
  countries: ReadonlyMap<number, CountryRecord>;
  /** Serial numbers delivered for each sale order line (lots on outgoing move lines). */
  deliveredSerials: ReadonlyMap<number, readonly string[]>;
}

export interface MapperOptions {
  destinationProductIdField: string;
  lineSerialsField: string | null;
  /** How long after confirmation an order waits for the serials of its tracked products (0: not at all), and how often it looks. */
  serialsWaitMs: number;
  serialsEveryMs: number;
  /** The sale.order field with order-bridge's sync state, read along with the order; kept in refs.syncState. */
  syncStateField?: string | null;
  /** Product types that are not goods to ship (the version's, see OdooDialect.nonGoodsTypes); default: service. */
  nonGoodsTypes?: readonly string[];
}

/** What a tracked line still lacks: serial numbers (one per unit), or a lot. */
interface MissingSerials {
  product: string;
  tracking: 'serial' | 'lot';
  missing: number;
  quantity: number;
}

function describeMissing(missing: readonly MissingSerials[]): string {
  return missing
    .map((m) => (m.tracking === 'lot' ? `${m.product} (no lot)` : `${m.product} (${m.missing} of ${m.quantity} missing)`))
    .join(', ');
}

/**
 * The serials an order still lacks for its products tracked by serial (one per unit) or lot, as what the
 * export waits for: until `serialsWaitMs` after the order was confirmed, then it goes with a warning.
 */
function awaitedSerials(orderName: string, confirmedAt: string, missing: readonly MissingSerials[], options: MapperOptions): Awaited | undefined {
  if (missing.length === 0) return undefined;
  const until = Date.parse(confirmedAt) + options.serialsWaitMs;
  const what = describeMissing(missing);
  const at = new Date(until).toISOString().slice(0, 16).replace('T', ' ');
  return {
    waiting:
      `order-bridge is waiting for the serial numbers of ${what}: reserve the order's delivery (Check Availability) so that Odoo assigns them, ` +
      `or type them on the order line. Order ${orderName} goes to Ysell as soon as they are there, and at ${at} UTC without them.`,
    warning: `Sent to Ysell without the serial numbers of ${what}: they were not assigned in Odoo in time; give them to Ysell by hand.`,
    until,
    everyMs: options.serialsEveryMs,
  };
}

const text = (value: string | false | undefined): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/** Odoo's note is HTML in 17; a delivery comment wants the words. */
export function htmlToText(html: string | false): string | null {
  if (html === false) return null;
  const plain = html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return plain === '' ? null : plain;
}

/** Serials typed into a line field: one per line, or separated by commas or semicolons. */
export function splitSerials(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Odoo datetimes are naive UTC "YYYY-MM-DD HH:MM:SS". */
export function odooDateToIso(value: string | false): string | null {
  if (value === false) return null;
  const iso = `${value.replace(' ', 'T')}Z`;
  return Number.isNaN(Date.parse(iso)) ? null : new Date(iso).toISOString();
}

function party(partner: PartnerRecord | undefined, countries: OrderDetails['countries'], fallbackName: string): Party {
  if (partner === undefined) {
    return {
      sourceId: null,
      name: fallbackName,
      company: null,
      email: null,
      phone: null,
      address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null },
    };
  }
  const country = partner.country_id === false ? undefined : countries.get(partner.country_id[0]);
  return {
    sourceId: String(partner.id),
    name: text(partner.name) ?? fallbackName,
    company: partner.parent_id === false ? null : partner.parent_id[1],
    email: text(partner.email),
    phone: text(partner.phone) ?? text(partner.mobile),
    address: {
      street: text(partner.street),
      street2: text(partner.street2),
      city: text(partner.city),
      zip: text(partner.zip),
      state: partner.state_id === false ? null : partner.state_id[1],
      country: partner.country_id === false ? null : partner.country_id[1],
      countryCode: country === undefined ? null : text(country.code),
    },
  };
}

const statusByState: Record<string, Order['status']['normalized']> = {
  draft: 'new',
  sent: 'new',
  sale: 'confirmed',
  cancel: 'cancelled',
};

/**
 * A line's price before its discount and the discount as an amount, both without tax, from what Odoo
 * computed: `price_subtotal` is the line after its discount and without tax whether the price was typed
 * with or without tax, so the untaxed subtotal plus `amount_tax` is exactly Odoo's `amount_total`. The
 * unit price is rounded up at the fourth decimal where the division does not end, and the discount takes
 * the difference, so that price × quantity − discount is the subtotal exactly and the discount is never
 * negative.
 */
function untaxed(line: SaleOrderLineRecord): { unitPrice: string; discount: string } {
  const subtotal = dec(line.price_subtotal);
  const kept = dec(1).minus(dec(line.discount).dividedBy(100));
  if (kept.isLessThanOrEqualTo(0)) return { unitPrice: amount(line.price_unit), discount: amount(dec(line.price_unit).times(line.product_uom_qty)) };
  const unitPrice = subtotal.dividedBy(kept).dividedBy(line.product_uom_qty).dp(4, BigNumber.ROUND_CEIL);
  return { unitPrice: amount(unitPrice), discount: amount(unitPrice.times(line.product_uom_qty).minus(subtotal)) };
}

/**
 * One Odoo sale order as the canonical Order. Lines without a product (sections, notes) are dropped;
 * service products (delivery charges) and combos (18.0+, whose items are lines of their own) are not goods
 * to ship, so they become surcharges instead of lines,
 * and lines that take money off (loyalty rewards, discount products) become order discounts.
 */
export function toFetchedOrder(so: SaleOrderRecord, details: OrderDetails, options: MapperOptions): FetchedOrder {
  const base = { number: so.name, revision: so.write_date };
  if (so.state !== 'sale') {
    return { ...base, kind: 'skip', reason: `order ${so.name} is in state "${so.state}", not a confirmed sales order` };
  }
  const currency = so.currency_id === false ? null : so.currency_id[1];
  const lines: OrderLine[] = [];
  const missingSerials: MissingSerials[] = [];
  const surcharges: Surcharge[] = [];
  const discounts: OrderDiscount[] = [];
  for (const lineId of so.order_line) {
    const line = details.lines.get(lineId);
    if (line === undefined) {
      return { ...base, kind: 'invalid', error: permanent('ODOO_LINE_MISSING', `order ${so.name}: line ${lineId} could not be read`) };
    }
    if (line.display_type !== false || line.product_id === false) continue;
    const product = details.products.get(line.product_id[0]);
    const name = text(line.name) ?? line.product_id[1];
    if (line.price_subtotal < 0) {
      discounts.push({ kind: 'promotion', code: null, amount: amount(-line.price_subtotal) });
      continue;
    }
    if (typeof product?.type === 'string' && (options.nonGoodsTypes ?? ['service']).includes(product.type)) {
      if (line.price_subtotal !== 0) surcharges.push({ kind: 'service', name, amount: amount(line.price_subtotal) });
      continue;
    }
    if (line.product_uom_qty <= 0) continue;
    const destinationId = product?.[options.destinationProductIdField];
    const typedSerials = options.lineSerialsField === null ? [] : splitSerials(line[options.lineSerialsField]);
    const serials = [...new Set([...(details.deliveredSerials.get(line.id) ?? []), ...typedSerials])];
    const tracking = product?.tracking;
    if (tracking === 'serial' && serials.length < Math.ceil(line.product_uom_qty)) {
      missingSerials.push({ product: line.product_id[1], tracking, missing: Math.ceil(line.product_uom_qty) - serials.length, quantity: Math.ceil(line.product_uom_qty) });
    } else if (tracking === 'lot' && serials.length === 0) {
      missingSerials.push({ product: line.product_id[1], tracking, missing: 1, quantity: line.product_uom_qty });
    }
    const uom = lineUom(line);
    lines.push({
      sourceLineId: String(line.id),
      sku: text(product?.default_code),
      name,
      quantity: line.product_uom_qty,
      ...untaxed(line),
      taxRate: null,
      sourceProductId: String(line.product_id[0]),
      destinationProductId: typeof destinationId === 'string' && destinationId.trim() !== '' ? destinationId.trim() : typeof destinationId === 'number' && destinationId > 0 ? String(destinationId) : null,
      unitOfMeasure: uom === false ? null : uom[1],
      serials,
    });
  }
  if (lines.length === 0) {
    return { ...base, kind: 'invalid', error: permanent('NO_GOODS', `order ${so.name} has no product lines to deliver`) };
  }

  const customerPartner = so.partner_id === false ? undefined : details.partners.get(so.partner_id[0]);
  const shippingPartner = so.partner_shipping_id === false ? customerPartner : details.partners.get(so.partner_shipping_id[0]);
  const customer = party(customerPartner, details.countries, so.partner_id === false ? '' : so.partner_id[1]);
  const recipient = party(shippingPartner, details.countries, customer.name);
  // A delivery address contact in Odoo is often just "Delivery address"-less: keep the customer's name and
  // contact details where the shipping contact has none.
  const completedRecipient: Party = {
    ...recipient,
    name: recipient.name || customer.name,
    email: recipient.email ?? customer.email,
    phone: recipient.phone ?? customer.phone,
  };

  const refs: Record<string, string> = { destinationProductIdField: options.destinationProductIdField };
  if (so.partner_shipping_id !== false) refs['shippingPartnerId'] = String(so.partner_shipping_id[0]);
  if (so.user_id !== false) refs['salespersonId'] = String(so.user_id[0]);
  // Empty (false) is kept as "": it is known, and not a later state.
  if (options.syncStateField && options.syncStateField in so) {
    const syncState = so[options.syncStateField];
    refs['syncState'] = typeof syncState === 'string' ? syncState : '';
  }

  const createdAt = odooDateToIso(so.date_order) ?? odooDateToIso(so.write_date) ?? new Date(0).toISOString();
  const order: Order = {
    source: { connector: 'odoo', id: String(so.id) },
    number: so.name,
    createdAt,
    status: { raw: so.state, normalized: statusByState[so.state] ?? 'unknown' },
    currency,
    prices: 'net',
    customer,
    recipient: completedRecipient,
    comment: htmlToText(so.note),
    lines,
    discounts,
    surcharges,
    tax: amount(so.amount_tax),
    total: amount(so.amount_total),
    fees: [],
    refs,
  };
  // Odoo 17 sets date_order when the order is confirmed (sale.order._prepare_confirmation_values).
  const awaited = awaitedSerials(so.name, createdAt, missingSerials, options);
  return awaited === undefined ? { ...base, kind: 'ready', order } : { ...base, kind: 'ready', order, awaited };
}
