/**
 * Odoo 19.0's External JSON-2 API, as the fake answers it. Contract points and where they come from
 * (github.com/odoo/odoo, branch 19.0, unless marked otherwise):
 *
 * - Routes (addons/rpc/controllers/json2.py): `POST /json/2/<model>/<method>`, `auth='bearer'`,
 *   `type='json2'`; every other request under `/json/2` is a NotFound "Did you mean POST
 *   /json/2/<model>/<method>?". The body's keys are the method's named arguments; `ids` and `context`
 *   are taken out first. 17.0 and 18.0 have no such route: 404 with werkzeug's HTML page.
 * - Database: without `X-Odoo-Database` the request is served without a database, where the route does
 *   not exist: 404 with an HTML body (measured on a real 19.0, issue 16). A name that is not a database
 *   is treated the same (our assumption).
 * - Content type (odoo/http.py `Json2Dispatcher.is_compatible_with`): `application/json`, or no body at
 *   all; anything else is refused before the dispatcher is chosen, with werkzeug's 415 HTML page.
 * - Authentication (odoo/addons/base/models/ir_http.py `_auth_method_bearer`): the token of an
 *   `Authorization: bearer …` header (case-insensitive scheme) is checked as an API key with scope rpc;
 *   a password is no key. A missing or refused token is `Unauthorized` with `WWW-Authenticate: Bearer`
 *   (status 401). Its description "Invalid apikey" is our assumption.
 * - The body must parse as JSON (`Json2Dispatcher.dispatch`): else BadRequest "could not parse the body
 *   as json: …" (400). A JSON value that is not an object carries no arguments.
 * - Answers (`Json2Dispatcher.dispatch`, `request.make_json_response`): the method's return value as bare
 *   JSON, `null` for None, a recordset as its ids.
 * - Errors (`Json2Dispatcher.handle_error`, `serialize_exception`): a JSON body `{name, message,
 *   arguments, context, debug}`, `name` the exception's module and class (`builtins.ValueError`,
 *   `odoo.exceptions.UserError`, `werkzeug.exceptions.NotFound`), `debug` the formatted traceback. The
 *   status is a UserError's `http_status` (odoo/exceptions.py: UserError and ValidationError 422,
 *   AccessError 403, MissingError 404, AccessDenied 401), an HTTPException's code (message its
 *   description, arguments `[description, code]`), and 500 for anything else (ValueError, TypeError…).
 */
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { HttpError } from './methods.js';
import type { MethodResult } from './orm.js';
import { NONE } from './orm.js';
import { type Frame, OdooError, formatTraceback, frame } from './python.js';

export interface Json2Response {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

export const NOT_FOUND_HTML =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
  '<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';

export const UNSUPPORTED_MEDIA_TYPE_HTML =
  '<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n<h1>Unsupported Media Type</h1>\n' +
  '<p>The server does not support the media type transmitted in the request.</p>\n';

/** The frames between the HTTP layer and the called model method in a JSON-2 traceback (line numbers our assumption). */
const JSON2_FRAMES: readonly Frame[] = [
  frame('http.py', 2577, '_serve_db', 'return service_model.retrying(serve_func, env=self.env)'),
  frame('service/model.py', 184, 'retrying', 'result = func()'),
  frame('http.py', 2624, '_serve_ir_http', 'response = self.dispatcher.dispatch(rule.endpoint, args)'),
  frame('http.py', 2869, 'dispatch', "result = self.request.registry['ir.http']._dispatch(endpoint)"),
  frame('addons/base/models/ir_http.py', 341, '_dispatch', 'result = endpoint(**request.params)'),
  frame('http.py', 754, 'route_wrapper', 'result = endpoint(self, *args, **params_ok)'),
];

const CONTROLLER_FRAME = frame('addons/rpc/controllers/json2.py', 90, 'web_json_2_rpc', 'result = func(records, **kwargs)');

function errorBody(name: string, message: string, args: XmlRpcValue[], traceback: string): string {
  return JSON.stringify({ name, message, arguments: args, context: {}, debug: traceback });
}

export function httpErrorResponse(err: HttpError): Json2Response {
  const name = `werkzeug.exceptions.${err.werkzeugName}`;
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 422: 'Unprocessable Entity' }[err.status];
  const traceback = formatTraceback(JSON2_FRAMES, `${name}: ${err.status} ${reason}: ${err.message}`);
  return {
    status: err.status,
    contentType: JSON_TYPE,
    body: errorBody(name, err.message, [err.message, err.status], traceback),
    ...(err.status === 401 ? { headers: { 'WWW-Authenticate': 'Bearer' } } : {}),
  };
}

const STATUS_BY_TYPE: Record<string, number> = {
  'odoo.exceptions.UserError': 422,
  'odoo.exceptions.ValidationError': 422,
  'odoo.exceptions.RedirectWarning': 422,
  'odoo.exceptions.AccessError': 403,
  'odoo.exceptions.MissingError': 404,
  'odoo.exceptions.AccessDenied': 401,
};

export function odooErrorResponse(err: OdooError): Json2Response {
  const name = err.pythonType.includes('.') ? err.pythonType : `builtins.${err.pythonType}`;
  const traceback = formatTraceback([...JSON2_FRAMES, CONTROLLER_FRAME, ...err.frames], `${err.pythonType}: ${err.message}`);
  return { status: STATUS_BY_TYPE[err.pythonType] ?? 500, contentType: JSON_TYPE, body: errorBody(name, err.message, [err.message], traceback) };
}

function toJson(value: XmlRpcValue): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString().slice(0, 19).replace('T', ' ');
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

export function resultResponse(result: MethodResult): Json2Response {
  return { status: 200, contentType: JSON_TYPE, body: result === NONE ? 'null' : JSON.stringify(toJson(result)) };
}

export function htmlResponse(status: 404 | 415, html: string): Json2Response {
  return { status, contentType: HTML_TYPE, body: html };
}

/** `Authorization: bearer <token>` as ir_http's regex reads it, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = header === undefined ? null : /^bearer\s+(.+)$/i.exec(header);
  return m ? m[1]! : null;
}

/** Python's json error text for the commonest case; the rest of the message is our assumption. */
export function parseBody(raw: string): Record<string, XmlRpcValue> {
  if (raw === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'BadRequest', 'could not parse the body as json: Expecting value: line 1 column 1 (char 0)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return value as Record<string, XmlRpcValue>;
}
