import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConnectionContact, ContactTracker } from '../ops/contacts.js';
import type { ZodTypeProvider } from './zod.js';

const connectionSchema = z.object({
  connection: z.string(),
  connector: z.string(),
  status: z.enum(['ok', 'failing', 'unknown']).describe('unknown: not called since the service started'),
  lastContactAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastHttpStatus: z.number().int().nullable(),
  consecutiveFailures: z.number().int(),
  protocol: z.string().optional().describe('How the connection calls its system, where there is a choice (Odoo: xmlrpc or json2; the setting before the first call)'),
  version: z.string().nullable().optional().describe("The system's version series in use (Odoo: 17.0, 18.0, 19.0), null before the first call"),
});

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'unavailable']).describe('degraded: a connection is failing; unavailable: the database cannot take work'),
    database: z.object({
      status: z.enum(['ok', 'unreachable']).describe('unreachable: the queue could not be read, a write could not be made, or the disk is full'),
      ms: z.number().int(),
    }),
    connections: z.array(connectionSchema),
  })
  .describe('Readiness: the database and the last contact with each configured connection');

export type Readiness = z.infer<typeof readinessSchema>;

/** Reads the queue and makes a write that is rolled back; throws when the store cannot take work. */
export type StoreProbe = () => Promise<void>;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * Only the database decides readiness: without it nothing can be queued, while a failing external system
 * is retried and must not stop webhooks from being accepted. No error text is shown here (this endpoint
 * is open); the admin API and the logs have the details.
 */
export async function checkReadiness(probe: () => Promise<unknown>, contacts: readonly ConnectionContact[], timeoutMs: number): Promise<Readiness> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const databaseOk = await Promise.race([
    probe().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const connections = contacts.map((c) => ({
    connection: c.connection,
    connector: c.connector,
    status: c.status,
    lastContactAt: iso(c.lastContactAt),
    lastSuccessAt: iso(c.lastSuccessAt),
    lastHttpStatus: c.lastHttpStatus,
    consecutiveFailures: c.consecutiveFailures,
    ...(c.protocol === undefined ? {} : { protocol: c.protocol, version: c.version ?? null }),
  }));
  const status = !databaseOk ? 'unavailable' : connections.some((c) => c.status === 'failing') ? 'degraded' : 'ready';
  return { status, database: { status: databaseOk ? 'ok' : 'unreachable', ms: Math.round(performance.now() - started) }, connections };
}

/**
 * /ready is open to anyone, so its cost is bounded whatever the rate of calls: one probe at a time (callers
 * meanwhile share it, also one that hangs), and an answer younger than `reuseMs` is given again.
 */
export function sharedProbe(probe: StoreProbe, reuseMs: number, now: () => number = () => performance.now()): StoreProbe {
  let running: Promise<void> | null = null;
  let last: { at: number; error: unknown } | null = null;
  return () => {
    if (last !== null && now() - last.at < reuseMs) return last.error === null ? Promise.resolve() : Promise.reject(last.error);
    if (running === null) {
      running = probe()
        .then(
          () => (last = { at: now(), error: null }),
          (err: unknown) => (last = { at: now(), error: err }),
        )
        .then((settled) => {
          running = null;
          if (settled.error !== null) throw settled.error;
        });
    }
    return running;
  };
}

export interface ReadyDeps {
  probe: StoreProbe;
  contacts: ContactTracker;
  /** A database that does not answer within this time counts as unreachable. */
  probeTimeoutMs: number;
}

export function registerReady(app: FastifyInstance, deps: ReadyDeps): void {
  const probe = sharedProbe(deps.probe, 1000);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: 200 when the database can take work (status ready or degraded), 503 when it cannot',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      const readiness = await checkReadiness(
        () =>
          probe().catch((err: unknown) => {
            request.log.warn({ err }, 'readiness: the store cannot take work');
            throw err;
          }),
        deps.contacts.snapshot(),
        deps.probeTimeoutMs,
      );
      if (readiness.status === 'unavailable' && readiness.database.ms >= deps.probeTimeoutMs) request.log.warn('readiness: the database did not answer in time');
      return reply.code(readiness.status === 'unavailable' ? 503 : 200).send(readiness);
    },
  );
}
