import { z } from 'zod';
import { permanent, retryable, type IntegrationError } from '../../core/errors.js';
import type { ExchangeEntry } from '../../core/exchange.js';
import { REDACTED } from '../../core/redact.js';
import { faultSummary, XmlRpcClient, XmlRpcFault } from '../../xmlrpc/client.js';
import { parseMethodResponse } from '../../xmlrpc/parse.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { malformed } from './errors.js';
import { versionInfo } from './schemas.js';
import { RememberedUid, concurrencyError, readMethods, type OdooConnectionOptions, type OdooTransport } from './transport.js';

/**
 * Odoo over XML-RPC (/xmlrpc/2): every series from 17.0 to 19.0, where it is deprecated (19.0
 * addons/rpc/controllers/xmlrpc.py logs a warning) and announced for removal in favour of JSON-2.
 */
export class XmlRpcTransport implements OdooTransport {
  readonly protocol = 'xmlrpc';
  private readonly rpc: XmlRpcClient;
  private readonly user = new RememberedUid((signal) => this.login(signal));

  constructor(private readonly options: OdooConnectionOptions) {
    this.rpc = new XmlRpcClient({
      baseUrl: options.url,
      connector: 'odoo',
      timeoutMs: options.timeoutMs,
      exchanges: (entry) =>
        // System parameter values are secrets (the Ysell key lives there): keep them out of the log.
        options.exchanges(markRefusedCredentials(entry.operation.includes('ir.config_parameter') ? { ...entry, responseBody: REDACTED } : entry)),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async version(signal?: AbortSignal): Promise<z.infer<typeof versionInfo>> {
    const value = await this.call('/xmlrpc/2/common', 'version', [], 'version', true, signal);
    const parsed = versionInfo.safeParse(value);
    if (!parsed.success) throw malformed('version', parsed.error);
    return parsed.data;
  }

  uid(signal?: AbortSignal): Promise<number> {
    return this.user.get(signal);
  }

  forget(): void {
    this.user.forget();
  }

  async execute(model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal?: AbortSignal): Promise<XmlRpcValue> {
    const uid = await this.uid(signal);
    const { db, secret } = this.options;
    try {
      return await this.call(
        '/xmlrpc/2/object',
        'execute_kw',
        [db, uid, secret, model, method, args, kwargs],
        `execute_kw ${model}.${method}`,
        readMethods.has(method),
        signal,
      );
    } catch (err) {
      if (err instanceof XmlRpcFault && err.faultCode === 3) this.user.forget();
      throw err instanceof XmlRpcFault ? this.faultError(err, `${model}.${method}`) : err;
    }
  }

  private async login(signal?: AbortSignal): Promise<number> {
    const { db, login, secret, url } = this.options;
    let value: XmlRpcValue;
    try {
      value = await this.call('/xmlrpc/2/common', 'authenticate', [db, login, secret, {}], 'authenticate', true, signal);
    } catch (err) {
      throw err instanceof XmlRpcFault ? this.faultError(err, 'authenticate') : err;
    }
    if (value === false) {
      throw permanent(
        'ODOO_BAD_CREDENTIALS',
        `Odoo at ${url} rejected login "${login}" on database "${db}": check the login, the database name and the API key`,
        { context: { system: 'odoo', operation: 'authenticate' } },
      );
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) throw malformed('authenticate', `expected a user id, got ${JSON.stringify(value)}`);
    return value;
  }

  private call(path: string, method: string, params: XmlRpcValue[], operation: string, idempotent: boolean, signal?: AbortSignal): Promise<XmlRpcValue> {
    return this.rpc.call(path, method, params, { idempotent, operation, ...(signal ? { signal } : {}) });
  }

  private faultError(fault: XmlRpcFault, operation: string): IntegrationError {
    const code = typeof fault.faultCode === 'number' ? fault.faultCode : legacyFaultCode(fault.faultCode);
    // Fault 1 is a traceback whose last line is the error; the others are messages meant for people.
    const summary = code === 1 ? faultSummary(fault.faultString) : fault.faultString.trim().replace(/\s*\n\s*/g, ' ');
    const context = { system: 'odoo', operation, faultCode: code };
    const detail = fault.faultString;
    switch (code) {
      case 1:
        if (concurrencyError.test(fault.faultString)) {
          return retryable('ODOO_CONCURRENT_UPDATE', `Odoo ${operation}: another transaction changed the same records (${summary})`, { context, detail });
        }
        return permanent('ODOO_SERVER_ERROR', `Odoo ${operation} failed: ${summary}`, { context, detail });
      case 2:
        return permanent('ODOO_USER_ERROR', `Odoo ${operation} refused: ${summary}`, { context, detail });
      case 3:
        return permanent('ODOO_ACCESS_DENIED', `Odoo refused the credentials of "${this.options.login}" (${summary}): check the API key`, { context, detail });
      case 4:
        return permanent('ODOO_ACCESS_ERROR', `Odoo user "${this.options.login}" may not do ${operation}: ${summary}`, { context, detail });
      default:
        return permanent('ODOO_FAULT', `Odoo ${operation} failed with fault ${String(fault.faultCode)}: ${summary}`, { context, detail });
    }
  }
}

/**
 * Odoo refuses credentials without an HTTP error: `authenticate` answers 200 with `False` (17.0
 * odoo/service/common.py exp_authenticate catches AccessDenied), and execute_kw with a wrong key answers
 * fault 3 (odoo/addons/base/controllers/rpc.py). Both are marked, so that /ready does not call Odoo ok.
 */
function markRefusedCredentials(entry: ExchangeEntry): ExchangeEntry {
  if (entry.httpStatus !== 200 || entry.error !== null) return entry;
  if (entry.fault !== null && /^3:/.test(entry.fault)) return { ...entry, credentialsRefused: true };
  if (entry.operation !== 'authenticate' || entry.fault !== null) return entry;
  let refused = false;
  try {
    const answer = parseMethodResponse(entry.responseBody);
    refused = answer.kind === 'value' && answer.value === false;
  } catch {
    return entry;
  }
  return refused ? { ...entry, fault: 'login refused: authenticate answered False', credentialsRefused: true } : entry;
}

/** Pre-/2 endpoints and some proxies still send string fault codes such as "AccessDenied". */
function legacyFaultCode(code: string): number {
  if (/AccessDenied/i.test(code)) return 3;
  if (/AccessError/i.test(code)) return 4;
  if (/warning|UserError|ValidationError|MissingError/i.test(code)) return 2;
  return 1;
}
