import { startMoreStandIns } from '../sandbox/more-routes.js';
import { startOzonMoySkladStandIns } from '../sandbox/ozon-moysklad.js';
import { ROUTE, startStack } from '../sandbox/stack.js';
import { demoConfiguredRoutes, demoOzonToMoySklad } from './demo-marketplaces.js';
import { createSaleOrder, confirm, seedCatalog } from '../sandbox/odoo/seed.js';
import type { OdooVersion } from '../sandbox/odoo/versions.js';
import { listBindings } from '../store/bindings.js';
import { countExchanges } from '../store/exchanges.js';
import { listJobs } from '../store/jobs.js';
import { exportPayloadSchema } from '../routes/enqueue.js';
import { createLogger } from './logger.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/**
 * The Odoo → Ysell route end to end on this machine (Odoo 17.0, 18.0 or 19.0, the connection's protocol
 * on `auto`: JSON-2 on 19.0, XML-RPC before): local stand-ins for Odoo and Ysell (the fakes
 * the tests use), the real service on a fresh SQLite file, orders confirmed in the Odoo stand-in, and
 * both triggers at work — the webhook for most orders, the poll for the ones whose webhook was lost.
 * Beside it, in the same service: Ozon → MoySklad (retail shift, reconciliation), and two routes made
 * by configuration alone (Bizon365 → SaleApp, Marketsync → MoySklad).
 */
