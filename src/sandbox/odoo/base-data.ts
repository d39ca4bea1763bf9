import type { Env, Vals } from './orm.js';
import { type OdooVersion, userGroupsField } from './versions.js';

/** Ids of the records every fresh database has, for tests that want them without an RPC round trip. */
export interface BaseRefs {
  company: number;
  companyPartner: number;
  adminPartner: number;
  bridgePartner: number;
  usd: number;
  eur: number;
  unitUom: number;
  customersLocation: number;
  stockLocation: number;
  /** `WH/ShemaxGlobal`: the 3PL's internal location under the warehouse, where delivered-order pickings start. */
  shemaxLocation: number;
  warehouse: number;
  outType: number;
  inType: number;
  noteSubtype: number;
  commentSubtype: number;
  todoActivityType: number;
  countries: Record<'us' | 'be' | 'de' | 'fr' | 'ru', number>;
}

function moduleOf(model: string): string {
  const head = model.split('.')[0]!;
  return ['sale', 'stock', 'mail', 'uom', 'product'].includes(head) ? head : 'base';
}

/**
 * The records of a new Odoo database (17.0, 18.0 or 19.0) with sale_management and stock, with the ids a real one
 * gives them where clients are known to hard-code or observe them (admin is uid 2, the customers
 * location is 5, WH/Stock is 8, the delivery type of warehouse0 is 2).
 */
