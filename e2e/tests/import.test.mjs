// Bringing a province's old records in, in a browser: Đồng Nai's office downloads the template,
// uploads a list of producers of former Bình Phước (addresses of the district era), reads the
// dry run's report naming the bad row, its column, its value and the fix, fixes the file, checks
// it again, writes it, and follows the progress to the end; the producers are then in the
// registry on today's map. The upload page fits a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, phone, overflowOnPhone, signIn } from './server.mjs';

let server;
let browser;
const dir = mkdtempSync(join(tmpdir(), 'ocop-e2e-import-'));

before(async () => {
  server = await startOcop();
  browser = await chromium.launch(chromiumOptions);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function producers(secondKind) {
  return [
    'DANH SÁCH CHỦ THỂ OCOP TỈNH BÌNH PHƯỚC (cũ)',
    'Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Xã,Huyện',
    '3800200001,Hợp tác xã Điều Tân Lập,HTX,Nguyễn Văn An,"Ấp 3, xã Tân Lập",Xã Tân Lập,Huyện Đồng Phú',
    `3800200002,Cơ sở Tiêu Tân Tiến,${secondKind},Trần Thị Bình,"Ấp 1, xã Tân Tiến, huyện Đồng Phú, tỉnh Bình Phước",,`,
    '3800200003,Công ty TNHH MTV Mật ong Đồng Tâm,Doanh nghiệp,Lê Văn Cường,Ấp 2,Xã Đồng Tâm,Huyện Đồng Phú',
  ].join('\r\n') + '\r\n';
}

async function upload(page, file, dryRun) {
  await page.goto(server.base + '/imports');
  await page.selectOption('select[name=kind]', 'entities');
  await page.setInputFiles('input[name=file]', file);
  await page.setChecked('input[name=dry_run]', dryRun);
  await page.click('#upload button[type=submit]');
  await page.waitForURL(/\/imports\/[0-9a-z]+$/);
  // The page follows the run and shows the report once it has finished.
  await page.waitForSelector('#import-counts', { timeout: 60_000 });
}

test('an office uploads a workbook, fixes it from the dry run, writes it and follows it', async () => {
  const { context, page } = await signIn(browser, server.base, 'tinh@demo.ocop.vn', { viewport: { width: 1280, height: 900 } });
  await page.goto(server.base + '/imports');
  assert.match(await page.textContent('h1'), /Nhập dữ liệu/);
  // The template downloads as a workbook.
  const template = await page.evaluate(async () => {
    const answer = await fetch('/imports/templates/entities.xlsx');
    const bytes = new Uint8Array(await answer.arrayBuffer());
    return { status: answer.status, type: answer.headers.get('content-type'), zip: bytes[0] === 0x50 && bytes[1] === 0x4b };
  });
  assert.deepEqual(template, { status: 200, type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip: true });

  // A dry run of a file with one bad row: the row, the column, the value and the fix.
  const bad = join(dir, 'chu-the.csv');
  writeFileSync(bad, '\ufeff' + producers('Trang trại'));
  await upload(page, bad, true);
  const problems = await page.$$eval('#problems tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
  assert.deepEqual(problems.map((p) => p.slice(0, 3)), [['4', 'Loại hình', 'Trang trại']]);
  assert.match(problems[0][3], /Hợp tác xã, Doanh nghiệp, Hộ kinh doanh/);
  assert.equal(await page.locator('#apply-form').count(), 0, 'a file with problems is not offered for writing');
  await page.screenshot({ path: '/tmp/e2e-import-dry-run.png', fullPage: true });

  // Fixed in "Excel", checked again: three to create, on today's map.
  const fixed = join(dir, 'chu-the-sua.csv');
  writeFileSync(fixed, '\ufeff' + producers('Hộ kinh doanh'));
  await upload(page, fixed, true);
  assert.match(await page.textContent('#import-counts'), /3 tạo mới/);
  assert.equal(await page.locator('#problems').count(), 0);

  // Written for real; the page follows the run to its end.
  await page.click('#apply-form button[type=submit]');
  await page.waitForURL(/\/imports\/[0-9a-z]+$/);
  await page.waitForSelector('#import-written', { timeout: 60_000 });
  assert.match(await page.textContent('#import-counts'), /3 tạo mới/);
  await page.screenshot({ path: '/tmp/e2e-import-written.png', fullPage: true });

  // The producers are in the registry, in today's Đồng Phú and Đồng Tâm communes.
  const entities = await page.evaluate(async () => (await fetch('/api/v1/entities')).json());
  const imported = entities.filter((e) => e.registration_code.startsWith('38002000'));
  assert.deepEqual(imported.map((e) => e.commune_code).sort(), ['25363', '25363', '25390']);

  // The same file again: nothing changes.
  await upload(page, fixed, false);
  assert.match(await page.textContent('#import-counts'), /3 không đổi/);
  assert.equal(await page.locator('#import-written').count(), 0);
  await context.close();
});

test('the import page fits a phone', async () => {
  const { context, page } = await signIn(browser, server.base, 'tinh@demo.ocop.vn', phone);
  await page.goto(server.base + '/imports');
  assert.ok(await overflowOnPhone(page) <= 0, 'no sideways scroll');
  await page.screenshot({ path: '/tmp/e2e-import-phone.png', fullPage: true });
  await context.close();
});