export async function runDemo(options: { keep: boolean; odoo: OdooVersion }): Promise<number> {
  const marketplaces = await startOzonMoySkladStandIns();
  const more = await startMoreStandIns({ moysklad: marketplaces.moysklad });
  const stack = await startStack({
    odooVersion: options.odoo,
    logger: createLogger('fatal'),
    schedule: options.keep,
    extraConnections: { ...marketplaces.connections, ...more.connections },
    extraRoutes: [marketplaces.route, ...more.routes],
  });
  const { odoo, ysell, app } = stack;
  try {
    const catalog = seedCatalog(odoo);
    const order = (partnerId: number, lines: { productId: number; qty: number; price: number; serials?: string[] }[], note?: string) =>
      createSaleOrder(odoo, { partnerId, lines, ...(note ? { note } : {}) });

    console.log(`order-bridge demo: service on ${stack.baseUrl}, Odoo ${options.odoo} stand-in on ${odoo.url}, Ysell stand-in on ${ysell.url}\n`);

    const byWebhook = [
      order(catalog.partners.brussels, [{ productId: catalog.products.lamp, qty: 2, price: 45 }], 'Leave at the reception, please.'),
      order(catalog.partners.berlin, [{ productId: catalog.products.chair, qty: 1, price: 120 }, { productId: catalog.products.desk, qty: 1, price: 310 }]),
      order(catalog.partners.lyon, [{ productId: catalog.products.serialized, qty: 2, price: 899, serials: ['SNX-0001', 'SNX-0002'] }]),
    ];
    for (const id of byWebhook) confirm(odoo, id);
    await odoo.webhooksSettled();

    // Odoo's webhook is send-and-forget: switch it off, as if these calls were lost, and let the poll find them.
    odoo.setWebhook(null);
    const byPoll = [
      order(catalog.partners.berlin, [{ productId: catalog.products.lamp, qty: 5, price: 42 }]),
      order(catalog.partners.brussels, [{ productId: catalog.products.desk, qty: 1, price: 310 }]),
    ];
    for (const id of byPoll) confirm(odoo, id);
    odoo.setWebhook(stack.hookUrl);

    // A product nobody linked to Ysell: the job dies at once with a message a person can act on.
    const broken = order(catalog.partners.lyon, [{ productId: catalog.products.unlinked, qty: 1, price: 15 }]);
    confirm(odoo, broken);
    await odoo.webhooksSettled();

    // The same webhook again (Odoo users re-run actions): still one order in Ysell.
    await fetch(stack.hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _action: 'Send to order-bridge(#12)', _id: byWebhook[0], _model: 'sale.order', state: 'sale' }),
    });

    await app.engine.whenIdle();
    const poll = await app.pollNow(ROUTE);
    await app.engine.whenIdle();

    const rows = [['order', 'ysell id', 'path', 'exchanges', 'state', 'note']];
    const bindings = (await listBindings(app.db, { route: ROUTE })).sort((a, b) => (a.sourceNumber ?? '').localeCompare(b.sourceNumber ?? ''));
    for (const binding of bindings) {
      const [job] = await listJobs(app.db, { route: ROUTE, sourceId: binding.sourceId, kind: 'export' });
      const payload = exportPayloadSchema.safeParse(job?.payload);
      rows.push([
        binding.sourceNumber ?? binding.sourceId,
        binding.destinationId ?? '-',
        payload.success ? payload.data.via : '-',
        String(await countExchanges(app.db, { route: ROUTE, sourceId: binding.sourceId })),
        binding.stage,
        binding.lastError ?? '',
      ]);
    }
    console.log(table(rows));

    const exported = bindings.filter((b) => b.stage === 'exported');
    const inYsell = ysell.orders();
    const numbers = new Set(inYsell.map((o) => o.order_num));
    const duplicates = inYsell.length - numbers.size;
    const expected = byWebhook.length + byPoll.length;
    console.log(
      `\npoll: ${poll.seen} confirmed order(s) seen, ${poll.queued} queued, ${poll.alreadyExported} already exported` +
        `\nYsell stand-in: ${inYsell.length} order(s), ${duplicates} duplicate(s); ${exported.length} of ${expected} exportable orders exported; ` +
        `Ysell ids written back to Odoo: ${exported.filter((b) => odoo.record('sale.order', Number(b.sourceId))?.['ysell_order_id'] === b.destinationId).length}`,
    );
    // Delivery feedback: Ysell reports the first order delivered and the second one shipped.
    const delivered = exported[0]!;
    ysell.deliver(Number(delivered.destinationId));
    if (exported[1]) ysell.setStatus(Number(exported[1].destinationId), 'Shipped');
    const check = await app.checkStatusNow(ROUTE);
    await app.engine.whenIdle();
    const pickings = odoo.records('stock.picking').filter((p) => p['origin'] === delivered.sourceNumber && String(p['note']).includes('order-bridge'));
    const location = (id: unknown): string => {
      const record = odoo.record('stock.location', Number(id));
      if (record === undefined) return '?';
      // Odoo's complete_name: a view location stands for itself, others hang under their parent's name.
      return record['location_id'] && record['usage'] !== 'view' ? `${location(record['location_id'])}/${String(record['name'])}` : String(record['name']);
    };
    console.log(
      `\nstatus check: ${check.checked} order(s) asked, ${check.changed.map((c) => `${c.number} ${c.from ?? '?'} → ${c.to}`).join(', ')}` +
        pickings.map((p) => `\n  draft picking ${String(p['name'])} for ${delivered.sourceNumber}: ${location(p['location_id'])} → ${location(p['location_dest_id'])}, state ${String(p['state'])}`).join(''),
    );
    const speaks = app.ops.contacts.snapshot().find((c) => c.connection === 'odoo');
    console.log(`Odoo connection: protocol ${speaks?.protocol ?? '?'}, server version ${speaks?.version ?? '?'} (connections.odoo.protocol: auto)`);
    const brokenNotes = odoo.records('mail.message').filter((m) => m['res_id'] === broken && m['model'] === 'sale.order' && String(m['body']).includes('order-bridge'));
    console.log(`chatter of the refused order: ${brokenNotes.length} note(s) from order-bridge; its sync state in Odoo: ${String(odoo.record('sale.order', broken)?.['ysell_sync_state'])}`);

    const odooOk = duplicates === 0 && exported.length === expected && inYsell.length === expected && pickings.length === 1 && brokenNotes.length === 1;
    const ozonOk = await demoOzonToMoySklad(app, marketplaces);
    const configuredOk = await demoConfiguredRoutes(app, more);
    const ok = odooOk && ozonOk && configuredOk;
    if (!ok) console.log('demo: something is off, see above');

    if (options.keep) {
      console.log(`\nserving on ${stack.baseUrl} (webhook ${stack.baseUrl}/hooks/odoo/${ROUTE}?token=…); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return ok ? 0 : 1;
  } finally {
    await stack.close();
    await more.close();
    await marketplaces.close();
  }
}
