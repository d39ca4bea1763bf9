import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdmin } from './admin.js';
import { registerHooks, type HookDeps } from './hooks.js';

export interface HttpOptions extends HookDeps {
  logger: Logger;
  bodyLimitBytes: number;
  scrub: (text: string) => string;
  /** Enables the admin API under /admin; without it there is none. */
  adminToken: string | undefined;
}

export function buildHttpServer(options: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // Request lines carry the webhook token in the query string: log them ourselves, scrubbed.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: options.scrub(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).send({ error: error.code ?? 'error', message: options.scrub(error.message) });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `${request.method} ${options.scrub(request.url)} does not exist` });
  });

  app.get('/health', async () => ({ status: 'ok' }));
  registerHooks(app, options);
  if (options.adminToken !== undefined) registerAdmin(app, { ...options, token: options.adminToken });
  return app;
}