export function loadBaseData(env: Env, users: { bridgeUid: number }, models: readonly string[], version: OdooVersion): BaseRefs {
  const orm = env.orm;
  const put = (model: string, vals: Vals, xmlid?: string, id?: number): number => {
    if (id !== undefined) orm.setNextId(model, id);
    const newId = env.create(model, vals);
    if (xmlid) {
      const [module, name] = xmlid.split('.') as [string, string];
      env.create('ir.model.data', { module, name, model, res_id: newId, noupdate: true });
    }
    return newId;
  };

  const eur = put('res.currency', { name: 'EUR', symbol: '€' }, 'base.EUR', 1);
  const usd = put('res.currency', { name: 'USD', symbol: '$' }, 'base.USD', 2);
  put('res.currency', { name: 'RUB', symbol: '₽' }, 'base.RUB');

  const countries = {
    be: put('res.country', { name: 'Belgium', code: 'BE' }, 'base.be', 20),
    de: put('res.country', { name: 'Germany', code: 'DE' }, 'base.de', 57),
    fr: put('res.country', { name: 'France', code: 'FR' }, 'base.fr', 75),
    ru: put('res.country', { name: 'Russian Federation', code: 'RU' }, 'base.ru', 182),
    us: put('res.country', { name: 'United States', code: 'US' }, 'base.us', 233),
  };
  put('res.country.state', { name: 'California', code: 'CA', country_id: countries.us }, 'base.state_us_5', 13);
  put('res.country.state', { name: 'New York', code: 'NY', country_id: countries.us }, 'base.state_us_27');
  put('res.country.state', { name: 'Berlin', code: 'BE', country_id: countries.de }, 'base.state_de_be');
  put('res.country.state', { name: 'Москва', code: 'MOW', country_id: countries.ru }, 'base.state_ru_mow');

  orm.setNextId('res.partner', 1);
  const companyPartner = put(
    'res.partner',
    {
      name: 'YourCompany',
      is_company: true,
      street: '250 Executive Park Blvd, Suite 3400',
      city: 'San Francisco',
      zip: '94134',
      state_id: 13,
      country_id: countries.us,
      phone: '+1 555-555-5556',
      email: 'info@yourcompany.com',
    },
    'base.main_partner',
  );
  const rootPartner = put('res.partner', { name: 'OdooBot', email: 'odoobot@example.com', active: false }, 'base.partner_root');
  const adminPartner = put(
    'res.partner',
    { name: 'Mitchell Admin', company_name: 'YourCompany', email: 'admin@yourcompany.example.com' },
    'base.partner_admin',
  );
  const bridgePartner = put('res.partner', { name: 'Order Bridge', email: 'bridge@yourcompany.example.com' });

  const company = put('res.company', { name: 'YourCompany', partner_id: companyPartner, currency_id: usd }, 'base.main_company', 1);
  const internal = put('res.groups', { name: 'Internal User' }, 'base.group_user', 1);
  const settings = put('res.groups', { name: 'Settings' }, 'base.group_system', 4);
  const groups = userGroupsField(version);
  put('res.users', { name: 'OdooBot', login: '__system__', partner_id: rootPartner, active: false, [groups]: [[6, 0, [internal, settings]]] }, 'base.user_root', 1);
  put('res.users', { name: 'Mitchell Admin', login: 'admin', partner_id: adminPartner, [groups]: [[6, 0, [internal, settings]]] }, 'base.user_admin', 2);
  put('res.users', { name: 'Order Bridge', login: 'bridge', partner_id: bridgePartner, [groups]: [[6, 0, [internal]]] }, undefined, users.bridgeUid);

  const unitUom = put('uom.uom', { name: 'Units', factor: 1 }, 'uom.product_uom_unit', 1);
  put('uom.uom', { name: 'Dozens', factor: 1 / 12 }, 'uom.product_uom_dozen');
  put('uom.uom', { name: 'kg', factor: 1 }, 'uom.product_uom_kgm');

  const physical = put('stock.location', { name: 'Physical Locations', usage: 'view' }, 'stock.stock_location_locations', 1);
  const partners = put('stock.location', { name: 'Partners', usage: 'view' }, 'stock.stock_location_locations_partner', 2);
  const virtual = put('stock.location', { name: 'Virtual Locations', usage: 'view' }, 'stock.stock_location_locations_virtual', 3);
  put('stock.location', { name: 'Vendors', usage: 'supplier', location_id: partners }, 'stock.stock_location_suppliers', 4);
  const customersLocation = put(
    'stock.location',
    { name: 'Customers', usage: 'customer', location_id: partners },
    'stock.stock_location_customers',
    5,
  );
  put('stock.location', { name: 'Inventory adjustment', usage: 'inventory', location_id: virtual }, 'stock.stock_location_inventory', 6);
  const whView = put('stock.location', { name: 'WH', usage: 'view', location_id: physical }, 'stock.stock_location_wh', 7);
  const stockLocation = put(
    'stock.location',
    { name: 'Stock', usage: 'internal', location_id: whView, company_id: company },
    'stock.stock_location_stock',
    8,
  );
  // As the issue reporter's Odoo 17 had it: an internal location made under the warehouse (Inventory →
  // Configuration → Locations, parent "WH"), so its complete name is "WH/ShemaxGlobal".
  const shemaxLocation = put('stock.location', { name: 'ShemaxGlobal', usage: 'internal', location_id: whView, company_id: company });

  const warehouse = put(
    'stock.warehouse',
    { name: 'YourCompany', code: 'WH', lot_stock_id: stockLocation, view_location_id: whView },
    'stock.warehouse0',
    1,
  );
  const inType = put(
    'stock.picking.type',
    { name: 'Receipts', code: 'incoming', sequence_code: 'IN', warehouse_id: warehouse, default_location_dest_id: stockLocation },
    'stock.picking_type_in',
    1,
  );
  const outType = put(
    'stock.picking.type',
    { name: 'Delivery Orders', code: 'outgoing', sequence_code: 'OUT', warehouse_id: warehouse, default_location_src_id: stockLocation },
    'stock.picking_type_out',
    2,
  );
  env.write('stock.warehouse', [warehouse], { in_type_id: inType, out_type_id: outType });

  const commentSubtype = put('mail.message.subtype', { name: 'Discussions', sequence: 0 }, 'mail.mt_comment', 1);
  const noteSubtype = put('mail.message.subtype', { name: 'Note', internal: true, sequence: 100 }, 'mail.mt_note', 2);
  put('mail.message.subtype', { name: 'Activities', internal: true, sequence: 90 }, 'mail.mt_activities', 3);

  put('mail.activity.type', { name: 'Email', sequence: 3 }, 'mail.mail_activity_data_email', 1);
  put('mail.activity.type', { name: 'Call', sequence: 4 }, 'mail.mail_activity_data_call', 2);
  put('mail.activity.type', { name: 'Meeting', sequence: 5 }, 'mail.mail_activity_data_meeting', 3);
  const todoActivityType = put('mail.activity.type', { name: 'To-Do', sequence: 6 }, 'mail.mail_activity_data_todo', 4);

  for (const model of models) {
    const description = env.def(model).description;
    put('ir.model', { model, name: description }, `${moduleOf(model)}.model_${model.replace(/\./g, '_')}`);
  }

  return {
    company,
    companyPartner,
    adminPartner,
    bridgePartner,
    usd,
    eur,
    unitUom,
    customersLocation,
    stockLocation,
    shemaxLocation,
    warehouse,
    outType,
    inType,
    noteSubtype,
    commentSubtype,
    todoActivityType,
    countries,
  };
}
