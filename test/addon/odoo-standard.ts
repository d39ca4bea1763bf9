/**
 * The parts of Odoo that odoo-addon-stub/<series>/order_bridge relies on, by name, for each series. No
 * Odoo runs in CI, so addon.test.ts checks each folder against its series here instead: a name the
 * module uses and this list lacks fails the test, and is then either a typo or a new reliance to verify
 * in that series' sources before adding it here.
 *
 * Transcribed from odoo/odoo's sources of each branch, read in Odoo's nightly builds, which ship the
 * tree unchanged under odoo/ (their odoo/addons/<module> is odoo/odoo's addons/<module>, their
 * odoo/addons/base is odoo/odoo's odoo/addons/base); the paths below are odoo/odoo's:
 * - 17.0: nightly 17.0-20240709 (GitHub copy Clyde1030/odoo17 at 5a953f3);
 * - 18.0: nightly 18.0+e-20250520, odoo/odoo 752ba2927e0b (AhmedElarabyy/odoo-18 at c7678f8);
 * - 19.0: nightly 19.0+e-20251227, odoo/odoo 647373b7b3d9 (MohamedLotfy99/Odoo19-ez at df435d9).
 * What is cited once without a branch is the same in all three.
 */

export const SERIES = ['17.0', '18.0', '19.0'] as const;
export type Series = (typeof SERIES)[number];

export interface StandardModel {
  /** The module that defines the model. */
  module: string;
  /** Field name → comodel for relational fields, null for the others. */
  fields: Record<string, string | null>;
  /** Values of selection fields the module sets or refers to. */
  selections?: Record<string, readonly string[]>;
  /** Methods the module's Python calls or overrides. */
  methods?: readonly string[];
}

export interface StandardView {
  model: string;
  /** What the module's extensions hook into, as XPath ("//field[@name='x']" for <field name="x" position=…>). */
  anchors: readonly string[];
  /** Fields present in the view that the module's modifiers (invisible=…) use. */
  fields?: readonly string[];
}

export interface OdooStandard {
  /** The manifest's depends and the modules they pull in, as far as the names below come from them. */
  availableModules: readonly string[];
  models: Record<string, StandardModel>;
  /** XML ids of records other than views (views are in `views`), with their model. */
  records: Record<string, string>;
  views: Record<string, StandardView>;
  /** The root element of a list view. */
  listTag: 'tree' | 'list';
  /** Field names this series lacks on a model, where another series has them: the module must name none. */
  absentFields: Record<string, readonly string[]>;
  /** Where a user makes an API key for order-bridge's integration user. */
  apiKey: { menu: string; tab: string; button: string; persistentKey: boolean };
  /** Whether the series has the JSON-2 API, which takes an API key and nothing else. */
  json2: boolean;
}

const availableModules = ['base', 'mail', 'uom', 'product', 'sales_team', 'sale', 'sale_management', 'stock', 'base_automation'];

// ir.actions.server.state: odoo/addons/base/models/ir_actions.py, class IrActionsServer. 19.0 adds
// 'object_copy' (Duplicate Record); 'webhook', webhook_url and webhook_field_ids are in all three. None of
// webhook_field_ids may be a group-restricted field: a constraint in 17.0 and 18.0 (same file), in 19.0 a
// warning there that base.automation's _check_trigger_state turns into a ValidationError
// (addons/base_automation/models/base_automation.py). sale.order's name and state have no groups
// (addons/sale/models/sale_order.py, all three).
const serverActionStates: Record<Series, readonly string[]> = {
  '17.0': ['object_write', 'object_create', 'code', 'webhook', 'multi'],
  '18.0': ['object_write', 'object_create', 'code', 'webhook', 'multi'],
  '19.0': ['object_write', 'object_create', 'object_copy', 'code', 'webhook', 'multi'],
};

