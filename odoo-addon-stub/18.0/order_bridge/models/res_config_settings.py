from urllib.parse import quote, urlencode

from odoo import fields, models

WEBHOOK_ACTION = 'order_bridge.action_send_order_to_order_bridge'


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    # ysell.api_key is where order-bridge reads the key by default (connections.odoo, secrets).
    order_bridge_ysell_api_key = fields.Char(
        string='Ysell API Key',
        config_parameter='ysell.api_key',
    )
    order_bridge_url = fields.Char(
        string='order-bridge URL',
        config_parameter='order_bridge.url',
        help='Address of the order-bridge service as Odoo reaches it, e.g. https://order-bridge.example.com',
    )
    order_bridge_webhook_token = fields.Char(
        string='Webhook Token',
        config_parameter='order_bridge.webhook_token',
        help='The token of the route in the order-bridge configuration (routes[].webhook.token).',
    )
    order_bridge_route = fields.Char(
        string='Route Name',
        config_parameter='order_bridge.route',
        default='odoo-to-ysell',
        help='Name of the order-bridge route that exports orders from this database.',
    )

    def set_values(self):
        super().set_values()
        self._sync_order_bridge_webhook()

    def _sync_order_bridge_webhook(self):
        # Odoo's webhook (17.0 to 19.0) sends no headers but its own, so the token rides in the URL;
        # rebuilding that URL here means nobody edits the server action by hand. sudo: a Sales
        # administrator who saves other settings may not write server actions, and only writes back
        # what is already stored.
        action = self.env.ref(WEBHOOK_ACTION, raise_if_not_found=False)
        if not action:
            return
        action = action.sudo()
        base_url = (self.order_bridge_url or '').strip().rstrip('/')
        token = (self.order_bridge_webhook_token or '').strip()
        route = (self.order_bridge_route or '').strip()
        complete = bool(base_url and token and route)
        if complete:
            hook_url = f"{base_url}/hooks/odoo/{quote(route, safe='')}?{urlencode({'token': token})}"
            if action.webhook_url != hook_url:
                action.webhook_url = hook_url
        # Until all three are set the hook could only fail or be refused: keep the rule off till then.
        rule = action.base_automation_id
        if rule and rule.active != complete:
            rule.active = complete
