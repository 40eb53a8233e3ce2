// An evaluation round on a tablet: a council member scores a product on the sheet (the draft
// saves itself), sees no other card until theirs is in, and submits; the secretary follows who
// has submitted; the chair opens a re-score on a product whose totals are too far apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, signIn } from './server.mjs';

let server;
let browser;
const tablet = { viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true };

before(async () => {
  server = await startOcop();
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openScoringRound(page) {
  await page.goto(`${server.base}/rounds`);
  await page.getByRole('link', { name: 'Đợt 2 năm 2026' }).click();
  await page.waitForURL(/\/rounds\/[0-9a-f]{32}$/);
}

test('a member scores on a tablet, the secretary sees it, the chair opens a re-score', async () => {
  // The member: blind before submitting, the draft saved by itself, then submitted.
  const member = await signIn(browser, server.base, 'hoidong@demo.ocop.vn', tablet);
  await openScoringRound(member.page);
  const row = member.page.locator('#products tr', { hasText: 'Chuối già Nam Mỹ' });
  assert.match(await row.textContent(), /2\/6/);
  await row.locator('a').first().click();
  await member.page.waitForURL(/\/products\/[0-9a-f]{32}$/);
  assert.equal(await member.page.locator('#blind').count(), 1, 'blind before its own card');
  assert.equal(await member.page.locator('#cards').count(), 0);
  const criteria = member.page.locator('fieldset.criterion');
  const count = await criteria.count();
  assert.ok(count > 20, `${count} criteria on the sheet`);
  for (let i = 0; i < count; i++) {
    await criteria.nth(i).locator('input[type=radio]').last().check();
  }
  await member.page.waitForFunction(() => document.querySelector('#autosave')?.textContent.includes('Đã tự động lưu'));
  const overflow = await member.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the sheet fits the tablet (${overflow}px over)`);
  await member.page.screenshot({ path: '/tmp/e2e-sheet-tablet.png', fullPage: false });
  await member.page.getByRole('button', { name: 'Nộp phiếu' }).click();
  assert.match(await member.page.locator('#notice').textContent(), /Đã nộp phiếu: \d+ điểm/);
  assert.equal(await member.page.locator('#blind').count(), 0);
  assert.equal(await member.page.locator('#cards tbody tr').count(), 3, 'now it sees the cards');
  await member.context.close();

  // The secretary: who has submitted, product by product.
  const secretary = await signIn(browser, server.base, 'tinh@demo.ocop.vn', tablet);
  await openScoringRound(secretary.page);
  await secretary.page.getByRole('link', { name: 'Tiến độ chấm (thư ký)' }).click();
  const progress = secretary.page.locator('#overview tr', { hasText: 'Chuối già Nam Mỹ' });
  assert.match(await progress.textContent(), /3\/6/);
  assert.equal(await progress.locator('td.cell.submitted').count(), 3);
  assert.equal(await secretary.page.locator('#overview td.cell.excluded').count(), 1, 'the conflicted member');
  await secretary.page.screenshot({ path: '/tmp/e2e-overview-tablet.png', fullPage: true });
  await secretary.context.close();

  // The chair: a product put to discussion by its spread, re-scored with a reason.
  const chair = await signIn(browser, server.base, 'chutich@demo.ocop.vn', tablet);
  await openScoringRound(chair.page);
  const discussed = chair.page.locator('#products tr[data-status=discussion]');
  assert.equal(await discussed.count(), 1);
  await discussed.locator('a').first().click();
  assert.match(await chair.page.locator('#result').textContent(), /Chênh lệch quá mức/);
  await chair.page.locator('#rescore textarea[name=reason]').fill('Chênh lệch hơn 10 điểm ở tiêu chí 1.5; hội đồng đã thảo luận');
  await chair.page.getByRole('button', { name: 'Mở chấm lại' }).click();
  assert.match(await chair.page.locator('#notice').textContent(), /Đã mở chấm lại \(lần 2\)/);
  assert.match(await chair.page.locator('main').textContent(), /Lần 2: Võ Văn Chủ mở chấm lại/);
  assert.equal(await chair.page.locator('#history tbody tr').count(), 6, 'pass 1 stays in the history');
  assert.equal(await chair.page.locator('#blind').count(), 1, 'blind again on the new pass');
  await chair.context.close();
});
