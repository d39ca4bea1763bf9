from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = 'product.template'

    # The id belongs to the variant, but without the variants feature people only ever see the
    # template form: mirror it there for single-variant products, as Odoo does for the barcode.
    ysell_product_id = fields.Char(
        string='Ysell Product ID',
        compute='_compute_ysell_product_id',
        inverse='_inverse_ysell_product_id',
        search='_search_ysell_product_id',
        help='Product id in Ysell.pro of the single variant of this product.',
    )

    @api.depends('product_variant_ids.ysell_product_id')
    def _compute_ysell_product_id(self):
        self._compute_template_field_from_variant_field('ysell_product_id')

    def _inverse_ysell_product_id(self):
        self._set_product_variant_field('ysell_product_id')

    def _search_ysell_product_id(self, operator, value):
        return [('product_variant_ids.ysell_product_id', operator, value)]

    def _get_related_fields_variant_template(self):
        # While a product is being created its variant does not exist yet, so the inverse above has nowhere
        # to write; product.template.create writes these fields again once the first variant is made, as
        # it does for the barcode and the internal reference.
        return super()._get_related_fields_variant_template() + ['ysell_product_id']
