// Shared by every step: building DOM nodes, the API client, jobs with their progress stream, and
// errors shown the one way the wizard shows them (what failed, on which device, and the fix).

export class ApiError extends Error {
  constructor(error, status = 0) {
    super(error?.summary || 'The request failed.');
    this.error = error || {};
    this.status = status;
  }
}

// h('button', {type: 'button', onclick: f}, 'text', child...): attributes are set as attributes
// (false/null/undefined leave one out, true sets it empty), on* functions become listeners.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const enc = encodeURIComponent;

function unreachable(detail) {
  return {
    id: 'agent-unreachable',
    summary: 'The Sitelink agent on this laptop did not answer.',
    advice: 'Check that `sitelink serve` is still running, then try again; nothing was changed on the site.',
    detail,
  };
}

export async function api(method, path, body) {
  const init = {method, credentials: 'same-origin', headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(unreachable(String(e)));
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(data?.error || {
      id: `http-${response.status}`,
      summary: `The agent answered ${method} ${path} with HTTP ${response.status}.`,
      detail: text.slice(0, 400),
      advice: 'Reload the page. If it happens again, the agent\'s log says more.',
    }, response.status);
  }
  return data;
}

// The activity panel: one job at a time per site, so one panel for the whole page.
export const activity = {
  node: () => document.getElementById('activity'),
  start(title) {
    const panel = this.node();
    panel.hidden = false;
    panel.dataset.state = 'running';
    document.getElementById('activity-title').textContent = title;
    document.getElementById('activity-count').textContent = '';
    document.getElementById('activity-bar').hidden = true;
    document.getElementById('activity-log').replaceChildren();
  },
  note(text) {
    if (!text) return;
    const log = document.getElementById('activity-log');
    log.append(h('li', null, text));
    while (log.children.length > 8) log.firstElementChild.remove();
  },
  count(finished, total) {
    const bar = document.getElementById('activity-bar');
    if (!total) return;
    bar.hidden = false;
    bar.max = total;
    bar.value = finished;
    document.getElementById('activity-count').textContent = `${finished} of ${total}`;
  },
  hide() {
    this.node().hidden = true;
  },
  finish(ok, text) {
    const panel = this.node();
    panel.dataset.state = ok ? 'done' : 'failed';
    this.note(text);
  },
};

// Follows a job's events. The server replays every event from the start to a late listener, so a
// reconnection skips the events already handled. Resolves with the result, rejects with ApiError.
export function watchJob(id, {onProgress, onNote} = {}) {
  return new Promise((resolve, reject) => {
    let handled = 0;
    let attempts = 0;
    let finished = false;
    const finish = (ok, value) => {
      if (finished) return;
      finished = true;
      (ok ? resolve : reject)(value);
    };
    const poll = async () => {
      try {
        const job = await api('GET', `/api/jobs/${enc(id)}`);
        if (job.state === 'done') return finish(true, job.result);
        if (job.state === 'failed') return finish(false, new ApiError(job.error));
      } catch (e) {
        if (e.status === 404) return finish(false, new ApiError({
          id: 'job-lost', summary: `The agent no longer knows job ${id}.`,
          advice: 'The agent was probably restarted. Run this step again.',
        }));
      }
      if (++attempts > 30) return finish(false, new ApiError(unreachable(`job ${id}: progress stream lost`)));
      setTimeout(open, Math.min(5000, 500 * attempts));
    };
    const open = () => {
      const source = new EventSource(`/api/jobs/${enc(id)}/events`);
      let seen = 0;
      const skip = handled;
      const on = (name, handler) => source.addEventListener(name, (event) => {
        if (++seen <= skip) return;
        handled++;
        attempts = 0;
        let data = {};
        try {
          data = JSON.parse(event.data);
        } catch {
          data = {};
        }
        handler(data);
      });
      on('note', (data) => onNote?.(data.text));
      on('progress', (data) => onProgress?.(data));
      on('done', (data) => { source.close(); finish(true, data.result); });
      on('failed', (data) => { source.close(); finish(false, new ApiError(data.error)); });
      source.onerror = () => {
        if (finished) return;
        source.close();
        poll();
      };
    };
    open();
  });
}

// An error as the installer reads it: the summary, the device it concerns, what to do about it.
export function errorBox(error, attrs = {}) {
  const e = error instanceof ApiError ? error.error : (error?.error || error || {});
  const technical = [e.protocol_code, e.detail, e.id].filter(Boolean).join(' — ');
  const device = e.device && !(e.summary || '').includes(e.device) ? e.device : '';
  return h('div', {class: 'error', role: 'alert', 'data-testid': 'error', 'data-error-id': e.id || '', ...attrs},
    h('p', {class: 'error-summary'}, device ? h('strong', null, `${device}: `) : null, e.summary || String(error?.message || error)),
    e.advice ? h('p', {class: 'error-advice'}, h('span', {class: 'label'}, 'Fix: '), e.advice) : null,
    technical ? h('details', null, h('summary', null, 'Technical detail'), h('p', null, technical)) : null);
}

// The brand: as the device reports it once logged in, else its vendor profile, else the first word
// of the name it announces (cameras usually announce "BRAND MODEL").
export function brandOf(device) {
  const fromName = (device.name || '').split(/\s+/)[0];
  return (device.manufacturer || device.vendor || (fromName && fromName !== device.model ? fromName : '') || '').trim();
}

export function deviceLabel(device) {
  if (!device) return '';
  const name = device.name || [brandOf(device), device.model].filter(Boolean).join(' ') || device.key;
  return device.address ? `${name} (${device.address})` : name;
}

export function snapshotUrl(site, key, bust = '') {
  return `/api/sites/${enc(site)}/devices/${enc(key)}/snapshot${bust ? `?t=${bust}` : ''}`;
}

// A thumbnail of the camera's picture, or a placeholder saying why there is none.
export function thumbnail(site, device, bust = '') {
  const box = h('div', {class: 'thumb', 'data-testid': 'thumb'});
  const placeholder = (text) => box.replaceChildren(h('span', {class: 'thumb-none'}, text));
  if (device.snapshot) {
    const img = h('img', {src: snapshotUrl(site, device.key, bust), alt: `Picture from ${deviceLabel(device)}`});
    img.addEventListener('error', () => placeholder('No picture'));
    box.append(img);
  } else {
    placeholder(device.credentials?.state === 'ok' ? 'No picture' : 'Picture after login');
  }
  return box;
}

// A primary "Continue" row: disabled with its reason shown until the step is done.
export function continueRow(ctx, next, {ready, reason, label, skip}) {
  const row = h('div', {class: 'continue-row'});
  const button = h('button', {type: 'button', class: 'primary', id: 'continue', 'data-testid': 'continue',
    disabled: !ready, 'aria-describedby': ready ? null : 'continue-reason', onclick: () => ctx.go(next)},
  label || 'Continue');
  row.append(button);
  if (!ready && reason) row.append(h('span', {class: 'reason', id: 'continue-reason'}, reason));
  if (skip) row.append(h('button', {type: 'button', class: 'link', 'data-testid': 'skip', onclick: () => ctx.go(next)}, skip));
  return row;
}

export function field(label, input, hint) {
  const id = input.id;
  const hintNode = hint ? h('span', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', {class: 'field'}, h('label', {for: id}, label), input, hintNode);
}

export function badge(text, kind) {
  return h('span', {class: `badge badge-${kind}`}, text);
}
