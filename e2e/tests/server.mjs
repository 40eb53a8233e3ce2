// Starts a real `ocop serve --demo` on a throw-away SQLite file and a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const here = new URL('.', import.meta.url).pathname;

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function startOcop() {
  const bin = process.env.OCOP_BIN ?? resolve(here, '../../target/debug/ocop');
  const dir = mkdtempSync(join(tmpdir(), 'ocop-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', '--demo', '--db', `sqlite:${join(dir, 'e2e.db')}`, '--addr', `127.0.0.1:${port}`, '--files', join(dir, 'files')], {
    env: { ...process.env, OCOP_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ocop serve exited: ${log}`);
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`ocop serve not ready in 60 s: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const chromiumOptions = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
};

// The phone viewport the tests use, and how far a page sticks out of it. A phone browser widens
// its layout to fit content that overflows (so scrollWidth == innerWidth even then): measure
// against the phone's own width.
export const phone = { viewport: { width: 390, height: 844 }, isMobile: true };

export async function overflowOnPhone(page) {
  return page.evaluate((width) => Math.max(document.documentElement.scrollWidth, window.innerWidth) - width, phone.viewport.width);
}

// A demo account signed in, in a browser context of its own (desktop unless `options` say phone).
export async function signIn(browser, base, email, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'ocop-demo-2025');
  await page.click('form.stacked button[type=submit]');
  await page.waitForURL('**/account');
  return { context, page };
}
