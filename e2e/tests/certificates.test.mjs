// Certificates in a browser: the producer on a phone follows the notice of a certificate that
// expires soon and opens the re-evaluation dossier pre-filled from the last one; the province on
// a desktop revokes a certificate; the public, on a phone, scans the QR (opens its URL) and sees
// "revoked" at once; a forged code says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startOcop, chromiumOptions, signIn, phone, overflowOnPhone } from './server.mjs';

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

test('the producer follows the expiry notice to a pre-filled re-evaluation dossier (phone)', async () => {
  const { context, page } = await signIn(browser, server.base, 'sanxuat@demo.ocop.vn', phone);
  const badge = page.locator('#inbox .badge');
  assert.ok(Number(await badge.textContent()) >= 1, 'an unread count in the header');
  await page.locator('#inbox').click();
  await page.waitForURL('**/notices');
  assert.equal(await overflowOnPhone(page), 0, 'the inbox fits the phone');
  const notice = page.locator('#notices li', { hasText: 'sắp hết hiệu lực' });
  assert.match(await notice.textContent(), /Sầu riêng Dona Long Khánh/);
  await notice.getByRole('button').click();
  await page.waitForURL(/\/certificates\/[0-9a-f]{32}\/reevaluate$/);
  assert.match(await page.locator('main').textContent(), /điền sẵn từ hồ sơ lần trước/);
  assert.equal(await overflowOnPhone(page), 0, 'the re-evaluation page fits the phone');
  await page.getByRole('button', { name: 'Mở hồ sơ đánh giá lại' }).click();
  await page.waitForURL(/\/dossiers\/[0-9a-f]{32}$/);
  assert.match(await page.locator('main').textContent(), /Đánh giá lại/);
  // Followed: the notice is read.
  await page.goto(`${server.base}/notices`);
  assert.equal(await page.locator('#notices li', { hasText: 'sắp hết hiệu lực' }).getAttribute('data-unread'), 'false');
  await context.close();
});

test('the province revokes a certificate; the public scanning its QR sees it revoked at once', async () => {
  const { context, page } = await signIn(browser, server.base, 'tinh@demo.ocop.vn');
  await page.goto(`${server.base}/certificates?status=active`);
  assert.doesNotMatch(await page.locator('main').textContent(), /certificates-/, 'every label is translated');
  assert.match(await page.locator('#status-counts').textContent(), /Chờ kết quả đánh giá lại: 0/);
  const row = page.locator('#certificates tr', { hasText: 'Chôm chôm nhãn Long Khánh' }).first();
  await row.locator('a').click();
  await page.waitForURL(/\/certificates\/[0-9a-f]{32}$/);
  // The 5★ is the minister's to revoke: the province sees no revocation form.
  assert.equal(await page.locator('#revocation-form').count(), 0);
  await page.goto(`${server.base}/certificates?status=active`);
  await page.locator('#certificates tr', { hasText: 'Bưởi đường lá cam Tân Triều' }).first().locator('a').click();
  await page.waitForURL(/\/certificates\/[0-9a-f]{32}$/);
  assert.match(await page.locator('#status').textContent(), /Còn hiệu lực/);
  const qr = await page.locator('.qr img').evaluate((img) => img.complete && img.naturalWidth > 0);
  assert.ok(qr, 'the QR code is shown');
  const verification = await page.locator('#verification-url').getAttribute('href');
  const today = new Date().toLocaleDateString('en-GB'); // dd/mm/yyyy
  await page.locator('details', { hasText: 'Thu hồi giấy chứng nhận' }).locator('summary').click();
  const form = page.locator('#revocation-form');
  await form.locator('select[name=ground]').selectOption('d');
  await form.locator('input[name=found_on]').fill(today);
  // The decision is forgotten first: the finding alone opens the revocation…
  await form.locator('input[name=finding_ref]').fill('Kết luận số 41/KL-SCT về sử dụng nhãn OCOP');
  await form.getByRole('button', { name: 'Thu hồi giấy chứng nhận' }).click();
  assert.match(await page.locator('#notice').textContent(), /Đã mở hồ sơ thu hồi/);
  assert.match(await page.locator('#status').textContent(), /Còn hiệu lực/);
  // … and the decision revokes it.
  const decision = page.locator('#revocation form');
  await decision.locator('input[name=decision_number]').fill('2301/QĐ-UBND');
  await decision.locator('input[name=decided_on]').fill(today);
  await decision.locator('input[name=signer]').fill('Võ Tấn Đức, Phó Chủ tịch UBND tỉnh');
  await decision.getByRole('button').click();
  assert.match(await page.locator('#status').textContent(), /Đã thu hồi/);
  assert.match(await page.locator('#revocation').textContent(), /2301\/QĐ-UBND/);
  await context.close();

  // The public: no account, a phone.
  const visitor = await browser.newContext(phone);
  const scan = await visitor.newPage();
  const answer = await scan.goto(verification);
  assert.equal(answer.status(), 200);
  const verdict = scan.locator('#verdict');
  assert.equal(await verdict.getAttribute('data-outcome'), 'genuine');
  assert.equal(await verdict.getAttribute('data-status'), 'revoked');
  assert.equal(await verdict.getAttribute('data-valid'), 'false');
  assert.match(await verdict.locator('.headline').textContent(), /KHÔNG còn hiệu lực/);
  assert.match(await verdict.textContent(), /Đã thu hồi/);
  assert.match(await verdict.textContent(), /Bưởi đường lá cam Tân Triều/);
  assert.equal(await overflowOnPhone(scan), 0, 'the verification page fits the phone');
  // The public may have the certificate itself, from the QR alone.
  const pdf = await scan.request.get(server.base + await scan.locator('#certificate-pdf').getAttribute('href'));
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  await scan.screenshot({ path: '/tmp/e2e-verify-phone.png' });
  // One changed character: forged.
  const forged = verification.replace(/\/v\/(.{20})(.)/, (_, head, c) => `/v/${head}${c === 'A' ? 'B' : 'A'}`);
  const refused = await scan.goto(forged);
  assert.equal(refused.status(), 422);
  assert.equal(await scan.locator('#verdict').getAttribute('data-outcome'), 'forged');
  assert.match(await scan.locator('#verdict').textContent(), /không hợp lệ/i);
  await visitor.close();
});
