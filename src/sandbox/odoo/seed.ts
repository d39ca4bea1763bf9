import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { callKw } from './methods.js';
import { confirmOrders, syncPickingState } from './models.js';
import type { OdooFake } from './server.js';
import { majorOf } from './versions.js';

export interface Catalog {
  partners: {
    /** Company in Belgium. */
    brussels: number;
    /** Company in Germany with a separate delivery address (so its orders ship to `berlinWarehouse`). */
    berlin: number;
    berlinWarehouse: number;
    /** Private person in France. */
    lyon: number;
    /** Company in Russia, Cyrillic name and address. */
    moscow: number;
    /** Odoo demo's Gemini Furniture, California. */
    gemini: number;
  };
  products: {
    /** `[FURN_8888] Office Lamp`, ysell id 10045. */
    lamp: number;
    /** `[FURN_7777] Office Chair`, ysell id 10046. */
    chair: number;
    /** `[FURN_0269] Office Desk`, ysell id 10047. */
    desk: number;
    /** `[SN-PHONE-X] Smartphone X`, tracked by serial, ysell id 10099. */
    serialized: number;
    /** `[E-COM11] Cabinet with Doors`, no ysell id. */
    unlinked: number;
    /** `[SHIP] Shipping`, a service: order lines without stock moves. */
    shipping: number;
  };
}

/** A handful of customers in different countries and products with and without a Ysell id. */
export function seedCatalog(fake: OdooFake): Catalog {
  const { countries } = fake.refs;
  // Storable goods: `type: 'product'` on 17.0, `type: 'consu'` with `is_storable` on 18.0 and later.
  const storable: Record<string, XmlRpcValue> = majorOf(fake.version) >= 18 ? { type: 'consu', is_storable: true } : { type: 'product' };
  // 19.0 has no res.partner.mobile: the number goes in `phone` there.
  const mobileField = majorOf(fake.version) >= 19 ? 'phone' : 'mobile';
  return fake.transact((env) => {
    const state = (code: string, country: number): number | false =>
      env.search('res.country.state', [['code', '=', code], ['country_id', '=', country]])[0] ?? false;
    const partner = (vals: Record<string, XmlRpcValue>): number => env.create('res.partner', vals);
    const product = (vals: Record<string, XmlRpcValue>): number => env.create('product.product', vals);
    const berlin = partner({
      name: 'Müller & Söhne GmbH',
      is_company: true,
      street: 'Friedrichstraße 123',
      zip: '10117',
      city: 'Berlin',
      state_id: state('BE', countries.de),
      country_id: countries.de,
      phone: '+49 30 1234567',
      email: 'einkauf@mueller-soehne.example.de',
      vat: 'DE123456789',
    });
    return {
      partners: {
        brussels: partner({
          name: 'Atelier Bruxellois SRL',
          is_company: true,
          street: 'Rue de la Loi 16',
          street2: 'Boîte 3',
          zip: '1000',
          city: 'Brussels',
          country_id: countries.be,
          phone: '+32 2 555 12 34',
          email: 'orders@atelier-bruxellois.example.be',
        }),
        berlin,
        berlinWarehouse: partner({
          name: 'Lager Tegel',
          type: 'delivery',
          parent_id: berlin,
          street: 'Am Borsigturm 40',
          zip: '13507',
          city: 'Berlin',
          state_id: state('BE', countries.de),
          country_id: countries.de,
          phone: '+49 30 7654321',
        }),
        lyon: partner({
          name: 'Claire Dubois',
          street: '12 Rue de la République',
          zip: '69002',
          city: 'Lyon',
          country_id: countries.fr,
          [mobileField]: '+33 6 12 34 56 78',
          email: 'claire.dubois@example.fr',
        }),
        moscow: partner({
          name: 'ООО «Ромашка»',
          is_company: true,
          street: 'ул. Тверская, д. 7',
          street2: 'офис 12',
          zip: '125009',
          city: 'Москва',
          state_id: state('MOW', countries.ru),
          country_id: countries.ru,
          phone: '+7 495 123-45-67',
          email: 'zakaz@romashka.example.ru',
        }),
        gemini: partner({
          name: 'Gemini Furniture',
          is_company: true,
          street: '317 Fairchild Dr',
          zip: '94535',
          city: 'Fairfield',
          state_id: state('CA', countries.us),
          country_id: countries.us,
          phone: '(941)-284-4875',
          email: 'gemini.furniture39@example.com',
        }),
      },
      products: {
        lamp: product({ name: 'Office Lamp', default_code: 'FURN_8888', lst_price: 45, ...storable, ysell_product_id: '10045' }),
        chair: product({ name: 'Office Chair', default_code: 'FURN_7777', lst_price: 120, ...storable, ysell_product_id: '10046' }),
        desk: product({ name: 'Office Desk', default_code: 'FURN_0269', lst_price: 310, ...storable, ysell_product_id: '10047' }),
        serialized: product({
          name: 'Smartphone X',
          default_code: 'SN-PHONE-X',
          lst_price: 899,
          ...storable,
          tracking: 'serial',
          ysell_product_id: '10099',
        }),
        unlinked: product({ name: 'Cabinet with Doors', default_code: 'E-COM11', lst_price: 15, ...storable }),
        shipping: product({ name: 'Shipping', default_code: 'SHIP', lst_price: 9.5, type: 'service' }),
      },
    };
  });
}

