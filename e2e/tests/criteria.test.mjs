// Officials and producers read the scoring sheets; a provisional sheet must say so.
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

test('from the criteria list to a provisional sheet and an official one', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'Bộ tiêu chí' }).click();
  await page.waitForURL('**/criteria');
  const latest = page.locator('section#v-148-1489');
  assert.equal(await latest.locator('tbody tr').count(), 26);
  await latest.getByRole('link', { name: 'Tương, nước mắm, gia vị dạng lỏng khác' }).click();
  await page.waitForURL('**/criteria/148-1489/P09');
  assert.match(await page.locator('p.notice').textContent(), /Phiếu chấm tạm thời/);
  await page.goto(server.base + '/criteria');
  await page.locator('section#v-1048').getByRole('link', { name: 'Rau, củ, quả, hạt tươi' }).click();
  await page.waitForURL('**/criteria/1048/P01');
  assert.equal(await page.locator('p.notice').count(), 0);
  assert.equal(await page.locator('table.sheet').count(), 31);
  await page.close();
});
