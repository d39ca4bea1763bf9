{
    'name': 'order-bridge connector',
    'version': '19.0.1.1.0',
    'category': 'Sales/Sales',
    'summary': 'Fields, settings and the webhook that order-bridge needs to export confirmed orders to Ysell.pro',
    'author': 'order-bridge',
    'depends': ['sale_management', 'stock', 'base_automation'],
    'data': [
        'security/ir.model.access.csv',
        'data/base_automation.xml',
        'views/product_views.xml',
        'views/sale_order_views.xml',
        'views/res_config_settings_views.xml',
    ],
    'license': 'Other OSI approved licence',
    'installable': True,
    'application': False,
}
