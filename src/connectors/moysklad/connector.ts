import DataLoader from 'dataloader';
import { v5 as uuidV5 } from 'uuid';
import { classify, permanent, retryable } from '../../core/errors.js';
import type {
  Connector,
  ConnectorContext,
  ConnectorDefinition,
  DestinationRef,
  OrderDestination,
  SourceStatusKeeper,
  TrackedOrder,
} from '../../core/connector.js';
import { dec } from '../../core/money.js';
import type { Order } from '../../core/order.js';
import { currentCallContext, withCallContext } from '../../exchange/context.js';
import { maxBatch, moyskladError, MoySkladClient } from './client.js';
import { moyskladConfigSchema, type MoySkladConfig } from './config.js';
import { chargeAttributes, charges, chargesLineInDescription, chargesPrefix, chargesText, toRetailDemand, withChargesLine } from './mapper.js';
import { documentSchema, type Meta, type MoySkladDocument } from './schemas.js';
import { ShiftKeeper } from './shift.js';
import { toMoscowSeconds } from './time.js';

/** Namespace of the syncIds we derive from order numbers (any fixed UUID; changing it would break idempotency). */
const syncNamespace = '6d1f0f3e-2a7b-4c55-9a43-0b8f3c1e9d27';

function toRef(document: MoySkladDocument): DestinationRef {
  return { id: document.id, status: null };
}

/**
 * Calls made for a batch serve many orders at once: they are logged under the route, not under whichever
 * order happened to start the batch.
 */
function batchContext<T>(run: () => Promise<T>): Promise<T> {
  return withCallContext({ route: currentCallContext().route, sourceId: null, jobId: null }, run);
}

function attributeValue(document: MoySkladDocument, href: string): string | null {
  const found = document.attributes?.find((a) => a.meta.href === href);
  return typeof found?.value === 'string' ? found.value : null;
}

