// The public journey through the foundation: home page, language switch, units browse and search,
// on a desktop and on a phone, in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, phone, overflowOnPhone } from './server.mjs';

let server;
let browser;
const shots = new URL('../artifacts/', import.meta.url).pathname;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startOcop();
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the units page shows live figures and a chart, in Vietnamese', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/units');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.equal(await page.textContent('h1'), 'Đơn vị hành chính');
  const figures = await page.locator('.figure .value').allTextContents();
  assert.ok(figures.includes('34') && figures.includes('3.321'), figures.join(' '));
  assert.equal(await page.locator('.chart svg g').count(), 34);
  await page.screenshot({ path: shots + 'units.png', fullPage: true });
  await page.close();
});

test('a person finds Đồng Nai without typing diacritics and follows it to a former unit', async () => {
  const page = await browser.newPage();
  await page.goto(server.base + '/');
  await page.getByRole('link', { name: 'Đơn vị hành chính' }).first().click();
  await page.waitForURL('**/units');
  assert.equal(await page.locator('tbody tr').count(), 34);
  await page.fill('input[name=q]', 'dong nai');
  await page.press('input[name=q]', 'Enter');
  await page.waitForURL('**/units?q=dong+nai');
  const first = page.locator('tbody tr').first();
  assert.match(await first.textContent(), /Tỉnh Đồng Nai/);
  await first.getByRole('link').click();
  await page.waitForURL('**/units/75');
  assert.match(await page.textContent('h1'), /Tỉnh Đồng Nai/);
  assert.equal(await page.locator('table tbody tr').count(), 95);
  // Each commune lists the former communes it absorbed; follow one.
  const formerLink = page.locator('td.old-units a').first();
  const formerName = await formerLink.textContent();
  await formerLink.click();
  await page.waitForURL(/on=2025-06-30/);
  assert.equal((await page.textContent('h1')).includes(formerName), true);
  assert.match(await page.textContent('main'), /Đơn vị cũ/);
  assert.match(await page.textContent('main'), /Đã sáp nhập vào/);
  await page.close();
});

test('the English switch is remembered across pages and can be undone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.base + '/units/79');
  await page.click('a.lang-switch');
  await page.waitForURL('**/units/79');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('main'), /Communes, wards, special zones/);
  await page.goto(server.base + '/');
  assert.equal(await page.textContent('h1'), "Vietnam's OCOP products");
  await page.click('a.lang-switch');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  await context.close();
});

test('on a phone nothing scrolls sideways', async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  for (const path of ['/', '/units', '/units/79', '/units/26882?on=2025-06-30']) {
    await page.goto(server.base + path);
    const overflow = await overflowOnPhone(page);
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
  }
  await page.goto(server.base + '/units/79');
  await page.screenshot({ path: shots + 'phone-province.png' });
  await context.close();
});
