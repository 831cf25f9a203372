// Step 1: which site, on which network interface. A site already started is resumed where it was left.
import {errorBox, field, h} from '../lib.js';

const stepTitles = {
  site: 'Site', discover: 'Discover', credentials: 'Credentials', addresses: 'Addresses', router: 'Router',
  ddns: 'DDNS', verify: 'Verify', handoff: 'Hand-off',
};

function when(text) {
  if (!text) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

function resumeList(ctx) {
  const sites = ctx.info.sites || [];
  if (!sites.length) return null;
  const rows = sites.map((site) => h('tr', {'data-testid': 'site-row', 'data-site': site.name},
    h('th', {scope: 'row'}, site.name),
    h('td', null, stepTitles[site.step] || site.step || ''),
    h('td', null, when(site.updated_at)),
    h('td', null, h('button', {type: 'button', 'data-testid': `resume-${site.name}`, 'data-job': '1',
      'aria-label': `Resume ${site.name}`,
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await ctx.open(site.name);
        } catch (e) {
          ctx.showError(e);
          event.target.disabled = false;
        }
      }}, 'Resume'))));
  return h('div', {class: 'card'},
    h('h2', null, 'Resume a site'),
    h('table', {class: 'table', 'data-testid': 'site-list'},
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Site'), h('th', {scope: 'col'}, 'Left at'),
        h('th', {scope: 'col'}, 'Last change'), h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Action')))),
      h('tbody', null, rows)));
}

function interfaceOptions(ctx) {
  const interfaces = ctx.info.interfaces || [];
  const preferred = ctx.info.defaults?.interface || interfaces.find((i) => i.address)?.name || '';
  return interfaces.map((i) => h('option', {value: i.name, selected: i.name === preferred},
    i.address ? `${i.name} — ${i.address}/${i.prefix}` : `${i.name} (no IPv4 address)`));
}

function newSiteForm(ctx) {
  const name = h('input', {id: 'site-name', name: 'name', 'data-testid': 'site-name', required: true, autocomplete: 'off',
    pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]*', maxlength: '64', placeholder: 'smith-warehouse', spellcheck: 'false'});
  const select = h('select', {id: 'site-interface', name: 'interface', 'data-testid': 'site-interface', required: true},
    interfaceOptions(ctx));
  const error = h('div', {'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', class: 'primary', id: 'site-open', 'data-testid': 'site-open', 'data-job': '1'},
    'Open site');
  const form = h('form', {class: 'card', 'data-testid': 'site-form', novalidate: false},
    h('h2', null, 'Start or reopen a site'),
    field('Site name', name, 'Letters, digits, dots, dashes. The same name reopens a site already started.'),
    field('Network interface on the site LAN', select,
      ctx.info.defaults?.interface ? 'Chosen when the agent was started.' : 'The one with an address on the cameras\' network.'),
    error,
    h('div', {class: 'continue-row'}, submit));
  if (!(ctx.info.interfaces || []).length) {
    error.append(errorBox({summary: 'This laptop has no network interface with an address.',
      advice: 'Plug the laptop into the site switch (or join its Wi-Fi), then reload this page.'}));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    error.replaceChildren();
    try {
      await ctx.open(name.value.trim(), select.value);
    } catch (e) {
      error.replaceChildren(errorBox(e));
      submit.disabled = false;
      name.focus();
    }
  });
  return form;
}

export default {
  id: 'site',
  title: 'Site',
  heading: 'Which site?',
  render(root, ctx) {
    root.append(h('p', {class: 'lead'}, 'Sitelink finds the cameras and recorders on this network, gives them fixed addresses, ',
      'opens them to the customer\'s phone safely, and hands the site over.'));
    root.append(newSiteForm(ctx));
    const list = resumeList(ctx);
    if (list) root.append(list);
  },
};
