import { permanent } from '../../core/errors.js';

/**
 * What differs between the Odoo series order-bridge speaks, in one place: supporting a new series is a
 * new entry here (and its addon), nothing else. Each difference names where Odoo's sources show it.
 */
export interface OdooDialect {
  /** The series, e.g. "19.0". */
  series: string;
  major: number;
  /**
   * sale.order.line's unit of measure: `product_uom` up to 18.0 (addons/sale/models/sale_order_line.py),
   * renamed `product_uom_id` in 19.0 with the UoM rework (odoo/odoo commit 28b69dae).
   */
  saleLineUom: 'product_uom' | 'product_uom_id';
  /** res.partner's phone fields, best first: 19.0 dropped `mobile` (odoo/addons/base/models/res_partner.py). */
  partnerPhones: readonly string[];
  /** stock.move has a `name` (its description) up to 18.0; 19.0 removed it (addons/stock/models/stock_move.py). */
  moveName: boolean;
  /**
   * How a picking we create is tied to its sale order. Up to 18.0 through the order's procurement group
   * (sale.order.procurement_group_id, stock.move.group_id; stock.picking.sale_id is related to
   * group_id.sale_id in addons/sale_stock/models/stock.py). 19.0 replaced procurement.group by
   * stock.reference (odoo/odoo commit 2713876, PR #212679): the moves carry the order's references
   * (stock.move.reference_ids, sale.order.stock_reference_ids) and the picking's sale_id, which 19.0 lets a
   * person change (odoo/odoo PR #236194), is given as well.
   */
  orderLink: 'procurementGroup' | 'stockReference';
  /**
   * product `type` values that are not goods to ship: `service` everywhere; 18.0 added `combo`
   * (addons/product/models/product_template.py; odoo/odoo PR #170195), a line priced 0 whose items come as
   * lines of their own with the prices (odoo/odoo PR #222472).
   */
  nonGoodsTypes: readonly string[];
  /** The JSON-2 API (/json/2/<model>/<method>) exists from 19.0 on (addons/rpc/controllers/json2.py). */
  json2: boolean;
}

const base: Omit<OdooDialect, 'series' | 'major'> = {
  saleLineUom: 'product_uom',
  partnerPhones: ['phone', 'mobile'],
  moveName: true,
  orderLink: 'procurementGroup',
  nonGoodsTypes: ['service'],
  json2: false,
};

const bySeries: Record<number, Omit<OdooDialect, 'series' | 'major'>> = {
  17: base,
  18: { ...base, nonGoodsTypes: ['service', 'combo'] },
  19: {
    saleLineUom: 'product_uom_id',
    partnerPhones: ['phone'],
    moveName: false,
    orderLink: 'stockReference',
    nonGoodsTypes: ['service', 'combo'],
    json2: true,
  },
};

export const supportedSeries = Object.keys(bySeries).map((major) => `${major}.0`);
export const latestSeries = supportedSeries[supportedSeries.length - 1]!;

/**
 * The dialect of a server version as Odoo reports it ("17.0", "19.0+e", "saas~18.3", "18.0-20250101").
 * A saas release speaks its major's dialect; a series newer than we know speaks the newest we know (its
 * differences will be refused by Odoo field by field, with messages that name the field). Older than
 * 17.0 is refused: the addon and the webhooks this service relies on start there.
 */
export function dialectFor(serverVersion: string, url: string): OdooDialect {
  const match = /(\d+)\.(\d+)/.exec(serverVersion);
  const major = match === null ? Number.NaN : Number(match[1]);
  const known = Object.keys(bySeries).map(Number);
  if (!Number.isInteger(major) || major < Math.min(...known)) {
    throw permanent(
      'ODOO_VERSION_UNSUPPORTED',
      `Odoo at ${url} is version "${serverVersion}"; order-bridge speaks Odoo ${supportedSeries.join(', ')}`,
      { context: { system: 'odoo', serverVersion } },
    );
  }
  const use = Math.min(major, Math.max(...known));
  return { series: `${major}.${match![2]}`, major, ...bySeries[use]! };
}
