import type { z } from 'zod';
import { isIntegrationError, permanent, retryable, type ErrorContext, type IntegrationError } from '../../core/errors.js';
import type { ExchangeSink } from '../../core/exchange.js';
import { HttpJsonClient, snippet, statusFailure, type HttpAnswer, type HttpFailure } from '../../core/http-json.js';
import {
  deletableStatusIds,
  deliveryProblems,
  isSaleAppErrorBody,
  saleAppCreateAnswerSchema,
  saleAppCreateOrderSchema,
  saleAppDeleteAnswerSchema,
  saleAppEnvelopeSchema,
  saleAppGetAnswerSchema,
  saleAppOrderChangesSchema,
  saleAppUpdateAnswerSchema,
  type SaleAppCreateOrder,
  type SaleAppListedOrder,
  type SaleAppOperation,
  type SaleAppOrderChanges,
} from './schemas.js';

const label = 'SaleApp';
const system = 'saleapp';

/** How a GET finds orders; SaleApp uses the first of id, number, external_id that is given. */
export type SaleAppLookup = { id: string } | { number: string } | { externalId: string };
/** How a PUT or DELETE finds its order. */
export type SaleAppTarget = { id: string } | { externalId: string };

/** What an organization key needs on every order; a counterparty key carries these itself. */
export interface SaleAppAccount {
  clientId: string;
  currencyId: string;
  warehouseId: string;
}

export interface SaleAppClientOptions {
  /** Up to `/server/api`; the caller already checked it is HTTPS or loopback. */
  baseUrl: string;
  /** Goes into the URL: the caller registers it with the scrubber. */
  secretKey: string;
  /** Set with an organization key, absent with a counterparty key. */
  account?: SaleAppAccount | undefined;
  timeoutMs: number;
  exchanges?: ExchangeSink | undefined;
  fetch?: typeof fetch;
}

/**
 * SaleApp answers its errors with HTTP 200 and a Ukrainian description, and documents none of them: the
 * wording decides. Refusals of the request itself (validation, unknown product, forbidden status) are
 * permanent; only wording that says "not now" is retryable.
 */
const authWords = /secret_key|ключ|api[ _-]?key|token|авториз|unauthori|forbidden|доступ заборон/i;
const notFoundWords = /не знайден|не найден|not found/i;
const busyWords =
  /спробуйте пізніше|попробуйте позже|try again|тимчасово|временно|temporar|перевантаж|перегруж|overload|забагато запит|слишком много запрос|too many|rate limit|ліміт запит|лимит запрос|timeout|тайм-аут|server error|помилка сервера|ошибка сервера|deadlock/i;

function envelopeFailure(description: string, operation: string, context: ErrorContext, text: string): HttpFailure {
  const order = typeof context['order'] === 'string' ? context['order'] : undefined;
  const detail = snippet(text);
  const withDescription = { context: { ...context, description }, detail };
  if (description === '') {
    return { error: retryable('SALEAPP_ERROR', `${label} reported an error on ${operation} without describing it`, { context, detail }), fault: 'error without description' };
  }
  const error = authWords.test(description)
    ? permanent('SALEAPP_AUTH', `${label} did not accept our secret key on ${operation} ("${description}"): check secretKey and keyType of the SaleApp connection`, withDescription)
    : busyWords.test(description)
      ? retryable('SALEAPP_BUSY', `${label} could not do ${operation} now: ${description}`, withDescription)
      : notFoundWords.test(description) && order !== undefined
        ? permanent(
            'SALEAPP_PRODUCT_NOT_FOUND',
            `${label} refused order ${order}: "${description}" — one of its products is not in SaleApp under the id, external id or SKU we sent. ` +
              'Add the product to SaleApp with that SKU (or give the product its SaleApp id at the source, or check productIdKind of the SaleApp connection), then retry.',
            withDescription,
          )
        : notFoundWords.test(description)
          ? permanent('SALEAPP_NOT_FOUND', `${label} found nothing for ${operation}: ${description}`, withDescription)
          : permanent('SALEAPP_REFUSED', `${label} refused ${order === undefined ? operation : `order ${order} (${operation})`}: ${description}`, withDescription);
  return { error, fault: description };
}

function describeSaleAppError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure {
  const envelope = saleAppEnvelopeSchema.safeParse(answer.body);
  const description = envelope.success ? envelope.data.error_description.trim() : '';
  if (answer.status >= 200 && answer.status < 300) return envelopeFailure(description, operation, context, answer.text);
  // A status says more about "now or never" than wording does (a 429 or a 502 with any text is "later").
  return statusFailure(label, answer, operation, context, description === '' ? undefined : description);
}

