import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App } from '../app.js';
import { createLogger } from '../cli/logger.js';
import { builtinConnectors } from '../connectors/index.js';
import { parseConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/schema.js';
import { startMoySkladFake, type MoySkladFake, type MoySkladFakeOptions } from './moysklad/server.js';
import { makePostings, type MakePostingsOptions } from './ozon/postings.js';
import { startOzonFake, type OzonFake, type OzonFakeOptions } from './ozon/server.js';

export const OZON_ROUTE = 'ozon-to-moysklad';

export interface OzonMoySkladStandIns {
  ozon: OzonFake;
  moysklad: MoySkladFake;
  /** Connection settings for order-bridge's config, wired to the stand-ins. */
  connections: { ozon: Record<string, unknown>; moysklad: Record<string, unknown> };
  /** The route's settings; its poll reads from the generator's first posting on. */
  route: Record<string, unknown>;
  /** Adds `count` postings to the Ozon stand-in (products exist in MoySklad for their articles). */
  addPostings(count: number, options?: MakePostingsOptions): string[];
  close(): Promise<void>;
}

export const pollSince = '2026-11-01T00:00:00Z';

/** Settings over the MoySklad connection's, or made from the stand-in (its attribute ids are its own). */
export type MoySkladSettings = Record<string, unknown> | ((moysklad: MoySkladFake) => Record<string, unknown>);

/** The Ozon and MoySklad stand-ins, with MoySklad products for every article the posting generator uses. */
export async function startOzonMoySkladStandIns(
  options: { ozon?: OzonFakeOptions; moysklad?: MoySkladFakeOptions; moyskladSettings?: MoySkladSettings; articles?: string[] } = {},
): Promise<OzonMoySkladStandIns> {
  const ozon = await startOzonFake(options.ozon);
  const moysklad = await startMoySkladFake(options.moysklad);
  const articles = options.articles ?? Array.from({ length: 20 }, (_, i) => `ART-${i + 1}`);
  for (const article of articles) moysklad.addProduct({ article, name: `Product ${article}` });
  let seed = 1;
  let start = Date.parse('2026-11-20T07:00:00Z');
  return {
    ozon,
    moysklad,
    connections: {
      ozon: { type: 'ozon', baseUrl: ozon.url, clientId: ozon.clientId, apiKey: ozon.apiKey, timeout: '5s' },
      moysklad: {
        type: 'moysklad',
        baseUrl: moysklad.url,
        token: moysklad.token,
        tokenKind: moysklad.tokenKind,
        ...moysklad.ids,
        attributes: {
          sourceStatus: moysklad.attributes.ozonStatus,
          sourceNumber: moysklad.attributes.ozonNumber,
          commission: moysklad.attributes.commission,
          serviceCharges: moysklad.attributes.services,
          chargesBreakdown: moysklad.attributes.charges,
        },
        chargesIn: 'attributes',
        timeout: '5s',
        ...(typeof options.moyskladSettings === 'function' ? options.moyskladSettings(moysklad) : options.moyskladSettings),
      },
    },
    route: { name: OZON_ROUTE, from: 'ozon', to: 'moysklad', poll: { every: '1h', since: pollSince, pageSize: 100 }, statusCheck: false },
    addPostings(count, postingOptions = {}) {
      const postings = makePostings(count, { seed: seed++, start: new Date(start), statuses: ['awaiting_packaging', 'awaiting_deliver', 'delivering'], articles, ...postingOptions });
      start += count * 60_000 + 3_600_000;
      ozon.addMany(postings);
      return postings.map((p) => p.posting_number);
    },
    async close() {
      await ozon.close();
      await moysklad.close();
    },
  };
}

export interface OzonMoySkladStack extends OzonMoySkladStandIns {
  app: App;
  /** Where order-bridge listens (empty unless started). */
  baseUrl: string;
  close(): Promise<void>;
}

/** The stand-ins and an order-bridge (not listening, engine not started unless asked) with the Ozon → MoySklad route. */
export async function startOzonMoySkladStack(
  options: {
    database?: ResolvedConfig['database'];
    worker?: Record<string, unknown>;
    route?: Record<string, unknown>;
    moyskladSettings?: MoySkladSettings;
    ozon?: OzonFakeOptions;
    moysklad?: MoySkladFakeOptions;
    logger?: Logger;
    /** Listen on HTTP (for the admin API) and run the job engine in the background. */
    start?: boolean;
    adminToken?: string;
  } = {},
): Promise<OzonMoySkladStack> {
  const standIns = await startOzonMoySkladStandIns({
    ...(options.ozon ? { ozon: options.ozon } : {}),
    ...(options.moysklad ? { moysklad: options.moysklad } : {}),
    ...(options.moyskladSettings ? { moyskladSettings: options.moyskladSettings } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'order-bridge-ozon-'));
  const config = parseConfig(
    {
      database: options.database ?? { client: 'sqlite', filename: join(dir, 'order-bridge.sqlite') },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      ...(options.adminToken ? { admin: { token: options.adminToken } } : {}),
      worker: { concurrency: 32, lease: '10s', idlePoll: '50ms', backoffBase: '20ms', backoffMax: '500ms', ...options.worker },
      connections: standIns.connections,
      routes: [{ ...standIns.route, ...options.route }],
    },
    builtinConnectors(),
    {},
  );
  const app = await createApp({ config, registry: builtinConnectors(), logger: options.logger ?? createLogger('silent') });
  const baseUrl = options.start === true ? await app.start() : '';
  return {
    ...standIns,
    app,
    baseUrl,
    async close() {
      await app.stop(2000);
      await standIns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
