// The public portal: a person searches without diacritics, opens a product and its verification
// ("valid"); a revoked certificate reads "revoked"; the offline verifier checks a QR with the
// network cut, and says it could not check today's status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, phone, overflowOnPhone, signIn } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startOcop();
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a person searches, opens a product and sees its certificate valid', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/');
  assert.equal(await page.textContent('h1'), 'Sản phẩm OCOP Việt Nam');
  await page.fill('#q', 'buoi duong la cam');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/catalogue\?q=buoi/);
  const card = page.locator('.product-card', { hasText: 'Bưởi đường lá cam Tân Triều' }).first();
  await card.locator('a').click();
  await page.waitForURL(/\/catalogue\/products\//);
  assert.match(await page.textContent('#product-name'), /Bưởi đường lá cam Tân Triều/);
  assert.equal(await page.getAttribute('#product-status', 'data-state'), 'active');
  await page.click('#verify-link');
  await page.waitForURL(/\/v\/OCOP-/);
  const verdict = page.locator('#verdict');
  assert.equal(await verdict.getAttribute('data-valid'), 'true');
  assert.match(await verdict.locator('.headline').textContent(), /CÒN HIỆU LỰC/);
  await page.screenshot({ path: '/tmp/e2e-portal-verify.png', fullPage: true });
  await page.close();
});

test('a revoked certificate reads revoked, on a phone', async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  await page.goto(server.base + '/catalogue?status=revoked');
  assert.equal(await overflowOnPhone(page), 0, 'the catalogue fits the phone');
  const card = page.locator('.product-card').first();
  assert.equal(await card.getAttribute('data-status'), 'revoked');
  await card.locator('a').click();
  await page.waitForURL(/\/catalogue\/products\//);
  await page.click('#verify-link');
  await page.waitForURL(/\/v\/OCOP-/);
  const verdict = page.locator('#verdict');
  assert.equal(await verdict.getAttribute('data-status'), 'revoked');
  assert.equal(await verdict.getAttribute('data-valid'), 'false');
  assert.match(await verdict.locator('.headline').textContent(), /KHÔNG CÒN HIỆU LỰC/);
  assert.equal(await overflowOnPhone(page), 0, 'the verification fits the phone');
  await page.screenshot({ path: '/tmp/e2e-portal-revoked-phone.png', fullPage: true });
  await context.close();
});

test('the offline verifier checks a QR with the network cut', async () => {
  // An official's page gives the QR's text, as printed on the package.
  const official = await signIn(browser, server.base, 'tinh@demo.ocop.vn');
  await official.page.goto(`${server.base}/certificates?status=active`);
  await official.page.locator('#certificates tr', { hasText: 'Chôm chôm nhãn Long Khánh' }).first().locator('a').click();
  await official.page.waitForURL(/\/certificates\/[0-9a-f]{32}$/);
  const scanned = await official.page.locator('#verification-url').getAttribute('href');
  await official.context.close();

  const context = await browser.newContext(phone);
  const page = await context.newPage();
  await page.goto(server.base + '/verify');
  await page.waitForFunction(() => document.getElementById('verifier').dataset.ready === 'true');
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Online first: the register confirms.
  await page.fill('#scan-text', scanned);
  await page.click('#verify-form button[type=submit]');
  const result = page.locator('#offline-result');
  await result.waitFor();
  await page.waitForFunction(() => document.querySelector('#offline-result .live').dataset.live !== undefined);
  assert.equal(await result.getAttribute('data-outcome'), 'valid');
  assert.equal(await page.getAttribute('#offline-result .live', 'data-live'), 'active');

  await context.setOffline(true);
  await page.reload();
  await page.fill('#scan-text', scanned);
  await page.click('#verify-form button[type=submit]');
  await result.waitFor();
  await page.waitForFunction(() => document.querySelector('#offline-result .live').dataset.live === 'unknown');
  assert.equal(await result.getAttribute('data-outcome'), 'valid');
  assert.match(await result.locator('.headline').textContent(), /ĐÚNG/);
  assert.match(await result.locator('.live').textContent(), /KHÔNG kiểm tra được tình trạng hôm nay/);
  assert.match(await result.textContent(), /OCOP-75-/);
  // One character changed: forged, offline too.
  const tail = scanned.slice(-1) === 'A' ? 'B' : 'A';
  await page.fill('#scan-text', scanned.slice(0, -1) + tail);
  await page.click('#verify-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('offline-result').dataset.outcome === 'forged');
  await page.screenshot({ path: '/tmp/e2e-offline-verifier.png', fullPage: true });
  await context.close();
});

test('an officer records where a product is sold, and a visitor finds it there', async () => {
  const { context, page } = await signIn(browser, server.base, 'tinh@demo.ocop.vn');
  await page.goto(server.base + '/entities');
  await page.getByRole('link', { name: 'Hợp tác xã Chôm chôm Long Khánh' }).first().click();
  await page.getByRole('link', { name: 'Chôm chôm nhãn Long Khánh' }).first().click();
  const form = page.locator('#sales-point-form');
  await form.locator('select[name=kind]').selectOption('ecommerce');
  await form.locator('input[name=name]').fill('Gian hàng Chôm chôm Long Khánh');
  await form.locator('button[type=submit]').click();
  // An online shop without its link comes back with what was typed and what is missing.
  const error = page.locator('#sales-point-form .field-error').first();
  assert.match(await error.textContent(), /https:\/\//);
  assert.equal(await page.inputValue('#sales-point-form input[name=name]'), 'Gian hàng Chôm chôm Long Khánh');
  await page.locator('#sales-point-form input[name=url]').fill('https://postmart.vn/shop/chom-chom-long-khanh');
  await page.locator('#sales-point-form button[type=submit]').click();
  await page.waitForURL(/#sales-points$/);
  assert.match(await page.textContent('#sales-point-list'), /Gian hàng Chôm chôm Long Khánh/);
  await context.close();

  const visitor = await browser.newPage();
  await visitor.goto(server.base + '/catalogue?q=chom+chom+nhan');
  await visitor.locator('.product-card', { hasText: 'Chôm chôm nhãn Long Khánh' }).first().locator('a').first().click();
  await visitor.waitForURL(/\/catalogue\/products\//);
  const shop = visitor.locator('#sales-points a', { hasText: 'Gian hàng Chôm chôm Long Khánh' });
  assert.equal(await shop.getAttribute('href'), 'https://postmart.vn/shop/chom-chom-long-khanh');
  await visitor.screenshot({ path: '/tmp/e2e-portal-where-to-buy.png', fullPage: true });
  await visitor.close();
});
