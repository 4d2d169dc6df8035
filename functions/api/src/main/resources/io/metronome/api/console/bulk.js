// Bulk pause, resume and cancel: the runs page's form (always a dry run first, then a confirmation that starts
// the job) and the job's view, polled until the job completes.
import {api, ApiError} from './api.js';
import {h, fill, badge, time, statusText} from './dom.js';
import {bulkBody, countsText, dryRunText} from './rules.js';
import {refusal} from './runops.js';

const ACTIONS = ['pause', 'resume', 'cancel'];

export const bulkPaths = {
  start: (action) => `/v1/runs/bulk/${action}`,
  job: (jobId) => `/v1/runs/bulk/${encodeURIComponent(jobId)}`,
};

/**
 * @param scope () => {runIds, metronomeId, status}: the runs ticked, else the page's filter
 * @param started (job) => void: a job was started
 * @returns {element, invalidate}: invalidate() forgets a dry run whose runs the page no longer names
 */
export function bulkPanel(scope, started) {
  const action = h('select', {id: 'bulk-action', name: 'action'}, ACTIONS.map((a) => h('option', {value: a}, a)));
  const reason = h('input', {type: 'text', id: 'bulk-reason', name: 'reason', maxlength: 1000, autocomplete: 'off'});
  const target = h('p', {id: 'bulk-target', 'aria-live': 'polite'});
  const result = h('p', {id: 'bulk-dry-run', 'aria-live': 'polite'});
  const message = h('p', {id: 'bulk-message', className: 'error', role: 'alert'});
  const confirm = h('button', {type: 'button', id: 'bulk-confirm', hidden: true}, '');
  let pending = null; // the body the dry run counted, which the confirmation sends for real

  const invalidate = () => {
    pending = null;
    confirm.hidden = true;
    result.textContent = '';
    const s = scope();
    target.textContent = s.runIds.length ? `Acts on the ${s.runIds.length} run${s.runIds.length === 1 ? '' : 's'} ticked below.`
      : `Acts on every run of this metronome${s.status ? ` that is ${statusText(s.status)}` : ''} (tick runs below to choose them instead).`;
  };
  const dryRun = async (e) => {
    e.preventDefault();
    invalidate();
    message.textContent = '';
    const chosen = {...scope(), reason: reason.value.trim()};
    const body = bulkBody({...chosen, dryRun: true});
    try {
      const dry = (await api(bulkPaths.start(action.value), {method: 'POST', body})).data;
      result.textContent = dryRunText(action.value, dry);
      if (dry.count > 0) {
        pending = {action: action.value, body: bulkBody({...chosen, dryRun: false})};
        confirm.textContent = `Start: ${action.value} ${dry.countCapped ? 'at least ' : ''}${dry.count} run${dry.count === 1 ? '' : 's'}`;
        confirm.className = action.value === 'cancel' ? 'danger' : '';
        confirm.hidden = false;
        confirm.focus();
      }
    } catch (err) {
      message.textContent = refusal(err);
    }
  };
  confirm.addEventListener('click', async () => {
    if (!pending) return;
    const {action: verb, body} = pending;
    confirm.disabled = true;
    try {
      const job = (await api(bulkPaths.start(verb), {method: 'POST', body})).data;
      started(job);
    } catch (err) {
      message.textContent = refusal(err);
    } finally { confirm.disabled = false; }
  });
  action.addEventListener('change', invalidate);
  reason.addEventListener('input', invalidate); // the confirmation sends the reason the dry run was given
  const element = h('form', {className: 'bulk', id: 'bulk', 'aria-labelledby': 'bulk-h', onsubmit: dryRun},
    h('h2', {id: 'bulk-h'}, 'Act on many runs'), target,
    h('div', {className: 'filters'},
      h('label', {for: 'bulk-action'}, 'Action'), action,
      h('label', {for: 'bulk-reason'}, 'Reason'), reason,
      h('button', {type: 'submit', id: 'bulk-dry-run-button'}, 'Dry run')),
    h('p', {className: 'help'}, 'The dry run changes nothing: it counts the runs named and lists the first. Then confirm to start the job.'),
    result, confirm, message);
  invalidate();
  return {element, invalidate};
}

/**
 * The job: its status and counts, and its per-run results a page at a time, asked again every second until it
 * completes (every page loaded so far, since a result may land on any of them: they are in run id order).
 * @param runLink (runId) => href of the run, or null
 * @returns {element, stop}
 */
export function bulkJobView(jobId, runLink) {
  const head = h('p', {id: 'bulk-status', 'aria-live': 'polite'});
  const progress = h('progress', {id: 'bulk-progress', 'aria-label': 'runs processed'});
  const rows = h('tbody');
  const more = h('button', {type: 'button', id: 'bulk-more', hidden: true}, 'More results');
  const message = h('p', {className: 'error', role: 'alert'});
  const cursors = [null]; // the cursor of each page loaded
  let next = null, timer = null, stopped = false;

  const load = async () => {
    const pages = [];
    for (const c of cursors) pages.push((await api(bulkPaths.job(jobId) + (c ? `?limit=100&cursor=${encodeURIComponent(c)}` : '?limit=100'))).data);
    const job = pages[0];
    next = pages[pages.length - 1].nextCursor;
    fill(head, badge(job.status), ` ${job.action} · ${countsText(job)}`, job.reason ? ` · “${job.reason}”` : '',
      ' · started ', time(job.createdAt), job.completedAt ? [' · completed ', time(job.completedAt)] : '');
    const total = job.runIds ? job.runIds.length : null;
    if (total) { progress.max = total; progress.value = job.processed; } else if (job.status === 'completed') { progress.max = 1; progress.value = 1; }
    fill(rows, pages.flatMap((p) => p.results).map((r) => {
      const href = runLink(r.runId);
      return h('tr', {'data-run': r.runId, 'data-outcome': r.outcome},
        h('td', {}, href ? h('a', {href}, h('code', {}, r.runId)) : h('code', {}, r.runId)),
        h('td', {}, h('span', {className: `outcome out-${r.outcome}`}, statusText(r.outcome))),
        h('td', {}, r.runStatus ? badge(r.runStatus) : '—'),
        h('td', {className: 'reason'}, r.message || ''),
        h('td', {}, time(r.at)));
    }));
    if (!rows.children.length) rows.append(h('tr', {}, h('td', {colspan: 5}, 'No results yet.')));
    more.hidden = !next;
    return job;
  };
  const poll = async () => {
    timer = null;
    try {
      const job = await load();
      message.textContent = '';
      if (job.status !== 'completed' && !stopped) timer = setTimeout(poll, 1000);
    } catch (e) {
      message.textContent = e.message;
      // A 4xx (no such job, a bad cursor) will not change by asking again; a 5xx or a dropped connection may.
      if (!stopped && !(e instanceof ApiError && e.status < 500 && e.status !== 429)) timer = setTimeout(poll, 3000);
    }
  };
  more.addEventListener('click', async () => {
    if (!next) return;
    cursors.push(next);
    try { await load(); } catch (e) { message.textContent = e.message; }
  });
  const element = h('section', {'aria-labelledby': 'bulk-job-h', id: 'bulk-job'},
    head, progress, message,
    h('table', {className: 'list', id: 'bulk-results'}, h('caption', {className: 'sr-only'}, 'Each run\'s result, in run id order'),
      h('thead', {}, h('tr', {}, ['Run', 'Outcome', 'Run status', 'Message', 'When'].map((t) => h('th', {scope: 'col'}, t)))), rows), more);
  return {element, start: poll, stop: () => { stopped = true; clearTimeout(timer); }};
}
