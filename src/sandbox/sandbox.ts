import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { startMoreStandIns, type MoreStandIns } from './more-routes.js';
import { confirm, createSaleOrder, seedCatalog } from './odoo/seed.js';
import type { OdooFake } from './odoo/server.js';
import type { OdooVersion } from './odoo/versions.js';
import { startOzonMoySkladStandIns, type OzonMoySkladStandIns } from './ozon-moysklad.js';
import { startStandIns } from './stack.js';
import type { YsellFake } from './ysell/server.js';

export const SANDBOX_ODOO_ROUTE = 'odoo-to-ysell';

/** One stand-in as the sandbox describes it to a person: where it listens and what it holds. */
export interface SandboxSystem {
  connection: string;
  url: string;
  holds: string;
}

export interface Sandbox {
  /** A complete order-bridge configuration (as its JSON file holds it) pointing at the stand-ins. */
  config: Record<string, unknown> & { connections: Record<string, Record<string, unknown>>; routes: Record<string, unknown>[] };
  systems: SandboxSystem[];
  /** The Odoo quotation left unconfirmed, for a person to confirm over XML-RPC and see the webhook arrive. */
  quotation: { id: number; name: string };
  odoo: OdooFake;
  ysell: YsellFake;
  marketplaces: OzonMoySkladStandIns;
  more: MoreStandIns;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** The SQLite file the configuration names. */
  databaseFile: string;
  /** The Odoo series the Odoo stand-in plays (default 17.0). */
  odooVersion?: OdooVersion;
}

/** A port nothing listens on right now, for order-bridge's own HTTP server in the configuration. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port for the sandbox');
  return address.port;
}

function seedOdoo(odoo: OdooFake): { confirmed: number; quotation: { id: number; name: string } } {
  const catalog = seedCatalog(odoo);
  const { partners, products } = catalog;
  const orders = [
    createSaleOrder(odoo, { partnerId: partners.brussels, lines: [{ productId: products.lamp, qty: 2, price: 45 }], note: 'Leave at the reception, please.' }),
    createSaleOrder(odoo, { partnerId: partners.berlin, lines: [{ productId: products.chair, qty: 1, price: 120 }, { productId: products.desk, qty: 1, price: 310 }] }),
    createSaleOrder(odoo, { partnerId: partners.lyon, lines: [{ productId: products.serialized, qty: 2, price: 899, serials: ['SNX-0001', 'SNX-0002'] }] }),
    createSaleOrder(odoo, { partnerId: partners.moscow, lines: [{ productId: products.lamp, qty: 5, price: 42 }, { productId: products.shipping, qty: 1, price: 9.5 }] }),
  ];
  for (const id of orders) confirm(odoo, id);
  const quotationId = createSaleOrder(odoo, { partnerId: partners.gemini, lines: [{ productId: products.desk, qty: 2, price: 310 }] });
  return { confirmed: orders.length, quotation: { id: quotationId, name: String(odoo.record('sale.order', quotationId)?.['name']) } };
}

/**
 * Stand-ins for every system order-bridge connects to, on 127.0.0.1 at ports the system picks, seeded
 * with a few orders each, and a configuration that points order-bridge at them: what
 * `order-bridge sandbox` runs. The stand-ins are the ones the demo and the tests use. Their credentials
 * are made up at each start and only these stand-ins accept them.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { odoo, ysell, close: closeOdooYsell } = await startStandIns(undefined, options.odooVersion);
  const marketplaces = await startOzonMoySkladStandIns();
  const more = await startMoreStandIns({ moysklad: marketplaces.moysklad });

  // Seeded before the webhook is set: orders confirmed while no order-bridge listens are the poll's to find.
  const odooSeed = seedOdoo(odoo);
  const postings = marketplaces.addPostings(10).length;
  const paidBizon = more.addBizonOrders(8);
  const marketsyncOrders = more.addMarketsyncOrders(4).length;
  // Where the configuration has order-bridge listen: the Odoo stand-in's webhook posts there.
  const httpPort = await freePort();
  const hookToken = randomBytes(16).toString('hex');
  odoo.setWebhook(`http://127.0.0.1:${httpPort}/hooks/odoo/${SANDBOX_ODOO_ROUTE}?token=${hookToken}`);

  const config = {
    database: { client: 'sqlite', filename: options.databaseFile },
    http: { host: '127.0.0.1', port: httpPort },
    log: { level: 'info' },
    admin: { token: randomBytes(16).toString('hex') },
    connections: {
      odoo: {
        type: 'odoo',
        url: odoo.url,
        db: odoo.db,
        login: odoo.admin.login,
        secret: odoo.admin.apiKey,
        fields: { lineSerials: odoo.serialField },
      },
      ysell: { type: 'ysell', baseUrl: ysell.url },
      ...marketplaces.connections,
      ...more.connections,
    },
    routes: [
      {
        name: SANDBOX_ODOO_ROUTE,
        from: 'odoo',
        to: 'ysell',
        webhook: { token: hookToken },
        poll: { every: '5m' },
        statusCheck: { every: '1h' },
      },
      marketplaces.route,
      ...more.routes,
    ],
  };

  const systems: SandboxSystem[] = [
    { connection: 'odoo', url: odoo.url, holds: `Odoo ${odoo.version}${odoo.version === '19.0' ? ' over XML-RPC and JSON-2' : ' over XML-RPC'}, database "${odoo.db}": 6 customers, 6 products, ${odooSeed.confirmed} confirmed sale orders, quotation ${odooSeed.quotation.name}` },
    { connection: 'ysell', url: ysell.url, holds: "Ysell: no orders yet; its API key is Odoo's system parameter ysell.api_key" },
    { connection: 'ozon', url: marketplaces.ozon.url, holds: `Ozon Seller API: ${postings} FBS postings` },
    { connection: 'moysklad', url: marketplaces.moysklad.url, holds: 'MoySklad (connections moysklad and moysklad-mx): organization, store, retail point, a product for every article sold' },
    { connection: 'bizon', url: more.bizon.url, holds: `Bizon365: 8 orders over the last days, ${paidBizon} of them fully paid` },
    { connection: 'saleapp', url: more.saleapp.baseUrl, holds: 'SaleApp: the products Bizon365 sells, by SKU' },
    { connection: 'marketsync', url: more.marketsync.url, holds: `Marketsync: ${marketsyncOrders} paid orders` },
  ];

  return {
    config,
    systems,
    quotation: odooSeed.quotation,
    odoo,
    ysell,
    marketplaces,
    more,
    async close() {
      await more.close();
      await marketplaces.close();
      await closeOdooYsell();
    },
  };
}
