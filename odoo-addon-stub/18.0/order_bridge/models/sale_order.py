from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    # Written by order-bridge over XML-RPC; read-only here so that people do not break the link
    # between this order and the one in Ysell, and not copied so that a duplicate is exported anew.
    ysell_order_id = fields.Char(
        string='Ysell Order ID',
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help='Id of this order in Ysell.pro, written back by order-bridge after the export.',
    )
    ysell_sync_state = fields.Selection(
        selection=[
            ('waiting', 'Waiting for serials'),
            ('exported', 'Exported'),
            ('delivered', 'Delivered'),
            ('error', 'Error'),
        ],
        string='Ysell Sync State',
        readonly=True,
        copy=False,
        tracking=True,
        help='Where this order is at Ysell.pro, as order-bridge last saw it.',
    )
    ysell_sync_message = fields.Text(
        string='Ysell Sync Message',
        readonly=True,
        copy=False,
        help='Why order-bridge could not export this order and what to fix, what it waits for, '
             'or what the order went to Ysell without.',
    )
