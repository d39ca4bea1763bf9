import { z } from 'zod';
import { isRetryableHttpStatus, parseRetryAfter, permanent, retryable, type ErrorContext, type IntegrationError } from '../../core/errors.js';
import type { ExchangeEntry } from '../../core/exchange.js';
import { HttpJsonClient, snippet, type HttpAnswer, type HttpFailure } from '../../core/http-json.js';
import { REDACTED } from '../../core/redact.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { malformed } from './errors.js';
import { RememberedUid, concurrencyError, readMethods, type OdooConnectionOptions, type OdooTransport } from './transport.js';

/**
 * The names of the positional arguments the connector passes, per method (after `ids` for record
 * methods), from the methods' signatures in Odoo 19.0: odoo/orm/models.py (read, write, create,
 * search_read, search, search_count), addons/base/models/ir_config_parameter.py (get_param),
 * addons/base/models/ir_model.py (check_object_reference). JSON-2 takes named arguments only.
 */
const positional: Record<string, readonly string[]> = {
  read: ['fields'],
  write: ['vals'],
  create: ['vals_list'],
  search_read: ['domain', 'fields', 'offset', 'limit', 'order'],
  search: ['domain', 'offset', 'limit', 'order'],
  search_count: ['domain', 'limit'],
  get_param: ['key', 'default'],
  check_object_reference: ['module', 'xml_id'],
  message_post: [],
  action_cancel: [],
};

/** Methods called on records: their first positional argument is the ids. */
const recordMethods = new Set(['read', 'write', 'message_post', 'action_cancel']);

/** Odoo's JSON-2 error body (addons/rpc/controllers/json2.py); `debug` is the server's traceback. */
const errorBody = z.looseObject({
  name: z.string().optional(),
  message: z.string().optional(),
  debug: z.string().optional(),
});

/** How much of a traceback the exchange log keeps: enough to recognise it, not the server's insides. */
const debugExcerpt = 200;

/** The answer of a JSON-2 error with its traceback cut down to an excerpt, for the exchange log. */
export function withShortDebug(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null || typeof (body as { debug?: unknown }).debug !== 'string') return text;
  const debug = (body as { debug: string }).debug;
  return JSON.stringify({ ...body, debug: debug.length > debugExcerpt ? `${debug.slice(0, debugExcerpt)}…` : debug });
}

const userRows = z.array(z.looseObject({ id: z.number().int() }));

/**
 * Odoo's JSON-2 API (19.0+): `POST /json/2/<model>/<method>` with the API key as a bearer token and the
 * database in `X-Odoo-Database`, a JSON object of named arguments, and the bare result as the answer.
 * There is no login: the key is the session.
 */
export class Json2Transport implements OdooTransport {
  readonly protocol = 'json2';
  private readonly http: HttpJsonClient;
  private readonly user = new RememberedUid((signal) => this.findUser(signal));

  constructor(private readonly options: OdooConnectionOptions) {
    this.http = new HttpJsonClient({
      system: 'odoo',
      label: 'Odoo',
      baseUrl: options.url,
      timeoutMs: options.timeoutMs,
      exchanges: (entry) => options.exchanges(forTheLog(entry)),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      headers: () => ({ Authorization: `bearer ${options.secret}`, 'X-Odoo-Database': options.db }),
      describeError: (answer, operation, context) => this.describeError(answer, operation, context),
    });
  }

  uid(signal?: AbortSignal): Promise<number> {
    return this.user.get(signal);
  }

  forget(): void {
    this.user.forget();
  }

  /** The user the key belongs to, found by the configured login (JSON-2 has no authenticate). */
  private async findUser(signal?: AbortSignal): Promise<number> {
    const { login, url, db } = this.options;
    const rows = await this.execute('res.users', 'search_read', [[['login', '=', login]]], { fields: ['id'], limit: 1 }, signal);
    const parsed = userRows.safeParse(rows);
    if (!parsed.success) throw malformed('res.users.search_read', parsed.error);
    const user = parsed.data[0];
    if (user === undefined) {
      throw permanent('ODOO_BAD_CREDENTIALS', `Odoo at ${url} (database "${db}") has no user with login "${login}" visible to the API key: check the login`, {
        context: { system: 'odoo', operation: 'res.users.search_read' },
      });
    }
    return user.id;
  }

  async execute(model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal?: AbortSignal): Promise<XmlRpcValue> {
    const answer = await this.http.request({
      method: 'POST',
      path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      json: namedArguments(model, method, args, kwargs),
      operation: `json2 ${model}.${method}`,
      idempotent: readMethods.has(method),
      signal,
    });
    if (answer.body === undefined) throw malformed(`${model}.${method}`, `the answer is not JSON: ${snippet(answer.text)}`);
    // JSON-2 answers null where a method returns nothing; XML-RPC could not marshal that at all.
    return answer.body as XmlRpcValue;
  }

