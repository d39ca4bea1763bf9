import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ExchangeSink } from './exchange.js';
import type { IntegrationError } from './errors.js';
import type { Fee, Order } from './order.js';
import type { SecretScrubber } from './redact.js';

/**
 * The contract every connector implements. A connector offers some capabilities (source, destination,
 * secret store); the core asks for them by role and never imports a concrete connector.
 */

/**
 * Something the order still lacks at the source that is expected to come (Odoo: the serial numbers its
 * delivery has not been assigned yet). The export waits for it until `until`, looking again every
 * `everyMs`; after that the order is sent as it is, with `warning`.
 */
export interface Awaited {
  /** Shown at the source while the order waits, e.g. which serials are missing and until when. */
  waiting: string;
  /** Kept with the exported order when it went without, e.g. which serials are missing. */
  warning: string;
  /** Epoch ms after which the order is sent without it. */
  until: number;
  everyMs: number;
}

/** What a source knows about one of its orders right now. */
export type FetchedOrder = { number: string | null; revision: string | null } & (
  | { kind: 'ready'; order: Order; awaited?: Awaited }
  /** Not (or no longer) something to export, e.g. a quotation or a cancelled order. */
  | { kind: 'skip'; reason: string }
  /** Exists but cannot be mapped (e.g. unreadable data): a person must fix it at the source. */
  | { kind: 'invalid'; error: IntegrationError }
);

export interface ChangedPage {
  /** Orders in this page, keyed by source id, in the order the source listed them. */
  orders: Map<string, FetchedOrder>;
  /** Opaque position after this page; the core persists it once the page's jobs are queued. */
  cursor: string;
}

export interface WebhookTrigger {
  /** Validates an inbound webhook body; a zod error becomes a 400 listing every problem. */
  schema: z.ZodType;
  /** What the (valid) body asks for: export this source order, or nothing (with the reason). */
  interpret(body: unknown): { sourceId: string; number: string | null; revision: string | null } | { ignore: string };
}

export interface PollWindow {
  /** Where to start when there is no cursor yet. */
  since: Date;
  pageSize: number;
  /** Re-read this far behind the cursor, so that late commits at the source are not skipped. */
  overlapMs: number;
}

export interface OrderSource {
  /** Pages of orders changed since `cursor` (null: start at `window.since`). */
  changedOrders(cursor: string | null, window: PollWindow, signal: AbortSignal): AsyncIterable<ChangedPage>;
  /** The current state of these orders, read in batches; ids the source does not know are absent. */
  fetchOrders(sourceIds: readonly string[], signal: AbortSignal): Promise<Map<string, FetchedOrder>>;
  webhook?: WebhookTrigger;
  /**
   * Writes the destination's id back on the source order, so a person sees where it went, with any
   * warnings about what it went without. A source keeps its own later states (delivered stays delivered);
   * `order`, when given, is the order as just read, so that the source need not read it again to know them.
   */
  markExported?(sourceId: string, destination: DestinationRef, signal: AbortSignal, about?: { order?: Order; warnings?: readonly string[] }): Promise<void>;
  /** Shows on the source order that its export waits for something (see Awaited). */
  markWaiting?(sourceId: string, message: string, signal: AbortSignal): Promise<void>;
  /**
   * The route's on-delivered action (Odoo: one draft delivery). Must be idempotent: look for what an
   * earlier, interrupted run made before making it. Returns a reference to what it made.
   */
  onDelivered?(order: DeliveredOrder, signal: AbortSignal): Promise<string>;
  /**
   * Shows a failure where people work on the order (Odoo: a note in its chatter). Idempotent by marker.
   * Returns the order's revision after any write it made, so that this write does not count as a change
   * that would queue the failed job again.
   */
  notifyFailure?(notice: FailureNotice, signal: AbortSignal): Promise<{ revision: string | null }>;
  /**
   * Status reconciliation: the current status of every order the source has from `since` until now, by
   * order number. Orders it no longer lists are absent.
   */
  statusesSince?(since: Date, signal: AbortSignal): Promise<Map<string, string>>;
  /**
   * For sources whose charges accrue after the sale (a marketplace books logistics on delivery, returns
   * later): everything charged to the seller so far for these orders, by order number, as `fees` (positive:
   * the seller pays). Orders the source does not know are absent; a known order with no charges yet maps to [].
   */
  chargesOf?(numbers: readonly string[], signal: AbortSignal): Promise<Map<string, Fee[]>>;
}

/** A document at the destination that records its source order's status (e.g. Ozon's, on a MoySklad sale). */
export interface TrackedOrder {
  destinationId: string;
  /** The source order number (our external id). */
  number: string;
  sourceStatus: string;
  /**
   * The charges as the document shows them, in the keeper's own words (null: it shows none). The core only
   * compares it with `keeper.showCharges(fees)`, so the keeper decides what counts as a change.
   */
  shownCharges: string | null;
}

/** What to change on one tracked document; absent fields stay as they are. */
export interface TrackedChange {
  /** The document as `listTracked` gave it (the keeper may have kept what it needs to rewrite it). */
  tracked: TrackedOrder;
  sourceStatus?: string;
  /** The source's charges now, replacing the ones shown. */
  fees?: readonly Fee[];
}

