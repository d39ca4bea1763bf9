import { ConnectorRegistry } from '../core/registry.js';
import { bizon365Connector } from './bizon365/connector.js';
import { marketsyncConnector } from './marketsync/connector.js';
import { moyskladConnector } from './moysklad/connector.js';
import { odooConnector } from './odoo/connector.js';
import { ozonConnector } from './ozon/connector.js';
import { saleAppConnector } from './saleapp/connector.js';
import { ysellConnector } from './ysell/connector.js';

/** The one place that knows the concrete connectors: add a connector here with one line. */
export function builtinConnectors(): ConnectorRegistry {
  return new ConnectorRegistry()
    .register(odooConnector)
    .register(ysellConnector)
    .register(ozonConnector)
    .register(moyskladConnector)
    .register(bizon365Connector)
    .register(marketsyncConnector)
    .register(saleAppConnector);
}
