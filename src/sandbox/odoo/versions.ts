/**
 * The Odoo series the fake can be, and what tells them apart on the wire. Sources (github.com/odoo/odoo,
 * one branch per series):
 *
 * - `/xmlrpc/2/common` `version` is `RPC_VERSION_1` of odoo/service/common.py: `server_version` is
 *   odoo/release.py's `version` ('17.0' for `version_info = (17, 0, 0, FINAL, 0, '')`: FINAL displays as
 *   ''), `server_version_info` the tuple itself, `server_serie` its first two parts, `protocol_version` 1.
 *   Same file and shape on 17.0, 18.0 and 19.0.
 * - Field and model names that differ between the series are in models.ts, each with its source.
 */
export type OdooVersion = '17.0' | '18.0' | '19.0';

export const ODOO_VERSIONS: readonly OdooVersion[] = ['17.0', '18.0', '19.0'];

export function majorOf(version: OdooVersion): number {
  return Number.parseInt(version, 10);
}

export function versionInfo(version: OdooVersion): {
  server_version: string;
  server_version_info: [number, number, number, string, number, string];
  server_serie: string;
  protocol_version: number;
} {
  return {
    server_version: version,
    server_version_info: [majorOf(version), 0, 0, 'final', 0, ''],
    server_serie: version,
    protocol_version: 1,
  };
}

/**
 * sale.order.line's unit of measure: `product_uom` on 17.0 and 18.0 (addons/sale/models/sale_order_line.py),
 * `product_uom_id` on 19.0 (same file), where the uom module dropped its categories.
 */
export const saleLineUomField = (version: OdooVersion): string => (majorOf(version) >= 19 ? 'product_uom_id' : 'product_uom');

/** res.users' groups: `groups_id` on 17.0 and 18.0, `group_ids` on 19.0 (odoo/addons/base/models/res_users.py). */
export const userGroupsField = (version: OdooVersion): string => (majorOf(version) >= 19 ? 'group_ids' : 'groups_id');
