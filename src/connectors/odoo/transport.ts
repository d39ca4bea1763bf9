import type { ExchangeSink } from '../../core/exchange.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';

export const odooProtocols = ['xmlrpc', 'json2'] as const;
export type OdooProtocol = (typeof odooProtocols)[number];

/** Where and as whom to call Odoo, whichever the protocol. */
export interface OdooConnectionOptions {
  url: string;
  db: string;
  login: string;
  /** An API key (JSON-2 takes nothing else), or over XML-RPC also the password. */
  secret: string;
  timeoutMs: number;
  exchanges: ExchangeSink;
  fetch?: typeof fetch;
}

/**
 * One way of calling Odoo's model methods. The connector speaks in execute_kw's terms (positional
 * `args`, then `kwargs`), which XML-RPC sends as they are and JSON-2 turns into named arguments; both
 * answer with the same typed errors (ODOO_ACCESS_DENIED, ODOO_ACCESS_ERROR, ODOO_USER_ERROR,
 * ODOO_SERVER_ERROR, ODOO_CONCURRENT_UPDATE, …), so nothing above this line knows which one is used.
 */
export interface OdooTransport {
  readonly protocol: OdooProtocol;
  /** The integration user's id; asked once and remembered until forget(). */
  uid(signal?: AbortSignal): Promise<number>;
  execute(model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, signal?: AbortSignal): Promise<XmlRpcValue>;
  /** Forgets what was learnt of the session (the uid): the next call logs in again. */
  forget(): void;
}

/** Methods that only read: safe to send again when a kept-alive socket was reset under them. */
export const readMethods = new Set(['search', 'search_read', 'search_count', 'read', 'fields_get', 'get_param', 'check_object_reference', 'name_search']);

/** Error texts that mean "another transaction touched the same rows": the same call will work later. */
export const concurrencyError = /could not serialize access|concurrent update|SerializationFailure|deadlock detected|LockNotAvailable|TransactionRollbackError/;

/**
 * The integration user's id, looked up once and remembered until forgotten. A failed look-up is not
 * remembered: the next call tries again.
 */
export class RememberedUid {
  private pending: Promise<number> | null = null;

  constructor(private readonly lookUp: (signal?: AbortSignal) => Promise<number>) {}

  get(signal?: AbortSignal): Promise<number> {
    this.pending ??= this.lookUp(signal).catch((err: unknown) => {
      this.pending = null;
      throw err;
    });
    return this.pending;
  }

  forget(): void {
    this.pending = null;
  }
}