function badRequest(operation: string, problems: string[]): IntegrationError {
  return permanent('SALEAPP_BAD_REQUEST', `${label} ${operation} was not sent: ${problems.join('; ')}`, { context: { system, operation, problems } });
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || 'order'}: ${issue.message}`);
}

function lookupFields(lookup: SaleAppLookup): Record<string, string> {
  if ('id' in lookup) return { id: lookup.id };
  if ('number' in lookup) return { number: lookup.number };
  return { external_id: lookup.externalId };
}

/** Changes and new orders as form fields: numbers as text, products and custom fields JSON-encoded. */
function orderFields(order: SaleAppOrderChanges | SaleAppCreateOrder): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(order)) {
    if (value === undefined) continue;
    fields[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return fields;
}

function describeOrder(order: SaleAppListedOrder): string {
  return `order ${order.number ?? '?'} (id ${order.id}, external_id ${order.external_id ?? 'none'})`;
}

export class SaleAppClient {
  private readonly http: HttpJsonClient;

  constructor(private readonly options: SaleAppClientOptions) {
    this.http = new HttpJsonClient({
      system,
      label,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      exchanges: options.exchanges,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      isErrorBody: isSaleAppErrorBody,
      describeError: describeSaleAppError,
    });
  }

  /** Orders matching the lookup (several can share an external_id); none is an empty list. */
  async getOrders(lookup: SaleAppLookup, signal?: AbortSignal): Promise<SaleAppListedOrder[]> {
    try {
      const { data } = await this.call(saleAppGetAnswerSchema, 'GET', { ...lookupFields(lookup), ...this.accountFields(false) }, signal);
      return data.response;
    } catch (err) {
      // The document says a lookup answers the orders it found; a backend that reports "not found" as an
      // error instead means the same thing.
      if (isIntegrationError(err) && err.code === 'SALEAPP_NOT_FOUND') return [];
      throw err;
    }
  }

  async getOrder(id: string, signal?: AbortSignal): Promise<SaleAppListedOrder | null> {
    return (await this.getOrders({ id }, signal)).find((order) => order.id === id) ?? null;
  }

  /**
   * The look in look-before-create. Matches are compared exactly here too, so that a loose search cannot make
   * another order look like ours; two orders with our external id are reported, not chosen between.
   */
  async findByExternalId(externalId: string, signal?: AbortSignal): Promise<SaleAppListedOrder | null> {
    const found = (await this.getOrders({ externalId }, signal)).filter((order) => order.external_id === externalId);
    if (found.length > 1) {
      const ids = found.map((order) => order.id);
      throw permanent(
        'DUPLICATE_AT_DESTINATION',
        `${label} has ${found.length} orders with external_id ${externalId} (ids ${ids.join(', ')}); delete the extra ones in SaleApp, then replay the job`,
        { context: { system, operation: 'Orders GET', externalId, saleAppIds: ids } },
      );
    }
    return found[0] ?? null;
  }

  /** Creates an order and returns SaleApp's id for it (`create_id`). Checked against the document's rules first. */
  async createOrder(order: SaleAppCreateOrder, signal?: AbortSignal): Promise<{ id: string; description: string }> {
    const parsed = saleAppCreateOrderSchema.safeParse(order);
    if (!parsed.success) throw badRequest('Orders POST', issues(parsed.error));
    const problems = deliveryProblems(parsed.data);
    if (problems.length > 0) throw badRequest('Orders POST', problems.map((p) => p.message));
    const { data } = await this.call(saleAppCreateAnswerSchema, 'POST', { ...this.accountFields(true), ...orderFields(parsed.data) }, signal, { order: parsed.data.external_id });
    return { id: data.create_id, description: data.error_description };
  }

  /** Changes an order found by id or external_id; the delivery rules hold for the changed fields. */
  async updateOrder(target: SaleAppTarget, changes: SaleAppOrderChanges, signal?: AbortSignal): Promise<void> {
    const parsed = saleAppOrderChangesSchema.safeParse(changes);
    if (!parsed.success) throw badRequest('Orders PUT', issues(parsed.error));
    const fields = orderFields(parsed.data);
    const problems = Object.keys(fields).length === 0 ? ['there is nothing to change'] : deliveryProblems(parsed.data).map((p) => p.message);
    if (problems.length > 0) throw badRequest('Orders PUT', problems);
    await this.call(saleAppUpdateAnswerSchema, 'PUT', { ...lookupFields(target), ...this.accountFields(false), ...fields }, signal);
  }

  /**
   * Deletes an order, which SaleApp allows only in statuses 0–2: the status is read first and a later one is
   * refused without sending the delete. Deleting what is already gone returns no ids, so a repeat is harmless.
   */
  async deleteOrder(target: SaleAppTarget, signal?: AbortSignal): Promise<string[]> {
    const found = await this.getOrders(target, signal);
    const matches = found.filter((order) => ('id' in target ? order.id === target.id : order.external_id === target.externalId));
    if (matches.length === 0) return [];
    const locked = matches.filter((order) => !deletableStatusIds.has(order.status_id));
    if (locked.length > 0) {
      const which = locked.map((order) => `${describeOrder(order)} is in status ${order.status_id} "${order.status_name ?? ''}"`).join('; ');
      throw permanent(
        'SALEAPP_DELETE_NOT_ALLOWED',
        `${label} deletes orders only in statuses 0 New, 1 Fully reserved and 2 Partially reserved; ${which}. Nothing was deleted.`,
        { context: { system, operation: 'Orders DELETE', saleAppIds: locked.map((order) => order.id) } },
      );
    }
    const { data } = await this.call(saleAppDeleteAnswerSchema, 'DELETE', { ...lookupFields(target), ...this.accountFields(false) }, signal);
    return data.deleted;
  }

  /** With an organization key, client_id scopes every search; a create also names currency and warehouse. */
  private accountFields(create: boolean): Record<string, string> {
    const account = this.options.account;
    if (account === undefined) return {};
    return create ? { client_id: account.clientId, curency_id: account.currencyId, warehouse_id: account.warehouseId } : { client_id: account.clientId };
  }

  private call<T>(schema: z.ZodType<T>, operation: SaleAppOperation, fields: Record<string, string>, signal: AbortSignal | undefined, context?: ErrorContext): Promise<{ data: T }> {
    return this.http.json(schema, {
      ...(context === undefined ? {} : { context }),
      // The document's PHP example posts every operation; method_type says which one it is.
      method: 'POST',
      path: '/Orders',
      query: { secret_key: this.options.secretKey },
      form: { method_type: operation, ...fields },
      signal,
      operation: `Orders ${operation}`,
    });
  }
}
