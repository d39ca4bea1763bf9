import { ConnectorRegistry } from '../core/registry.js';
import { marketsyncConnector } from './marketsync/connector.js';
import { odooConnector } from './odoo/connector.js';
import { ysellConnector } from './ysell/connector.js';

/** The one place that knows the concrete connectors: add a connector here with one line. */
export function builtinConnectors(): ConnectorRegistry {
  return new ConnectorRegistry().register(odooConnector).register(ysellConnector).register(marketsyncConnector);
}
