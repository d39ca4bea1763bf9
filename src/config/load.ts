import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { ConnectorDefinition } from '../core/connector.js';
import type { ConnectorRegistry } from '../core/registry.js';
import { configSchema, type ResolvedConfig } from './schema.js';

/** A config that cannot be used; `problems` lists every one of them as "path: message". */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[]): string[] {
  return error.issues.map((issue) => `${pathText([...prefix, ...issue.path]) || '(root)'}: ${issue.message}`);
}

/** Replaces ${NAME} in every string with the environment variable, so secrets stay out of the file. */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        problems.push(`${pathText(path) || '(root)'}: environment variable ${name} is not set`);
        return whole;
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, [...path, key], problems)]),
    );
  }
  return value;
}

/**
 * The database password belongs in the environment, like every other secret: a PostgreSQL URL may carry
 * one only through a ${NAME} placeholder, never written out in the file.
 */
function literalDatabasePassword(raw: unknown): string | null {
  const database = (raw as { database?: { client?: unknown; connection?: unknown } } | null)?.database;
  if (database?.client !== 'pg' || typeof database.connection !== 'string' || database.connection.includes('${')) return null;
  try {
    return new URL(database.connection).password === '' ? null : 'database.connection: holds a password; put the whole URL (or the password) in an environment variable, e.g. "${DATABASE_URL}"';
  } catch {
    return null;
  }
}

export function parseConfig(raw: unknown, registry: ConnectorRegistry, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const problems: string[] = [];
  const literal = literalDatabasePassword(raw);
  if (literal !== null) problems.push(literal);
  const substituted = substituteEnv(raw, env, [], problems);
  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) throw new ConfigError([...problems, ...issuesOf(parsed.error, [])]);
  const config = parsed.data;

  const connections: ResolvedConfig['connections'] = {};
  const roles = new Map<string, readonly string[]>();
  const pageLimits = new Map<string, NonNullable<ConnectorDefinition<unknown>['maxPageSize']>>();
  for (const [name, connection] of Object.entries(config.connections)) {
    const definition = registry.get(connection.type);
    if (definition === undefined) {
      problems.push(`connections.${name}.type: unknown connector "${connection.type}" (known: ${registry.types().join(', ')})`);
      continue;
    }
    roles.set(name, definition.roles);
    if (definition.maxPageSize !== undefined) pageLimits.set(name, definition.maxPageSize);
    const { type, ...settings } = connection;
    const result = definition.configSchema.safeParse(settings);
    if (!result.success) {
      problems.push(...issuesOf(result.error, ['connections', name]));
      continue;
    }
    connections[name] = { type, settings: result.data };
  }

  const seen = new Set<string>();
  config.routes.forEach((route, i) => {
    if (seen.has(route.name)) problems.push(`routes[${i}].name: route "${route.name}" is defined twice`);
    seen.add(route.name);
    for (const [end, role] of [['from', 'source'], ['to', 'destination']] as const) {
      const target = route[end];
      if (!(target in config.connections)) {
        problems.push(`routes[${i}].${end}: no connection named "${target}"`);
      } else if (roles.has(target) && !roles.get(target)?.includes(role)) {
        problems.push(`routes[${i}].${end}: connection "${target}" cannot be a ${role}`);
      }
    }
    const limit = pageLimits.get(route.from);
    if (limit !== undefined && route.poll !== false && route.poll.pageSize > limit.value) {
      problems.push(`routes[${i}].poll.pageSize: ${route.poll.pageSize} is more than "${route.from}" allows: ${limit.why}; set it to ${limit.value} or less`);
    }
  });

  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, connections };
}

export function loadConfigFile(path: string, registry: ConnectorRegistry, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`(file): cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let raw: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte order mark, which JSON.parse refuses.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError([`(file): ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(raw, registry, env);
}
