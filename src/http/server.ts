import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Operations } from '../ops/operations.js';
import { registerAdmin, type RouteControl } from './admin.js';
import { registerAdminPage } from './admin-page.js';
import { registerDocs } from './docs.js';
import { registerHooks, type HookDeps } from './hooks.js';
import { registerMetrics } from './metrics.js';
import { registerReady } from './ready.js';
import { jsonSerializerCompiler, RequestValidationError, zodValidatorCompiler } from './zod.js';

export interface HttpOptions extends HookDeps {
  logger: Logger;
  bodyLimitBytes: number;
  scrub: (text: string) => string;
  /** Enables the admin API and page under /admin; without it there are none. */
  adminToken: string | undefined;
  ops: Operations;
  /** Connection name → connector type. */
  connectionTypes: Readonly<Record<string, string>>;
  control: RouteControl;
}

/** /ready counts a database that does not answer within this time as unreachable. */
const readyProbeTimeoutMs = 2000;

export function buildHttpServer(options: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // Request lines carry the webhook token in the query string: log them ourselves, scrubbed.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: options.scrub(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const problems = error instanceof RequestValidationError ? { problems: error.problems.map(options.scrub) } : {};
    void reply.code(status).send({ error: error.code ?? 'error', message: options.scrub(error.message), ...problems });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `${request.method} ${options.scrub(request.url)} does not exist` });
  });

  registerDocs(app);
  void app.register(async (api) => {
    api.get('/health', { schema: { tags: ['operations'], summary: 'Liveness: the process is up' } }, async () => ({ status: 'ok' }));
    registerReady(api, { db: options.db, contacts: options.ops.contacts, probeTimeoutMs: readyProbeTimeoutMs });
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
        runs: options.ops.runs,
        control: options.control,
      });
      registerAdminPage(api);
    }
  });
  return app;
}
