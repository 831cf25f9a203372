// Step 3: the devices' administrator logins, per device or once per brand, each tested on the spot
// (ONVIF login and a read) and kept only where it worked. Passwords leave the page with the request
// and are cleared from the form at once; the agent never sends them back.
import {api, badge, brandOf as brandName, continueRow, deviceLabel, enc, errorBox, h, thumbnail} from '../lib.js';

// The user name each brand ships with: proposed, the installer confirms or changes it.
const usualUser = [[/axis/i, 'root'], [/vivotek/i, 'root'], [/bosch/i, 'service'], [/hik/i, 'admin'], [/dahua/i, 'admin'],
  [/hanwha|samsung|wisenet/i, 'admin'], [/uniview|unv/i, 'admin']];

function proposedUser(device) {
  if (device.credentials?.username) return device.credentials.username;
  return usualUser.find(([pattern]) => pattern.test(brandOf(device)))?.[1] || 'admin';
}

function brandOf(device) {
  return brandName(device) || 'Unknown brand';
}

function statusNode(site, device, error) {
  const state = error ? 'failed' : device.credentials?.state || 'none';
  const text = {ok: 'Login works', failed: 'Login failed', none: 'Not tested'}[state] || state;
  const shownError = error || device.credentials?.error;
  return h('div', {class: 'cred-status', 'data-testid': 'cred-status', 'data-state': state},
    badge(text, state === 'ok' ? 'ok' : state === 'failed' ? 'fail' : 'neutral'),
    state === 'failed' && shownError ? errorBox(shownError, {id: `cred-error-${enc(device.key)}`}) : null);
}

// Sends one login for some devices; answers {key: {device, error}} and updates the site state.
async function test(ctx, keys, username, password) {
  const answer = await api('POST', `/api/sites/${enc(ctx.site.name)}/credentials`, {devices: keys, username, password});
  const outcome = {};
  for (const result of answer.results || []) {
    const index = ctx.site.devices.findIndex((d) => d.key === result.key);
    if (result.device && index >= 0) ctx.site.devices[index] = result.device;
    outcome[result.key] = {device: result.device || ctx.site.devices[index], error: result.ok ? null : result.error};
  }
  return outcome;
}

function loginForm(ctx, {keys, title, subtitle, testid, attrs, user, onResult}) {
  const id = `${testid}-${keys.length === 1 ? enc(keys[0]).replace(/%/g, '') : enc(title).replace(/%/g, '')}`;
  const username = h('input', {id: `${id}-user`, 'data-testid': 'cred-username', autocomplete: 'off', spellcheck: 'false',
    required: true, value: user});
  const password = h('input', {id: `${id}-password`, 'data-testid': 'cred-password', type: 'password', required: true,
    autocomplete: 'new-password'});
  const submit = h('button', {type: 'submit', 'data-testid': 'cred-test', 'data-job': '1'},
    keys.length > 1 ? `Test on ${keys.length} devices` : 'Test and save');
  const formError = h('div', {'aria-live': 'polite'});
  const form = h('form', {class: 'cred-form', 'data-testid': testid, ...attrs},
    h('div', {class: 'cred-head'}, title, subtitle),
    h('div', {class: 'cred-inputs'},
      h('div', {class: 'field'}, h('label', {for: username.id}, 'User name'), username),
      h('div', {class: 'field'}, h('label', {for: password.id}, 'Password'), password),
      submit),
    formError);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const secret = password.value;
    password.value = '';  // never kept in the page
    submit.disabled = true;
    submit.textContent = 'Testing…';
    formError.replaceChildren();
    try {
      const outcome = await test(ctx, keys, username.value.trim(), secret);
      const failed = onResult(outcome);
      password.setAttribute('aria-invalid', failed ? 'true' : 'false');
      if (failed) password.focus();
    } catch (e) {
      formError.replaceChildren(errorBox(e));
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = keys.length > 1 ? `Test on ${keys.length} devices` : 'Test and save';
      updateSummary(ctx);
    }
  });
  return form;
}

