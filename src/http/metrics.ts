import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Metrics } from '../metrics/metrics.js';
import type { ZodTypeProvider } from './zod.js';

/** Prometheus scrapes this; it holds counts and names of routes and connections, never message text. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text format 0.0.4') },
      },
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.contentType).send(text);
    },
  );
}