export function createMoySkladConnector(config: MoySkladConfig, context: ConnectorContext): Connector {
  context.scrubber.add(config.token);
  const client = new MoySkladClient({ config, exchanges: context.exchanges });
  const shifts = new ShiftKeeper(client, config, context.state, (key, fn) => context.exclusive(key, fn));
  // A batch serves many jobs at once, so it cannot run under one job's signal: it gets its own time limit.
  const signal = (): AbortSignal => AbortSignal.timeout(config.timeout * 4);
  // A batch goes once it has waited `batch.wait` and the budget has room: while the budget is spent it goes
  // on gathering orders, so that the requests grow larger rather than more numerous.
  const batchOptions = {
    cache: false,
    maxBatchSize: Math.min(maxBatch, config.batch.size),
    batchScheduleFn: (run: () => void) => setTimeout(() => void client.budget.whenRoom().then(run), config.batch.wait),
  } as const;
  const attributeMeta = (id: string): Meta => client.attributeMeta('retaildemand', id);

  /** Products by article, remembered for a while; an unknown article is asked again next time (it may have been created). */
  const productCache = new Map<string, { meta: Meta; until: number }>();
  async function productsFor(orders: readonly Order[]): Promise<Map<string, Meta>> {
    const now = Date.now();
    const wanted = new Set(orders.flatMap((o) => o.lines.map((l) => l.sku ?? '')).filter((sku) => sku !== ''));
    const result = new Map<string, Meta>();
    const missing: string[] = [];
    for (const article of wanted) {
      const cached = productCache.get(article);
      if (cached !== undefined && cached.until > now) result.set(article, cached.meta);
      else missing.push(article);
    }
    if (missing.length > 0) {
      for (const product of await client.findProductsByArticle(missing, signal())) {
        if (product.article === undefined || !wanted.has(product.article)) continue;
        productCache.set(product.article, { meta: product.meta, until: now + config.productCacheTtl });
        result.set(product.article, product.meta);
      }
    }
    return result;
  }

  const syncIdOf = (order: Order): string => uuidV5(`${context.name}:${order.number}`, syncNamespace);

  const lookups = new DataLoader<string, DestinationRef | null>(
    (numbers) =>
      batchContext(async () => {
        const found = await client.findDemandsByExternalCode(numbers, signal());
        return numbers.map((number) => {
          const matches = found.filter((d) => d.externalCode === number);
          // Ours carry the syncId we derive from the number; a sale someone else made with this external code is not ours.
          const ownSyncId = uuidV5(`${context.name}:${number}`, syncNamespace);
          const mine = matches.filter((d) => d.syncId?.toLowerCase() === ownSyncId);
          const foreign = matches.filter((d) => d.syncId?.toLowerCase() !== ownSyncId);
          if (mine.length === 0 && foreign.length > 0) {
            return permanent(
              'FOREIGN_ORDER',
              `MoySklad already has a retail sale with external code ${number} (${foreign.map((m) => m.name ?? m.id).join(', ')}) that order-bridge did not create for this connection (its syncId is not ours); ` +
                'it was left alone and nothing was created. Change that sale\'s external code in MoySklad (or give the route\'s source a number prefix), then replay the job.',
              { context: { system: 'moysklad', externalCode: number, moyskladIds: foreign.map((m) => m.id) } },
            );
          }
          if (mine.length > 1) {
            return permanent(
              'DUPLICATE_AT_DESTINATION',
              `MoySklad has ${mine.length} retail sales with external code ${number} (${mine.map((m) => m.name ?? m.id).join(', ')}); remove the extra ones, then replay the job`,
              { context: { system: 'moysklad', externalCode: number } },
            );
          }
          const match = mine[0];
          return match === undefined ? null : toRef(match);
        });
      }),
    batchOptions,
  );

  async function saveBatch(orders: readonly Order[]): Promise<(DestinationRef | Error)[]> {
    const stop = signal();
    const shift = await shifts.forSales(stop);
    const products = await productsFor(orders);
    const results: (DestinationRef | Error | undefined)[] = orders.map(() => undefined);
    const bodies: Record<string, unknown>[] = [];
    const positions: number[] = [];
    orders.forEach((order, index) => {
      try {
        bodies.push(
          toRetailDemand(order, {
            config,
            shift,
            products,
            meta: (type, id) => client.meta(type, id),
            attributeMeta,
            syncId: syncIdOf(order),
          }),
        );
        positions.push(index);
      } catch (err) {
        results[index] = classify(err);
      }
    });
    if (bodies.length > 0) {
      const saved = await client.saveDemands(bodies, stop);
      const failed = saved.some((item) => Array.isArray(item));
      // A shift closed behind our back fails every element: look again, and let the jobs retry into a new one.
      const shiftClosed = failed && !(await shifts.isStillOpen(stop));
      saved.forEach((item, i) => {
        const index = positions[i] ?? -1;
        const order = orders[index];
        if (order === undefined) return;
        if (!Array.isArray(item)) {
          results[index] = toRef(item);
          return;
        }
        results[index] = shiftClosed
          ? retryable('SHIFT_CLOSED', `The retail shift ${shift.name} was closed while order ${order.number} was being saved; it will go into the next open shift`, {
              context: { system: 'moysklad', order: order.number },
            })
          : moyskladError(item, 400, `POST /entity/retaildemand (order ${order.number})`, { system: 'moysklad', order: order.number }).error;
      });
    }
    return results.map((r) => r ?? retryable('NO_RESULT', 'MoySklad gave no result for this order'));
  }

  const creates = new DataLoader<Order, DestinationRef, string>(
    (orders) =>
      batchContext(async () => {
        try {
          return await saveBatch(orders);
        } catch (err) {
          // The whole batch failed (network, 5xx, shift): each order's job decides, and looks up before retrying.
          const error = classify(err);
          return orders.map(() => error);
        }
      }),
    { ...batchOptions, cacheKeyFn: (order) => order.number },
  );

  const destination: OrderDestination = {
    check(order) {
      const withoutArticle = order.lines.filter((line) => line.sku === null || line.sku.trim() === '');
      if (withoutArticle.length > 0) {
        throw permanent(
          'MISSING_ARTICLE',
          `Order ${order.number} has lines without an article (${withoutArticle.map((l) => l.name).join(', ')}); MoySklad products are matched by article`,
          { context: { system: 'moysklad', order: order.number } },
        );
      }
    },
    find(order) {
      return lookups.load(order.number);
    },
    create(order) {
      return creates.load(order);
    },
    session: {
      open: (stop) => shifts.open(stop),
      close: (stop) => shifts.close(stop),
      closeAfterRun: config.retailShift.closeAfterRun,
    },
  };

  const statusAttribute = config.attributes.sourceStatus;
  if (statusAttribute !== undefined) destination.sourceStatuses = sourceStatusKeeper(statusAttribute);

  /**
   * The Ozon status (and the charges) recorded on our sales: read back in pages, compared by the core, and
   * corrected in bulk. What a document shows of the charges is compared as text in one form, whichever place
   * the configuration keeps them in (attributes, the description's charges line, a text attribute).
   */
  function sourceStatusKeeper(statusId: string): SourceStatusKeeper {
    const statusHref = attributeMeta(statusId).href;
    const ids = config.attributes;
    const inDescription = chargesLineInDescription(config);
    // The description as listed, so that an update replaces only its charges line.
    const descriptions = new WeakMap<TrackedOrder, string>();

    const numberText = (value: unknown): string => (typeof value === 'number' && Number.isFinite(value) ? dec(value).toFixed(2) : '');
    function shown(totals: { commission: string; services: string }, breakdown: string | null): string {
      return config.chargesIn === 'attributes' ? JSON.stringify([totals.commission, totals.services, breakdown ?? '']) : (breakdown ?? '');
    }
    function shownOn(document: MoySkladDocument): string {
      const read = (id: string | undefined): unknown => (id === undefined ? undefined : document.attributes?.find((a) => a.meta.href === attributeMeta(id).href)?.value);
      const breakdown = inDescription
        ? ((document.description ?? '').split('\n').find((line) => line.startsWith(`${chargesPrefix} (`)) ?? null)
        : ((read(ids.chargesBreakdown) as string | undefined) ?? null);
      return shown({ commission: numberText(read(ids.commission)), services: numberText(read(ids.serviceCharges)) }, breakdown);
    }

    return {
      async *listTracked(since, statuses, stop) {
        const filter = [`created>=${toMoscowSeconds(since)}`, `retailStore=${client.meta('retailstore', config.retailStore).meta.href}`];
        if (statuses === null) filter.push(`${statusHref}!=`);
        else filter.push(...statuses.map((status) => `${statusHref}=${status}`));
        for await (const rows of client.list(documentSchema, '/entity/retaildemand', { filter }, stop)) {
          const tracked: TrackedOrder[] = [];
          for (const row of rows) {
            const sourceStatus = attributeValue(row, statusHref);
            if (row.externalCode === undefined || sourceStatus === null) continue;
            const order: TrackedOrder = { destinationId: row.id, number: row.externalCode, sourceStatus, shownCharges: shownOn(row) };
            descriptions.set(order, row.description ?? '');
            tracked.push(order);
          }
          yield tracked;
        }
      },
      showCharges(fees) {
        return shown(charges(fees), chargesText(fees));
      },
      async update(changes, stop) {
        // One bulk POST per thousand instead of a PUT each: MoySklad bans more than 100 PUTs a minute to one entity type.
        for (let i = 0; i < changes.length; i += maxBatch) {
          const bodies = changes.slice(i, i + maxBatch).map((change) => {
            const attributes: { meta: Meta; value: string | number }[] = [];
            if (change.sourceStatus !== undefined) attributes.push({ meta: attributeMeta(statusId), value: change.sourceStatus });
            const body: Record<string, unknown> = { ...client.meta('retaildemand', change.tracked.destinationId) };
            if (change.fees !== undefined) {
              attributes.push(...chargeAttributes(change.fees, config, attributeMeta));
              if (inDescription) body['description'] = withChargesLine(descriptions.get(change.tracked) ?? '', chargesText(change.fees));
            }
            return attributes.length > 0 ? { ...body, attributes } : body;
          });
          const saved = await client.saveDemands(bodies, stop);
          const failures = saved.filter((item) => Array.isArray(item));
          const first = failures[0];
          if (first !== undefined) {
            throw moyskladError(first, 400, 'POST /entity/retaildemand (reconciliation update)', { system: 'moysklad', failed: failures.length }).error;
          }
        }
      },
    };
  }

  return { type: 'moysklad', destination };
}

export const moyskladConnector: ConnectorDefinition<MoySkladConfig> = {
  type: 'moysklad',
  roles: ['destination'],
  configSchema: moyskladConfigSchema,
  create: createMoySkladConnector,
};
