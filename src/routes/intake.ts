import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Database } from '../store/db.js';
import { enqueueExports, type EnqueueAnswer, type ExportTrigger } from './enqueue.js';
import type { RouteRuntime } from './runtime.js';

/** What a webhook asks for, once its body has been read. */
export interface WebhookWanted {
  sourceId: string;
  number: string | null;
  revision: string | null;
}

export interface WebhookIntakeOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Called after a commit that queued something, and when no webhook is left to store: the workers look at once. */
  onQueued: () => void;
  /** Webhooks written in one transaction at most. */
  maxBatch?: number;
}

interface Waiting {
  route: RouteRuntime;
  trigger: ExportTrigger;
  resolve: (answer: EnqueueAnswer) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of webhooks. A webhook is answered once its binding and job are committed, and Odoo gives
 * up after 1 s; one transaction per webhook would queue a burst of them one by one behind each other and
 * behind the jobs' own writes (on SQLite, all on one connection). Here the first webhook is written at
 * once, alone; those that arrive while it commits are written together by the next transaction, and so
 * on: a burst of a thousand takes a handful of commits, and a lone webhook waits for nobody. The intake
 * writes through a database handle of its own (no job, exchange-log or pruning statement is queued before
 * its commits), and while it has webhooks to store the workers start no new job (see `busy`).
 */
export class WebhookIntake {
  private waiting: Waiting[] = [];
  private writing = false;
  private readonly maxBatch: number;

  constructor(private readonly options: WebhookIntakeOptions) {
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** Webhooks are waiting to be stored, or being stored. */
  busy(): boolean {
    return this.writing || this.waiting.length > 0;
  }

  /** Stores what the webhook asks for; resolves with the outcome once it is committed. */
  submit(route: RouteRuntime, wanted: WebhookWanted): Promise<EnqueueAnswer> {
    const delayMs = route.config.webhook?.delay ?? 0;
    return new Promise((resolve, reject) => {
      this.waiting.push({ route, trigger: { ...wanted, via: 'webhook', snapshot: null, delayMs }, resolve, reject });
      if (!this.writing) void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, this.maxBatch));
    } finally {
      this.writing = false;
      // The workers held back new jobs while webhooks were being stored: they may start them now.
      this.options.onQueued();
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    const { db, clock, logger } = this.options;
    let stored: EnqueueAnswer[];
    try {
      stored = await db.transaction((trx) => enqueueExports(trx, batch, clock.now()));
      batch.forEach((waiting, i) => waiting.resolve(stored[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One webhook's failure (or a deadlock with a poll's page on PostgreSQL) must not fail the others.
      logger.warn({ err, webhooks: batch.length }, 'a batch of webhooks could not be stored together; storing them one by one');
      stored = [];
      for (const waiting of batch) {
        try {
          const [answer] = await db.transaction((trx) => enqueueExports(trx, [waiting], clock.now()));
          stored.push(answer!);
          waiting.resolve(answer!);
        } catch (one) {
          waiting.reject(one);
        }
      }
    }
    if (stored.some((answer) => answer.outcome === 'queued')) this.options.onQueued();
  }
}
