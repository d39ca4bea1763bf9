import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App } from '../app.js';
import { createLogger } from '../cli/logger.js';
import { builtinConnectors } from '../connectors/index.js';
import { parseConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { startOdooFake, type OdooFake } from './odoo/server.js';
import type { OdooVersion } from './odoo/versions.js';
import { startYsellFake, type YsellFake } from './ysell/server.js';

export const ROUTE = 'odoo-to-ysell';
export const HOOK_TOKEN = 'demo-hook-token-7f3a9c21e4b8';

export interface StackOptions {
  logger?: Logger;
  clock?: Clock;
  /** A database other than a fresh SQLite file in a temporary folder. */
  database?: ResolvedConfig['database'];
  /** Extra settings merged into the route (e.g. maxAttempts, poll). */
  route?: Record<string, unknown>;
  worker?: Record<string, unknown>;
  /** Extra http settings (timeouts, body limit). */
  http?: Record<string, unknown>;
  /** Extra retention settings. */
  retention?: Record<string, unknown>;
  odooFields?: Record<string, unknown>;
  /** Extra settings merged into the Odoo connection (e.g. serials, delivery). */
  odoo?: Record<string, unknown>;
  /** Listen for webhooks and run the job engine in the background (default true). */
  start?: boolean;
  schedule?: boolean;
  ysellOptions?: Parameters<typeof startYsellFake>[0];
  /** The Odoo series the Odoo stand-in plays (default 17.0). */
  odooVersion?: OdooVersion;
  /** Enables the admin API with this bearer token. */
  adminToken?: string;
  /** More connections and routes beside Odoo → Ysell (the demo runs every route in one service). */
  extraConnections?: Record<string, Record<string, unknown>>;
  extraRoutes?: Record<string, unknown>[];
}

/** The Odoo and Ysell stand-ins and an order-bridge wired to them: what the demo, the tests and the benches run. */
export interface Stack {
  odoo: OdooFake;
  ysell: YsellFake;
  app: App;
  config: ResolvedConfig;
  /** Where order-bridge listens (empty when not started). */
  baseUrl: string;
  hookUrl: string;
  close(): Promise<void>;
}

/** The two stand-ins, introduced to each other: the Ysell key is in Odoo's system parameters. */
export async function startStandIns(
  ysellOptions?: Parameters<typeof startYsellFake>[0],
  odooVersion?: OdooVersion,
): Promise<{ odoo: OdooFake; ysell: YsellFake; close(): Promise<void> }> {
  const odoo = await startOdooFake(odooVersion ? { version: odooVersion } : {});
  const ysell = await startYsellFake(ysellOptions);
  odoo.setParam('ysell.api_key', ysell.apiKey);
  return {
    odoo,
    ysell,
    async close() {
      await odoo.close();
      await ysell.close();
    },
  };
}

/** Writes a config file for an order-bridge process of its own, wired to the stand-ins; returns its path. */
export function writeProcessConfig(dir: string, odoo: OdooFake, ysell: YsellFake, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      database: { client: 'sqlite', filename: join(dir, 'store.sqlite') },
      http: { host: '127.0.0.1', port: 0 },
      connections: {
        odoo: { type: 'odoo', url: odoo.url, db: odoo.db, login: odoo.admin.login, secret: odoo.admin.apiKey },
        ysell: { type: 'ysell', baseUrl: ysell.url },
      },
      routes: [{ name: 'r', from: 'odoo', to: 'ysell', poll: { every: '1h', since: '2000-01-01T00:00:00Z' } }],
      ...extra,
    }),
  );
  return path;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'order-bridge-'));
  const { odoo, ysell, close: closeStandIns } = await startStandIns(options.ysellOptions, options.odooVersion);

  const raw = {
    database: options.database ?? { client: 'sqlite', filename: join(dir, 'order-bridge.sqlite') },
    http: { host: '127.0.0.1', port: 0, ...options.http },
    log: { level: 'silent' },
    ...(options.retention ? { retention: options.retention } : {}),
    ...(options.adminToken ? { admin: { token: options.adminToken } } : {}),
    worker: { concurrency: 4, lease: '10s', idlePoll: '50ms', backoffBase: '20ms', backoffMax: '500ms', ...options.worker },
    connections: {
      odoo: { type: 'odoo', url: odoo.url, db: odoo.db, login: odoo.admin.login, secret: odoo.admin.apiKey, timeout: '5s', fields: { lineSerials: odoo.serialField, ...options.odooFields }, ...options.odoo },
      ysell: { type: 'ysell', baseUrl: ysell.url, timeout: '5s' },
      ...options.extraConnections,
    },
    routes: [
      {
        name: ROUTE,
        from: 'odoo',
        to: 'ysell',
        // The stand-in's seed helpers send webhooks after their commit: no need to wait for one.
        webhook: { token: HOOK_TOKEN, delay: 1 },
        poll: { every: '1h', since: '2000-01-01T00:00:00Z' },
        statusCheck: { every: '1h' },
        ...options.route,
      },
      ...(options.extraRoutes ?? []),
    ],
  };
  const config = parseConfig(raw, builtinConnectors(), {});
  const logger = options.logger ?? createLogger('silent');
  const app = await createApp({
    config,
    registry: builtinConnectors(),
    logger,
    schedule: options.schedule ?? false,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let baseUrl = '';
  if (options.start ?? true) {
    baseUrl = await app.start();
    odoo.setWebhook(`${baseUrl}/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}`);
  }
  return {
    odoo,
    ysell,
    app,
    config,
    baseUrl,
    hookUrl: `${baseUrl}/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}`,
    async close() {
      await app.stop(2000);
      await closeStandIns();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
