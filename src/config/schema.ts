import { Cron } from 'croner';
import { z } from 'zod';
import { byteSize, duration } from './duration.js';

const sqliteSchema = z.strictObject({
  client: z.literal('sqlite'),
  filename: z.string().min(1).default('./data/order-bridge.sqlite'),
});

const postgresSchema = z.strictObject({
  client: z.literal('pg'),
  connection: z.string().min(1),
  poolMax: z.number().int().min(1).max(100).default(10),
});

const routeNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, "-" and "_" (it appears in URLs)');

/** The seller's notes: documents of the last 45 days whose Ozon status may still change. */
export const reconcileDefaults = { days: 45, statuses: ['awaiting_packaging', 'awaiting_deliver', 'delivering'] } as const;

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;
/** How often a route's scheduled runs may come: not in a tight loop, and at least once a week. */
const runInterval = (fallback: number) => duration({ min: second, max: 7 * day }).default(fallback);

const cronSchema = z.string().refine((expression) => {
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'not a valid cron expression (e.g. "5 * * * *")');

export const routeSchema = z.strictObject({
  name: routeNameSchema,
  from: z.string().min(1),
  to: z.string().min(1),
  enabled: z.boolean().default(true),
  /** Inbound push from the source. The token is part of the URL because Odoo's webhook cannot add headers. */
  webhook: z
    .strictObject({
      token: z.string().min(16, 'use at least 16 random characters'),
      /**
       * Odoo 17 sends the webhook inside the confirming transaction and commits after it: a job that read
       * the order at once could still see the quotation. Webhook jobs wait this long first.
       */
      delay: duration({ min: 1, max: 5 * minute }).default(3_000),
    })
    .optional(),
  poll: z
    .union([
      z.literal(false),
      z.strictObject({
        every: runInterval(300_000),
        pageSize: z.number().int().min(1).max(1000).default(100),
        /** Re-read this far behind the cursor: a transaction that committed late must not be skipped. */
        overlap: duration({ min: 1, max: day }).default(120_000),
        /** Where the very first poll starts: an ISO date, or this far back from the first start. */
        since: z.iso.datetime({ offset: true }).optional(),
        lookback: duration({ min: minute, max: 365 * day }).default(86_400_000),
      }),
    ])
    .prefault({}),
  /** Asks the destination for the status of every exported order not yet delivered. */
  statusCheck: z
    .union([
      z.literal(false),
      z.strictObject({
        every: runInterval(3_600_000),
        /** A cron expression instead of an interval, e.g. "5 * * * *". */
        cron: cronSchema.optional(),
        /** Status names that mean "delivered" (Ysell answers a status object with status_name). */
        deliveredStatuses: z.array(z.string().min(1)).min(1).default(['Done']),
        /** Status reads in flight at once. */
        concurrency: z.number().int().min(1).max(32).default(4),
      }),
    ])
    .prefault({}),
  /**
   * Corrects the source status recorded on destination documents (Ozon → MoySklad); runs only where both
   * ends support it.
   */
  reconcile: z
    .union([
      z.literal(false),
      z.strictObject({
        every: runInterval(21_600_000),
        cron: cronSchema.optional(),
        days: z.number().int().min(1).max(365).default(reconcileDefaults.days),
        /** Recorded statuses that may still change; documents in any other status are left alone. */
        statuses: z.array(z.string().min(1)).min(1).default([...reconcileDefaults.statuses]),
      }),
    ])
    .prefault({}),
  /** How a dead job reaches the people at the source (Odoo: chatter note, optional activity). */
  notify: z
    .strictObject({
      chatter: z.boolean().default(true),
      activity: z.boolean().default(false),
    })
    .prefault({}),
  maxAttempts: z.number().int().min(1).max(100).optional(),
});

export const configSchema = z.strictObject({
  database: z.discriminatedUnion('client', [sqliteSchema, postgresSchema]).prefault({ client: 'sqlite' }),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Webhook bodies are a few hundred bytes; anything near this limit is not from Odoo. */
      bodyLimitBytes: byteSize({ min: 1024, max: 16 * 1024 * 1024 }).default(256 * 1024),
      /**
       * Odoo sends a webhook whole within milliseconds and waits 1 s for the answer: a client still sending
       * its headers, or its request, after these is not Odoo and loses the connection (408).
       */
      headersTimeout: duration({ min: 500, max: minute }).default(3_000),
      requestTimeout: duration({ min: 500, max: 5 * minute }).default(5_000),
      /** A kept-alive connection with no request on it is closed after this long. */
      idleTimeout: duration({ min: 500, max: 5 * minute }).default(5_000),
    })
    .refine((http) => http.headersTimeout <= http.requestTimeout, { message: 'headersTimeout must not be longer than requestTimeout', path: ['headersTimeout'] })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  worker: z
    .strictObject({
      concurrency: z.number().int().min(1).max(64).default(4),
      /** Renewed every third of it: shorter than a second would have jobs taken over while they run. */
      lease: duration({ min: second, max: hour }).default(60_000),
      idlePoll: duration({ min: 10, max: minute }).default(1_000),
      maxAttempts: z.number().int().min(1).max(100).default(10),
      backoffBase: duration({ min: 10, max: hour }).default(2_000),
      backoffMax: duration({ min: 100, max: day }).default(900_000),
    })
    .refine((worker) => worker.backoffMax >= worker.backoffBase, { message: 'backoffMax must not be shorter than backoffBase', path: ['backoffMax'] })
    .prefault({}),
  /**
   * On SIGTERM: stop claiming, let running jobs finish for this long, then abort and release the rest;
   * keep it below the orchestrator's own limit (Kubernetes kills after 30 s by default).
   */
  shutdownGrace: duration({ min: 1, max: 10 * minute }).default(20_000),
  /**
   * How long each kind of record is kept; the service removes older ones itself, in small batches, every
   * `every`. Bindings (what was exported where) are kept for good, and so is everything about a dead job.
   */
  retention: z
    .strictObject({
      /** Calls to other systems, with their bodies (the bodies may go sooner, see exchangeBodies). */
      exchanges: duration({ min: hour, max: 3650 * day }).default(7 * day),
      /** The request and response bodies of those calls; the rest of the row stays until `exchanges`. */
      exchangeBodies: duration({ min: hour, max: 3650 * day }).default(7 * day),
      /** The status check's reads, one per undelivered order per check. */
      statusReads: duration({ min: hour, max: 3650 * day }).default(day),
      /** Each run of a job, with its outcome. */
      jobAttempts: duration({ min: hour, max: 3650 * day }).default(14 * day),
      /** Jobs that are done (dead ones wait for a person and are kept). */
      finishedJobs: duration({ min: hour, max: 3650 * day }).default(14 * day),
      every: duration({ min: minute, max: day }).default(10 * minute),
      /** Records removed per statement: a short write, so that webhooks and jobs never wait long behind it. */
      batchSize: z.number().int().min(10).max(10_000).default(500),
    })
    .refine((r) => r.exchangeBodies <= r.exchanges, { message: 'must not be longer than retention.exchanges (a row goes with its bodies)', path: ['exchangeBodies'] })
    .refine((r) => r.statusReads <= r.exchanges, { message: 'must not be longer than retention.exchanges', path: ['statusReads'] })
    .prefault({}),
  admin: z.strictObject({ token: z.string().min(16, 'use at least 16 random characters') }).optional(),
  /** Each connection is validated again by its connector's own schema (see src/config/load.ts). */
  connections: z.record(routeNameSchema, z.looseObject({ type: z.string().min(1) })),
  routes: z.array(routeSchema).min(1, 'configure at least one route'),
});

export type RouteConfig = z.infer<typeof routeSchema>;
export type PollConfig = Exclude<RouteConfig['poll'], false>;
export type StatusCheckConfig = Exclude<RouteConfig['statusCheck'], false>;
export type ReconcileConfig = Exclude<RouteConfig['reconcile'], false>;
export type ServiceConfig = z.infer<typeof configSchema>;
export type RetentionConfig = ServiceConfig['retention'];

/** The validated config, with each connection's settings parsed by its connector's schema. */
export interface ResolvedConfig extends Omit<ServiceConfig, 'connections'> {
  connections: Record<string, { type: string; settings: unknown }>;
}
