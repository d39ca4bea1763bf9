import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { ExchangeSink } from '../core/exchange.js';
import type { JobKind } from '../engine/engine.js';
import { Metrics } from '../metrics/metrics.js';
import type { Database } from '../store/db.js';
import { ContactTracker, reachedWorkingSystem } from './contacts.js';
import { observeJobKind, type JobRunEvent } from './job-observer.js';
import { RunTracker } from './runs.js';

export interface OperationsOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  scrub: (text: string) => string;
  routes: readonly string[];
  /** Connection name → connector type. */
  connections: Readonly<Record<string, string>>;
}

/**
 * What the people who run the service see without reading logs: last contact per connection, the last
 * poll and status check per route, job attempts, and the Prometheus metrics fed by all of them.
 */
export class Operations {
  readonly contacts: ContactTracker;
  readonly runs: RunTracker;
  readonly metrics: Metrics;
  private readonly jobListeners = new Set<(event: JobRunEvent) => void>();

  constructor(private readonly options: OperationsOptions) {
    this.contacts = new ContactTracker(options.clock, options.connections);
    this.runs = new RunTracker(options.clock, options.scrub);
    this.metrics = new Metrics({ db: options.db, clock: options.clock, routes: options.routes });
    this.runs.onFinished((route, task, run) => this.metrics.observeRouteRun(route, task, run));
  }

  /** The sink a connection's clients report into: the exchange log, then last contact and metrics. */
  exchangeSink(connection: string, sink: ExchangeSink): ExchangeSink {
    return (entry) => {
      sink(entry);
      this.contacts.observe(connection, entry);
      this.metrics.observeExchange(connection, entry, reachedWorkingSystem(entry));
    };
  }

  /** Wraps a job kind so its runs are stored as attempts, counted, and announced to listeners. */
  observeJobs(name: string, kind: JobKind): JobKind {
    const { db, clock, logger, scrub } = this.options;
    return observeJobKind(name, kind, {
      db,
      clock,
      logger,
      scrub,
      onEvent: (event) => {
        this.metrics.observeJobRun(event);
        for (const listener of this.jobListeners) listener(event);
      },
    });
  }

  /** Calls `listener` after every job run and death; returns the function that stops it. */
  onJobRun(listener: (event: JobRunEvent) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }
}
