import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteRuntime } from '../routes/runtime.js';
import type { WebhookIntake } from '../routes/intake.js';
import { sameSecret } from './tokens.js';
import type { ZodTypeProvider } from './zod.js';

export interface HookDeps {
  routes: ReadonlyMap<string, RouteRuntime>;
  /** The connector type of each route's source, which names the hook path (/hooks/odoo/<route>). */
  sourceTypes: ReadonlyMap<string, string>;
  /** Queues what a webhook asks for; answers once it is stored. */
  intake: WebhookIntake;
}

const params = z.object({
  type: z.string().describe("the route's source connector type, e.g. odoo"),
  route: z.string().describe('the route name'),
});
const query = z.object({ token: z.string().optional().describe("the route's webhook.token (Odoo's webhook cannot send headers)") });
const answer = z.object({ status: z.string(), job: z.number().int().nullable().optional(), reason: z.string().optional() });
const refusal = z.object({ error: z.string(), message: z.string(), problems: z.array(z.string()).optional() });

/** Compared against when the route does not exist, so that an unknown route costs what a wrong token does. */
const nobodysToken = `no-such-route-${Math.random().toString(36).slice(2)}`;

/**
 * One answer for an unknown route and a wrong token, so that route names cannot be probed; sent before
 * the body is read, and the connection is closed (a body still arriving is not waited for).
 */
function refuse(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .header('connection', 'close')
    .send({ error: 'not_found', message: 'no webhook here accepts this token (check the route name in the URL and its webhook.token)' });
}

function tokenOf(request: FastifyRequest): string | undefined {
  // Decoded by the query parser, whatever the encoding of its name and value; twice given is refused.
  const token = (request.query as Record<string, unknown> | undefined)?.['token'];
  return typeof token === 'string' ? token : undefined;
}

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
        description: 'An unknown route and a wrong token get the same 404, before the body is read.',
        security: [{ hookToken: [] }],
        params,
        querystring: query,
        response: { 202: answer, 400: refusal, 404: refusal, 413: refusal },
      },
      // Before the body is read: a caller without the token cannot make us wait for, or parse, anything.
      onRequest: async (request, reply) => {
        const { type, route: routeName } = request.params as { type: string; route: string };
        const route = deps.routes.get(routeName);
        const webhook = route?.config.webhook;
        const known = route !== undefined && webhook !== undefined && deps.sourceTypes.get(routeName) === type && route.source.webhook !== undefined;
        const matches = sameSecret(tokenOf(request), known ? webhook.token : nobodysToken);
        if (!known || !matches) return refuse(reply);
        return undefined;
      },
    },
    async (request, reply) => {
      const route = deps.routes.get(request.params.route)!;
      const trigger = route.source.webhook!;
      const parsed = trigger.schema.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({
          error: 'invalid_body',
          message: 'the webhook body is not what this route expects; nothing was stored',
          problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
        });
      }
      const wanted = trigger.interpret(parsed.data);
      if ('ignore' in wanted) return reply.code(202).send({ status: 'ignored', reason: wanted.ignore });
      const result = await deps.intake.submit(route, wanted);
      return reply.code(202).send({ status: result.outcome, job: result.jobId, ...(result.reason === undefined ? {} : { reason: result.reason }) });
    },
  );
}
