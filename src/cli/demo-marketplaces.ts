import type { App } from '../app.js';
import { accrualTypeIds } from '../sandbox/ozon/server.js';
import { listJobs } from '../store/jobs.js';
import type { MoreStandIns } from '../sandbox/more-routes.js';
import { BIZON_ROUTE, MARKETSYNC_ROUTE } from '../sandbox/more-routes.js';
import { OZON_ROUTE, type OzonMoySkladStandIns } from '../sandbox/ozon-moysklad.js';

function attribute(document: Record<string, unknown>, attributeId: string): unknown {
  const attributes = (document['attributes'] ?? []) as { meta: { href: string }; value: unknown }[];
  return attributes.find((a) => a.meta.href.endsWith(`/${attributeId}`))?.value;
}

/**
 * Ozon → MoySklad: postings into the open retail shift, one with an article MoySklad does not have,
 * a reconciliation after Ozon moved some of them on and charged logistics on one, and the shift closed at the end.
 */
export async function demoOzonToMoySklad(app: App, standIns: OzonMoySkladStandIns): Promise<boolean> {
  const { ozon, moysklad } = standIns;
  const numbers = standIns.addPostings(40);
  const [stray] = standIns.addPostings(1, { articles: ['ART-404'] });
  const shift = await app.openSession(OZON_ROUTE);
  const poll = await app.pollNow(OZON_ROUTE);
  await app.engine.whenIdle();

  const sales = moysklad.demands().filter((d) => numbers.includes(String(d['externalCode'])));
  const inShift = sales.filter((d) => String((d['retailShift'] as { meta: { href: string } }).meta.href).endsWith(shift.id)).length;
  const commission = sales.reduce((sum, d) => sum + Number(attribute(d, moysklad.attributes.commission) ?? 0), 0);
  const [dead] = await listJobs(app.db, { route: OZON_ROUTE, state: 'dead' });
  console.log(`\n── Ozon → MoySklad ──`);
  console.log(`retail shift ${shift.name} ${shift.existing ? 'reused' : 'opened'}; poll: ${poll.seen} postings seen in ${poll.pages} page(s), ${poll.queued} queued`);
  console.log(`MoySklad stand-in: ${sales.length} retail sales for ${numbers.length} postings, ${inShift} in shift ${shift.name}, commission recorded ${commission.toFixed(2)} RUB in all`);
  console.log(`the posting with an unknown article: ${dead !== undefined && dead.sourceId === stray ? dead.lastError : 'not refused?'}`);
  console.log(`MoySklad requests: ${moysklad.stats.requests}, 429s received: ${moysklad.stats.rejected429}`);

  ozon.setStatus(numbers[0]!, 'delivered');
  ozon.setStatus(numbers[1]!, 'cancelled');
  // Ozon charges logistics on a posting after its sale was made.
  const charged = numbers[2]!;
  ozon.addAccrual(charged, { type_id: accrualTypeIds.logistics, amount: '-87.40', accrual_date: new Date().toISOString().slice(0, 10), sku: null, quantity: null, seller_price: null });
  const reconcile = await app.reconcileNow(OZON_ROUTE);
  const sale = moysklad.demands().find((d) => d['externalCode'] === charged);
  console.log(
    `reconciliation over ${reconcile.days} days: ${reconcile.checked} checked, ${reconcile.changed} changed, ${reconcile.unchanged} unchanged, ${reconcile.missing} missing; ` +
      `charges brought up to date on ${reconcile.chargesChanged} sale(s), e.g. ${charged}: ${String(sale === undefined ? '?' : attribute(sale, moysklad.attributes.charges))}`,
  );
  const closed = await app.closeSession(OZON_ROUTE);
  console.log(`retail shift ${closed?.name ?? '?'} closed at ${closed?.closedAt ?? '?'}`);

  return sales.length === numbers.length && inShift === sales.length && dead?.sourceId === stray && reconcile.changed === 2 && reconcile.chargesChanged >= 1 && moysklad.stats.rejected429 === 0;
}

/** Two routes made by configuration alone: Bizon365 → SaleApp and Marketsync → MoySklad. */
export async function demoConfiguredRoutes(app: App, more: MoreStandIns): Promise<boolean> {
  const paid = more.addBizonOrders(12);
  const references = more.addMarketsyncOrders(6);
  const bizon = await app.pollNow(BIZON_ROUTE);
  const marketsync = await app.pollNow(MARKETSYNC_ROUTE);
  await app.engine.whenIdle();
  const inSaleApp = more.saleapp.orders().length;
  const inMoySklad = more.moysklad.demands().filter((d) => references.includes(String(d['externalCode']))).length;
  console.log(`\n── routes by configuration alone ──`);
  console.log(`Bizon365 → SaleApp: ${bizon.seen} fully paid order(s) read, ${inSaleApp} created in SaleApp (of 12 placed, ${paid} paid)`);
  console.log(`Marketsync → MoySklad: ${marketsync.seen} order(s) read, ${inMoySklad} retail sales created`);
  return inSaleApp === paid && inMoySklad === references.length;
}