/** Destinations that keep the source's status (and its charges) on their documents and let us correct them later. */
export interface SourceStatusKeeper {
  /**
   * Documents created since `since`, page by page (at most a thousand a page): those whose recorded source
   * status is one of `statuses`, or all of them when `statuses` is null.
   */
  listTracked(since: Date, statuses: readonly string[] | null, signal: AbortSignal): AsyncIterable<TrackedOrder[]>;
  /**
   * Present when the documents show the source's charges: how a document would show these, in the same
   * words as `TrackedOrder.shownCharges`.
   */
  showCharges?(fees: readonly Fee[]): string;
  /** Applies the changes of one page, in bulk. */
  update(changes: readonly TrackedChange[], signal: AbortSignal): Promise<void>;
}

/** A till session that sales are written into (MoySklad's retail shift). */
export interface SalesSession {
  /** Opens one, or returns the one already open. */
  open(signal: AbortSignal): Promise<SessionInfo>;
  /** Closes the open one; null when none was open. */
  close(signal: AbortSignal): Promise<SessionInfo | null>;
  /** Close it after each scheduled run of a route into this destination has exported what it queued. */
  readonly closeAfterRun: boolean;
}

export interface SessionInfo {
  id: string;
  name: string;
  /** ISO times. */
  openedAt: string;
  closedAt: string | null;
  /** It was already open (open) or already closed (close). */
  existing: boolean;
}

/** An exported order that the destination reports delivered. */
export interface DeliveredOrder {
  route: string;
  sourceId: string;
  number: string | null;
  destinationId: string;
  destinationStatus: string;
}

/** A job about this order died: tell the people who work on it at the source. */
export interface FailureNotice {
  route: string;
  sourceId: string;
  /** Stable per failure, so that a retried notice is recognised and not posted twice. */
  marker: string;
  /** What failed, e.g. "Export to Ysell failed". */
  title: string;
  /** What went wrong and what to do. */
  message: string;
  /** Post it where people discuss the order (Odoo: the chatter). */
  chatter: boolean;
  /** Also schedule a to-do for the person responsible for the order. */
  activity: boolean;
}

export interface DestinationRef {
  id: string;
  status: string | null;
}

export interface OrderDestination {
  /** Throws a permanent error when the order cannot be sent as it is (checked before any call). */
  check(order: Order): void;
  /**
   * Looks the order up by the external id it gets there (its number): the guard against duplicates.
   * Returns a document only when it is ours, checked against what we sent (our marker or its fields);
   * a document with that id that is not ours is a permanent FOREIGN_ORDER error naming both, never a match.
   */
  find(order: Order, signal: AbortSignal): Promise<DestinationRef | null>;
  /** Creates it; resolves with the destination's id as soon as the destination has given one. */
  create(order: Order, signal: AbortSignal): Promise<DestinationRef>;
  /**
   * Reads back, by its id, an order that an earlier attempt created: the export stores the id `create`
   * returned at once, and a later attempt comes here instead of creating again. Null when the
   * destination has no order with that id. Without it, a stored id counts as exported.
   */
  readBack?(order: Order, destinationId: string, signal: AbortSignal): Promise<DestinationRef | null>;
  /** The destination's current status name for one of its orders; null when it has none. */
  readStatus?(destinationId: string, signal: AbortSignal): Promise<string | null>;
  sourceStatuses?: SourceStatusKeeper;
  session?: SalesSession;
}

/** A connector that keeps secrets other connectors need (Odoo's ir.config_parameter holds the Ysell key). */
export interface SecretStore {
  readSecret(name: string, signal: AbortSignal): Promise<string | null>;
}

/** What a connection speaks now, where its system has versions and protocols (Odoo), for /ready and the admin API. */
export interface ConnectionDescription {
  protocol: string;
  /** The server's version series, null before the first contact. */
  version: string | null;
  /** The server cannot be spoken to as configured (e.g. JSON-2 asked of an Odoo without it). */
  refused: boolean;
}

export interface Connector {
  readonly type: string;
  readonly source?: OrderSource;
  readonly destination?: OrderDestination;
  readonly secrets?: SecretStore;
  describe?(): ConnectionDescription;
  close?(): Promise<void>;
}

export interface ConnectorContext {
  /** The connection's name in the config, e.g. "odoo". */
  name: string;
  exchanges: ExchangeSink;
  scrubber: SecretScrubber;
  logger: Logger;
  /** Another configured connection, looked up when first used (connections may refer to each other). */
  connection(name: string): Connector;
  /** Small durable values this connection must remember across restarts (e.g. the open retail shift). */
  state: ConnectorState;
  /**
   * Runs `fn` in one process at a time across all replicas (a lease in the database), e.g. opening the
   * one retail shift; throws a retryable RUN_LOCKED while another process runs it.
   */
  exclusive<T>(key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export interface ConnectorState {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

export type ConnectorRole = 'source' | 'destination';

export interface ConnectorDefinition<Config> {
  type: string;
  /** What routes may use it as; checked when the config is loaded. */
  roles: readonly ConnectorRole[];
  /**
   * The most orders the source can list in one page (its API's own maximum); a route polling it with a
   * larger `poll.pageSize` is refused when the config is loaded, with `why` in the message.
   */
  maxPageSize?: { value: number; why: string };
  configSchema: z.ZodType<Config>;
  create(config: Config, context: ConnectorContext): Connector;
}
