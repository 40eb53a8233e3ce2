// Programme monitoring in a browser: a provincial officer reads Đồng Nai's dashboard for the
// 2021–2025 plan on a desktop — every chart drawn from the same figures as the table beside it,
// and the table the same as the API's — records a plan (a share over 100 % is refused beside the
// field, then fixed), and plans a disbursement; the central office reads the national dashboard on
// a phone, which fits the screen.
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

// The page's tables as text, by key, and the API's rows formatted the same way.
async function tablesOf(page) {
  return page.$$eval('table[data-table]', (tables) =>
    Object.fromEntries(tables.map((t) => [
      t.dataset.table,
      [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    ])));
}

async function checkCharts(page, query) {
  const tables = await tablesOf(page);
  const api = await page.evaluate(async (q) => (await fetch('/api/v1/monitoring/dashboard?' + q, { headers: { 'Accept-Language': 'vi' } })).json(), query);
  // Each table on the page has the API's rows, cell for cell (numbers as shown: 1.234, 75.000.000 ₫).
  const shown = (v) => (typeof v === 'number' ? v.toLocaleString('de-DE') : String(v));
  for (const table of api.tables) {
    const rows = tables[table.key] ?? [];
    assert.equal(rows.length, table.rows.length, `${table.key}: rows`);
    table.rows.forEach((row, i) => {
      row.forEach((cell, j) => {
        if (table.key === 'support' && j >= 3 && j <= 5) {
          assert.equal(rows[i][j], shown(cell) + ' ₫', `${table.key} ${i},${j}`);
        } else if (!(table.key === 'support' && j === 6)) {
          assert.equal(rows[i][j], shown(cell), `${table.key} ${i},${j}`);
        }
      });
    });
  }
  // The charts are drawn from those rows: each year's column names its stars' counts, each
  // target's bar its percent.
  for (const row of tables.by_year) {
    const title = `${row[0]} — 3★: ${row[1]}, 4★: ${row[2]}, 5★: ${row[3]}`;
    assert.ok(await page.locator('#table-by_year svg title', { hasText: title }).count() === 1, title);
  }
  for (const row of tables.targets ?? []) {
    const percent = row[row.length - 1];
    const title = `${row[0]}: ${percent} %`;
    assert.equal(await page.locator('#table-targets svg title', { hasText: title }).count(), 1, title);
  }
  return tables;
}

test('a provincial officer reads the 2021–2025 dashboard and records a plan', async () => {
  const { context, page } = await signIn(browser, server.base, 'tinh@demo.ocop.vn', { viewport: { width: 1280, height: 900 } });
  await page.goto(server.base + '/monitoring?period=2021-2025');
  assert.match(await page.textContent('h1'), /Tỉnh Đồng Nai/);
  const tables = await checkCharts(page, 'period=2021-2025');
  // The former provinces' plans roll onto today's Đồng Nai: one target row per indicator.
  assert.ok(tables.targets.length >= 5, 'targets from both former provinces');
  assert.match(await page.textContent('#table-targets .table-note'), /Bình Phước/);
  // Bình Phước on the map of its own time.
  await page.goto(server.base + '/monitoring?period=2021-2025&unit=70&map=period');
  assert.match(await page.textContent('h1'), /Bình Phước \(trước sắp xếp/);
  await checkCharts(page, 'period=2021-2025&unit=70&map=period');
  await page.screenshot({ path: '/tmp/e2e-monitoring-dashboard.png', fullPage: true });

  // A plan with a share over 100 % comes back with the error beside the field.
  await page.goto(server.base + '/monitoring/plans');
  await page.fill('#plan-form input[name=unit]', '75');
  await page.fill('#plan-form input[name=period]', '2027');
  await page.fill('#plan-form input[name=reference]', 'Kế hoạch OCOP năm 2027');
  await page.fill('#plan-form input[name=t_new_products]', '12');
  await page.fill('#plan-form input[name=t_women_led_share]', '140');
  await page.click('#plan-form button[type=submit]');
  const error = page.locator('input[name=t_women_led_share] + .field-error');
  assert.match(await error.textContent(), /100 %/);
  assert.equal(await page.inputValue('#plan-form input[name=t_new_products]'), '12', 'what was typed stays');
  await page.fill('#plan-form input[name=t_women_led_share]', '45');
  await page.click('#plan-form button[type=submit]');
  await page.waitForURL(/\/monitoring\/plans/);
  const plan = page.locator('article.plan', { hasText: '2027' });
  assert.match(await plan.textContent(), /Kế hoạch OCOP năm 2027/);
  assert.match(await plan.textContent(), /\/ 45 %/);

  // An entitlement explains itself; a disbursement over it is refused.
  await page.goto(server.base + '/monitoring/policies');
  await page.click('text=Hỗ trợ một lần sản phẩm OCOP được công nhận lần đầu');
  const link = page.locator('#entitlements a').first();
  await link.click();
  assert.match(await page.textContent('#explanation'), /75\.000\.000 ₫ — Hỗ trợ một lần/);
  if (await page.locator('#disbursement-form').count()) {
    await page.fill('#disbursement-form input[name=amount]', '999.000.000');
    await page.fill('#disbursement-form input[name=on]', '01/12/2026');
    await page.fill('#disbursement-form input[name=document]', 'Tờ trình 200/TTr-SNN');
    await page.click('#disbursement-form button[type=submit]');
    assert.match(await page.textContent('input[name=amount] + .field-error'), /vượt/);
  }
  await context.close();
});

test('the central office reads the national dashboard on a phone', async () => {
  const { context, page } = await signIn(browser, server.base, 'trunguong@demo.ocop.vn', phone);
  await page.goto(server.base + '/monitoring');
  assert.match(await page.textContent('h1'), /Toàn quốc/);
  const tables = await checkCharts(page, '');
  assert.ok(tables.units.some((row) => row[2] === 'Tỉnh Đồng Nai'), 'provinces ranked');
  assert.equal(await overflowOnPhone(page), 0, 'the dashboard fits the phone');
  await page.screenshot({ path: '/tmp/e2e-monitoring-phone.png', fullPage: true });
  const download = await page.evaluate(async () => {
    const r = await fetch('/monitoring/report.xlsx');
    return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength];
  });
  assert.equal(download[0], 200);
  assert.match(download[1], /spreadsheetml/);
  assert.ok(download[2] > 5000);
  await context.close();
});
