// Step 4: fixed addresses. The agent proposes a plan outside the DHCP pool; the installer reviews
// and edits it, applies it with live progress per device (verified, rolled back on failure), and
// can undo the whole batch.
import {api, badge, continueRow, enc, errorBox, field, h} from '../lib.js';

const stepText = {
  queued: 'Waiting', checking: 'Checking', writing: 'Writing', rebooting: 'Rebooting', waiting: 'Waiting for it',
  verifying: 'Verifying', 'rolling-back': 'Rolling back', done: 'Done', failed: 'Failed', 'rolled-back': 'Rolled back',
  lost: 'Lost',
};
const stepKind = (step) => ({done: 'ok', failed: 'fail', lost: 'fail', 'rolled-back': 'warn'}[step] || 'info');

// The plan's devices: {key, name, mac, role, action, reason, current, target}.
const planDevices = (plan) => plan?.devices || [];

function networkSummary(network, notPlanned = []) {
  if (!network) return null;
  const pool = network.dhcp_pool || network.pool;
  const poolText = pool ? `${pool.first} – ${pool.last}${pool.source ? ` (${pool.source})` : ''}` : 'not found';
  const item = (label, value) => (value ? [h('dt', null, label), h('dd', {class: 'mono'}, value)] : []);
  return h('dl', {class: 'facts', 'data-testid': 'network'},
    item('Subnet', network.subnet), item('Gateway', network.gateway), item('DNS', [].concat(network.dns || []).join(', ')),
    item('DHCP server', network.dhcp_server), item('DHCP pool', poolText), item('This laptop', network.agent_address),
    [].concat(network.notes || []).map((note) => [h('dt', null, 'Note'), h('dd', null, note)]),
    notPlanned.map((item) => [h('dt', null, 'Left out'), h('dd', {'data-testid': 'not-planned'}, item.reason)]));
}

