// Signing in works in a real browser (secure, same-site cookies on 127.0.0.1), and an
// administrator creates an account; a wrong field is shown beside it, with what was typed kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions } from './server.mjs';

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

test('an administrator signs in, creates an account, and signs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'Đăng nhập' }).click();
  await page.fill('input[name=email]', 'admin@demo.ocop.vn');
  await page.fill('input[name=password]', 'sai mật khẩu');
  await page.click('form.stacked button[type=submit]');
  assert.match(await page.locator('.flash.error').textContent(), /Thư điện tử hoặc mật khẩu không đúng/);
  assert.equal(await page.inputValue('input[name=email]'), 'admin@demo.ocop.vn');
  await page.fill('input[name=password]', 'ocop-demo-2025');
  await page.click('form.stacked button[type=submit]');
  await page.waitForURL('**/account');
  assert.match(await page.textContent('main'), /Quản trị hệ thống/);

  await page.getByRole('link', { name: 'Quản trị', exact: true }).click();
  await page.waitForURL('**/admin/users');
  await page.fill('input[name=email]', 'moi@demo.ocop.vn');
  await page.fill('input[name=name]', 'Võ Thị Mới');
  await page.selectOption('select[name=role]', 'provincial_officer');
  await page.fill('input[name=unit]', '99999');
  await page.fill('input[name=password]', 'một mật khẩu đủ dài');
  await page.click('form.stacked button[type=submit]');
  assert.match(await page.locator('.field-error').textContent(), /Đơn vị không phù hợp/);
  assert.equal(await page.inputValue('input[name=name]'), 'Võ Thị Mới');
  await page.fill('input[name=unit]', '75');
  await page.fill('input[name=password]', 'một mật khẩu đủ dài');
  await page.click('form.stacked button[type=submit]');
  assert.match(await page.locator('.flash').textContent(), /Đã tạo tài khoản moi@demo.ocop.vn/);
  assert.equal(await page.locator('tbody tr', { hasText: 'moi@demo.ocop.vn' }).count(), 1);

  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.waitForURL(server.base + '/');
  await page.goto(server.base + '/account');
  await page.waitForURL('**/login');
  await context.close();
});
