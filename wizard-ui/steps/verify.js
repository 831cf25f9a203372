// Step 7: the outside-in checklist. Each check passes, fails with its reason and the fix, or is
// skipped; "Check again" reruns the whole list.
import {api, badge, continueRow, enc, h} from '../lib.js';

const resultKind = {pass: 'ok', fail: 'fail', skip: 'neutral'};
const resultText = {pass: 'Pass', fail: 'Fail', skip: 'Skipped'};

function checklist(report) {
  return h('ol', {class: 'checklist', id: 'verify-checks', 'data-testid': 'verify-checks'},
    (report.checks || []).map((check) => h('li', {'data-testid': 'check', 'data-id': check.id || '', 'data-result': check.result || ''},
      badge(resultText[check.result] || check.result, resultKind[check.result] || 'neutral'),
      h('div', null,
        h('strong', null, check.subject || check.id),
        check.reason ? h('p', null, check.reason) : null,
        check.result === 'fail' && check.fix ? h('p', null, h('span', {class: 'label'}, 'Fix: '), check.fix) : null))));
}

export default {
  id: 'verify',
  title: 'Verify',
  heading: 'Check it from the outside',
  render(root, ctx) {
    const report = ctx.site.verify;
    const failed = (report?.checks || []).filter((c) => c.result === 'fail').length;
    const run = async () => {
      try {
        await ctx.run('Checking the site from the internet', () => api('POST', `/api/sites/${enc(ctx.site.name)}/verify`));
      } catch (e) {
        ctx.showError(e);
      }
      await ctx.refresh().catch(ctx.showError);
    };
    root.append(h('div', {class: 'card'},
      h('p', null, 'A probe server on the internet connects back to the site, the way the customer\'s phone will, ',
        'and checks the name, the address, every forwarded port and the streams.'),
      report ? h('div', {class: `banner ${report.passed ? 'banner-ok' : 'banner-fail'}`, 'data-testid': 'verify-summary',
        'data-passed': String(Boolean(report.passed)), role: 'status'},
      report.passed ? `Every check passed: the site is reachable from outside${report.external_address ? ` at ${report.external_address}` : ''}.`
        : `${failed} check${failed === 1 ? '' : 's'} failed. Each one says how to fix it.`) : null,
      report ? checklist(report) : null,
      h('div', {class: 'continue-row'}, h('button', {type: 'button', id: 'verify-run', 'data-testid': 'verify-run', 'data-job': '1',
        class: report?.passed ? '' : 'primary', onclick: run}, report ? 'Check again' : 'Run the checks'))));
    root.append(continueRow(ctx, 'handoff', {ready: Boolean(report?.passed),
      reason: report ? 'Some checks failed.' : 'Run the checks first.', skip: report?.passed ? null : 'Hand off anyway'}));
  },
};
