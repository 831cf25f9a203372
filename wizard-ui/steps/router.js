// Step 5: the router. First the verdict (can port forwarding reach this site at all: public address,
// carrier-grade NAT, double NAT, UPnP off), then the forwarding plan, applied over UPnP, or the
// precise manual guide when the router must be set by hand.
import {api, badge, continueRow, enc, errorBox, h} from '../lib.js';

const verdicts = {
  public: ['Port forwarding can work', 'ok'],
  cgnat: ['Carrier-grade NAT: the internet cannot reach this router', 'fail'],
  'double-nat': ['Double NAT: another router sits in front of this one', 'warn'],
  'upnp-off': ['The router does not take forwarding requests (UPnP off)', 'warn'],
  unknown: ['Could not tell how the internet reaches this site', 'warn'],
};
const stateKind = (state) => ({added: 'ok', present: 'ok', kept: 'ok', removed: 'neutral', refused: 'fail', failed: 'fail'}[state] || 'info');

function verdictBox(status) {
  const nat = status.nat || {};
  const [title, kind] = verdicts[nat.verdict] || verdicts.unknown;
  const router = status.router || {};
  const fact = (label, value) => (value ? [h('dt', null, label), h('dd', {class: 'mono'}, value)] : []);
  return h('div', {class: `banner banner-${kind}`, 'data-testid': 'nat-verdict', 'data-verdict': nat.verdict || 'unknown', role: 'status'},
    h('strong', null, title),
    nat.explanation ? h('p', null, nat.explanation) : null,
    nat.next_step ? h('p', null, h('span', {class: 'label'}, 'Next: '), nat.next_step) : null,
    h('dl', {class: 'facts'},
      fact('Router', [router.manufacturer, router.model].filter(Boolean).join(' ') || router.friendly_name),
      fact('Router\'s WAN address', status.external_address), fact('Seen from the internet', status.public_address)),
    status.router_error ? errorBox(status.router_error) : null);
}

function ruleRow(rule, state, error) {
  return h('tr', {'data-testid': 'forward-rule', 'data-key': rule.device_key || '', 'data-external': String(rule.external_port ?? '')},
    h('th', {scope: 'row'}, rule.device || rule.device_key),
    h('td', null, rule.service, ' ', h('span', {class: 'muted'}, (rule.protocol || '').toUpperCase())),
    h('td', {class: 'mono'}, String(rule.external_port ?? '')),
    h('td', {class: 'mono'}, `${rule.internal_client}:${rule.internal_port}`),
    h('td', null, rule.purpose || ''),
    h('td', {class: 'status-cell'}, state ? badge(state, stateKind(state)) : '', error ? errorBox(error) : null));
}

function rulesTable(rules, results) {
  const byRule = (rule) => results?.find((r) => r.rule && r.rule.device_key === rule.device_key
    && r.rule.external_port === rule.external_port && r.rule.protocol === rule.protocol);
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table', id: 'forward-rules', 'data-testid': 'forward-rules'},
    h('thead', null, h('tr', null, ['Device', 'Service', 'Outside port', 'Goes to', 'Why', 'Status'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', null, rules.map((rule) => {
      const result = byRule(rule);
      return ruleRow(rule, result?.state, result?.error);
    }))));
}

// Which devices to forward, and which also get their web page opened.
function deviceChoices(ctx) {
  const devices = (ctx.site.devices || []).filter((d) => d.credentials?.state === 'ok');
  const chosen = ctx.memory.forwardChoice || {};
  return h('fieldset', {class: 'choices'}, h('legend', null, 'Devices to open to the phone'),
    devices.map((device) => {
      const key = device.key;
      const id = key.replace(/[^A-Za-z0-9]/g, '');
      return h('div', {class: 'choice-row'},
        h('label', {class: 'choice'}, h('input', {type: 'checkbox', id: `fw-${id}`, 'data-key': key, 'data-kind': 'include',
          checked: chosen[key]?.include !== false}), device.name || device.address),
        h('label', {class: 'choice muted'}, h('input', {type: 'checkbox', 'data-key': key, 'data-kind': 'http',
          checked: Boolean(chosen[key]?.http)}), 'also its web page'));
    }));
}