  private describeError(answer: HttpAnswer, operation: string, context: ErrorContext): HttpFailure {
    const parsed = errorBody.safeParse(answer.body);
    const body = parsed.success ? parsed.data : {};
    const { status } = answer;
    const what = operation.replace(/^json2 /, '');
    const said = (body.message ?? '').trim().replace(/\s*\n\s*/g, ' ');
    const summary = said !== '' ? said : body.name ?? `HTTP ${status}`;
    const errContext: ErrorContext = { ...context, system: 'odoo', operation: what, httpStatus: status, ...(body.name ? { odooError: body.name } : {}) };
    // The traceback helps whoever reads the exchange log, in a short excerpt; a person's message never has it.
    const detail = body.debug === undefined ? snippet(answer.text) : snippet(body.debug);
    const fault = `HTTP ${status}: ${snippet(summary)}`;
    const fail = (error: IntegrationError): HttpFailure => ({ error, fault });
    const { login, url, db } = this.options;

    if (status === 401) {
      return fail(
        permanent('ODOO_ACCESS_DENIED', `Odoo refused the API key of "${login}" (${summary}): JSON-2 takes an API key (a password is refused); check it`, {
          context: errContext,
          detail,
        }),
      );
    }
    if (status === 403) return fail(permanent('ODOO_ACCESS_ERROR', `Odoo user "${login}" may not do ${what}: ${summary}`, { context: errContext, detail }));
    if (status === 404) {
      if (!parsed.success || answer.body === undefined) {
        // An HTML 404 is the server's, not the method's: no JSON-2 there (Odoo 18 and older), or no such database.
        return fail(
          permanent('ODOO_JSON2_MISSING', `Odoo at ${url} has no JSON-2 API for database "${db}" (it came with Odoo 19.0): check the database, or set protocol to "xmlrpc"`, {
            context: errContext,
            detail,
          }),
        );
      }
      return fail(permanent('ODOO_NOT_FOUND', `Odoo ${what}: ${summary}`, { context: errContext, detail }));
    }
    if (status === 422) return fail(permanent('ODOO_USER_ERROR', `Odoo ${what} refused: ${summary}`, { context: errContext, detail }));
    if (status === 500 && parsed.success) {
      if (concurrencyError.test(`${summary}\n${body.debug ?? ''}`)) {
        return fail(retryable('ODOO_CONCURRENT_UPDATE', `Odoo ${what}: another transaction changed the same records (${summary})`, { context: errContext, detail }));
      }
      // "builtins.ValueError" → "ValueError", as the last line of an XML-RPC traceback says it.
      const kind = body.name?.split('.').pop();
      return fail(permanent('ODOO_SERVER_ERROR', `Odoo ${what} failed: ${kind ? `${kind}: ` : ''}${summary}`, { context: errContext, detail }));
    }
    if (isRetryableHttpStatus(status)) {
      // 5xx from a proxy (or a 500 without Odoo's error body), 429, 408: the server or the way to it is busy.
      const retryAfterMs = parseRetryAfter(answer.headers.get('Retry-After'));
      return fail(
        retryable(`HTTP_${status}`, `Odoo failed on ${what} (HTTP ${status})`, { context: errContext, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }),
      );
    }
    return fail(permanent(status === 400 ? 'ODOO_BAD_REQUEST' : `HTTP_${status}`, `Odoo refused ${what} (HTTP ${status}): ${summary}`, { context: errContext, detail }));
  }
}

/** execute_kw's positional arguments and keywords as JSON-2's named ones. */
export function namedArguments(model: string, method: string, args: readonly XmlRpcValue[], kwargs: Record<string, XmlRpcValue>): Record<string, unknown> {
  const names = positional[method];
  const rest = [...args];
  const body: Record<string, unknown> = {};
  if (recordMethods.has(method)) body['ids'] = rest.shift() ?? [];
  rest.forEach((value, i) => {
    const name = names?.[i];
    if (name === undefined) {
      throw permanent('ODOO_CALL_UNSUPPORTED', `JSON-2 needs named arguments: argument ${i + 1} of ${model}.${method} has no known name; pass it as a keyword`, {
        context: { system: 'odoo', operation: `${model}.${method}` },
      });
    }
    body[name] = value;
  });
  Object.assign(body, kwargs);
  // create is model_create_multi everywhere we call it; JSON-2 wants the list and answers a list of ids.
  if (method === 'create' && body['vals_list'] !== undefined && !Array.isArray(body['vals_list'])) body['vals_list'] = [body['vals_list']];
  return body;
}

/** What the exchange log keeps of a JSON-2 call: no system parameter values, and tracebacks cut short. */
function forTheLog(entry: ExchangeEntry): ExchangeEntry {
  if (entry.operation.includes('ir.config_parameter')) return { ...entry, responseBody: REDACTED };
  if (entry.httpStatus === 401) return { ...entry, responseBody: withShortDebug(entry.responseBody), credentialsRefused: true };
  if (entry.httpStatus !== null && entry.httpStatus >= 400) return { ...entry, responseBody: withShortDebug(entry.responseBody) };
  return entry;
}
