// Step 8: the hand-off. Viewer accounts on the devices, QR codes for the customer's phone, the
// printable sheet of what was opened (and how to close it), and the bundle to keep.
import {api, badge, enc, errorBox, field, h} from '../lib.js';

function qrFigure(qr) {
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qr.svg || '')}`;
  const label = qr.name === 'site' ? 'The whole site (apps that read Sitelink codes)' : qr.name;
  // A whole number of screen pixels per module, at least 240px: sharp for a phone's camera.
  const modules = Number((qr.svg || '').match(/viewBox="0 0 (\d+)/)?.[1]) || 60;
  const side = modules * Math.max(3, Math.ceil(240 / modules));
  return h('figure', {class: 'qr', 'data-testid': 'qr', 'data-name': qr.name, style: `width: ${side}px`},
    h('img', {src, alt: `QR code: ${label}`, width: String(side), height: String(side), style: `width: ${side}px; height: ${side}px`}),
    h('figcaption', null, h('strong', null, label),
      h('details', null, h('summary', null, 'What it holds'), h('pre', {class: 'payload', 'data-testid': 'qr-payload'}, qr.payload || ''))));
}

// A recorder has many channels: the first two streams shown, the rest folded away.
function streamList(streams) {
  const line = (s) => h('div', {class: 'mono'}, `${s.profile || ''} ${s.encoding || ''} ${s.width}×${s.height}`);
  if (streams.length <= 3) return streams.map(line);
  return [streams.slice(0, 2).map(line),
    h('details', null, h('summary', null, `${streams.length - 2} more streams`), streams.slice(2).map(line))];
}

function deviceRow(device) {
  const streams = device.streams || [];
  return h('tr', {'data-testid': 'handoff-device', 'data-key': device.device_key || ''},
    h('th', {scope: 'row'}, device.device || device.device_key),
    h('td', null, device.account || '—', device.admin_refused ? [' ', badge('admin refused', 'ok')] : null),
    h('td', null, streamList(streams)),
    h('td', null, device.problem ? errorBox({summary: device.problem}) : badge('ready', 'ok')));
}

function deviceTable(devices) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table', id: 'handoff-devices', 'data-testid': 'handoff-devices'},
    h('thead', null, h('tr', null, ['Device', 'Viewer account', 'Streams', 'State'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', null, devices.map(deviceRow))));
}

export default {
  id: 'handoff',
  title: 'Hand-off',
  heading: 'Hand the site over',
  onProgress(data) {
    const body = document.querySelector('#handoff-devices tbody');
    if (data.device && body) body.append(deviceRow(data.device));
  },
  render(root, ctx) {
    const result = ctx.site.handoff;
    const base = `/api/sites/${enc(ctx.site.name)}/handoff`;
    const viewer = h('input', {id: 'handoff-viewer', 'data-testid': 'handoff-viewer', value: ctx.memory.viewer || 'viewer',
      autocomplete: 'off', spellcheck: 'false'});
    const noViewer = h('input', {type: 'checkbox', id: 'handoff-no-viewer', 'data-testid': 'handoff-no-viewer',
      checked: Boolean(ctx.memory.noViewer)});
    const installer = h('input', {id: 'handoff-installer', 'data-testid': 'handoff-installer', value: ctx.memory.installer || '',
      placeholder: 'Ann Smith, 555-0100', autocomplete: 'name'});
    const form = h('form', {class: 'card', 'data-testid': 'handoff-form'},
      h('p', null, 'Sitelink creates a viewer account on every device (the customer never gets the admin login), ',
        'checks that it cannot change settings, and makes the QR codes and the sheet.'),
      h('div', {class: 'row'}, field('Viewer user name', viewer), field('Installer (on the sheet)', installer, 'Name and phone.')),
      h('label', {class: 'choice'}, noViewer, 'Make no viewer accounts (the customer uses accounts they already have)'),
      h('div', {class: 'continue-row'}, h('button', {type: 'submit', class: result ? '' : 'primary', id: 'handoff-make',
        'data-testid': 'handoff-make', 'data-job': '1'}, result ? 'Make it again' : 'Make the hand-off')));
    const live = h('div', null, result ? null : deviceTable([]));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      Object.assign(ctx.memory, {viewer: viewer.value.trim(), noViewer: noViewer.checked, installer: installer.value.trim()});
      const body = {no_viewer: noViewer.checked};
      if (!noViewer.checked && ctx.memory.viewer) body.viewer_user = ctx.memory.viewer;
      if (ctx.memory.installer) body.installer = ctx.memory.installer;
      live.replaceChildren(deviceTable([]));
      try {
        await ctx.run('Making the hand-off', () => api('POST', base, body));
      } catch (e) {
        ctx.showError(e);
      }
      await ctx.refresh().catch(ctx.showError);
    });
    root.append(form, live);
    if (!result) return;
    root.append(h('div', {class: 'card', 'data-testid': 'handoff-result'},
      (result.warnings || []).length ? h('div', {class: 'banner banner-warn', 'data-testid': 'handoff-warnings'},
        h('strong', null, 'Check these'), h('ul', null, result.warnings.map((w) => h('li', null, w)))) : null,
      h('h2', null, 'For the customer\'s phone'),
      h('div', {class: 'qr-grid', id: 'handoff-qr', 'data-testid': 'handoff-qr'}, (result.qr || []).map(qrFigure)),
      h('div', {class: 'continue-row'},
        h('a', {class: 'button primary', id: 'handoff-bundle', 'data-testid': 'handoff-bundle', href: `${base}/bundle.zip`, download: ''},
          'Download the bundle (.zip)'),
        h('a', {class: 'button', id: 'handoff-sheet', 'data-testid': 'handoff-sheet', href: `${base}/sheet`, target: '_blank',
          rel: 'noopener'}, 'Open the printable sheet')),
      h('h2', null, 'Devices'),
      deviceTable(result.devices || []),
      (result.files || []).length ? h('details', {class: 'muted'}, h('summary', null, `${result.files.length} files in the bundle`),
        h('ul', {class: 'plain mono'}, result.files.map((f) => h('li', null, f)))) : null));
  },
};
