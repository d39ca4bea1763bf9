import type { Clock } from '../core/clock.js';
import type { ConnectionDescription } from '../core/connector.js';
import type { ExchangeEntry } from '../core/exchange.js';

export type ContactStatus = 'ok' | 'failing' | 'unknown';

export interface ConnectionContact {
  connection: string;
  connector: string;
  /** ok: the last call got a usable answer; failing: it did not; unknown: no call since the service started. */
  status: ContactStatus;
  lastContactAt: number | null;
  lastSuccessAt: number | null;
  lastHttpStatus: number | null;
  consecutiveFailures: number;
  /** The protocol and server version in use, for connections that have them (Odoo). */
  protocol?: string;
  version?: string | null;
}

/**
 * Whether a call reached a working system. A business refusal (422, an Odoo fault about the data) is a
 * working system saying no; no answer, a 5xx, a 429, refused credentials or an unreadable body is not.
 */
export function reachedWorkingSystem(entry: Pick<ExchangeEntry, 'httpStatus' | 'error' | 'credentialsRefused'>): boolean {
  const status = entry.httpStatus;
  if (status === null || entry.error !== null || entry.credentialsRefused === true) return false;
  return !(status >= 500 || status === 429 || status === 401 || status === 403);
}

/**
 * The last contact with each configured connection, read off the exchange entries every client already
 * produces: one place that works for every connector, with nothing to add to connector code.
 */
export class ContactTracker {
  private readonly contacts = new Map<string, ConnectionContact>();
  private readonly describers = new Map<string, () => ConnectionDescription>();

  constructor(
    private readonly clock: Clock,
    connections: Readonly<Record<string, string>>,
  ) {
    for (const [connection, connector] of Object.entries(connections)) {
      this.contacts.set(connection, {
        connection,
        connector,
        status: 'unknown',
        lastContactAt: null,
        lastSuccessAt: null,
        lastHttpStatus: null,
        consecutiveFailures: 0,
      });
    }
  }

  observe(connection: string, entry: ExchangeEntry): void {
    const contact = this.contacts.get(connection);
    if (contact === undefined) return;
    const at = this.clock.now();
    contact.lastContactAt = at;
    contact.lastHttpStatus = entry.httpStatus;
    if (reachedWorkingSystem(entry)) {
      contact.status = 'ok';
      contact.lastSuccessAt = at;
      contact.consecutiveFailures = 0;
    } else {
      contact.status = 'failing';
      contact.consecutiveFailures += 1;
    }
  }

  /** Lets a connection say what it speaks; one that cannot be spoken to as configured counts as failing. */
  describe(connection: string, describer: () => ConnectionDescription): void {
    this.describers.set(connection, describer);
  }

  snapshot(): ConnectionContact[] {
    return [...this.contacts.values()].map((c) => {
      const description = this.describers.get(c.connection)?.();
      if (description === undefined) return { ...c };
      return { ...c, ...(description.refused ? { status: 'failing' as const } : {}), protocol: description.protocol, version: description.version };
    });
  }
}
