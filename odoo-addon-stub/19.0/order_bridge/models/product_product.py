from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = 'product.product'

    ysell_product_id = fields.Char(
        string='Ysell Product ID',
        index=True,
        copy=False,
        help='Product id in Ysell.pro, sent with every exported order line. '
             'order-bridge refuses to export an order with a product that has none.',
    )
