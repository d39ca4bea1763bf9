import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Operations } from '../ops/operations.js';
import type { Database } from '../store/db.js';
import { registerAdmin, type RouteControl, type StoreControl } from './admin.js';
import { registerAdminPage } from './admin-page.js';
import { registerDocs } from './docs.js';
import { registerHooks, type HookDeps } from './hooks.js';
import { loggableUrl } from './log-url.js';
import { registerMetrics } from './metrics.js';
import { registerReady, type StoreProbe } from './ready.js';
import { jsonSerializerCompiler, RequestValidationError, zodValidatorCompiler } from './zod.js';

/** How long a client may take: to send its headers, its whole request, and between requests on one connection. */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  idleMs: number;
}

export interface HttpOptions extends HookDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  bodyLimitBytes: number;
  timeouts: HttpTimeouts;
  scrub: (text: string) => string;
  /** New work was queued (a retried job): the workers look at once. */
  onQueued: () => void;
  /** Enables the admin API and page under /admin; without it there are none. */
  adminToken: string | undefined;
  ops: Operations;
  /** Connection name → connector type. */
  connectionTypes: Readonly<Record<string, string>>;
  control: RouteControl;
  store: StoreControl;
  /** What /ready asks of the database. */
  readyProbe: StoreProbe;
}

/** /ready counts a database that does not answer within this time as unreachable. */
const readyProbeTimeoutMs = 2000;

export function buildHttpServer(options: HttpOptions): FastifyInstance {
  const { timeouts } = options;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // Nothing is held open for a client that is slow or silent: Odoo sends a webhook whole within
    // milliseconds and waits 1 s for the answer, so a request still arriving after seconds is not Odoo.
    // Node checks these every connectionsCheckingInterval (30 s unless told), so it is made short.
    serverFactory: (handler) => {
      const server = createServer(
        {
          headersTimeout: timeouts.headersMs,
          requestTimeout: timeouts.requestMs,
          connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headersMs / 4))),
        },
        handler,
      );
      server.keepAliveTimeout = timeouts.idleMs;
      return server;
    },
    // Request lines carry the webhook token in the query string: log them ourselves, scrubbed.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: loggableUrl(request.url, options.scrub), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  // Answers are about this moment and may carry order data: no cache keeps them, no browser guesses their type.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const problems = error instanceof RequestValidationError ? { problems: error.problems.map(options.scrub) } : {};
    void reply.code(status).send({ error: error.code ?? 'error', message: options.scrub(error.message), ...problems });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `${request.method} ${loggableUrl(request.url, options.scrub)} does not exist` });
  });

  registerDocs(app);
  void app.register(async (api) => {
    api.get('/health', { schema: { tags: ['operations'], summary: 'Liveness: the process is up' } }, async () => ({ status: 'ok' }));
    registerReady(api, { probe: options.readyProbe, contacts: options.ops.contacts, probeTimeoutMs: readyProbeTimeoutMs });
    registerMetrics(api, options.ops.metrics);
    registerHooks(api, options);
    if (options.adminToken !== undefined) {
      registerAdmin(api, {
        db: options.db,
        clock: options.clock,
        token: options.adminToken,
        onQueued: options.onQueued,
        scrub: options.scrub,
        routes: options.routes,
        connectionTypes: options.connectionTypes,
        contacts: options.ops.contacts,
        runs: options.ops.runs,
        control: options.control,
        store: options.store,
      });
      registerAdminPage(api);
    }
  });
  return app;
}
