// The producer's readiness check on a QĐ 26/2026 sheet, on a desktop and on a phone: a dossier
// opened now is on 26/2026; the self-assessment shows the star marks and their legend; once saved,
// it shows the total, the band, which star's minimums are met and what the next star is missing.
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

async function readinessJourney(options, name) {
  const { context, page } = await signIn(browser, server.base, 'sanxuat@demo.ocop.vn', options);
  await page.getByRole('link', { name: 'Chủ thể' }).click();
  await page.getByRole('link', { name: 'Hợp tác xã Nông nghiệp Sầu riêng Long Khánh' }).click();
  await page.getByRole('link', { name: 'Sầu riêng Ri6 Long Khánh' }).click();
  await page.getByRole('button', { name: 'Lập hồ sơ đánh giá' }).click();
  await page.waitForURL(/\/dossiers\/[0-9a-f]{32}$/);
  assert.match(await page.textContent('main'), /26-2026 · P01/);

  await page.getByRole('link', { name: 'Làm phiếu tự đánh giá' }).click();
  assert.match(await page.locator('p.legend').textContent(), /Dấu sao là yêu cầu tối thiểu/);
  assert.match(await page.locator('fieldset', { hasText: '1.5 Liên kết sản xuất' }).textContent(), /Tối thiểu 4 sao/);
  assert.match(await page.textContent('main'), /lưu phiếu đầy đủ để xem mức sẵn sàng/);

  // The best option everywhere but 1.5, where the linkage contracts cover under 75 % of sales.
  await page.$$eval('fieldset', (sets) => sets.forEach((set) => {
    const radios = set.querySelectorAll('input[type=radio]');
    radios[radios.length - 1].checked = true;
  }));
  await page.check('input[name="1.5"][value="2"]');
  await page.getByRole('button', { name: 'Lưu phiếu tự đánh giá' }).click();
  assert.match(await page.locator('.flash').first().textContent(), /Đã lưu phiếu tự đánh giá: 98 điểm/);

  await page.getByRole('link', { name: 'Làm phiếu tự đánh giá' }).click();
  const readiness = page.locator('#readiness');
  const text = await readiness.textContent();
  assert.match(text, /Tổng điểm tự đánh giá\s*98\.00/);
  assert.match(text, /Khung điểm\s*5 sao/);
  assert.match(text, /Hạng sao dự kiến \(sau mức tối thiểu\)\s*3 sao/);
  assert.match(await readiness.locator('li.met').first().textContent(), /3 sao: đạt đủ 7 mức tối thiểu/);
  assert.match(await readiness.locator('li.missing').first().textContent(), /4 sao: chưa đạt mức tối thiểu ở 1\.5 Liên kết sản xuất/);
  assert.match(text, /Để đạt 4 sao, cần:/);
  assert.match(await readiness.locator('ol li').first().textContent(), /1\.5 Liên kết sản xuất: «Có hợp đồng liên kết trên 75% sản lượng tiêu thụ» \(2 điểm — Tối thiểu 4 sao\)/);

  if (options.isMobile) {
    const overflow = await overflowOnPhone(page);
    assert.ok(overflow <= 0, `the self-assessment overflows a phone by ${overflow}px`);
  }
  if (process.env.SCREENSHOTS) {
    mkdirSync(process.env.SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(process.env.SCREENSHOTS, `${name}.png`), fullPage: false });
  }
  await context.close();
}

test('the producer checks its readiness on a 26/2026 sheet (desktop)', async () => {
  await readinessJourney({}, 'readiness-desktop');
});

test('the producer checks its readiness on a 26/2026 sheet (phone)', async () => {
  await readinessJourney(phone, 'readiness-phone');
});
