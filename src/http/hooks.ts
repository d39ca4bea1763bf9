import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { enqueueExport } from '../routes/enqueue.js';
import type { RouteRuntime } from '../routes/runtime.js';
import type { Database } from '../store/db.js';
import { sameSecret } from './tokens.js';
import type { ZodTypeProvider } from './zod.js';

export interface HookDeps {
  db: Database;
  clock: Clock;
  routes: ReadonlyMap<string, RouteRuntime>;
  /** The connector type of each route's source, which names the hook path (/hooks/odoo/<route>). */
  sourceTypes: ReadonlyMap<string, string>;
  onQueued: () => void;
}

const params = z.object({
  type: z.string().describe("the route's source connector type, e.g. odoo"),
  route: z.string().describe('the route name'),
});
const query = z.object({ token: z.string().optional().describe("the route's webhook.token (Odoo's webhook cannot send headers)") });
const answer = z.object({ status: z.string(), job: z.number().int().nullable().optional(), reason: z.string().optional() });
const refusal = z.object({ error: z.string(), message: z.string(), problems: z.array(z.string()).optional() });

/**
 * Inbound webhooks. Odoo 17 waits 1 s and never retries, so this only validates and queues; the work
 * happens in a job, and the poll catches whatever a lost webhook missed.
 */
export function registerHooks(app: FastifyInstance, deps: HookDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/hooks/:type/:route',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Inbound webhook of a route's source; the body is the source's own (Odoo 17: {_id, _model, ...})",
        security: [{ hookToken: [] }],
        params,
        querystring: query,
        response: { 202: answer, 400: refusal, 401: refusal, 404: refusal, 413: refusal },
      },
    },
    async (request, reply) => {
      const { type, route: routeName } = request.params;
      const route = deps.routes.get(routeName);
      const webhook = route?.config.webhook;
      if (route === undefined || webhook === undefined || deps.sourceTypes.get(routeName) !== type || route.source.webhook === undefined) {
        return reply.code(404).send({ error: 'not_found', message: `no webhook for route "${routeName}" from ${type}` });
      }
      if (!sameSecret(request.query.token, webhook.token)) {
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
    },
  );
}