function models(series: Series): Record<string, StandardModel> {
  return {
    'ir.ui.view': {
      module: 'base',
      fields: { name: null, model: null, inherit_id: 'ir.ui.view', mode: null, priority: null, arch: null },
    },
    'ir.actions.server': {
      module: 'base',
      fields: {
        name: null,
        model_id: 'ir.model',
        usage: null,
        state: null,
        webhook_url: null,
        webhook_field_ids: 'ir.model.fields',
        // Added by base_automation: addons/base_automation/models/ir_actions_server.py, with the usage
        // 'base_automation'.
        base_automation_id: 'base.automation',
      },
      selections: {
        state: serverActionStates[series],
        usage: ['ir_actions_server', 'ir_cron', 'base_automation'],
      },
    },
    // addons/base_automation/models/base_automation.py: the same fields and trigger values in the three
    // series (19.0 lists on_create before on_create_or_write).
    'base.automation': {
      module: 'base_automation',
      fields: {
        name: null,
        model_id: 'ir.model',
        active: null,
        trigger: null,
        trigger_field_ids: 'ir.model.fields',
        trg_selection_field_id: 'ir.model.fields.selection',
        action_server_ids: 'ir.actions.server',
      },
      selections: {
        trigger: [
          'on_stage_set', 'on_user_set', 'on_tag_set', 'on_state_set', 'on_priority_set', 'on_archive', 'on_unarchive',
          'on_create_or_write', 'on_create', 'on_write', 'on_unlink', 'on_change', 'on_time', 'on_time_created',
          'on_time_updated', 'on_webhook',
        ],
      },
    },
    // set_values and the config_parameter attribute: odoo/addons/base/models/res_config.py.
    'res.config.settings': { module: 'base', fields: {}, methods: ['set_values'] },
    // addons/sale/models/sale_order.py: SALE_ORDER_STATE is draft, sent, sale, cancel in the three series.
    'sale.order': {
      module: 'sale',
      fields: { name: null, state: null, partner_id: 'res.partner', invoice_status: null },
      selections: { state: ['draft', 'sent', 'sale', 'cancel'] },
    },
    // addons/product/models/product_product.py.
    'product.product': { module: 'product', fields: { default_code: null, product_tmpl_id: 'product.template' } },
    'product.template': {
      module: 'product',
      fields: { default_code: null, product_variant_count: null, product_variant_ids: 'product.product' },
      // addons/product/models/product_template.py: the three methods in all three series; create() writes
      // the fields of _get_related_fields_variant_template() again once the first variant exists.
      methods: ['_compute_template_field_from_variant_field', '_set_product_variant_field', '_get_related_fields_variant_template'],
    },
  };
}

const records: Record<string, string> = {
  // odoo/addons/base/security/base_groups.xml: named "Settings" (category Administration) in 17.0 and
  // 18.0, "Role / Administrator" in 19.0; the XML id is the same.
  'base.group_system': 'res.groups',
  'sale.model_sale_order': 'ir.model',
  'sale.field_sale_order__name': 'ir.model.fields',
  'sale.field_sale_order__state': 'ir.model.fields',
  'sale.selection__sale_order__state__sale': 'ir.model.fields.selection',
};

