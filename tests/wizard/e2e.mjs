// The browser wizard end to end on the simulated job site: Debian's chromium, driven by
// playwright-core, does the whole job as an installer would, from an empty site to the hand-off,
// and saves a screenshot per step. Run by run_e2e.sh inside the site's agent namespace (the browser,
// this script and `sitelink serve` never touch the host's network).
//
// Environment: WIZARD_URL (the wizard, e.g. http://127.0.0.1:8080/), WIZARD_OUT (screenshots and
// downloads), WIZARD_NODE_DIR (the folder whose node_modules holds playwright-core), and the
// simulated site's facts from `sitesim env`: SITESIM_DEVICES_JSON, SITESIM_AGENT_IF, SITESIM_FAR_SUBNET,
// SITESIM_WAN_HOST, SITESIM_DYNDNS_USER, SITESIM_DYNDNS_PASSWORD.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const url = env('WIZARD_URL');
const out = env('WIZARD_OUT');
const require = createRequire(path.join(env('WIZARD_NODE_DIR', path.dirname(new URL(import.meta.url).pathname)), 'package.json'));
const {chromium} = require('playwright-core');

const SITE = process.env.WIZARD_SITE || 'e2e-warehouse';
const HOSTNAME = process.env.WIZARD_DDNS_HOSTNAME || 'shop.site.example.test';
const WAIT = Number(process.env.WIZARD_TIMEOUT_MS || 180000);
const devicesOnSite = JSON.parse(fs.readFileSync(env('SITESIM_DEVICES_JSON'), 'utf8'));
const passwords = devicesOnSite.map((d) => d.password).filter(Boolean);
fs.mkdirSync(out, {recursive: true});

let passed = 0;
let failed = 0;
let shot = 0;
const problems = [];
const later = [];  // [name, problem or ''] checks reported after the steps

async function screenshot(page, name) {
  const file = path.join(out, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  return file;
}

// Waits for a selector; fails at once (with the error's text) if the wizard shows an error instead.
// selector: one CSS selector, or a list that must all match.
async function expectUi(page, selector, what, {timeout = WAIT, errors = true} = {}) {
  const handle = await page.waitForFunction(([wanted, watchErrors]) => {
    if ([].concat(wanted).every((one) => document.querySelector(one))) return 'ok';
    if (!watchErrors) return false;
    const error = document.querySelector('main [data-testid=error]');
    return error && !document.body.classList.contains('busy') ? `error: ${error.innerText}` : false;
  }, [selector, errors], {timeout, polling: 250}).catch((e) => {
    throw new Error(`${what}: not shown within ${timeout / 1000}s (${selector}): ${e.message.split('\n')[0]}`);
  });
  const seen = await handle.jsonValue();
  if (seen !== 'ok') throw new Error(`${what}: the wizard shows an error instead: ${seen}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Steps after a failed one cannot pass: they are reported as skipped (and counted as failed).
let stopped = false;
async function step(page, name, body) {
  if (stopped) {
    failed++;
    console.log(`skip ${name} (an earlier step failed)`);
    return false;
  }
  const started = Date.now();
  try {
    await body();
    // Nothing drawn from a missing or mistyped value.
    const text = await page.locator('main').innerText();
    const slip = text.match(/\[object \w+\]|\bundefined\b|\bNaN\b/);
    check(!slip, `the page shows "${slip?.[0]}"`);
    await screenshot(page, name);
    passed++;
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return true;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name} (${((Date.now() - started) / 1000).toFixed(1)}s): ${e.message}`);
    await screenshot(page, `${name}-failed`).catch(() => {});
    stopped = true;
    return false;
  }
}

async function siteState(page) {
  return page.evaluate(async (name) => (await fetch(`/api/sites/${encodeURIComponent(name)}`)).json(), SITE);
}

