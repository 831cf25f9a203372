// Step 6: a DDNS name for the site, saved (the secret sealed, never sent back) and tested with a
// real update. The on-site keeper can take over keeping it fresh.
import {api, badge, continueRow, enc, errorBox, field, h} from '../lib.js';

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const actionKind = {updated: 'ok', unchanged: 'ok', confirmed: 'ok', waiting: 'warn', stopped: 'fail', failed: 'fail'};

function resultBox(result) {
  if (!result) return null;
  const answer = result.answer || {};
  const ok = actionKind[result.action] === 'ok';
  return h('div', {class: `banner banner-${actionKind[result.action] || 'warn'}`, 'data-testid': 'ddns-result',
    'data-action': result.action || '', role: 'status'},
  h('strong', null, ok ? `The name points at ${result.address}` : `DDNS update: ${result.action}`),
  result.detail ? h('p', null, result.detail) : null,
  answer.message || answer.code ? h('p', null, 'Provider said: ', h('span', {class: 'mono'}, [answer.code, answer.message].filter(Boolean).join(' — '))) : null,
  !ok && answer.advice ? h('p', null, h('span', {class: 'label'}, 'Fix: '), answer.advice) : null);
}

export default {
  id: 'ddns',
  title: 'DDNS',
  heading: 'A name for the site',
  render(root, ctx) {
    const slot = h('div', null, h('p', {class: 'loading'}, 'Loading the providers…'));
    root.append(slot);
    const providers = ctx.memory.providers;
    if (providers) {
      slot.replaceChildren(...this.body(ctx, providers));
      return;
    }
    api('GET', '/api/ddns/providers').then((list) => {
      ctx.memory.providers = list || [];
      slot.replaceChildren(...this.body(ctx, ctx.memory.providers));
    }).catch((e) => slot.replaceChildren(errorBox(e)));
  },

  body(ctx, providers) {
    const saved = ctx.site.ddns;
    const base = `/api/sites/${enc(ctx.site.name)}/ddns`;
    const provider = h('select', {id: 'ddns-provider', 'data-testid': 'ddns-provider', required: true},
      providers.map((p) => h('option', {value: p.id, selected: saved?.provider === p.id}, p.name || p.id)));
    const hostname = h('input', {id: 'ddns-hostname', 'data-testid': 'ddns-hostname', required: true, spellcheck: 'false',
      autocomplete: 'off', value: saved?.hostname || ''});
    const input = (name, attrs = {}) => h('input', {id: `ddns-${name}`, 'data-testid': `ddns-${name}`, spellcheck: 'false',
      autocomplete: 'off', value: saved?.[name.replace('-', '_')] || '', ...attrs});
    const inputs = {
      username: input('username'),
      secret: input('secret', {type: 'password', autocomplete: 'new-password', value: '',
        placeholder: saved?.has_secret ? 'saved — type a new one to change it' : null}),
      base_url: input('base-url', {placeholder: 'https://…'}),
      zone: input('zone'),
      server: input('server'),
    };
    const keeper = h('input', {type: 'checkbox', id: 'ddns-keeper', 'data-testid': 'ddns-keeper', checked: !saved || saved.owner === 'keeper'});
    const fields = h('div');
    const hostField = h('div');
    // What a provider asks for: a user name when it has a label for one, always a secret; the base
    // URL up front when the provider has none of its own, else with zone and server under "Advanced".
    const showFields = () => {
      const chosen = providers.find((p) => p.id === provider.value) || {};
      const example = chosen.hostname_suffix ? `For example shop${chosen.hostname_suffix.startsWith('.') ? '' : '.'}${chosen.hostname_suffix}` : null;
      hostField.replaceChildren(field('Host name', hostname, example));
      hostname.placeholder = chosen.hostname_suffix ? `shop${chosen.hostname_suffix.startsWith('.') ? '' : '.'}${chosen.hostname_suffix}` : 'shop.example.com';
      if (!inputs.base_url.value && chosen.base_url && !saved?.base_url) inputs.base_url.value = chosen.base_url;
      inputs.base_url.required = !chosen.base_url;
      const shown = [];
      if (chosen.username_label) shown.push(field(capital(chosen.username_label), inputs.username));
      shown.push(field(capital(chosen.secret_label || 'password'), inputs.secret, saved?.has_secret ? 'Leave empty to keep the saved one.' : null));
      if (!chosen.base_url) shown.push(field('Service URL', inputs.base_url, 'The provider\'s base URL (required for this provider).'));
      const advanced = h('details', {class: 'advanced'}, h('summary', null, 'Advanced'),
        chosen.base_url ? field('Service URL', inputs.base_url) : null, field('Zone', inputs.zone), field('DNS server', inputs.server));
      const notes = [].concat(chosen.notes || []).map((n) => h('p', {class: 'hint'}, n));
      fields.replaceChildren(h('div', {class: 'row'}, shown), advanced, ...notes);
    };
    provider.addEventListener('change', () => {
      inputs.base_url.value = '';
      showFields();
    });
    showFields();
    const formError = h('div', {'aria-live': 'polite'});
    const save = h('button', {type: 'submit', class: saved ? '' : 'primary', id: 'ddns-save', 'data-testid': 'ddns-save', 'data-job': '1'},
      saved ? 'Save changes' : 'Save');
    const form = h('form', {class: 'card', 'data-testid': 'ddns-form'},
      field('Provider', provider), hostField, fields,
      h('label', {class: 'choice'}, keeper, 'The on-site keeper keeps this name up to date'),
      formError,
      h('div', {class: 'continue-row'}, save));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      const body = {provider: provider.value, hostname: hostname.value.trim()};
      for (const [name, node] of Object.entries(inputs)) {
        const value = node.value.trim();
        if (value && node.isConnected) body[name] = value;
      }
      if (keeper.checked) body.owner = 'keeper';
      inputs.secret.value = '';  // never kept in the page
      save.disabled = true;
      formError.replaceChildren();
      try {
        await api('POST', base, body);
        ctx.memory.ddnsResult = null;
        await ctx.refresh();
      } catch (e) {
        formError.replaceChildren(errorBox(e));
        // A 400 names the wrong field: mark it.
        const text = `${e.error?.summary || ''} ${e.error?.detail || ''}`.toLowerCase();
        const named = ['hostname', 'username', 'secret', 'base_url', 'zone', 'server'].find((n) => text.includes(n.replace('_', ' ')) || text.includes(n));
        const target = named === 'hostname' ? hostname : inputs[named];
        target?.setAttribute('aria-invalid', 'true');
        target?.focus();
        save.disabled = false;
      }
    });
    const parts = [h('p', {class: 'lead'}, 'The customer\'s phone finds the site by this name, wherever its address moves.'), form];
    if (saved) {
      const result = ctx.memory.ddnsResult;
      parts.push(h('div', {class: 'card', 'data-testid': 'ddns-saved'},
        h('p', null, badge('Saved', 'ok'), ' ', h('strong', {class: 'mono'}, saved.hostname), ` with ${saved.provider}`,
          saved.has_secret ? ' (secret sealed)' : ''),
        h('div', {class: 'continue-row'}, h('button', {type: 'button', id: 'ddns-test', 'data-testid': 'ddns-test', 'data-job': '1',
          class: result ? '' : 'primary',
          onclick: async () => {
            try {
              ctx.memory.ddnsResult = await ctx.run('Updating the DDNS name', () => api('POST', `${base}/update`));
            } catch (e) {
              ctx.showError(e);
            }
            await ctx.refresh().catch(ctx.showError);
          }}, result ? 'Test again' : 'Update now and test')),
        resultBox(result)));
    }
    const good = ctx.memory.ddnsResult && actionKind[ctx.memory.ddnsResult.action] === 'ok';
    parts.push(continueRow(ctx, 'verify', {ready: Boolean(saved) && (good || !ctx.memory.ddnsResult),
      reason: saved ? 'The last update failed: fix it, or skip.' : 'Save a DDNS name first.', skip: good ? null : 'Skip: no DDNS name'}));
    return parts;
  },
};