function perDevice(ctx) {
  return ctx.site.devices.map((device) => {
    const status = h('div', null, statusNode(ctx.site.name, device));
    const thumb = h('div', null, thumbnail(ctx.site.name, device));
    const form = loginForm(ctx, {
      keys: [device.key], testid: 'cred-row', user: proposedUser(device),
      attrs: {'data-key': device.key, 'data-address': device.address || '', 'data-brand': brandOf(device)},
      title: h('strong', null, deviceLabel(device)),
      subtitle: h('span', {class: 'muted'}, device.model || ''),
      onResult(outcome) {
        const {device: updated, error} = outcome[device.key] || {device, error: null};
        status.replaceChildren(statusNode(ctx.site.name, updated, error));
        if (!error) thumb.replaceChildren(thumbnail(ctx.site.name, updated, Date.now()));
        return Boolean(error);
      },
    });
    form.prepend(thumb);
    form.append(status);
    return form;
  });
}

function perBrand(ctx) {
  const brands = new Map();  // lower-cased brand -> [shown name, devices]
  for (const device of ctx.site.devices) {
    const key = brandOf(device).toLowerCase();
    if (!brands.has(key)) brands.set(key, [brandOf(device), []]);
    brands.get(key)[1].push(device);
  }
  return [...brands.values()].map(([brand, devices]) => {
    const list = h('ul', {class: 'brand-devices'});
    const show = (outcome = {}) => list.replaceChildren(...devices.map((device) => {
      const seen = outcome[device.key];
      return h('li', {'data-testid': 'brand-device', 'data-key': device.key, 'data-address': device.address || ''},
        h('span', null, deviceLabel(seen?.device || device)), statusNode(ctx.site.name, seen?.device || device, seen?.error));
    }));
    show();
    const form = loginForm(ctx, {
      keys: devices.map((d) => d.key), testid: 'cred-brand', user: proposedUser(devices[0]),
      attrs: {'data-brand': brand}, title: h('strong', null, brand),
      subtitle: h('span', {class: 'muted'}, `${devices.length} device${devices.length === 1 ? '' : 's'}`),
      onResult(outcome) {
        show(outcome);
        return Object.values(outcome).some((o) => o.error);
      },
    });
    form.append(list);
    return form;
  });
}

function updateSummary(ctx) {
  const slot = document.getElementById('cred-summary');
  if (!slot) return;
  const devices = ctx.site.devices || [];
  const ok = devices.filter((d) => d.credentials?.state === 'ok').length;
  slot.replaceChildren(`${ok} of ${devices.length} devices have a working login.`,
    ok < devices.length && ok > 0 ? ' The others are left out of the next steps until they have one.' : '');
  const row = document.getElementById('cred-continue');
  row?.replaceChildren(continueRow(ctx, 'addresses', {ready: ok > 0, reason: 'Enter a working login for at least one device.'}));
}

export default {
  id: 'credentials',
  title: 'Credentials',
  heading: 'Log in to the devices',
  render(root, ctx) {
    const mode = ctx.memory.credMode || 'device';
    const choice = (value, label) => h('label', {class: 'choice'},
      h('input', {type: 'radio', name: 'cred-mode', value, checked: mode === value, 'data-testid': `cred-mode-${value}`,
        onchange: () => { ctx.memory.credMode = value; ctx.refresh().catch(ctx.showError); }}), label);
    root.append(
      h('p', {class: 'lead'}, 'Each login is tested on the device right away and kept (sealed) only where it works. ',
        'Passwords are not shown again.'),
      h('fieldset', {class: 'mode'}, h('legend', null, 'Enter logins'),
        choice('device', 'Per device'), choice('brand', 'Per brand (same login on every device of a brand)')),
      h('div', {class: 'cred-list', 'data-testid': 'cred-list'}, mode === 'brand' ? perBrand(ctx) : perDevice(ctx)),
      h('p', {id: 'cred-summary', 'aria-live': 'polite', 'data-testid': 'cred-summary'}),
      h('div', {id: 'cred-continue'}));
    if (!(ctx.site.devices || []).length) root.append(h('p', null, 'No devices yet: go back to Discover.'));
    updateSummary(ctx);
  },
};