export interface OrderLineSpec {
  productId: number;
  qty: number;
  price: number;
  /** Stored comma-separated in the line's serial field, as a salesperson would type them. */
  serials?: string[];
}

export interface SaleOrderSpec {
  partnerId: number;
  /** Defaults as in Odoo: the partner's delivery contact, else the partner. */
  shippingPartnerId?: number;
  lines: OrderLineSpec[];
  /** Plain text; stored as Odoo's editor stores it, HTML-escaped inside `<p>…</p>`. */
  note?: string;
  clientOrderRef?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

/** A quotation (state draft, name `S000NN`) with one line per entry. */
export function createSaleOrder(fake: OdooFake, spec: SaleOrderSpec): number {
  return fake.transact((env) =>
    env.create('sale.order', {
      partner_id: spec.partnerId,
      ...(spec.shippingPartnerId !== undefined ? { partner_shipping_id: spec.shippingPartnerId } : {}),
      ...(spec.note !== undefined ? { note: `<p>${escapeHtml(spec.note)}</p>` } : {}),
      ...(spec.clientOrderRef !== undefined ? { client_order_ref: spec.clientOrderRef } : {}),
      order_line: spec.lines.map((line) => [
        0,
        0,
        {
          product_id: line.productId,
          product_uom_qty: line.qty,
          price_unit: line.price,
          ...(line.serials ? { [fake.serialField]: line.serials.join(', ') } : {}),
        },
      ]),
    }),
  );
}

/** `action_confirm`: state sale, the outgoing picking, and the webhook if one is configured. */
export function confirm(fake: OdooFake, orderId: number): void {
  fake.transact((env) => confirmOrders(env, [orderId], fake.version));
}

/**
 * Delivers `serials` of one product on the order's outgoing picking as sale_stock records it: a lot
 * per serial, a done move line per lot on the product's move, the move done; the picking turns done
 * once all its moves are.
 */
export function addDeliveredSerials(fake: OdooFake, orderId: number, productId: number, serials: string[]): void {
  fake.transact((env) => {
    const pickings = env
      .children('stock.picking', 'sale_id', orderId)
      .filter((p) => env.value('stock.picking', env.rec('stock.picking', p), 'picking_type_code') === 'outgoing')
      .filter((p) => env.rec('stock.picking', p).state !== 'cancel');
    const move = pickings
      .flatMap((p) => env.children('stock.move', 'picking_id', p))
      .map((m) => env.rec('stock.move', m))
      .find((m) => m.product_id === productId && m.state !== 'cancel');
    if (!move) throw new Error(`sale.order ${orderId} has no outgoing move for product ${productId}: confirm it first`);
    for (const serial of serials) {
      const lot =
        env.search('stock.lot', [['name', '=', serial], ['product_id', '=', productId]])[0] ??
        env.create('stock.lot', { name: serial, product_id: productId });
      env.create('stock.move.line', { move_id: move.id, lot_id: lot, quantity: 1, picked: true });
    }
    const delivered = env
      .children('stock.move.line', 'move_id', move.id)
      .reduce((sum, l) => sum + Number(env.rec('stock.move.line', l).quantity), 0);
    env.write('stock.move', [move.id], { state: 'done', picked: true, quantity: delivered });
    syncPickingState(env, move.picking_id as number);
  });
}

/** Puts one unit of `productId` per serial (or a whole lot) in stock at `locationId` (WH/Stock by default). */
export function stockLots(fake: OdooFake, productId: number, lots: string[], options: { locationId?: number; quantityPerLot?: number } = {}): void {
  fake.transact((env) => {
    for (const name of lots) {
      const lot = env.search('stock.lot', [['name', '=', name], ['product_id', '=', productId]])[0] ?? env.create('stock.lot', { name, product_id: productId });
      env.create('stock.quant', { product_id: productId, lot_id: lot, location_id: options.locationId ?? fake.refs.stockLocation, quantity: options.quantityPerLot ?? 1 });
    }
  });
}

/** "Check Availability" on the order's open outgoing pickings, as a person clicks it: `stock.picking.action_assign`. */
export function checkAvailability(fake: OdooFake, orderId: number): void {
  fake.transact((env) => {
    const pickings = env
      .children('stock.picking', 'sale_id', orderId)
      .filter((p) => !['done', 'cancel'].includes(String(env.rec('stock.picking', p).state)));
    if (pickings.length > 0) callKw(env.orm, env.uid, env.now, 'stock.picking', 'action_assign', [pickings], {});
  });
}