async function run() {
  const browser = await chromium.launch({
    executablePath: process.env.WIZARD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({viewport: {width: 768, height: 1024}, acceptDownloads: true});
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused login or a missing snapshot is an HTTP error the browser logs; script errors are not.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  const next = async (id) => {
    await page.getByTestId('continue').click();
    await expectUi(page, `[data-testid=step-${id}]`, `the ${id} step`, {timeout: 15000});
  };
  const all = [];
  const go = async (name, body) => {
    const ok = await step(page, name, body);
    all.push(ok);
    return ok;
  };

  await go('site', async () => {
    await page.goto(url);
    await expectUi(page, '[data-testid=site-form]', 'the site form', {timeout: 20000});
    const iface = await page.locator('#site-interface').inputValue();
    check(iface === env('SITESIM_AGENT_IF', 'eth0'), `interface preselected: ${iface}`);
    await page.locator('#site-name').fill(SITE);
    await page.locator('#site-name').press('Enter');  // Enter submits
    await expectUi(page, '[data-testid=step-discover]', 'the discover step');
  });

  await go('discover', async () => {
    await page.locator('#discover-sweep').fill(env('SITESIM_FAR_SUBNET', '192.168.78.0/24'));
    await page.getByTestId('discover-start').click();
    // Devices appear as they answer; a reload while the search runs re-attaches to it.
    await expectUi(page, '[data-testid=device-card]', 'the first device');
    await page.reload();
    await expectUi(page, '[data-testid=step-discover]', 'the discover step after a reload', {timeout: 20000});
    const reattached = await page.locator('#activity-title').innerText().catch(() => '');
    console.log(`     reloaded during discovery: ${reattached.startsWith('Still running') ? 're-attached to the running job' : 'the job had finished'}`);
    const expected = devicesOnSite.map((d) => d.address);
    await expectUi(page, expected.map((a) => `[data-testid=device-card][data-address="${a}"]`),
      'every device of the site', {timeout: WAIT}).catch(async (e) => {
      const shown = await page.locator('[data-testid=device-card]').evaluateAll((n) => n.map((x) => x.dataset.address));
      throw new Error(`${e.message}; shown: ${shown.join(', ')}; expected: ${expected.join(', ')}`);
    });
    await page.waitForFunction(() => !document.body.classList.contains('busy'), null, {timeout: WAIT});
    await expectUi(page, '#continue:not([disabled])', 'continue after discovery');
  });

  await go('credentials', async () => {
    await next('credentials');
    const [first, ...rest] = devicesOnSite;
    const row = (device) => page.locator(`[data-testid=cred-row][data-address="${device.address}"]`);
    const login = async (form, username, password) => {
      await form.getByTestId('cred-username').fill(username);
      await form.getByTestId('cred-password').fill(password);
      await form.getByTestId('cred-password').press('Enter');
    };
    // A wrong password first: the device's row names the failure and the fix.
    await login(row(first), first.username, 'not-the-password');
    await expectUi(page, `[data-testid=cred-row][data-address="${first.address}"] [data-testid=cred-status][data-state=failed] [data-testid=error]`,
      `${first.host}: the refused login`, {errors: false, timeout: 60000});
    const shown = await row(first).getByTestId('error').innerText();
    check(/fix:/i.test(shown), `${first.host}: the error gives no fix: ${shown}`);
    check((await row(first).getByTestId('cred-password').inputValue()) === '', 'the password stays in the form');
    check((await row(first).getByTestId('cred-password').getAttribute('aria-invalid')) === 'true', 'the refused password is not marked');
    await screenshot(page, 'credentials-refused');
    await login(row(first), first.username, first.password);
    await expectUi(page, `[data-testid=cred-row][data-address="${first.address}"] [data-testid=cred-status][data-state=ok]`,
      `${first.host}: the right login`, {errors: false, timeout: 60000});
    // Logged in, the camera's picture shows.
    await page.waitForFunction((address) => {
      const img = document.querySelector(`[data-testid=cred-row][data-address="${address}"] [data-testid=thumb] img`);
      return img && img.complete && img.naturalWidth > 0;
    }, first.address, {timeout: 15000}).then(() => later.push(['snapshot thumbnail', ''])).catch(async () => {
      // Reported on its own line at the end; the rest of the job does not depend on it.
      const key = await row(first).getAttribute('data-key');
      const why = await page.evaluate(async ([site, device]) => {
        const response = await fetch(`/api/sites/${encodeURIComponent(site)}/devices/${encodeURIComponent(device)}/snapshot`);
        return `GET snapshot: HTTP ${response.status} ${response.headers.get('content-type')} ${(await response.text()).slice(0, 300)}`;
      }, [SITE, key]).catch((e) => e.message);
      later.push(['snapshot thumbnail', `${first.host}: no picture after the login: ${why || 'no <img> shown'}`]);
    });
    // One brand at once, the others one device at a time.
    const [brandDevice, ...others] = rest;
    for (const device of others) {
      await login(row(device), device.username, device.password);
      await expectUi(page, `[data-testid=cred-row][data-address="${device.address}"] [data-testid=cred-status][data-state=ok]`,
        `${device.host}: login`, {errors: false, timeout: 60000});
    }
    await page.getByTestId('cred-mode-brand').check();
    const brand = page.locator(`[data-testid=cred-brand]:has([data-testid=brand-device][data-address="${brandDevice.address}"])`);
    await brand.waitFor({timeout: 15000});
    await login(brand, brandDevice.username, brandDevice.password);
    await expectUi(page, `[data-testid=brand-device][data-address="${brandDevice.address}"] [data-testid=cred-status][data-state=ok]`,
      `${brandDevice.host}: login per brand`, {errors: false, timeout: 60000});
    const html = await page.content();
    for (const secret of passwords) check(!html.includes(secret), 'a device password is in the page');
    const state = await siteState(page);
    check(!JSON.stringify(state).includes(first.password), 'the site state carries a device password');
    const working = state.devices.filter((d) => d.credentials?.state === 'ok').length;
    check(working === devicesOnSite.length, `${working} of ${devicesOnSite.length} devices have a working login`);
    // Logged in, each device tells its maker.
    for (const device of devicesOnSite) {
      const seen = state.devices.find((d) => d.address === device.address);
      const brand = device.manufacturer.toLowerCase().split(' ')[0];
      check(seen && (seen.manufacturer || '').toLowerCase().startsWith(brand),
        `${device.host} (${device.address}): manufacturer ${seen?.manufacturer}, expected ${device.manufacturer}`);
    }
  });

  await go('addresses', async () => {
    await next('addresses');
    await page.getByTestId('addr-plan').click();
    await expectUi(page, '[data-testid=plan-table] [data-testid=plan-row]', 'the address plan');
    await screenshot(page, 'addresses-plan');
    // The site's DHCP camera needs a fixed address, so there is always something to apply.
    check(await page.getByTestId('addr-apply').isEnabled(), 'the plan has nothing to apply');
    await page.getByTestId('addr-apply').click();
    await expectUi(page, '[data-testid=batch-summary]', 'the batch outcome');
    const allDone = await page.getByTestId('batch-summary').getAttribute('data-all-done');
    check(allDone === 'true', `the batch did not finish: ${await page.getByTestId('batch-summary').innerText()}`);
    // The site resumes where it was left after a reload.
    await page.reload();
    await expectUi(page, '[data-testid=step-addresses] [data-testid=plan-table]', 'the addresses step after a reload', {timeout: 20000});
  });

  await go('router', async () => {
    await next('router');
    await page.getByTestId('router-check').click();
    await expectUi(page, '[data-testid=nat-verdict]', 'the NAT verdict');
    const verdict = await page.getByTestId('nat-verdict').getAttribute('data-verdict');
    check(verdict === 'public', `NAT verdict ${verdict}`);
    await page.getByTestId('forward-plan').click();
    await expectUi(page, '[data-testid=forward-rules] [data-testid=forward-rule]', 'the forwarding plan');
    const rules = await page.getByTestId('forward-rule').count();
    await page.getByTestId('forward-apply').click();
    await expectUi(page, '[data-testid=forwards] [data-testid=forward]', 'the forwarding rules on the router');
    const added = await page.locator('[data-testid=forward][data-state=added]').count();
    check(added === rules, `${added} of ${rules} rules added`);
  });

  await go('ddns', async () => {
    await next('ddns');
    await expectUi(page, '#ddns-provider', 'the DDNS form', {timeout: 15000});
    await page.locator('#ddns-provider').selectOption('dyndns2');
    await page.locator('#ddns-hostname').fill(HOSTNAME);
    await page.locator('#ddns-username').fill(env('SITESIM_DYNDNS_USER'));
    await page.locator('#ddns-secret').fill(env('SITESIM_DYNDNS_PASSWORD'));
    await page.locator('#ddns-base-url').fill(`http://${env('SITESIM_WAN_HOST')}`);
    await page.getByTestId('ddns-save').click();
    await expectUi(page, '[data-testid=ddns-saved]', 'the saved DDNS name');
    check(!(await page.content()).includes(env('SITESIM_DYNDNS_PASSWORD')), 'the DDNS secret is in the page');
    await page.getByTestId('ddns-test').click();
    await expectUi(page, '[data-testid=ddns-result]', 'the DDNS update');
    const action = await page.getByTestId('ddns-result').getAttribute('data-action');
    check(['updated', 'unchanged', 'confirmed'].includes(action), `DDNS update: ${action}: ${await page.getByTestId('ddns-result').innerText()}`);
  });

  await go('verify', async () => {
    await next('verify');
    await page.getByTestId('verify-run').click();
    await expectUi(page, '[data-testid=verify-summary]', 'the checklist');
    const failing = await page.locator('[data-testid=check][data-result=fail]').allInnerTexts();
    check(failing.length === 0, `failed checks: ${failing.join(' | ')}`);
    check((await page.getByTestId('verify-summary').getAttribute('data-passed')) === 'true', 'the checklist did not pass');
  });

  await go('handoff', async () => {
    await next('handoff');
    await page.locator('#handoff-installer').fill('E2E Installer, 555-0100');
    await page.getByTestId('handoff-make').click();
    await expectUi(page, '[data-testid=qr][data-name=site] img', 'the site QR code');
    // The QR as the browser drew it decodes to the payload the agent made.
    const image = path.join(out, 'qr-site.png');
    await page.locator('[data-testid=qr][data-name=site] img').screenshot({path: image});
    const decoded = execFileSync('zbarimg', ['--raw', '-q', image], {encoding: 'utf8'}).replace(/\n$/, '');
    const state = await siteState(page);
    const expected = (state.handoff?.qr || []).find((q) => q.name === 'site')?.payload;
    check(decoded === expected, `the QR decodes to ${decoded}, the agent made ${expected}`);
    const payload = JSON.parse(decoded);
    check(payload.site === SITE && payload.host === HOSTNAME && payload.v === 1, `QR payload fields: ${decoded}`);
    // The bundle downloads as a zip holding site.json; the sheet opens.
    const [download] = await Promise.all([page.waitForEvent('download', {timeout: 60000}), page.getByTestId('handoff-bundle').click()]);
    const zip = path.join(out, 'bundle.zip');
    await download.saveAs(zip);
    const bytes = fs.readFileSync(zip);
    check(bytes.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')), `the bundle is not a zip (${bytes.length} bytes)`);
    check(bytes.includes(Buffer.from('site.json')), 'the bundle has no site.json');
    const sheet = await page.evaluate(async (name) => {
      const response = await fetch(`/api/sites/${encodeURIComponent(name)}/handoff/sheet`);
      return {status: response.status, type: response.headers.get('content-type'), text: await response.text()};
    }, SITE);
    check(sheet.status === 200 && /text\/html/.test(sheet.type || ''), `the sheet: HTTP ${sheet.status} ${sheet.type}`);
    const html = await page.content();
    for (const secret of passwords) check(!html.includes(secret), 'a device password is in the hand-off page');
  });

  await go('undo', async () => {
    // What the wizard opened and changed, it takes back: the router's rules, then the addresses.
    await page.getByTestId('nav-router').click();
    await expectUi(page, '[data-testid=forward-undo]', 'the router step again', {timeout: 15000});
    await page.getByTestId('forward-undo').click();
    await page.waitForFunction(() => {
      const rules = [...document.querySelectorAll('[data-testid=forward]')];
      return rules.length > 0 && rules.every((rule) => rule.dataset.state === 'removed');
    }, null, {timeout: 60000});
    await page.getByTestId('nav-addresses').click();
    await expectUi(page, '[data-testid=addr-undo]', 'the addresses step again', {timeout: 15000});
    const applied = (await siteState(page)).batch;
    await page.getByTestId('addr-undo').click();
    await page.waitForFunction((before) => {
      const summary = document.querySelector('[data-testid=batch-summary]');
      return summary && !summary.textContent.includes(`Batch ${before}:`) && summary.dataset.allDone === 'true';
    }, applied.batch, {timeout: 120000});
    const undone = (await siteState(page)).batch;
    check(undone.results.length > 0 && undone.results.every((r) => r.kind === 'undo' && r.state === 'done'),
      `the undo batch: ${JSON.stringify(undone.results)}`);
    for (const change of applied.results)
      check(undone.results.some((r) => r.device_key === change.device_key && r.to === change.from),
        `${change.device_key} is not back on ${change.from}`);
    check(await page.getByTestId('addr-apply').isEnabled(), 'after the undo the plan cannot be applied again');
  });

  check(all.length === 9, 'every step ran');
  for (const [name, problem] of later) {
    if (problem) failed++;
    else passed++;
    console.log(problem ? `FAIL ${name}: ${problem}` : `ok   ${name}`);
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL no script errors: ${problems.slice(0, 10).join(' | ')}`);
  } else {
    passed++;
    console.log('ok   no script errors');
  }
  await context.close();
  await browser.close();
}

try {
  console.log(`wizard e2e: ${url} on ${os.hostname()}, screenshots in ${out}`);
  await run();
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
}
console.log(`wizard-e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
