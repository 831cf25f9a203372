// The wizard's shell: the step list, the open site, moving between steps (remembered by the agent,
// so a reopened site resumes where it was left), and running jobs with their progress.
import {ApiError, activity, api, enc, errorBox, h, watchJob} from './lib.js';
import site from './steps/site.js';
import discover from './steps/discover.js';
import credentials from './steps/credentials.js';
import addresses from './steps/addresses.js';
import router from './steps/router.js';
import ddns from './steps/ddns.js';
import verify from './steps/verify.js';
import handoff from './steps/handoff.js';

const STEPS = [site, discover, credentials, addresses, router, ddns, verify, handoff];
const byId = Object.fromEntries(STEPS.map((step) => [step.id, step]));

// Which step shows a job of a kind (for re-attaching to a job that runs when the page loads).
function stepForKind(kind = '') {
  for (const [pattern, step] of [[/discover/, 'discover'], [/cred/, 'credentials'], [/address/, 'addresses'],
    [/router|forward/, 'router'], [/ddns/, 'ddns'], [/verify/, 'verify'], [/handoff/, 'handoff']]) {
    if (pattern.test(kind)) return step;
  }
  return null;
}

const kindTitles = {
  discover: 'Discovering devices', 'address-plan': 'Planning addresses', 'address-apply': 'Giving the devices their addresses',
  'address-undo': 'Putting the old addresses back', 'router-status': 'Checking the router', 'forward-plan': 'Planning the forwarding',
  'forward-apply': 'Adding the forwarding rules', 'forward-undo': 'Removing the forwarding rules', 'ddns-update': 'Updating the DDNS name',
  verify: 'Checking the site from the internet', handoff: 'Making the hand-off',
};

const state = {info: null, site: null, step: 'site', job: null, error: null};
// Results of this session's jobs that the site state does not keep (per site name).
const memory = new Map();

const ctx = {
  get info() { return state.info; },
  get site() { return state.site; },
  get step() { return state.step; },
  get busy() { return state.job !== null; },
  get memory() {
    const name = state.site?.name || '';
    if (!memory.has(name)) memory.set(name, {});
    return memory.get(name);
  },
  steps: STEPS,

  async open(name, iface) {
    const opened = await api('POST', '/api/sites', iface ? {name, interface: iface} : {name});
    await showSite(opened);
  },

  async refresh() {
    if (!state.site) return;
    state.site = await api('GET', `/api/sites/${enc(state.site.name)}`);
    render();
  },

  // Moves to a step; the agent remembers it so the site resumes there.
  async go(step) {
    if (state.site && step !== 'site') {
      try {
        await api('PUT', `/api/sites/${enc(state.site.name)}/step`, {step});
        state.site.step = step;
      } catch (e) {
        showError(e);
        return;
      }
    }
    if (step === 'site') state.site = null;
    if (step !== state.step && !state.job) activity.hide();
    if (step !== state.step) state.error = null;
    state.step = step;
    if (state.site) history.replaceState(null, '', `#${enc(state.site.name)}`);
    else history.replaceState(null, '', location.pathname);
    render({focus: true});
  },

  // Starts a job (start() answers {job}) and follows it to its end; progress goes to the panel and
  // to the current step's onProgress. Answers the result, or throws ApiError (also shown).
  async run(title, start, {onProgress} = {}) {
    if (state.job) throw new ApiError({id: 'busy', summary: 'Another action is still running.', advice: 'Wait for it to finish.'});
    state.job = 'starting';
    state.error = null;
    document.getElementById('step-error')?.replaceChildren();
    setBusy(true);
    activity.start(title);
    try {
      const {job} = await start();
      state.job = job;
      return await follow(job, onProgress);
    } catch (e) {
      activity.finish(false, `Failed: ${e.error?.summary || e.message}`);
      throw e;
    } finally {
      state.job = null;
      setBusy(false);
    }
  },

  showError,
};

async function follow(job, onProgress) {
  const step = byId[state.step];
  const handler = onProgress || ((data) => step.onProgress?.(data, ctx));
  const result = await watchJob(job, {
    onNote: (text) => activity.note(text),
    onProgress: (data) => {
      if (data.total) activity.count(data.finished ?? 0, data.total);
      if (data.note) activity.note(data.note);
      if (data.detail && data.label) activity.note(`${data.label}: ${data.detail}`);
      handler(data);
    },
  });
  activity.finish(true, 'Done.');
  return result;
}

