// nurse_station.mjs - drives Debian's chromium (through playwright-core) against infusiond's
// nurse-station page and checks what a nurse would see:
//   1. the page loads and its live connection comes up;
//   2. the pump's tile appears and reaches data-state="running";
//   3. an alarm of that pump appears in the alarm list;
//   4. clicking its Acknowledge button marks it acknowledged on the page, and the API
//      (GET /api/v1/alarms?pump_id=) shows acked=true with the user who clicked;
//   5. a screenshot of the page is written.
// Any failure prints one "FAIL: ..." line (and a screenshot next to the requested one when the
// page got that far) and exits 1; success prints "nurse_station: N passed, 0 failed" and exits 0.
//
// Usage: node nurse_station.mjs --url URL --pump ID --screenshot PATH [--timeout-s 60]
//        [--user NAME] [--chromium /usr/bin/chromium]
// or the environment: OI_WEB_URL, OI_WEB_PUMP, OI_WEB_SCREENSHOT, OI_WEB_TIMEOUT_S, CHROMIUM.
// playwright-core comes from the build directory scripts/npm-setup --web installs into: run with
// NODE_PATH=<that>/node_modules, or from a directory below it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

function parseArgs(argv) {
  const opts = {
    url: process.env.OI_WEB_URL,
    pump: process.env.OI_WEB_PUMP,
    screenshot: process.env.OI_WEB_SCREENSHOT,
    timeoutS: Number(process.env.OI_WEB_TIMEOUT_S || 60),
    user: 'e2e-nurse',
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) die('usage: missing value after ' + name);
    if (name === '--url') opts.url = value;
    else if (name === '--pump') opts.pump = value;
    else if (name === '--screenshot') opts.screenshot = value;
    else if (name === '--timeout-s') opts.timeoutS = Number(value);
    else if (name === '--user') opts.user = value;
    else if (name === '--chromium') opts.chromium = value;
    else die('usage: unknown option ' + name);
  }
  if (!opts.url || !opts.pump || !opts.screenshot) {
    die('usage: node nurse_station.mjs --url URL --pump ID --screenshot PATH [--timeout-s S]');
  }
  if (!(opts.timeoutS > 0)) die('usage: --timeout-s must be a positive number');
  return opts;
}

function die(msg) {
  console.log('FAIL: ' + msg);
  process.exit(1);
}

// playwright-core resolved from NODE_PATH (an ES module import ignores NODE_PATH).
function loadPlaywright() {
  const require = createRequire(import.meta.url);
  try {
    return require('playwright-core');
  } catch (err) {
    die('playwright-core not found (run scripts/npm-setup --web and set NODE_PATH): ' + err.message);
  }
  return null;
}

const opts = parseArgs(process.argv);
const { chromium } = loadPlaywright();
const deadline = Date.now() + opts.timeoutS * 1000;
const left = () => Math.max(1000, deadline - Date.now());
const base = new URL(opts.url);
let passed = 0;
const pageErrors = [];

const profile = mkdtempSync(join(tmpdir(), 'oi-chromium-'));
let context = null;
let page = null;

async function step(name, fn) {
  try {
    const result = await fn();
    passed++;
    console.log('ok - ' + name);
    return result;
  } catch (err) {
    throw new Error(name + ': ' + (err && err.message ? err.message.split('\n')[0] : err));
  }
}

// Every value a tile's data-state takes, recorded in the page as it happens, so a short
// "running" between "ready" and "alarm_stopped" is not missed between two polls.
function recordStates() {
  window.__oiStates = {};
  const note = (el) => {
    const id = el.dataset.pumpId;
    const st = el.dataset.state;
    if (!id || !st) return;
    const seen = (window.__oiStates[id] = window.__oiStates[id] || []);
    if (seen[seen.length - 1] !== st) seen.push(st);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target.dataset && r.target.dataset.testid === 'pump-tile') {
        note(r.target);
      }
      for (const n of r.addedNodes || []) {
        if (n.dataset && n.dataset.testid === 'pump-tile') note(n);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-state'] });
}

async function run() {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.addInitScript(recordStates);
  // The user the page sends with the acknowledgement (the page keeps it in localStorage).
  await page.addInitScript((user) => window.localStorage.setItem('oi.user', user), opts.user);

  await step('page loads', async () => {
    const res = await page.goto(opts.url, { timeout: left(), waitUntil: 'load' });
    if (!res || !res.ok()) throw new Error('HTTP ' + (res ? res.status() : 'no response'));
    await page.locator('[data-testid="pump-grid"]').waitFor({ state: 'attached', timeout: left() });
  });
  await step('live connection', () =>
    page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: left() }));

  const tile = page.locator('[data-testid="pump-tile"][data-pump-id="' + opts.pump + '"]');
  await step('tile of ' + opts.pump + ' appears', () => tile.waitFor({ timeout: left() }));
  await step('tile of ' + opts.pump + ' reaches running', async () => {
    try {
      await page.waitForFunction((id) => (window.__oiStates[id] || []).includes('running'),
        opts.pump, { timeout: left() });
    } catch (err) {
      const seen = await page.evaluate((id) => window.__oiStates[id] || [], opts.pump);
      throw new Error('states seen: ' + JSON.stringify(seen));
    }
  });

  const alarm = page.locator('[data-testid="alarm"][data-pump-id="' + opts.pump + '"]' +
    '[data-acked="false"]').first();
  const alarmId = await step('an alarm of ' + opts.pump + ' appears', async () => {
    await alarm.waitFor({ timeout: left() });
    return alarm.getAttribute('data-alarm-id');
  });
  console.log('   alarm ' + alarmId + ': ' +
    (await alarm.locator('[data-field="name"]').textContent()));

  const same = page.locator('[data-testid="alarm"][data-alarm-id="' + alarmId + '"]');
  await step('acknowledge marks it acknowledged', async () => {
    await same.locator('[data-testid="ack"]').click({ timeout: left() });
    await page.locator('[data-testid="alarm"][data-alarm-id="' + alarmId + '"][data-acked="true"]')
      .waitFor({ timeout: left() });
  });

  await step('the API shows acked=true', async () => {
    const url = new URL('/api/v1/alarms?pump_id=' + encodeURIComponent(opts.pump), base);
    const res = await fetch(url);
    if (!res.ok) throw new Error('GET ' + url + ': HTTP ' + res.status);
    const list = await res.json();
    const a = list.find((x) => x.alarm_id === alarmId);
    if (!a) throw new Error(alarmId + ' is no longer active (cleared?): ' + JSON.stringify(list));
    if (a.acked !== true) throw new Error(alarmId + ' acked=' + a.acked);
    if (a.acked_by !== opts.user) throw new Error('acked_by ' + a.acked_by + ', expected ' + opts.user);
  });

  await step('screenshot', () => page.screenshot({ path: opts.screenshot, fullPage: true }));
  await step('no script errors in the page', async () => {
    if (pageErrors.length > 0) throw new Error(pageErrors.join(' | '));
  });
}

let failed = false;
try {
  await run();
} catch (err) {
  failed = true;
  console.log('FAIL: ' + err.message);
  if (page) {
    const shot = opts.screenshot.replace(/(\.png)?$/, '.fail.png');
    await page.screenshot({ path: shot, fullPage: true }).then(
      () => console.log('   screenshot of the failure: ' + shot), () => {});
  }
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
console.log('nurse_station: ' + passed + ' passed, ' + (failed ? 1 : 0) + ' failed');
process.exit(failed ? 1 : 0);
