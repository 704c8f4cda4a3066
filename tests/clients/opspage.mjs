#!/usr/bin/env node
// syncd's ops page in a real browser: Debian's Chromium, headless, driven
// through the DevTools protocol by puppeteer-core (tests/tools, installed by
// scripts/deps.sh --test; nothing is downloaded). It logs in through the
// form (a wrong token first), checks the session cookie's flags, finds the
// dead letter it was told of with its reason, presses its Replay button,
// looks the order's audit trail up through the form, logs out, and checks
// that the browser never reported a Content-Security-Policy violation. It
// prints one line per step and "ok"; a mismatch exits 1, a missing package
// 3. The C test that runs it (tests/e2e/test_syncd_ops.c) makes the dead
// letter and checks afterwards that the sale landed in mock-cin7.
//
//   node tests/clients/opspage.mjs --url http://127.0.0.1:PORT --token TOKEN \
//        --dead EVENT_ID --reason TEXT --order ORDER_ID [--chromium /usr/bin/chromium]

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { parseArgs, trimSlash } from './cli.mjs';

const { opts } = parseArgs('opspage',
  'node opspage.mjs --url URL --token TOKEN --dead ID --reason TEXT --order ID [--chromium PATH]',
  { '--url': { key: 'url', convert: trimSlash }, '--token': { key: 'token' },
    '--dead': { key: 'dead' }, '--reason': { key: 'reason' }, '--order': { key: 'order' },
    '--chromium': { key: 'chromium' } },
  { chromium: '/usr/bin/chromium' }, ['url', 'token', 'dead', 'reason', 'order']);

const tools = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'node_modules');
const lib = path.join(tools, 'puppeteer-core', 'lib', 'esm', 'puppeteer', 'puppeteer-core.js');
if (!existsSync(lib)) {
  console.error(`opspage: puppeteer-core is not installed in ${tools}; run scripts/deps.sh --test`);
  process.exit(3);
}
if (!existsSync(opts.chromium)) {
  console.error(`opspage: no Chromium at ${opts.chromium}; run scripts/deps.sh --test`);
  process.exit(3);
}
const puppeteer = (await import(pathToFileURL(lib).href)).default;

let browser;
async function fail(what) {
  console.error(`opspage: FAILED: ${what}`);
  if (browser) await browser.close();
  process.exit(1);
}
async function check(cond, what) {
  if (!cond) await fail(what);
}

// Every step is bounded: a page that never comes fails the test, it does
// not hang it.
const STEP_MS = 20000;

browser = await puppeteer.launch({
  executablePath: opts.chromium,
  headless: true,
  // Chromium refuses to sandbox itself as root, which the test machines are.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  timeout: STEP_MS,
});
const page = await browser.newPage();
page.setDefaultTimeout(STEP_MS);
page.setDefaultNavigationTimeout(STEP_MS);
const violations = [];
page.on('console', (m) => {
  if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
});

// Submits the form whose button sel is, and returns the answer it led to.
async function submit(sel) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(sel)]);
  return resp;
}
const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());

// ---- login -------------------------------------------------------------------

let resp = await page.goto(`${opts.url}/admin/`);
await check(resp.status() === 200, `GET /admin/ answered ${resp.status()}`);
const csp = resp.headers()['content-security-policy'] || '';
await check(csp.includes("default-src 'none'") && csp.includes("form-action 'self'"),
  `Content-Security-Policy: ${csp}`);
await check(await page.$('input[name=token]'), 'no login form');
console.log(`login form: CSP ${csp.split(';')[0]}`);

await page.type('input[name=token]', 'not-the-token');
resp = await submit('#login');
await check(resp.status() === 401, `a wrong token answered ${resp.status()}`);
await check((await text('#login-error')) === 'Login failed.', 'no generic login error');
await check((await page.cookies()).length === 0, 'a wrong token set a cookie');
console.log('wrong token: 401, "Login failed.", no cookie');

await page.type('input[name=token]', opts.token);
resp = await submit('#login');
await check(resp.status() === 200 && resp.url().endsWith('/admin/'), `login led to ${resp.status()} ${resp.url()}`);
const cookies = await page.cookies();
const c = cookies.find((k) => k.name === 'syncd_admin');
await check(c, `no session cookie: ${JSON.stringify(cookies)}`);
await check(c.httpOnly && c.sameSite === 'Strict' && c.path === '/admin' && c.value.length === 64,
  `cookie flags: ${JSON.stringify(c)}`);
// HttpOnly: the page's own script (it has none) could not read it either.
await check(!(await page.evaluate(() => document.cookie)).includes('syncd_admin'),
  'the session cookie is readable from the page');
console.log(`logged in: cookie HttpOnly SameSite=${c.sameSite} Path=${c.path}`);

// ---- the dead letter and its replay --------------------------------------------

const row = `#dead-${opts.dead}`;
await check(await page.$(row), `dead letter ${opts.dead} not on the page`);
const reason = await text(`${row} .reason`);
await check(reason.includes(opts.reason), `reason "${reason}" lacks "${opts.reason}"`);
console.log(`dead letter ${opts.dead}: ${reason}`);
const depth = await text('#depth');
console.log(`queue depth ${depth}, oldest ${await text('#oldest')}`);

resp = await submit(`${row} button.replay`);
await check(resp.status() === 200, `replay led to ${resp.status()}`);
const notice = await text('#notice');
await check(notice === `Event ${opts.dead} is queued again.`, `notice: ${notice}`);
console.log(`replayed: ${notice}`);

// ---- the order's audit trail -----------------------------------------------------

await page.type('#order-id', opts.order);
resp = await submit('#lookup');
await check(resp.status() === 200, `lookup answered ${resp.status()}`);
const whats = await page.$$eval('#audit td.what', (tds) => tds.map((t) => t.textContent));
await check(whats.includes('dead') && whats.includes('requeued'), `audit trail: ${whats.join(', ')}`);
console.log(`audit trail of order ${opts.order}: ${whats.join(', ')}`);

// ---- logout ------------------------------------------------------------------------

resp = await submit('#logout');
await check(await page.$('input[name=token]'), 'no login form after logout');
await check(!(await page.cookies()).some((k) => k.name === 'syncd_admin'), 'cookie kept after logout');
resp = await page.goto(`${opts.url}/admin/dlq`);
await check(resp.status() === 401, `after logout /admin/dlq answered ${resp.status()}`);
console.log('logged out: cookie gone, /admin/dlq 401');

await check(violations.length === 0, `CSP violations: ${violations.join(' | ')}`);
console.log('no CSP violation');
await browser.close();
console.log('ok');
