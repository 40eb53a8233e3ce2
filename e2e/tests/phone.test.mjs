// On a phone (390 px), every page a producer, a commune officer and an administrator work with
// fits the screen without sideways scrolling; the producer corrects its entity and product there,
// and the history shows what changed. Set SCREENSHOTS=dir to keep a picture of each page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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

const onPhone = (email) => signIn(browser, server.base, email, phone);

// The page fits the phone's width; a screenshot is kept when asked for.
async function fits(page, name) {
  const overflow = await overflowOnPhone(page);
  if (process.env.SCREENSHOTS) {
    mkdirSync(process.env.SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(process.env.SCREENSHOTS, `${name}.png`), fullPage: true });
  }
  assert.ok(overflow <= 0, `${name} (${page.url()}) overflows by ${overflow}px`);
}

// The links of a list, as absolute addresses.
async function links(page, pattern) {
  const hrefs = await page.$$eval('main a', (anchors) => anchors.map((a) => a.href));
  return [...new Set(hrefs.filter((href) => pattern.test(href)))];
}

test('a producer corrects its entity and product on a phone, and its dossier pages fit', async () => {
  const { context, page } = await onPhone('sanxuat@demo.ocop.vn');
  await page.getByRole('link', { name: 'Chủ thể' }).click();
  await fits(page, 'producer-entities');
  await page.getByRole('link', { name: 'Hợp tác xã Nông nghiệp Sầu riêng Long Khánh' }).click();
  await fits(page, 'producer-entity');

  await page.getByRole('link', { name: 'Sửa thông tin chủ thể' }).click();
  await fits(page, 'producer-entity-edit');
  await page.fill('input[name=phone]', 'gọi tôi');
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
  assert.match(await page.locator('.field-error').first().textContent(), /Số điện thoại không hợp lệ/);
  assert.equal(await page.inputValue('input[name=phone]'), 'gọi tôi');
  await page.fill('input[name=phone]', '0251 3877 123');
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
  assert.match(await page.locator('.flash').textContent(), /Đã lưu thông tin chủ thể/);
  const change = page.locator('ul.changes li', { hasText: 'Điện thoại' }).last();
  assert.match(await change.textContent(), /0251 3877 123/);
  await fits(page, 'producer-entity-history');

  await page.getByRole('link', { name: 'Sầu riêng Ri6 Long Khánh' }).click();
  await fits(page, 'producer-product');
  await page.getByRole('link', { name: 'Sửa thông tin sản phẩm' }).click();
  await fits(page, 'producer-product-edit');
  await page.fill('input[name=export_markets]', 'Trung Quốc, Hàn Quốc');
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
  assert.match(await page.locator('.flash').textContent(), /Đã lưu thông tin sản phẩm/);
  assert.match(await page.locator('ul.changes').last().textContent(), /Trung Quốc, Hàn Quốc/);

  // A dossier opened on the phone: its page and the self-assessment sheet fit too.
  await page.fill('input[name=contact_phone]', '0251 3877 123');
  await page.getByRole('button', { name: 'Lập hồ sơ đánh giá' }).click();
  await page.waitForURL(/\/dossiers\/[0-9a-f]{32}$/);
  await fits(page, 'producer-dossier');
  await page.getByRole('link', { name: 'Làm phiếu tự đánh giá' }).click();
  await fits(page, 'producer-self-assessment');
  await page.getByRole('link', { name: 'Hồ sơ', exact: true }).click();
  await fits(page, 'producer-dossiers');
  assert.ok((await links(page, /\/dossiers\/[0-9a-f]{32}$/)).length >= 1, 'the new dossier is listed');
  await context.close();
});

test('a commune officer works its inbox on a phone', async () => {
  const { context, page } = await onPhone('xa@demo.ocop.vn');
  await page.getByRole('link', { name: 'Hồ sơ' }).click();
  await fits(page, 'commune-inbox');
  const dossiers = await links(page, /\/dossiers\/[0-9a-f]{32}$/);
  assert.ok(dossiers.length >= 2, `the inbox lists ${dossiers.length} dossiers`);
  // The filter narrows the inbox to what waits for the commune.
  await page.locator('nav.filters a', { hasText: 'Đã nộp' }).click();
  await page.waitForURL('**/dossiers?state=submitted');
  await fits(page, 'commune-inbox-submitted');
  const states = await page.locator('tbody .tag').allTextContents();
  assert.ok(states.length >= 1 && states.every((s) => s === 'Đã nộp'), `filtered states: ${states}`);
  for (const [index, url] of dossiers.entries()) {
    await page.goto(url);
    await fits(page, `commune-dossier-${index}`);
  }
  await page.getByRole('link', { name: 'Chủ thể' }).click();
  await fits(page, 'commune-entities');
  await context.close();
});

test('an administrator manages accounts on a phone', async () => {
  const { context, page } = await onPhone('admin@demo.ocop.vn');
  await fits(page, 'admin-account');
  await page.getByRole('link', { name: 'Quản trị', exact: true }).click();
  await page.waitForURL('**/admin/users');
  await fits(page, 'admin-users');
  await context.close();
});