// The anchors are in the same views in the three series:
// - product views: addons/product/views/product_views.xml (product_normal_form_view, a primary extension
//   of product_template_form_view, and product_variant_easy_edit_view: each has <field name="default_code"/>)
//   and addons/product/views/product_template_views.xml (product_template_only_form_view: default_code;
//   product_variant_count comes from product_template_form_view);
// - sale views: addons/sale/views/sale_order_views.xml (view_order_form: <sheet> and
//   <group name="sale_reporting">; view_order_tree, a primary extension of sale_order_tree, whose list
//   has invoice_status; view_sales_order_filter: partner_id and <filter name="my_sale_orders_filter">);
// - settings: addons/sale/wizard/res_config_settings_views.xml, res_config_settings_view_form puts
//   <app notApp="1" string="Sales" name="sale_management"> into base's settings form, with <block> and
//   <setting> inside, in 17.0, 18.0 and 19.0 alike.
const views: Record<string, StandardView> = {
  'product.product_normal_form_view': { model: 'product.product', anchors: ["//field[@name='default_code']"] },
  'product.product_variant_easy_edit_view': { model: 'product.product', anchors: ["//field[@name='default_code']"] },
  'product.product_template_only_form_view': {
    model: 'product.template',
    anchors: ["//field[@name='default_code']"],
    fields: ['product_variant_count'],
  },
  'sale.view_order_form': { model: 'sale.order', anchors: ['//sheet', "//group[@name='sale_reporting']"] },
  'sale.view_order_tree': { model: 'sale.order', anchors: ["//field[@name='invoice_status']"] },
  'sale.view_sales_order_filter': {
    model: 'sale.order',
    anchors: ["//field[@name='partner_id']", "//filter[@name='my_sale_orders_filter']"],
  },
  'sale.res_config_settings_view_form': { model: 'res.config.settings', anchors: ["//app[@name='sale_management']"] },
};

// API keys: odoo/addons/base/views/res_users_views.xml, view_users_form_simple_modif (the form behind the
// user menu's preferences item, addons/web/static/src/webclient/user_menu/user_menu_items.js), and
// odoo/addons/base/models/res_users.py. 17.0: page "Account Security", button "New API Key", keys never
// expire. 18.0: the same page and button; the key's duration offers "Persistent Key" only when
// env.is_system() (_selection_duration, _check_expiration_date). 19.0: menu "My Preferences", page
// "Security", button "Add API Key", the same duration rule. In all three form_res_users_key_show says
// "The key cannot be retrieved later".
const oldKeyUi = { menu: 'Preferences', tab: 'Account Security', button: 'New API Key' };

export const standards: Record<Series, OdooStandard> = {
  '17.0': {
    availableModules,
    models: models('17.0'),
    records,
    views,
    // addons/sale/views/sale_order_views.xml (17.0): sale_order_tree is a <tree>.
    listTag: 'tree',
    absentFields: {
      // odoo/addons/base/models/res_users.py (17.0): groups_id.
      'res.users': ['group_ids'],
      // addons/sale/models/sale_order_line.py (17.0): product_uom.
      'sale.order.line': ['product_uom_id'],
      // addons/stock/models/product.py (17.0) has no is_storable; addons/product/models/product_template.py
      // has detailed_type.
      'product.template': ['is_storable'],
    },
    apiKey: { ...oldKeyUi, persistentKey: false },
    json2: false,
  },
  '18.0': {
    availableModules,
    models: models('18.0'),
    records,
    views,
    // addons/sale/views/sale_order_views.xml (18.0): sale_order_tree is a <list>; <tree> was renamed.
    listTag: 'list',
    absentFields: {
      'res.users': ['group_ids'],
      'sale.order.line': ['product_uom_id'],
      // addons/product/models/product_template.py (18.0): no detailed_type; addons/stock/models/product.py
      // adds is_storable.
      'product.template': ['detailed_type'],
    },
    apiKey: { ...oldKeyUi, persistentKey: true },
    // No /json/2 route in 18.0.
    json2: false,
  },
  '19.0': {
    availableModules,
    models: models('19.0'),
    records,
    views,
    listTag: 'list',
    absentFields: {
      // odoo/addons/base/models/res_users.py (19.0): group_ids.
      'res.users': ['groups_id'],
      // odoo/addons/base/models/res_partner.py (19.0): no mobile field.
      'res.partner': ['mobile'],
      // addons/sale/models/sale_order_line.py (19.0): product_uom_id.
      'sale.order.line': ['product_uom'],
      'product.template': ['detailed_type'],
    },
    apiKey: { menu: 'My Preferences', tab: 'Security', button: 'Add API Key', persistentKey: true },
    // addons/rpc/controllers/json2.py (19.0): POST /json/2/<model>/<method>, auth='bearer'.
    json2: true,
  },
};
