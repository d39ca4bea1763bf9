/**
 * One call to an external system, as the client that made it saw it. Clients hand these to an
 * ExchangeSink and know nothing about where they are stored; the sink adds the route and order the call
 * served, redacts secrets and caps sizes before anything is written.
 */
export interface ExchangeEntry {
  /** Connector type, e.g. "odoo", "ysell". */
  connector: string;
  /** What was asked, e.g. "execute_kw sale.order.search_read", "POST /api/orders/create". */
  operation: string;
  /** Full URL called (query strings included; the sink redacts secrets in it). */
  url: string;
  requestBody: string;
  /** HTTP status, or null when no response arrived (timeout, reset, refused). */
  httpStatus: number | null;
  responseBody: string;
  /** Odoo fault code and one-line message, or an HTTP error summary; null on success. */
  fault: string | null;
  /** Transport error (timeout, reset, unparseable body), null when the call itself worked. */
  error: string | null;
  durationMs: number;
  startedAt: Date;
  /**
   * The system answered, but refused our credentials in its own way (Odoo answers a failed login with
   * HTTP 200 and `false`, and a call with a refused key with fault 3): it is not working for us.
   */
  credentialsRefused?: boolean;
}

export type ExchangeSink = (entry: ExchangeEntry) => void;
