import type { Logger } from 'pino';
import type { ExchangeEntry } from '../core/exchange.js';
import type { SecretScrubber } from '../core/redact.js';
import type { Database } from '../store/db.js';
import { insertExchanges, type NewExchange } from '../store/exchanges.js';
import { currentCallContext } from './context.js';

export interface ExchangeRecorderOptions {
  db: Database;
  scrubber: SecretScrubber;
  logger: Logger;
  /** Bodies are cut to this many characters: the log is for diagnosis, not an archive of payloads. */
  maxBodyChars: number;
}

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters cut]`;
}

/**
 * Turns the clients' exchange entries into rows: adds the route and order from the call context,
 * scrubs secrets, caps sizes, and writes in batches (one insert per burst of calls, not per call).
 * The job engine flushes before it records a job's outcome, so a job's calls are stored with it.
 */
export class ExchangeRecorder {
  private buffer: NewExchange[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(private readonly options: ExchangeRecorderOptions) {}

  readonly sink = (entry: ExchangeEntry): void => {
    const { scrubber, maxBodyChars } = this.options;
    const context = currentCallContext();
    const row: NewExchange = {
      connector: entry.connector,
      operation: scrubber.scrub(entry.operation),
      url: scrubber.scrub(entry.url),
      requestBody: cap(scrubber.scrub(entry.requestBody), maxBodyChars),
      responseBody: cap(scrubber.scrub(entry.responseBody), maxBodyChars),
      httpStatus: entry.httpStatus,
      fault: entry.fault === null ? null : cap(scrubber.scrub(entry.fault), 2000),
      error: entry.error === null ? null : cap(scrubber.scrub(entry.error), 2000),
      durationMs: Math.round(entry.durationMs),
      startedAt: entry.startedAt.getTime(),
      route: context.route,
      sourceId: context.sourceId,
      jobId: context.jobId,
    };
    this.buffer.push(row);
    this.options.logger.debug(
      { connector: row.connector, operation: row.operation, status: row.httpStatus, fault: row.fault, error: row.error, ms: row.durationMs },
      'exchange',
    );
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  };

  /** Writes everything recorded so far; resolves when it is stored. */
  flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await insertExchanges(this.options.db, batch);
      } catch (err) {
        // Losing a log row must not fail the order it describes; the failure itself is logged.
        this.options.logger.error({ err, rows: batch.length }, 'could not store exchange log rows');
      }
    });
    return this.flushing;
  }
}
