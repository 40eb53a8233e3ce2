// The producer and commune journeys in a browser, on the demo data: the producer opens a dossier,
// self-assesses, uploads evidence and submits; the commune returns it with a reason; the producer
// submits again; the commune accepts and proposes it to the province.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, signIn as signInAs } from './server.mjs';

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

const signIn = (email) => signInAs(browser, server.base, email);

const pdf = (text) => ({ name: `${text}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`) });

test('a dossier goes from the producer to the province', async () => {
  const producer = await signIn('sanxuat@demo.ocop.vn');
  let page = producer.page;
  await page.getByRole('link', { name: 'Chủ thể' }).click();
  await page.getByRole('link', { name: 'Hợp tác xã Nông nghiệp Sầu riêng Long Khánh' }).click();
  await page.getByRole('link', { name: 'Sầu riêng Ri6 Long Khánh' }).click();
  await page.fill('input[name=contact_phone]', '0251 3822 999');
  await page.getByRole('button', { name: 'Lập hồ sơ đánh giá' }).click();
  await page.waitForURL(/\/dossiers\/[0-9a-f]{32}$/);
  const dossierUrl = page.url();
  assert.match(await page.locator('ul.missing').textContent(), /Phiếu tự đánh giá/);

  // Self-assessment: one option per criterion.
  await page.getByRole('link', { name: 'Làm phiếu tự đánh giá' }).click();
  await page.$$eval('fieldset', (sets) => sets.forEach((set) => { set.querySelector('input[type=radio]').checked = true; }));
  await page.getByRole('button', { name: 'Lưu phiếu tự đánh giá' }).click();
  assert.match(await page.locator('.flash').first().textContent(), /Đã lưu phiếu tự đánh giá/);

  // Evidence: a disguised file is refused, then every required document is uploaded.
  await page.selectOption('select[name=evidence_type]', 'test_report');
  await page.setInputFiles('input[name=file]', { name: 'virus.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ not a pdf') });
  await page.getByRole('button', { name: 'Tải lên tài liệu minh chứng' }).click();
  assert.match(await page.locator('.flash.error').textContent(), /Chỉ nhận tệp PDF/);
  for (const kind of ['business_registration', 'quality_declaration', 'test_report', 'product_photo', 'food_safety_certificate']) {
    await page.selectOption('select[name=evidence_type]', kind);
    await page.setInputFiles('input[name=file]', pdf(kind));
    await page.getByRole('button', { name: 'Tải lên tài liệu minh chứng' }).click();
    assert.match(await page.locator('.flash').first().textContent(), /Đã thêm tài liệu/);
  }
  assert.match(await page.textContent('main'), /Hồ sơ đã đủ thành phần/);
  await page.getByRole('button', { name: 'Nộp hồ sơ' }).click();
  assert.match(await page.locator('h1 .tag').textContent(), /Đã nộp/);

  // The commune officer returns it with a reason.
  const officer = await signIn('xa@demo.ocop.vn');
  const desk = officer.page;
  await desk.getByRole('link', { name: 'Hồ sơ' }).click();
  await desk.goto(dossierUrl);
  await desk.fill('textarea[name=reason]', 'Đề nghị bổ sung ảnh nhãn sản phẩm rõ hơn');
  await desk.getByRole('button', { name: 'Trả lại hồ sơ' }).click();
  assert.match(await desk.locator('h1 .tag').textContent(), /Bị trả lại/);

  // The producer sees why, and submits again.
  await page.goto(dossierUrl);
  assert.match(await page.locator('p.notice').textContent(), /bổ sung ảnh nhãn/);
  await page.getByRole('button', { name: 'Nộp hồ sơ' }).click();
  assert.match(await page.locator('h1 .tag').textContent(), /Đã nộp/);

  // The commune accepts and proposes it; the history shows every step.
  await desk.goto(dossierUrl);
  await desk.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click();
  // Under 26/2026 it writes its Mẫu 03 report first, with the deadline in view.
  assert.match(await desk.locator('#report + p').textContent(), /Hạn lập báo cáo/);
  await desk.fill('textarea[name=local_materials]', 'Nguyên liệu trồng tại xã, có hợp đồng liên kết');
  await desk.fill('textarea[name=local_labour]', '12 lao động thường trú tại xã');
  await desk.fill('textarea[name=idea_origin]', 'Sản phẩm truyền thống của địa phương');
  await desk.fill('textarea[name=local_identity]', 'Giống cây bản địa của vùng đất đỏ');
  await desk.getByRole('button', { name: 'Lưu báo cáo' }).click();
  assert.match(await desk.locator('p.flash[role=status]').textContent(), /Đã lưu báo cáo Mẫu 03/);
  await desk.getByRole('button', { name: 'Đề xuất lên tỉnh' }).click();
  assert.match(await desk.locator('h1 .tag').textContent(), /Đã đề xuất lên tỉnh/);
  const history = await desk.locator('table').last().textContent();
  for (const step of ['Lập hồ sơ', 'Tự đánh giá', 'Thêm tài liệu minh chứng', 'Nộp hồ sơ', 'Trả lại hồ sơ', 'Tiếp nhận hồ sơ', 'Xã lập báo cáo Mẫu 03', 'Đề xuất lên tỉnh']) {
    assert.ok(history.includes(step), `history lacks ${step}`);
  }

  // The province takes it in.
  const province = await signIn('tinh@demo.ocop.vn');
  await province.page.goto(dossierUrl);
  await province.page.getByRole('button', { name: 'Tiếp nhận hồ sơ (tỉnh)' }).click();
  assert.match(await province.page.locator('h1 .tag').textContent(), /Tỉnh đã tiếp nhận/);
  await province.context.close();
  await producer.context.close();
  await officer.context.close();
});
