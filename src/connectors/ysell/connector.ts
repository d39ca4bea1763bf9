import { isIntegrationError, permanent } from '../../core/errors.js';
import type { Connector, ConnectorContext, ConnectorDefinition, DestinationRef, OrderDestination } from '../../core/connector.js';
import { YsellClient } from './client.js';
import { ysellConfigSchema, type YsellConfig } from './config.js';
import { toYsellOrder } from './mapper.js';
import { judgeOwnership } from './ownership.js';
import type { YsellCreateOrder, YsellOrder } from './schemas.js';

/**
 * The API key, read where the user keeps it and remembered for a while. Reading it again after a 401
 * picks up a key someone rotated in Odoo without restarting us.
 */
class ApiKeyCache {
  private cached: { key: string; until: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly ttlMs: number,
  ) {}

  get(): Promise<string> {
    if (this.cached !== null && this.cached.until > Date.now()) return Promise.resolve(this.cached.key);
    this.pending ??= this.read()
      .then((key) => {
        this.cached = { key, until: Date.now() + this.ttlMs };
        return key;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  invalidate(): void {
    this.cached = null;
  }
}

function keyReader(config: YsellConfig, context: ConnectorContext): () => Promise<string> {
  const apiKey = config.apiKey;
  if ('value' in apiKey) {
    context.scrubber.add(apiKey.value);
    return () => Promise.resolve(apiKey.value);
  }
  return async () => {
    const store = context.connection(apiKey.fromConnection).secrets;
    if (store === undefined) {
      throw permanent('YSELL_KEY_SOURCE', `connection "${apiKey.fromConnection}" cannot hold secrets; set ysell apiKey differently`);
    }
    const key = await store.readSecret(apiKey.parameter, AbortSignal.timeout(config.timeout));
    if (key === null || key.trim() === '') {
      throw permanent(
        'YSELL_KEY_MISSING',
        `the Ysell API key is not set: set the system parameter "${apiKey.parameter}" in ${apiKey.fromConnection} (Odoo: Settings → Technical → System Parameters, or the order-bridge settings), then retry`,
        { context: { system: 'ysell' } },
      );
    }
    context.scrubber.add(key.trim());
    return key.trim();
  };
}

function toRef(order: YsellOrder): DestinationRef {
  return { id: String(order.id), status: order.status?.status_name ?? null };
}

/**
 * The one Ysell order that is ours among those listed for our number, or null. One that shows our number
 * but not what we sent is someone else's: a permanent FOREIGN_ORDER, never a match.
 */
function pickOurs(listed: readonly YsellOrder[], sent: YsellCreateOrder, findPath: string): YsellOrder | null {
  const ours: YsellOrder[] = [];
  for (const candidate of listed) {
    const verdict = judgeOwnership(candidate, sent);
    if (verdict.kind === 'ours') ours.push(candidate);
    else if (verdict.kind === 'foreign') {
      throw permanent(
        'FOREIGN_ORDER',
        `Ysell order ${candidate.id} carries the number ${sent.order_num} but is not the order order-bridge sent as ${sent.order_num}: ${verdict.reason}. ` +
          `Something else creates orders with the same numbers in this Ysell account (another shop, a second Odoo database): ` +
          `give one of them its own numbering (e.g. a prefix on Odoo's sale order sequence), or remove the wrong order in Ysell, then replay the job.`,
        { context: { system: 'ysell', operation: `GET ${findPath}`, order: sent.order_num, ysellId: candidate.id, reason: verdict.reason } },
      );
    }
  }
  if (ours.length > 1) {
    const ids = ours.map((o) => o.id);
    throw permanent(
      'DUPLICATE_AT_DESTINATION',
      `Ysell has ${ours.length} orders numbered ${sent.order_num} (ids ${ids.join(', ')}); remove the extra ones in Ysell, then replay the job.`,
      { context: { system: 'ysell', operation: `GET ${findPath}`, order: sent.order_num, ysellIds: ids } },
    );
  }
  return ours[0] ?? null;
}

function takenOrderNumber(fields: unknown): boolean {
  return Array.isArray(fields) && fields.some((f: { field?: unknown; message?: unknown }) => f.field === 'order_num' && /taken/i.test(String(f.message)));
}

export function createYsellConnector(config: YsellConfig, context: ConnectorContext): Connector {
  const keys = new ApiKeyCache(keyReader(config, context), config.apiKeyTtl);
  const client = new YsellClient({
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    apiKey: () => keys.get(),
    invalidateApiKey: () => keys.invalidate(),
    timeoutMs: config.timeout,
    paths: config.paths,
    exchanges: context.exchanges,
  });

  const destination: OrderDestination = {
    check(order) {
      toYsellOrder(order);
    },
    async find(order, signal) {
      const sent = toYsellOrder(order);
      const found = pickOurs(await client.findOrdersByNumber(order.number, signal), sent, config.paths.find);
      return found === null ? null : toRef(found);
    },
    async readStatus(destinationId, signal) {
      const id = Number(destinationId);
      if (!Number.isInteger(id) || id <= 0) throw permanent('BAD_DESTINATION_ID', `"${destinationId}" is not a Ysell order id`);
      return (await client.getOrderStatus(id, signal)).status.status_name;
    },
    async create(order, signal) {
      const sent = toYsellOrder(order);
      try {
        return toRef(await client.createOrder(sent, signal));
      } catch (err) {
        // Created between our look-up and our create (another replica, a lost answer): use it if it is ours.
        if (isIntegrationError(err) && err.code === 'YSELL_VALIDATION' && takenOrderNumber(err.context['fields'])) {
          const existing = pickOurs(await client.findOrdersByNumber(order.number, signal), sent, config.paths.find);
          if (existing !== null) return toRef(existing);
        }
        throw err;
      }
    },
  };

  return { type: 'ysell', destination };
}

export const ysellConnector: ConnectorDefinition<YsellConfig> = {
  type: 'ysell',
  roles: ['destination'],
  configSchema: ysellConfigSchema,
  create: createYsellConnector,
};
