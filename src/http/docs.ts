import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../core/package-info.js';
import { toOpenApiSchema } from './zod.js';

const docsPath = '/docs';

/**
 * The OpenAPI document (GET /docs/json) and its interactive page (GET /docs), built from the routes'
 * own zod schemas. Called on the root instance (not inside a plugin of its own, which would keep the
 * route listener from seeing the other plugins' routes), before the routes it describes.
 */
export function registerDocs(app: FastifyInstance): void {
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'order-bridge',
        version: packageVersion,
        description:
          'Moves orders between shops, marketplaces, ERPs and fulfilment services, exactly once. ' +
          'Health, readiness and metrics are open; the admin API needs the admin token as a bearer token.',
      },
      tags: [
        { name: 'operations', description: 'Health, readiness and Prometheus metrics' },
        { name: 'webhooks', description: 'Inbound pushes from sources' },
        { name: 'admin', description: 'Routes, orders, jobs and retries (bearer token)' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'The admin.token from the configuration' },
          hookToken: { type: 'apiKey', in: 'query', name: 'token', description: "The route's webhook.token" },
        },
      },
    },
    transform: toOpenApiSchema,
  });
  void app.register(fastifySwaggerUi, { routePrefix: docsPath });
}
