import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { enqueueExport } from '../routes/enqueue.js';
import type { RouteRuntime } from '../routes/runtime.js';
import type { Database } from '../store/db.js';
import { sameSecret } from './tokens.js';

export interface HookDeps {
  db: Database;
  clock: Clock;
  routes: ReadonlyMap<string, RouteRuntime>;
  /** The connector type of each route's source, which names the hook path (/hooks/odoo/<route>). */
  sourceTypes: ReadonlyMap<string, string>;
  onQueued: () => void;
}

const params = z.object({ type: z.string(), route: z.string() });
const query = z.object({ token: z.string().optional() });

/**
 * Inbound webhooks. Odoo 17 waits 1 s and never retries, so this only validates and queues; the work
 * happens in a job, and the poll catches whatever a lost webhook missed.
 */
export function registerHooks(app: FastifyInstance, deps: HookDeps): void {
  app.post('/hooks/:type/:route', async (request, reply) => {
    const { type, route: routeName } = params.parse(request.params);
    const route = deps.routes.get(routeName);
    const webhook = route?.config.webhook;
    if (route === undefined || webhook === undefined || deps.sourceTypes.get(routeName) !== type || route.source.webhook === undefined) {
      return reply.code(404).send({ error: 'not_found', message: `no webhook for route "${routeName}" from ${type}` });
    }
    if (!sameSecret(query.parse(request.query).token, webhook.token)) {
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong token' });
    }
    const parsed = route.source.webhook.schema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({
        error: 'invalid_body',
        message: 'the webhook body is not what this route expects; nothing was stored',
        problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
      });
    }
    const trigger = route.source.webhook.interpret(parsed.data);
    if ('ignore' in trigger) return reply.code(202).send({ status: 'ignored', reason: trigger.ignore });
    const result = await deps.db.transaction((trx) =>
      enqueueExport(trx, route, { ...trigger, via: 'webhook', snapshot: null, delayMs: webhook.delay }, deps.clock.now()),
    );
    if (result.outcome === 'queued') deps.onQueued();
    return reply.code(202).send({ status: result.outcome, job: result.jobId });
  });
}
