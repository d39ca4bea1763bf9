import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import t from 'tap';
import type { Test } from 'tap';
import { getBinding } from '../../src/store/bindings.js';
import { ADMIN_TOKEN } from '../helpers/admin.js';
import { capturedLogger } from '../helpers/logger.js';
import { settle } from '../helpers/settle.js';
import { confirm, createSaleOrder, seedCatalog, type Catalog } from '../../src/sandbox/odoo/seed.js';
import { ROUTE, startStack, type Stack } from '../../src/sandbox/stack.js';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it when it is missing). */
const chromiumPath = '/usr/bin/chromium';
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const tokenKey = 'order-bridge-admin-token';
/** Set to a path (e.g. docs/admin-page.png) to save a screenshot of the page with a failure on it. */
const screenshotPath = process.env['ADMIN_PAGE_SCREENSHOT'];

/** A real headless Chromium with a fresh profile (user data dir), closed and removed when the test ends. */
async function browser(t: Test): Promise<BrowserContext> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'order-bridge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1360, height: 1000 },
  });
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

async function stackFor(t: Test): Promise<{ stack: Stack; catalog: Catalog }> {
  const stack = await startStack({ logger: capturedLogger('silent').logger, adminToken: ADMIN_TOKEN });
  t.teardown(() => stack.close());
  return { stack, catalog: seedCatalog(stack.odoo) };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
}

t.test('a person signs in, sees the failed order with its message, fixes it, presses Retry and sees it exported', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, ysell, app, baseUrl } = stack;
  for (const [partner, product] of [
    [catalog.partners.lyon, catalog.products.lamp],
    [catalog.partners.berlin, catalog.products.chair],
    [catalog.partners.brussels, catalog.products.desk],
  ] as const) {
    confirm(odoo, createSaleOrder(odoo, { partnerId: partner, lines: [{ productId: product, qty: 1, price: 100 }] }));
  }
  const failed = createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 2, price: 15 }] });
  confirm(odoo, failed);
  await odoo.webhooksSettled();
  await settle(app);
  await app.pollNow(ROUTE);
  await app.checkStatusNow(ROUTE);
  const failedName = String(odoo.record('sale.order', failed)?.['name']);

  const page = await (await browser(t)).newPage();
  const response = await page.goto(`${baseUrl}/admin`);
  t.equal(new URL(page.url()).pathname, '/admin/', '/admin leads to the page');
  t.match(response?.headers()['content-security-policy'], /script-src 'self'.*form-action 'none'/);
  t.notOk((await response?.text())?.includes(failedName), 'the page itself holds no data');
  await page.locator('#login').waitFor();
  t.ok(await page.locator('#console').isHidden(), 'nothing is shown before signing in');

  await signIn(page, 'not-the-admin-token-at-all');
  await page.locator('#login-error', { hasText: 'refused' }).waitFor();
  t.equal(await page.evaluate((key) => sessionStorage.getItem(key), tokenKey), null, 'a refused token is not kept');

  await signIn(page, ADMIN_TOKEN);
  const failure = page.locator('#failures tbody tr', { hasText: failedName });
  await failure.waitFor();
  t.match(await failure.textContent(), /has no Ysell product id: set it on the product \(field ysell_product_id\), then retry/);
  t.notOk(page.url().includes(ADMIN_TOKEN), 'the token is never in the URL');
  t.equal(await page.evaluate((key) => sessionStorage.getItem(key), tokenKey), ADMIN_TOKEN, 'it is kept for this tab only');
  await page.locator('#routes tbody tr', { hasText: ROUTE }).waitFor();
  t.match(await page.locator('#routes tbody tr').first().textContent(), /poll every 1 h/);
  t.equal(await page.locator('#orders tbody tr').count(), 4, 'recent orders');

  await failure.getByRole('button', { name: 'History' }).click();
  await page.locator('#history-body', { hasText: 'Calls to other systems' }).waitFor();
  t.match(await page.locator('#history-body').textContent(), /CANNOT_SEND_TO_YSELL|no Ysell product id/);
  if (screenshotPath !== undefined) await page.screenshot({ path: screenshotPath, fullPage: true });

  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { ysell_product_id: '10777' }));
  await failure.getByRole('button', { name: 'Retry' }).click();
  await page.locator('#notice', { hasText: 'queued again' }).waitFor();
  await page.locator(`#orders tr[data-order="${ROUTE}/${failed}"] .badge`, { hasText: 'exported' }).waitFor({ timeout: 20_000 });
  await page.locator('#failures-empty').waitFor();
  t.equal((await getBinding(app.db, ROUTE, String(failed)))?.stage, 'exported');
  t.equal(ysell.orders().length, 4, 'the retried order reached Ysell, once');

  await page.getByRole('button', { name: 'Poll now' }).click();
  await page.locator('#notice', { hasText: `Poll of ${ROUTE}` }).waitFor();
  await page.locator('#routes tbody tr td', { hasText: /ok.*seen/ }).first().waitFor();

  await page.reload();
  await page.locator('#routes tbody tr', { hasText: ROUTE }).waitFor();
  t.ok(await page.locator('#login').isHidden(), 'still signed in after a reload');
  await page.click('#sign-out');
  await page.locator('#login').waitFor();
  t.equal(await page.evaluate((key) => sessionStorage.getItem(key), tokenKey), null, 'signing out forgets the token');
});

t.test('text from outside systems is shown as text, never run as HTML', async (t) => {
  const { stack, catalog } = await stackFor(t);
  const { odoo, app, baseUrl } = stack;
  const hostile = '<img src=x onerror="window.__injected = true">';
  odoo.transact((env) => env.write('product.product', [catalog.products.unlinked], { name: `Cabinet ${hostile}` }));
  confirm(odoo, createSaleOrder(odoo, { partnerId: catalog.partners.gemini, lines: [{ productId: catalog.products.unlinked, qty: 1, price: 15 }] }));
  await odoo.webhooksSettled();
  await settle(app);

  const page = await (await browser(t)).newPage();
  await page.goto(`${baseUrl}/admin/`);
  await signIn(page, ADMIN_TOKEN);
  const failure = page.locator('#failures tbody tr', { hasText: 'Cabinet' });
  await failure.waitFor();
  t.ok((await failure.textContent())?.includes(hostile), 'the markup is shown literally');
  t.equal(await page.locator('#failures img').count(), 0, 'no element was made from it');
  t.equal(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined, 'no script ran');
});
