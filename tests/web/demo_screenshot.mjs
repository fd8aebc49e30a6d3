// demo_screenshot.mjs - the nurse station of the live demo (scripts/demo-live) in a real browser
// (Debian's chromium through playwright-core): the page comes up live, shows every pump of the
// demo, at least one of them infusing, and a screenshot of it is written (the README's picture).
// Prints "FAIL: ..." and exits 1 when a step does not happen within the timeout.
//
// Usage: node demo_screenshot.mjs --url URL --pumps N --screenshot PATH [--timeout-s 60]
//        [--chromium /usr/bin/chromium]   (playwright-core from NODE_PATH, as nurse_station.mjs)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

function die(msg) {
  console.log('FAIL: ' + msg);
  process.exit(1);
}

const opts = { timeoutS: 60, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
for (let i = 2; i < process.argv.length; i += 2) {
  const [name, value] = [process.argv[i], process.argv[i + 1]];
  if (value === undefined) die('usage: missing value after ' + name);
  if (name === '--url') opts.url = value;
  else if (name === '--pumps') opts.pumps = Number(value);
  else if (name === '--screenshot') opts.screenshot = value;
  else if (name === '--timeout-s') opts.timeoutS = Number(value);
  else if (name === '--chromium') opts.chromium = value;
  else die('usage: unknown option ' + name);
}
if (!opts.url || !(opts.pumps > 0) || !opts.screenshot || !(opts.timeoutS > 0)) {
  die('usage: node demo_screenshot.mjs --url URL --pumps N --screenshot PATH [--timeout-s S]');
}

let playwright;
try {
  playwright = createRequire(import.meta.url)('playwright-core');
} catch (err) {
  die('playwright-core not found (run scripts/npm-setup --web and set NODE_PATH): ' + err.message);
}

const profile = mkdtempSync(join(tmpdir(), 'oi-chromium-'));
const deadline = Date.now() + opts.timeoutS * 1000;
const left = () => Math.max(1000, deadline - Date.now());
let context = null;
try {
  context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const res = await page.goto(opts.url, { timeout: left(), waitUntil: 'load' });
  if (!res || !res.ok()) throw new Error('page: HTTP ' + (res ? res.status() : 'no response'));
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: left() });
  console.log('ok - live connection');
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="pump-tile"]').length >= n, opts.pumps,
    { timeout: left() });
  console.log('ok - ' + opts.pumps + ' pump tiles');
  await page.locator('[data-testid="pump-tile"][data-state="running"]').first()
    .waitFor({ timeout: left() });
  console.log('ok - a pump infusing');
  await page.screenshot({ path: opts.screenshot });
  console.log('ok - screenshot ' + opts.screenshot);
} catch (err) {
  console.log('FAIL: ' + (err && err.message ? err.message.split('\n')[0] : err));
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
