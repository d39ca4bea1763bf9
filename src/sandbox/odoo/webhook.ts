import type { Env, Rec } from './orm.js';
import { PyFloat, type PyJson, pyJsonDumps } from './python.js';

export const DEFAULT_WEBHOOK_FIELDS = ['name', 'state', 'partner_id', 'partner_shipping_id', 'write_date'] as const;
export const WEBHOOK_ACTION = 'Send to order-bridge(#12)';
const TIMEOUT_MS = 1000;

export interface WebhookConfig {
  url: string;
  fields: readonly string[];
}

export interface WebhookLogEntry {
  url: string;
  body: string;
  /** When the receiver answered, whatever the status (Odoo only logs non-2xx). */
  status?: number;
  /** When it did not: timeout, refused connection, reset. */
  error?: string;
}

/**
 * The automation rule "Send to order-bridge" on sale.order, trigger "state is set to Sales Order",
 * action type webhook, as Odoo 17.0 runs it: the payload is read when the state changes, posted
 * with a 1 s timeout from inside the transaction, failures only logged, never retried.
 */
export class WebhookAutomation {
  config: WebhookConfig | null = null;
  readonly log: WebhookLogEntry[] = [];
  private readonly inflight = new Set<Promise<void>>();

  configure(env: Env, url: string | null, fields?: readonly string[]): void {
    if (url === null) {
      this.config = null;
      return;
    }
    const chosen = fields ?? DEFAULT_WEBHOOK_FIELDS;
    env.checkFieldNames('sale.order', chosen);
    this.config = { url, fields: [...chosen] };
  }

  readonly listener = (env: Env, model: string, before: Rec | undefined, after: Rec): void => {
    if (!this.config || model !== 'sale.order') return;
    if (after.state !== 'sale' || before?.state === 'sale') return;
    const url = this.config.url;
    const body = this.payload(env, after.id, this.config.fields);
    const send = (): Promise<void> => this.post(url, body);
    const txn = env.orm.transaction;
    if (txn) txn.effects.push(send);
    else void send();
  };

  /** `json.dumps(vals, sort_keys=True, default=str)` of `record.read(fields, load=None)` plus the action keys. */
  payload(env: Env, id: number, fields: readonly string[]): string {
    const [row] = env.read('sale.order', [id], fields, null);
    const def = env.def('sale.order');
    const vals: Record<string, PyJson> = { _action: WEBHOOK_ACTION, _id: id, _model: 'sale.order' };
    for (const fname of fields) {
      if (fname === 'id') continue;
      const v = row![fname]!;
      const type = def.fields[fname]!.type;
      vals[fname] = (type === 'float' || type === 'monetary') && typeof v === 'number' ? new PyFloat(v) : (v as PyJson);
    }
    return pyJsonDumps(vals);
  }

  post(url: string, body: string): Promise<void> {
    const entry: WebhookLogEntry = { url, body };
    this.log.push(entry);
    const done = (async () => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'python-requests/2.31.0' },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        entry.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        entry.error = describe(err);
      }
    })();
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
    return done;
  }

  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  reset(): void {
    this.log.length = 0;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `ReadTimeout: read timeout=${TIMEOUT_MS / 1000}`;
  }
  let message = err instanceof Error ? err.message : String(err);
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) {
    const cause: Error = current.cause;
    message = cause.message;
    current = cause;
  }
  return `ConnectionError: ${message}`;
}
