import t from 'tap';
import { z } from 'zod';
import { bindingsQuery, jobsQuery } from '../../src/http/admin-schemas.js';
import { ADMIN_TOKEN } from '../helpers/admin.js';
import { capturedLogger } from '../helpers/logger.js';
import { startStack } from '../../src/sandbox/stack.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: Record<string, unknown>;
}
interface Operation {
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

t.test('the OpenAPI document describes every endpoint from the same zod schemas that validate it', async (t) => {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN_TOKEN });
  t.teardown(() => stack.close());
  const response = await fetch(`${stack.baseUrl}/docs/json`);
  t.equal(response.status, 200);
  const doc = (await response.json()) as OpenApi;
  t.equal(doc.openapi, '3.0.3');
  t.equal(doc.info.title, 'order-bridge');

  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
  for (const expected of [
    'GET /health',
    'GET /ready',
    'GET /metrics',
    'POST /hooks/{type}/{route}',
    'GET /admin/routes',
    'GET /admin/jobs',
    'POST /admin/jobs/{id}/retry',
    'POST /admin/routes/{route}/retry-dead',
    'POST /admin/routes/{route}/poll',
    'POST /admin/routes/{route}/status-check',
    'GET /admin/bindings',
    'GET /admin/orders/{route}/{sourceId}',
    'GET /admin/',
  ]) {
    t.ok(operations.includes(expected), `${expected} is documented`);
  }
  t.notOk(operations.some((o) => o.includes('admin.js') || o.startsWith('GET /docs')), 'page assets and the docs themselves are not');

  const bindings = doc.paths['/admin/bindings']?.['get'];
  t.same(bindings?.security, [{ adminToken: [] }], 'admin endpoints need the bearer token');
  t.same(doc.components.securitySchemes['adminToken'], { type: 'http', scheme: 'bearer', description: 'The admin.token from the configuration' });
  const parameter = (name: string) => bindings?.parameters?.find((p) => p.name === name && p.in === 'query');
  const expected = z.toJSONSchema(bindingsQuery, { target: 'openapi-3.0', io: 'input' }) as { properties: Record<string, Record<string, unknown>> };
  for (const name of ['route', 'sourceNumber', 'destinationId', 'stage', 'limit']) {
    const { description, ...schema } = expected.properties[name] ?? { missing: true };
    t.match(parameter(name)?.schema, schema, `query parameter ${name} as the zod schema says`);
    t.equal(parameter(name)?.description, description, `described as the zod schema says`);
  }
  t.match(parameter('limit')?.schema, { type: 'integer', minimum: 1, maximum: 1000, default: 50 });
  t.equal(parameter('sourceNumber')?.description, "the source's order number, e.g. S00042 (exact)");
  t.same(parameter('stage')?.schema['enum'], ['queued', 'created', 'exported', 'delivered', 'finished', 'skipped', 'failed']);
  const jobState = z.toJSONSchema(jobsQuery, { target: 'openapi-3.0', io: 'input' }) as unknown as { properties: { state: { enum: string[] } } };
  t.same(doc.paths['/admin/jobs']?.['get']?.parameters?.find((p) => p.name === 'state')?.schema['enum'], jobState.properties.state.enum);

  const retry = doc.paths['/admin/jobs/{id}/retry']?.['post'];
  t.match(retry?.parameters, [{ name: 'id', in: 'path', required: true }]);
  t.match(retry?.responses['202']?.content?.['application/json']?.schema, { properties: { status: { enum: ['queued'] }, job: { type: 'integer' } } });
  t.match(doc.paths['/ready']?.['get']?.responses['503']?.content?.['application/json']?.schema, { properties: { status: { enum: ['ready', 'degraded', 'unavailable'] } } });
  t.ok(doc.paths['/metrics']?.['get']?.responses['200']?.content?.['text/plain'], 'metrics are text');
  t.same(doc.paths['/hooks/{type}/{route}']?.['post']?.security, [{ hookToken: [] }]);

  const ui = await fetch(`${stack.baseUrl}/docs`, { redirect: 'follow' });
  t.equal(ui.status, 200);
  t.match(await ui.text(), /swagger-ui/i, 'the interactive docs page');
});
