import { generateOrders, startBizonFake, type BizonFake } from './bizon365/server.js';
import { startMarketsyncFake, type MarketsyncFake } from './marketsync/server.js';
import { startMoySkladFake, type MoySkladFake } from './moysklad/server.js';
import { startSaleAppFake, type SaleAppFake } from './saleapp/server.js';

/**
 * Stand-ins for two routes no code was written for: Bizon365 → SaleApp and Marketsync → MoySklad. They
 * are joined by configuration alone, through the canonical order.
 */
export const BIZON_ROUTE = 'bizon-to-saleapp';
export const MARKETSYNC_ROUTE = 'marketsync-to-moysklad';

/** Bizon365's course and book ids, as products SaleApp knows by SKU. */
const bizonProducts = [
  { id: 501, name: 'Квадро 5', sku: 'kvadro5', price: 1000 },
  { id: 502, name: 'Базовый курс', sku: 'course-basic', price: 4900 },
  { id: 503, name: 'Курс Pro', sku: 'course-pro', price: 14900 },
  { id: 504, name: 'Книга', sku: 'book-paper', price: 790 },
  { id: 505, name: 'Консультация', sku: 'consult-1h', price: 3000 },
];

export const marketsyncSkus = ['MX-TAZA', 'MX-TE', 'MX-LAMPARA'];

export interface MoreStandIns {
  bizon: BizonFake;
  saleapp: SaleAppFake;
  marketsync: MarketsyncFake;
  moysklad: MoySkladFake;
  connections: Record<string, Record<string, unknown>>;
  routes: Record<string, unknown>[];
  /** Bizon365 orders created over the last days; returns how many of them are fully paid (the ones exported). */
  addBizonOrders(count: number): number;
  /** Marketsync orders placed just now; returns the numbers they travel under (marketplace and referencia). */
  addMarketsyncOrders(count: number): string[];
  close(): Promise<void>;
}

export async function startMoreStandIns(options: { moysklad?: MoySkladFake } = {}): Promise<MoreStandIns> {
  const bizon = await startBizonFake();
  const saleappKey = 'saleapp-demo-key-5c1e';
  const saleapp = await startSaleAppFake({ keys: [{ secretKey: saleappKey, kind: 'organization' }], products: bizonProducts });
  const marketsync = await startMarketsyncFake();
  const moysklad = options.moysklad ?? (await startMoySkladFake());
  for (const sku of marketsyncSkus) moysklad.addProduct({ article: sku, name: sku });
  // Marketsync sells in pesos: the MoySklad account books them in its own MXN currency.
  const pesos = moysklad.addCurrency('MXN');
  let nextBizon = 200_001;
  let nextMarketsync = 1;
  return {
    bizon,
    saleapp,
    marketsync,
    moysklad,
    connections: {
      bizon: { type: 'bizon365', baseUrl: bizon.url, projectId: bizon.projectId, token: bizon.token, minIntervalMs: 0, timeout: '5s' },
      saleapp: {
        type: 'saleapp',
        baseUrl: saleapp.baseUrl,
        secretKey: saleappKey,
        clientId: 50,
        currencyId: 6,
        currency: 'UAH',
        // Bizon's orders are in roubles: SaleApp books them in its rouble currency, never at face value in hryvnias.
        currencies: { RUB: 8 },
        warehouseId: 7,
        delivery: { type: 1 },
        timeout: '5s',
      },
      marketsync: { type: 'marketsync', baseUrl: marketsync.url, token: marketsync.token, privateKey: marketsync.privateKey, timeout: '5s' },
      'moysklad-mx': {
        type: 'moysklad',
        baseUrl: moysklad.url,
        token: moysklad.token,
        tokenKind: moysklad.tokenKind,
        ...moysklad.ids,
        currencies: { MXN: pesos },
        timeout: '5s',
      },
    },
    routes: [
      // The first poll reads a week back: the orders below were placed over the last five days.
      { name: BIZON_ROUTE, from: 'bizon', to: 'saleapp', poll: { every: '1h', lookback: '168h' }, statusCheck: false },
      { name: MARKETSYNC_ROUTE, from: 'marketsync', to: 'moysklad-mx', poll: { every: '1h' }, statusCheck: false },
    ],
    addBizonOrders(count) {
      const orders = generateOrders(count, { now: new Date(), days: 5, firstId: nextBizon, seed: nextBizon, paidShare: 0.7 });
      nextBizon += count;
      bizon.addMany(orders);
      return orders.filter((o) => o.paid === true).length;
    },
    addMarketsyncOrders(count) {
      const numbers: string[] = [];
      for (let i = 0; i < count; i++) {
        const referencia = `MX-${String(nextMarketsync++).padStart(6, '0')}`;
        const sku = marketsyncSkus[i % marketsyncSkus.length]!;
        marketsync.addOrder({ referencia, market_id: 4, estatus: 'paid', items: [{ sku, cantidad: 1 + (i % 2), precio: 199 + i }] });
        numbers.push(`4-${referencia}`);
      }
      return numbers;
    },
    async close() {
      await bizon.close();
      await saleapp.close();
      await marketsync.close();
      if (options.moysklad === undefined) await moysklad.close();
    },
  };
}