function planTable(ctx, plan, batch) {
  const results = new Map((batch?.results || []).map((r) => [r.device_key || r.device, r]));
  const rows = planDevices(plan).map((device) => {
    const current = device.current || {};
    const target = device.target?.address || '';
    const inputId = `addr-target-${(device.key || '').replace(/[^A-Za-z0-9]/g, '')}`;
    const input = device.action === 'skip' ? h('span', {class: 'muted'}, '—')
      : h('input', {id: inputId, class: 'mono narrow', value: target, 'data-testid': 'addr-target', 'data-planned': target,
        'aria-label': `New address for ${device.name || device.key}`, inputmode: 'decimal', spellcheck: 'false'});
    const done = results.get(device.key);
    return h('tr', {'data-testid': 'plan-row', 'data-key': device.key || '', 'data-action': device.action || ''},
      h('th', {scope: 'row'}, device.name || device.key, device.mac ? h('div', {class: 'mono muted'}, device.mac) : null),
      h('td', {class: 'mono'}, current.address || '?', current.dhcp ? [' ', badge('DHCP', 'warn')] : null),
      h('td', null, badge(device.action || '?', device.action === 'change' ? 'info' : 'neutral')),
      h('td', null, input),
      h('td', {class: 'reason-cell'}, device.reason || ''),
      h('td', {class: 'status-cell', 'data-testid': 'addr-status'},
        done ? [badge(done.state, stepKind(done.state)), done.outcome ? h('div', {class: 'muted'}, done.outcome) : null,
          done.error ? errorBox(done.error) : null] : ''));
  });
  return h('table', {class: 'table', id: 'plan-table', 'data-testid': 'plan-table'},
    h('caption', {class: 'sr-only'}, 'Address plan'),
    h('thead', null, h('tr', null, ['Device', 'Now', 'Action', 'New address', 'Why', 'Status'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', null, rows));
}

function batchSummary(batch) {
  if (!batch) return null;
  const failed = (batch.results || []).filter((r) => r.error);
  return h('div', {class: `banner ${batch.all_done ? 'banner-ok' : 'banner-warn'}`, 'data-testid': 'batch-summary',
    'data-all-done': String(Boolean(batch.all_done)), role: 'status'},
  batch.all_done ? `Batch ${batch.batch}: every device answers on its new address.`
    : `Batch ${batch.batch}: ${failed.length} device(s) did not take the new address; they were rolled back where possible.`,
  failed.map((r) => errorBox(r.error)));
}

export default {
  id: 'addresses',
  title: 'Addresses',
  heading: 'Give every device a fixed address',
  onProgress(data) {
    const row = data.device_key && document.querySelector(`#plan-table tr[data-key="${CSS.escape(data.device_key)}"] .status-cell`);
    if (row) row.replaceChildren(...[badge(stepText[data.step] || data.step, stepKind(data.step)), data.detail ? h('div', {class: 'muted'}, data.detail) : null].filter(Boolean));
  },
  render(root, ctx) {
    const plan = ctx.site.plan;
    const batch = ctx.site.batch;
    const base = `/api/sites/${enc(ctx.site.name)}/address`;
    const pool = plan?.network?.dhcp_pool || plan?.network?.pool;
    const first = h('input', {id: 'addr-first', 'data-testid': 'addr-first', class: 'mono', inputmode: 'decimal',
      placeholder: 'chosen by Sitelink', value: ctx.memory.first || '', spellcheck: 'false'});
    const poolInput = h('input', {id: 'addr-pool', 'data-testid': 'addr-pool', class: 'mono', spellcheck: 'false',
      placeholder: 'read from the DHCP server', value: ctx.memory.pool || (pool ? `${pool.first}-${pool.last}` : '')});
    const note = h('div', {'aria-live': 'polite'});
    const runJob = async (title, path, body) => {
      note.replaceChildren();
      try {
        await ctx.run(title, () => api('POST', `${base}/${path}`, body));
      } catch (e) {
        ctx.showError(e);
      }
      await ctx.refresh().catch(ctx.showError);
    };
    const planForm = h('form', {class: 'card', 'data-testid': 'addr-plan-form'},
      h('p', null, 'Sitelink reads each device\'s address and the DHCP pool, and proposes fixed addresses outside the pool ',
        'that no other host uses.'),
      h('div', {class: 'row'},
        field('First fixed address', first, 'Optional.'),
        field('DHCP pool', poolInput, 'Optional: first-last.')),
      h('div', {class: 'continue-row'},
        h('button', {type: 'submit', id: 'addr-plan', 'data-testid': 'addr-plan', 'data-job': '1', class: plan ? '' : 'primary'},
          plan ? 'Plan again' : 'Propose addresses')));
    planForm.addEventListener('submit', (event) => {
      event.preventDefault();
      ctx.memory.first = first.value.trim();
      ctx.memory.pool = poolInput.value.trim();
      const body = {};
      if (ctx.memory.first) body.first = ctx.memory.first;
      if (ctx.memory.pool) body.dhcp_pool = ctx.memory.pool;
      // Addresses the installer typed over the proposal are kept as overrides.
      const overrides = {};
      for (const input of document.querySelectorAll('#plan-table input[data-testid=addr-target]')) {
        if (input.value.trim() && input.value.trim() !== input.dataset.planned) {
          overrides[input.closest('tr').dataset.key] = input.value.trim();
        }
      }
      if (Object.keys(overrides).length) body.overrides = overrides;
      runJob('Planning addresses', 'plan', body);
    });
    root.append(planForm);
    if (!plan) {
      root.append(continueRow(ctx, 'router', {ready: false, reason: 'Propose the addresses first.', skip: 'Skip: keep the addresses as they are'}));
      return;
    }
    const changing = planDevices(plan).filter((d) => d.action === 'change');
    const inBatch = new Set((batch?.results || []).map((r) => r.device_key || r.device));
    // The newest batch already carried out this plan: nothing left to apply (an undo batch put
    // the old addresses back, so the plan can be applied again).
    const applied = Boolean(batch?.all_done) && batch.kind !== 'undo' && changing.every((d) => inBatch.has(d.key));
    const changes = applied ? 0 : changing.length;
    root.append(h('div', {class: 'card'},
      h('h2', null, 'The plan'),
      networkSummary(plan.network, plan.not_planned || []),
      h('div', {class: 'table-wrap'}, planTable(ctx, plan, batch)),
      h('p', {class: 'hint'}, 'Change an address in the table, then "Plan again" to check it.'),
      note,
      h('div', {class: 'continue-row'},
        h('button', {type: 'button', class: applied ? '' : 'primary', id: 'addr-apply', 'data-testid': 'addr-apply',
          'data-job': '1', 'data-off': changes ? '0' : '1', disabled: !changes,
          onclick: () => runJob('Giving the devices their addresses', 'apply')},
        changes ? `Apply ${changes} change${changes === 1 ? '' : 's'}` : applied ? 'Applied' : 'Nothing to change'),
        batch ? h('button', {type: 'button', id: 'addr-undo', 'data-testid': 'addr-undo', 'data-job': '1',
          onclick: () => runJob('Putting the old addresses back', 'undo')}, `Undo batch ${batch.batch}`) : null),
      batchSummary(batch)));
    root.append(continueRow(ctx, 'router', {ready: Boolean(applied) || changes === 0,
      reason: 'Apply the plan first, so the forwarding rules point at addresses that stay.', skip: applied ? null : 'Skip for now'}));
  },
};