export default {
  id: 'router',
  title: 'Router',
  heading: 'Open the site to the internet',
  onProgress(data) {
    if (!data.rule) return;
    const row = document.querySelector(`#forward-rules tr[data-key="${CSS.escape(data.rule.device_key || '')}"][data-external="${data.rule.external_port}"] .status-cell`);
    if (row) row.replaceChildren(...[badge(data.step || '', stateKind(data.step)), data.detail ? h('div', {class: 'muted'}, data.detail) : null].filter(Boolean));
  },
  render(root, ctx) {
    const base = `/api/sites/${enc(ctx.site.name)}`;
    const status = ctx.site.router;
    const plan = ctx.site.forward_plan;
    const forwards = ctx.site.forwards || [];
    const applied = ctx.memory.forwardApply;
    const job = async (title, path, body, remember) => {
      try {
        const result = await ctx.run(title, () => api('POST', `${base}/${path}`, body));
        if (remember) ctx.memory[remember] = result;
      } catch (e) {
        ctx.showError(e);
      }
      await ctx.refresh().catch(ctx.showError);
    };
    root.append(h('div', {class: 'card'},
      h('p', null, 'Sitelink asks the router (UPnP IGD, NAT-PMP) and an outside address echo how the internet reaches this site.'),
      status ? verdictBox(status) : null,
      h('div', {class: 'continue-row'}, h('button', {type: 'button', id: 'router-check', 'data-testid': 'router-check',
        'data-job': '1', class: status ? '' : 'primary', onclick: () => job('Checking the router', 'router/status')},
      status ? 'Check again' : 'Check the router'))));
    if (!status) {
      root.append(continueRow(ctx, 'ddns', {ready: false, reason: 'Check the router first.'}));
      return;
    }
    const planForm = h('form', {class: 'card', 'data-testid': 'forward-plan-form'},
      h('h2', null, 'Forwarding plan'),
      status.nat?.forwarding_can_work === false
        ? h('p', {class: 'banner banner-warn'}, 'Forwarding cannot reach this site from the internet as it is; the plan is still useful for the manual guide.') : null,
      deviceChoices(ctx),
      h('div', {class: 'continue-row'}, h('button', {type: 'submit', id: 'forward-plan', 'data-testid': 'forward-plan', 'data-job': '1',
        class: plan ? '' : 'primary'}, plan ? 'Plan again' : 'Plan the forwarding')),
      plan ? rulesTable(plan.rules || [], applied?.results) : null,
      plan?.skipped?.length ? h('ul', {class: 'muted', 'data-testid': 'forward-skipped'}, plan.skipped.map((s) => h('li', null, s))) : null);
    planForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const choice = {};
      const exclude = [];
      const http = [];
      for (const box of planForm.querySelectorAll('input[type=checkbox][data-key]')) {
        choice[box.dataset.key] = {...choice[box.dataset.key], [box.dataset.kind]: box.checked};
        if (box.dataset.kind === 'include' && !box.checked) exclude.push(box.dataset.key);
        if (box.dataset.kind === 'http' && box.checked) http.push(box.dataset.key);
      }
      ctx.memory.forwardChoice = choice;
      const body = {};
      if (exclude.length) body.exclude = exclude;
      if (http.length) body.http = http;
      job('Planning the forwarding', 'forward/plan', body);
    });
    root.append(planForm);
    if (plan) {
      root.append(h('div', {class: 'card'},
        h('div', {class: 'continue-row'},
          h('button', {type: 'button', class: forwards.length ? '' : 'primary', id: 'forward-apply', 'data-testid': 'forward-apply',
            'data-job': '1', 'data-off': plan.rules?.length ? '0' : '1', disabled: !plan.rules?.length,
            onclick: () => job('Adding the forwarding rules', 'forward/apply', undefined, 'forwardApply')},
          `Apply ${plan.rules?.length || 0} rule${plan.rules?.length === 1 ? '' : 's'} on the router`),
          forwards.length ? h('button', {type: 'button', id: 'forward-undo', 'data-testid': 'forward-undo', 'data-job': '1',
            onclick: () => job('Removing the forwarding rules', 'forward/undo', undefined, 'forwardApply')}, 'Remove them again') : null),
        forwardsList(forwards),
        applied?.guide ? h('div', {class: 'guide', 'data-testid': 'forward-guide'},
          h('h2', null, 'Set these by hand on the router'), h('pre', null, applied.guide)) : null));
    }
    const open = forwards.filter((f) => ['added', 'present', 'kept'].includes(f.state)).length;
    root.append(continueRow(ctx, 'ddns', {ready: open > 0 || Boolean(applied?.guide),
      reason: 'Apply the forwarding (or follow the manual guide) first.', skip: open ? null : 'Skip: no forwarding'}));
  },
};

function forwardsList(forwards) {
  if (!forwards.length) return null;
  return h('div', {'data-testid': 'forwards'},
    h('h2', null, 'On the router now'),
    h('ul', {class: 'plain'}, forwards.map((f) => h('li', {'data-testid': 'forward', 'data-state': f.state || ''},
      badge(f.state || '?', stateKind(f.state)), ' ',
      h('span', {class: 'mono'}, `${(f.protocol || '').toUpperCase()} ${f.external_port} → ${f.internal_client}:${f.internal_port}`),
      ` ${f.service || ''}`))));
}
