// A producer registers itself in a browser, is signed in, adds a product, and sees the pages
// fit a phone; the commune officer confirms the new entity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, phone, overflowOnPhone } from './server.mjs';

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

test('a producer registers, adds a product, and the commune confirms it', async () => {
  // The demo commune officer works in the first commune of Đồng Nai; register there.
  const officerContext = await browser.newContext();
  const desk = await officerContext.newPage();
  await desk.goto(server.base + '/login');
  await desk.fill('input[name=email]', 'xa@demo.ocop.vn');
  await desk.fill('input[name=password]', 'ocop-demo-2025');
  await desk.click('form.stacked button[type=submit]');
  await desk.waitForURL('**/account');
  const communeCode = (await desk.locator('dl.facts dd').last().textContent()).match(/\((\d+)\)/)[1];

  const context = await browser.newContext(phone);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'Đăng ký chủ thể' }).click();
  await page.selectOption('select[name=kind]', 'household');
  await page.fill('input[name=registration_code]', 'x');
  await page.fill('input[name=name]', 'Hộ kinh doanh Chuối sấy Cô Ba');
  await page.fill('input[name=representative]', 'Lý Thị Ba');
  await page.fill('input[name=address]', 'Ấp 2');
  await page.fill('input[name=commune_code]', communeCode);
  await page.fill('input[name=account_email]', 'coba@chuoisay.vn');
  await page.fill('input[name=account_password]', 'mật khẩu đủ dài');
  await page.click('form.stacked button[type=submit]');
  assert.match(await page.locator('.field-error').first().textContent(), /Mã số gồm 6–20 ký tự/);
  assert.equal(await page.inputValue('input[name=name]'), 'Hộ kinh doanh Chuối sấy Cô Ba');
  await page.fill('input[name=registration_code]', 'HKD-E2E-0001');
  await page.fill('input[name=account_password]', 'mật khẩu đủ dài');
  await page.click('form.stacked button[type=submit]');
  await page.waitForURL(/\/entities\/[0-9a-f]{32}$/);
  const entityUrl = page.url();
  assert.match(await page.textContent('h1'), /Chờ xác nhận/);
  let overflow = await overflowOnPhone(page);
  assert.ok(overflow <= 0, `the entity page overflows by ${overflow}px`);

  await page.fill('input[name=name]', 'Chuối sấy dẻo Cô Ba');
  await page.selectOption('select[name=product_set]', 'P07');
  await page.fill('input[name=description]', 'Chuối xiêm sấy dẻo, không đường');
  await page.getByRole('button', { name: 'Thêm sản phẩm' }).click();
  assert.match(await page.locator('.flash').textContent(), /Đã thêm sản phẩm 75-/);
  await page.getByRole('link', { name: 'Chuối sấy dẻo Cô Ba' }).click();
  overflow = await overflowOnPhone(page);
  assert.ok(overflow <= 0, `the product page overflows by ${overflow}px`);

  await desk.goto(entityUrl);
  await desk.getByRole('button', { name: 'Xác nhận chủ thể' }).click();
  assert.match(await desk.locator('.flash').textContent(), /Đã xác nhận chủ thể/);
  await page.goto(entityUrl);
  assert.match(await page.textContent('h1'), /Đã xác nhận/);
  await context.close();
  await officerContext.close();
});