function setBusy(busy) {
  document.body.classList.toggle('busy', busy);
  for (const button of document.querySelectorAll('main button[data-job]')) button.disabled = busy || button.dataset.off === '1';
}

// Errors that belong to no field: at the top of the step, kept there when the step is redrawn
// (after a failed job the site is read again) until the next action or step.
function showError(error) {
  state.error = error;
  const slot = document.getElementById('step-error');
  if (!slot) return;
  slot.replaceChildren(errorBox(error));
  slot.scrollIntoView({block: 'nearest'});
}

function renderNav() {
  const nav = document.getElementById('step-nav');
  const current = STEPS.findIndex((step) => step.id === state.step);
  nav.replaceChildren(...STEPS.map((step, index) => {
    const reachable = step.id === 'site' || state.site !== null;
    const button = h('button', {type: 'button', 'data-step': step.id, 'data-testid': `nav-${step.id}`,
      'aria-current': index === current ? 'step' : null, disabled: !reachable || state.job !== null,
      onclick: () => ctx.go(step.id)},
    h('span', {class: 'step-number'}, String(index + 1)), ' ', step.title);
    return h('li', {class: index < current ? 'past' : index === current ? 'current' : ''}, button);
  }));
}

function render({focus = false} = {}) {
  const step = byId[state.step] || site;
  renderNav();
  const badge = document.getElementById('site-badge');
  badge.hidden = !state.site;
  document.getElementById('site-badge-name').textContent = state.site?.name || '';
  const heading = h('h1', {tabindex: '-1', id: 'step-title'}, step.heading || step.title);
  const section = h('section', {class: 'step', id: `step-${step.id}`, 'data-testid': `step-${step.id}`,
    'aria-labelledby': 'step-title'}, heading, h('div', {id: 'step-error'}, state.error ? errorBox(state.error) : null));
  const main = document.getElementById('main');
  main.replaceChildren(section);
  try {
    step.render(section, ctx);
  } catch (e) {
    section.append(errorBox({summary: `This step could not be shown: ${e.message}`, advice: 'Reload the page.'}));
    console.error(e);
  }
  if (state.job) setBusy(true);
  document.querySelector('#step-nav [aria-current=step]')?.scrollIntoView({block: 'nearest', inline: 'nearest'});
  if (focus) heading.focus();
}

async function showSite(siteState) {
  state.site = siteState;
  history.replaceState(null, '', `#${enc(siteState.name)}`);
  const saved = siteState.step && byId[siteState.step] && siteState.step !== 'site' ? siteState.step : 'discover';
  const running = siteState.job && siteState.job.state === 'running' ? siteState.job : null;
  const target = running ? stepForKind(running.kind) || saved : saved;
  if (target !== siteState.step) {
    await ctx.go(target);
  } else {
    state.step = target;
    render({focus: true});
  }
  if (running) reattach(running);
}

// A job still running when the page was (re)loaded: show its progress, then the new state.
async function reattach(job) {
  state.job = job.id;
  setBusy(true);
  activity.start(`Still running: ${kindTitles[job.kind] || job.kind}`);
  try {
    await follow(job.id);
  } catch (e) {
    activity.finish(false, `Failed: ${e.error?.summary || e.message}`);
    showError(e);
  } finally {
    state.job = null;
    setBusy(false);
  }
  await ctx.refresh().catch(showError);
}

async function boot() {
  try {
    state.info = await api('GET', '/api/info');
  } catch (e) {
    document.getElementById('main').replaceChildren(errorBox(e));
    return;
  }
  document.getElementById('version').textContent = state.info.version ? `v${state.info.version}` : '';
  document.getElementById('switch-site').addEventListener('click', async () => {
    state.info = await api('GET', '/api/info').catch(() => state.info);
    ctx.go('site');
  });
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted) {
    try {
      await showSite(await api('GET', `/api/sites/${enc(wanted)}`));
      return;
    } catch (e) {
      state.step = 'site';
      render();
      showError(e);
      return;
    }
  }
  render();
}

boot();
