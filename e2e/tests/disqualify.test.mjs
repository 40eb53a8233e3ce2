// The commune officer finds that a submitted dossier falls under one of its sheet's disqualifiers
// ("Hồ sơ bị loại khi …"): it is rejected, not scored, and the rule and the finding are recorded,
// shown to the producer, and kept in the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, signIn } from './server.mjs';

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

test('the commune disqualifies a submitted dossier by a rule of its sheet', async () => {
  const { context, page } = await signIn(browser, server.base, 'xa@demo.ocop.vn');
  await page.goto(`${server.base}/dossiers?state=submitted`);
  await page.locator('main table a').first().click();
  await page.waitForURL(/\/dossiers\/[0-9a-f]{32}$/);
  assert.match(await page.locator('h1 .tag').textContent(), /Đã nộp/);
  await page.selectOption('select[name=rule]', 'D1');
  const form = page.locator('form', { has: page.locator('select[name=rule]') });
  await form.locator('textarea[name=reason]').fill('Giấy chứng nhận cơ sở đủ điều kiện ATTP đã hết hạn từ tháng 3');
  await form.getByRole('button', { name: 'Loại hồ sơ' }).click();
  assert.match(await page.locator('h1 .tag').textContent(), /Hồ sơ bị loại/);
  const notice = await page.locator('p.notice.disqualified').textContent();
  assert.match(notice, /D1: Hồ sơ bị loại khi: Giả mạo hồ sơ/);
  assert.match(notice, /đã hết hạn từ tháng 3/);
  assert.equal(await page.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).count(), 0, 'nothing more to do');
  assert.match(await page.locator('table').last().textContent(), /Hồ sơ bị loại/);
  await context.close();
});
