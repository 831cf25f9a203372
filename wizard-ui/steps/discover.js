// Step 2: discovery. Devices appear as they answer (WS-Discovery, mDNS, and a sweep of the subnets
// given), each with its picture once the agent can read one.
import {api, badge, brandOf, continueRow, enc, errorBox, field, h, thumbnail} from '../lib.js';

const foundBy = {'ws-discovery': 'ONVIF', onvif: 'ONVIF', mdns: 'mDNS', sweep: 'sweep'};

export function deviceCard(site, device) {
  const brand = brandOf(device);
  const model = [brand, device.model].filter(Boolean).join(' ');
  return h('li', {class: 'device-card', 'data-testid': 'device-card', 'data-key': device.key,
    'data-address': device.address || '', 'data-brand': brand},
  thumbnail(site, device),
  h('div', {class: 'device-text'},
    h('strong', {class: 'device-name'}, device.name || model || device.key),
    device.model && !(device.name || '').includes(device.model) ? h('span', null, model) : null,
    h('span', {class: 'mono'}, device.address || 'no address'),
    device.mac ? h('span', {class: 'mono muted'}, device.mac) : null,
    h('span', {class: 'found-by'}, (device.found_by || []).map((how) => badge(foundBy[how] || how, 'info')),
      device.role && device.role !== 'camera' ? badge(device.role.toUpperCase(), 'neutral') : null)));
}

// The subnets swept last time on this site, kept by the browser across reloads.
const sweepKey = (site) => `sitelink.sweep.${site}`;
function remembered(site) {
  try {
    return sessionStorage.getItem(sweepKey(site)) || '';
  } catch {
    return '';
  }
}
function remember(site, subnets) {
  try {
    sessionStorage.setItem(sweepKey(site), subnets);
  } catch {
    // storage refused: the field is simply empty next time
  }
}

function upsert(list, site, device) {
  const card = deviceCard(site, device);
  const old = [...list.children].find((node) => node.dataset.key === device.key);
  if (old) old.replaceWith(card);
  else list.append(card);
  list.closest('section')?.querySelector('[data-testid=device-count]')
    ?.replaceChildren(`${list.children.length} found`);
}

export default {
  id: 'discover',
  title: 'Discover',
  heading: 'Find the cameras and recorders',
  onProgress(data, ctx) {
    if (!data.device) return;
    const list = document.getElementById('device-list');
    if (list) upsert(list, ctx.site.name, data.device);
  },
  render(root, ctx) {
    const devices = ctx.site.devices || [];
    const sweep = h('input', {id: 'discover-sweep', 'data-testid': 'discover-sweep', autocomplete: 'off', spellcheck: 'false',
      placeholder: '192.168.78.0/24', value: remembered(ctx.site.name)});
    const start = h('button', {type: 'submit', class: devices.length ? '' : 'primary', id: 'discover-start',
      'data-testid': 'discover-start', 'data-job': '1'}, devices.length ? 'Search again' : 'Search the network');
    const form = h('form', {class: 'card'},
      h('p', null, `Sitelink asks the network on ${ctx.site.interface || 'the chosen interface'} (ONVIF discovery and mDNS) `,
        'and lists every camera and recorder that answers.'),
      field('Other subnets to sweep (optional)', sweep,
        'Cameras behind a router do not answer discovery: list their subnets, separated by commas.'),
      h('div', {class: 'continue-row'}, start));
    const list = h('ul', {class: 'device-grid', id: 'device-list', 'data-testid': 'device-list', 'aria-label': 'Devices found'});
    for (const device of devices) upsert(list, ctx.site.name, device);
    const count = h('span', {class: 'muted', 'data-testid': 'device-count'}, devices.length ? `${devices.length} found` : '');
    const outcome = h('div', {'aria-live': 'polite'});
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const subnets = sweep.value.trim();
      remember(ctx.site.name, subnets);
      const body = subnets ? {sweep: subnets} : {};
      outcome.replaceChildren();
      list.replaceChildren();
      try {
        const result = await ctx.run('Discovering devices',
          () => api('POST', `/api/sites/${enc(ctx.site.name)}/discover`, body));
        await ctx.refresh();
        const found = result?.devices?.length ?? 0;
        if (!found) document.getElementById('discover-outcome')?.replaceChildren(noneFound(ctx));
      } catch (e) {
        outcome.replaceChildren(errorBox(e));
      }
    });
    root.append(form,
      h('div', {class: 'card'},
        h('h2', null, 'Devices ', count),
        list,
        h('div', {id: 'discover-outcome'}, devices.length ? null : h('p', {class: 'muted'}, 'Nothing searched yet.')),
        outcome),
      continueRow(ctx, 'credentials', {ready: devices.length > 0, reason: 'Find at least one device first.',
        label: devices.length ? `Continue with ${devices.length} device${devices.length === 1 ? '' : 's'}` : 'Continue'}));
  },
};

function noneFound(ctx) {
  return errorBox({summary: `No camera or recorder answered on ${ctx.site.interface}.`,
    advice: 'Check that the laptop is on the cameras\' switch or VLAN, and that the cameras are powered (PoE). '
      + 'Cameras on another subnet: enter it under "Other subnets to sweep".'});
}

