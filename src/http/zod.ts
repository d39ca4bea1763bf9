import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';

/**
 * Routes declare their schemas as zod types: the same definitions validate requests (here) and describe
 * them in the OpenAPI document (`toOpenApiSchema`), so the docs cannot drift from what is enforced.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** A request that does not match its schema: 400 with every problem listed by path. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly code: string;
  readonly problems: string[];

  constructor(part: string, error: z.ZodError) {
    const problems = error.issues.map((i) => `${i.path.join('.') || `(${part})`}: ${i.message}`);
    super(`the request's ${part} is not valid: ${problems.join('; ')}`);
    this.name = 'RequestValidationError';
    this.code = `invalid_${part}`;
    this.problems = problems;
  }
}

const partNames: Record<string, string> = { querystring: 'query', params: 'path', body: 'body', headers: 'headers' };

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart, url }) => {
  const part = partNames[httpPart ?? ''] ?? httpPart ?? 'request';
  // Fails at start, not at the first request: a JSON schema here would otherwise never be checked.
  if (!isZod(schema)) throw new Error(`route ${url}: its ${part} schema must be a zod type`);
  return (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(part, result.error) };
  };
};

/** Response schemas are documentation: answers are written as they are, with plain JSON.stringify. */
export const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

function isZod(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** @fastify/swagger's transform: the route's zod schemas as OpenAPI 3.0 schema objects. */
export function toOpenApiSchema({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (schema === undefined || schema === null) return { schema, url };
  const converted: Record<string, unknown> = { ...schema };
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
    const value = schema[part];
    if (isZod(value)) converted[part] = jsonSchemaOf(value, 'input');
  }
  if (schema.response !== undefined && schema.response !== null && typeof schema.response === 'object') {
    converted['response'] = Object.fromEntries(
      Object.entries(schema.response as Record<string, unknown>).map(([code, value]) => {
        return [code, isZod(value) ? jsonSchemaOf(value, 'output') : value];
      }),
    );
  }
  return { schema: converted as FastifySchema, url };
}
