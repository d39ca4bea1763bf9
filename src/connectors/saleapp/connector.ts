import type { ChangedPage, Connector, ConnectorContext, ConnectorDefinition, DestinationRef, FetchedOrder, OrderDestination, OrderSource } from '../../core/connector.js';
import type { Order } from '../../core/order.js';
import { permanent } from '../../core/errors.js';
import { SaleAppClient } from './client.js';
import { saleAppConfigSchema, type SaleAppConfig } from './config.js';
import { fromSaleAppOrder, saleAppMapping, saleAppNotOurs, toSaleAppOrder } from './mapper.js';
import type { SaleAppListedOrder } from './schemas.js';

function toRef(order: SaleAppListedOrder): DestinationRef {
  return { id: order.id, status: order.status_name };
}

function checkedOrderId(destinationId: string): string {
  if (!/^\d+$/.test(destinationId) || /^0+$/.test(destinationId)) throw permanent('BAD_DESTINATION_ID', `"${destinationId}" is not a SaleApp order id`);
  return destinationId;
}

export function createSaleAppConnector(config: SaleAppConfig, context: ConnectorContext): Connector {
  // The key travels in the URL, so the exchange log and every message must learn to hide it.
  context.scrubber.add(config.secretKey);
  const client = new SaleAppClient({
    baseUrl: config.baseUrl,
    secretKey: config.secretKey,
    account:
      config.clientId !== undefined && config.currencyId !== undefined && config.warehouseId !== undefined
        ? { clientId: config.clientId, currencyId: config.currencyId, warehouseId: config.warehouseId }
        : undefined,
    timeoutMs: config.timeout,
    exchanges: context.exchanges,
  });
  const mapping = saleAppMapping(config, context.name);
  const readOptions = {
    timeZone: config.timeZone,
    skipStatusIds: config.skipStatusIds,
    currency: config.currency,
    currencies: config.currencies,
    currencyId: config.currencyId,
  };

  /** A SaleApp order with our external_id is ours only when it holds what we send; another one is for a person. */
  function ours(order: Order, found: SaleAppListedOrder): DestinationRef {
    const why = saleAppNotOurs(toSaleAppOrder(order, mapping), found, order.currency);
    if (why.length === 0) return toRef(found);
    throw permanent(
      'FOREIGN_ORDER',
      `SaleApp already has order ${found.number ?? '?'} (id ${found.id}) with external_id ${order.number}, but it is not the one order-bridge sends for ${order.source.connector} order ${order.source.id}: ${why.join('; ')}. ` +
        'It was left alone and nothing was created. Change that order\'s external_id in SaleApp (or give this route\'s source a number prefix), then replay the job.',
      { context: { system: 'saleapp', order: order.number, saleAppId: found.id } },
    );
  }

  const destination: OrderDestination = {
    check(order) {
      toSaleAppOrder(order, mapping);
    },
    async find(order, signal) {
      const found = await client.findByExternalId(order.number, signal);
      return found === null ? null : ours(order, found);
    },
    async create(order, signal) {
      const created = await client.createOrder(toSaleAppOrder(order, mapping), signal);
      // The create answer carries only the id; the status is read back by it.
      return { id: created.id, status: null };
    },
    async readBack(order, destinationId, signal) {
      const found = await client.getOrder(checkedOrderId(destinationId), signal);
      return found === null ? null : ours(order, found);
    },
    async readStatus(destinationId, signal) {
      const order = await client.getOrder(checkedOrderId(destinationId), signal);
      if (order === null) {
        throw permanent('SALEAPP_ORDER_MISSING', `SaleApp has no order with id ${destinationId} any more (deleted in SaleApp?)`, {
          context: { system: 'saleapp', saleAppId: destinationId },
        });
      }
      return order.status_name ?? String(order.status_id);
    },
  };

  let warned = false;
  const source: OrderSource = {
    async *changedOrders(): AsyncIterable<ChangedPage> {
      // The Orders API reads one order by id, number or external_id and has no "changed since" listing, so
      // a poll has nothing to read. Said loudly once, then quietly, so a schedule does not flood the log.
      const message = `SaleApp connection "${context.name}" cannot be polled: the SaleApp Orders API has no listing of changed orders, so this poll reads nothing. Set "poll": false on routes from it; their orders are read by SaleApp id when an export is queued.`;
      if (warned) context.logger.debug({ connection: context.name }, message);
      else context.logger.warn({ connection: context.name }, message);
      warned = true;
    },
    async fetchOrders(sourceIds, signal) {
      const fetched = new Map<string, FetchedOrder>();
      const ids = [...new Set(sourceIds)].filter((id) => /^\d+$/.test(id));
      // One GET per order is all the API offers; one at a time, as it documents no rate it tolerates.
      for (const id of ids) {
        const order = await client.getOrder(id, signal);
        if (order !== null) fetched.set(id, fromSaleAppOrder(order, readOptions));
      }
      return fetched;
    },
  };

  return { type: 'saleapp', source, destination };
}

export const saleAppConnector: ConnectorDefinition<SaleAppConfig> = {
  type: 'saleapp',
  roles: ['source', 'destination'],
  configSchema: saleAppConfigSchema,
  create: createSaleAppConnector,
};
