/**
 * The parts of Odoo 17.0 that odoo-addon-stub/order_bridge relies on, by name. No Odoo runs in CI, so
 * addon.test.ts checks the module against this list instead: a name the module uses and this list
 * lacks fails the test, and is then either a typo or a new reliance to verify in the 17.0 sources
 * (odoo/addons/base, addons/sale, product, base_automation) before adding it here.
 */

/** The manifest's depends and the modules they pull in, as far as the names below come from them. */
export const availableModules = ['base', 'mail', 'uom', 'product', 'sales_team', 'sale', 'sale_management', 'stock', 'base_automation'];

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

export const standardModels: Record<string, StandardModel> = {
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
      // Added by base_automation.
      base_automation_id: 'base.automation',
    },
    selections: {
      state: ['object_write', 'object_create', 'code', 'webhook', 'multi'],
      usage: ['ir_actions_server', 'ir_cron', 'base_automation'],
    },
  },
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
        'on_time_updated', 'on_message_received', 'on_message_sent', 'on_webhook',
      ],
    },
  },
  'res.config.settings': { module: 'base', fields: {}, methods: ['set_values'] },
  'sale.order': {
    module: 'sale',
    fields: { name: null, state: null, partner_id: 'res.partner', invoice_status: null },
    selections: { state: ['draft', 'sent', 'sale', 'cancel'] },
  },
  'product.product': { module: 'product', fields: { default_code: null, product_tmpl_id: 'product.template' } },
  'product.template': {
    module: 'product',
    fields: { default_code: null, product_variant_count: null, product_variant_ids: 'product.product' },
    // _get_related_fields_variant_template: addons/product/models/product_template.py (17.0), read by create.
    methods: ['_compute_template_field_from_variant_field', '_set_product_variant_field', '_get_related_fields_variant_template'],
  },
};

/** XML ids of records other than views (views are in standardViews), with their model. */
export const standardRecords: Record<string, string> = {
  'base.group_system': 'res.groups',
  'sale.model_sale_order': 'ir.model',
  'sale.field_sale_order__name': 'ir.model.fields',
  'sale.field_sale_order__state': 'ir.model.fields',
  'sale.selection__sale_order__state__sale': 'ir.model.fields.selection',
};

export interface StandardView {
  model: string;
  /** What the module's extensions hook into, as XPath ("//field[@name='x']" for <field name="x" position=…>). */
  anchors: readonly string[];
  /** Fields present in the view that the module's modifiers (invisible=…) use. */
  fields?: readonly string[];
}

export const standardViews: Record<string, StandardView> = {
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
