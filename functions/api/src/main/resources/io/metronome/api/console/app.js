// The console: hash routes (#/, #/m/<id>, #/m/<id>/runs, #/m/<id>/runs/<runId>, #/bulk/<jobId>), each a page built
// from the API.
import {api, paths, query, session, ApiError} from './api.js';
import {h, badge, time, duration, jsonView, clear, fill, statusText} from './dom.js';
import {drawGraph, nodeStates} from './graph.js';
import {Gantt} from './timeline.js';
import {follow} from './events.js';
import {allowed, localToIso, parseBudget, pauseCauseText} from './rules.js';
import {breakpointsPanel, budgetPanel, refusal, rerunPanel, schedulePanel} from './runops.js';
import {bulkJobView, bulkPanel} from './bulk.js';

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const signOutButton = document.getElementById('sign-out');
let leave = () => {}; // what the current page stops when another one opens (a live follower)

const RUN_STATUSES = ['queued', 'running', 'waiting_approval', 'paused', 'completed', 'failed', 'cancelled'];

function show(message) {
  notice.hidden = !message;
  notice.textContent = message || '';
}

function page(title, ...content) {
  document.title = `${title} · Metronome console`;
  fill(main, ...content.flat().filter((c) => c !== null && c !== undefined && c !== false));
  main.focus({preventScroll: true});
}

function crumbs(...links) {
  return h('nav', {'aria-label': 'Breadcrumb', className: 'crumbs'},
    links.filter(Boolean).map((l, i) => [i ? ' / ' : '', l.href ? h('a', {href: l.href}, l.text) : h('span', {'aria-current': 'page'}, l.text)]));
}

async function route() {
  leave();
  leave = () => {};
  show('');
  if (!session.key()) return signIn();
  signOutButton.hidden = false;
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 0) await metronomesPage();
    else if (parts[0] === 'm' && parts.length === 2) await metronomePage(parts[1]);
    else if (parts[0] === 'm' && parts[2] === 'runs' && parts.length === 3) await runsPage(parts[1]);
    else if (parts[0] === 'm' && parts[2] === 'runs' && parts.length === 4) await runPage(parts[1], parts[3]);
    else if (parts[0] === 'bulk' && parts.length === 2) await bulkJobPage(parts[1]);
    else page('Not found', h('h1', {}, 'No such page'), h('p', {}, h('a', {href: '#/'}, 'Back to the metronomes')));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session.signOut();
      return signIn('The API key was refused: ' + e.message);
    }
    page('Error', h('h1', {}, 'Something went wrong'), h('p', {className: 'error'}, e.message));
  }
}

// ------------------------------------------------------------------ sign-in

function signIn(message) {
  signOutButton.hidden = true;
  const input = h('input', {id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'key-help key-error'});
  const error = h('p', {id: 'key-error', className: 'error', role: 'alert'}, message || '');
  const form = h('form', {className: 'sign-in', onsubmit: async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    try {
      await api(paths.metronomes() + query({limit: 1}), {key});
      session.signIn(key);
      input.value = '';
      route();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? 'That key is not valid.' : err.message;
    }
  }},
  h('label', {for: 'api-key'}, 'API key'), input,
  h('p', {id: 'key-help', className: 'help'}, 'Kept in this tab only (sessionStorage) until you sign out or close it.'),
  error, h('button', {type: 'submit'}, 'Sign in'));
  page('Sign in', h('h1', {}, 'Sign in'), form);
  input.focus();
}

signOutButton.addEventListener('click', () => {
  session.signOut();
  location.hash = '#/';
  route();
});

// ------------------------------------------------------------------ metronomes

async function metronomesPage() {
  const list = h('tbody');
  const more = h('button', {type: 'button', hidden: true}, 'More metronomes');
  let cursor = null;
  const load = async () => {
    const res = await api(paths.metronomes() + query({limit: 50, cursor}));
    for (const m of res.data) {
      list.append(h('tr', {},
        h('td', {}, h('a', {href: `#/m/${encodeURIComponent(m.id)}`}, m.name)),
        h('td', {}, h('code', {}, m.id)),
        h('td', {}, m.trigger ? m.trigger.type : 'manual'),
        h('td', {}, `v${m.versionNumber}`),
        h('td', {}, time(m.updatedAt)),
        h('td', {}, h('a', {href: `#/m/${encodeURIComponent(m.id)}/runs`}, 'Runs'))));
    }
    cursor = res.nextCursor;
    more.hidden = !cursor;
    if (!list.children.length) list.append(h('tr', {}, h('td', {colspan: 6}, 'No metronomes yet: create one through the API.')));
  };
  more.addEventListener('click', load);
  await load();
  page('Metronomes', h('h1', {}, 'Metronomes'),
    h('table', {className: 'list'}, h('caption', {className: 'sr-only'}, 'Your metronomes, newest first'),
      h('thead', {}, h('tr', {}, ['Name', 'Id', 'Trigger', 'Version', 'Updated', ''].map((t) => h('th', {scope: 'col'}, t)))), list), more);
}

async function metronomePage(id) {
  const m = (await api(paths.metronome(id))).data;
  const events = h('tbody');
  const more = h('button', {type: 'button', hidden: true}, 'Older trigger events');
  let cursor = null;
  const load = async () => {
    const res = await api(paths.triggerEvents(id) + query({limit: 50, cursor}));
    for (const t of res.data) {
      events.append(h('tr', {'data-status': t.status},
        h('td', {}, time(t.createdAt)),
        h('td', {}, t.triggerType),
        h('td', {}, badge(t.status)),
        h('td', {className: 'reason'}, t.reason || t.summary || '—'),
        h('td', {}, t.runId ? h('a', {href: `#/m/${encodeURIComponent(id)}/runs/${encodeURIComponent(t.runId)}`}, t.runId) : '—'),
        h('td', {}, Object.keys(t.payload || {}).length ? jsonView(t.payload, 'payload') : '—')));
    }
    cursor = res.nextCursor;
    more.hidden = !cursor;
    if (!events.children.length) events.append(h('tr', {}, h('td', {colspan: 6}, 'No deliveries yet.')));
  };
  more.addEventListener('click', load);
  await load();
  page(m.name, crumbs({href: '#/', text: 'Metronomes'}, {text: m.name}),
    h('h1', {}, m.name), m.description ? h('p', {}, m.description) : null,
    h('p', {}, h('a', {href: `#/m/${encodeURIComponent(id)}/runs`, className: 'button'}, 'Runs and start a run')),
    h('dl', {className: 'facts'},
      h('dt', {}, 'Id'), h('dd', {}, h('code', {}, m.id)),
      h('dt', {}, 'Version'), h('dd', {}, `v${m.versionNumber} `, h('code', {}, m.versionId), ' (every save makes a new version; runs keep theirs)'),
      h('dt', {}, 'Trigger'), h('dd', {}, describeTrigger(m.trigger), ' ', jsonView(m.trigger, 'trigger')),
      h('dt', {}, 'Attempts'), h('dd', {}, `up to ${m.maxAttempts} per node`),
      h('dt', {}, 'Timeout'), h('dd', {}, m.timeoutMs ? duration(m.timeoutMs) : 'none'),
      h('dt', {}, 'Updated'), h('dd', {}, time(m.updatedAt))),
    h('section', {'aria-labelledby': 'def-h'}, h('h2', {id: 'def-h'}, 'Definition'),
      h('div', {className: 'graph-box'}, drawGraph(m.definition).element), jsonView(m.definition, 'definition')),
    h('section', {'aria-labelledby': 'tev-h', id: 'trigger-events'}, h('h2', {id: 'tev-h'}, 'Trigger events'),
      h('p', {className: 'help'}, 'Every delivery of the trigger and what came of it: why a run started, or why not.'),
      h('table', {className: 'list'}, h('thead', {}, h('tr', {}, ['When', 'Type', 'Outcome', 'Reason', 'Run', 'Payload'].map((t) => h('th', {scope: 'col'}, t)))), events), more));
}

function describeTrigger(t) {
  if (!t || t.type === 'manual') return 'Started through the API only.';
  if (t.type === 'schedule') return `On the schedule ${t.expression}${t.timezone ? ` (${t.timezone})` : ''}.`;
  if (t.type === 'webhook') return `By signed webhook deliveries${t.filter ? `, when ${t.filter}` : ''}.`;
  if (t.type === 'event') return `By events from ${t.source}${t.detailType ? ` (${t.detailType})` : ''}${t.filter ? `, when ${t.filter}` : ''}.`;
  return t.type;
}

// ------------------------------------------------------------------ runs

async function runsPage(id) {
  const m = (await api(paths.metronome(id))).data;
  const status = h('select', {id: 'status-filter', name: 'status'},
    h('option', {value: ''}, 'any status'), RUN_STATUSES.map((s) => h('option', {value: s}, statusText(s))));
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const list = h('tbody');
  const more = h('button', {type: 'button', hidden: true, id: 'more-runs'}, 'Older runs');
  const selected = new Set(); // runs ticked for a bulk action, in the order ticked
  let cursor = null;
  const bulk = bulkPanel(() => ({runIds: [...selected], metronomeId: id, status: status.value}), (job) => {
    location.hash = `#/bulk/${encodeURIComponent(job.id)}?m=${encodeURIComponent(id)}`;
  });
  const tick = (runId) => h('input', {type: 'checkbox', className: 'select-run', 'data-run': runId,
    'aria-label': `Select run ${runId}`, onchange: (e) => {
      if (e.target.checked) selected.add(runId); else selected.delete(runId);
      bulk.invalidate();
    }});
  const load = async (reset) => {
    if (reset) { clear(list); cursor = null; selected.clear(); bulk.invalidate(); }
    const res = await api(paths.runs(id) + query({limit: 25, cursor, status: status.value}));
    for (const r of res.data) {
      list.append(h('tr', {'data-run': r.id},
        h('td', {}, tick(r.id)),
        h('td', {}, h('a', {href: `#/m/${encodeURIComponent(id)}/runs/${encodeURIComponent(r.id)}`}, h('code', {}, r.id))),
        h('td', {}, badge(r.status)),
        h('td', {}, r.triggerType),
        h('td', {}, time(r.createdAt)),
        h('td', {}, time(r.completedAt)),
        h('td', {className: 'reason'}, r.error || '')));
    }
    cursor = res.nextCursor;
    more.hidden = !cursor;
    if (!list.children.length) list.append(h('tr', {}, h('td', {colspan: 7}, status.value ? `No ${statusText(status.value)} runs.` : 'No runs yet.')));
  };
  status.value = params.get('status') || '';
  status.addEventListener('change', () => load(true).catch((e) => show(e.message)));
  more.addEventListener('click', () => load(false).catch((e) => show(e.message)));
  await load(true);

  const input = h('textarea', {id: 'run-input', name: 'input', rows: 6, spellcheck: 'false', 'aria-describedby': 'input-help input-error'}, '{}');
  const key = h('input', {id: 'idempotency-key', name: 'idempotencyKey', type: 'text', autocomplete: 'off'});
  const budget = h('input', {id: 'start-budget', name: 'budgetCt', type: 'text', inputmode: 'decimal', autocomplete: 'off', className: 'short'});
  const policy = h('select', {id: 'start-timeout-policy', name: 'timeoutPolicy'},
    h('option', {value: ''}, 'default (wall clock)'), h('option', {value: 'wallClock'}, 'wall clock: paused time counts'),
    h('option', {value: 'excludePaused'}, 'exclude paused time'));
  const breakpoints = m.definition.nodes.map((n) => h('input', {type: 'checkbox', id: `start-bp-${n.id}`, name: 'pauseBefore', value: n.id}));
  const inputError = h('p', {id: 'input-error', className: 'error', 'aria-live': 'polite'});
  const start = h('form', {className: 'start-run', 'aria-labelledby': 'start-h', onsubmit: async (e) => {
    e.preventDefault();
    let value;
    try {
      value = JSON.parse(input.value);
      input.removeAttribute('aria-invalid');
      inputError.textContent = '';
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      inputError.textContent = `The input is not valid JSON: ${err.message}`;
      input.focus();
      return;
    }
    const cents = parseBudget(budget.value);
    if (cents.error) {
      budget.setAttribute('aria-invalid', 'true');
      inputError.textContent = cents.error;
      budget.focus();
      return;
    }
    budget.removeAttribute('aria-invalid');
    const body = {input: value};
    if (key.value.trim()) body.idempotencyKey = key.value.trim();
    const pauseBefore = breakpoints.filter((b) => b.checked).map((b) => b.value);
    if (pauseBefore.length) body.pauseBefore = pauseBefore;
    if (cents.value !== null) body.budgetCt = cents.value;
    if (policy.value) body.timeoutPolicy = policy.value;
    try {
      const run = (await api(paths.runs(id), {method: 'POST', body})).data;
      location.hash = `#/m/${encodeURIComponent(id)}/runs/${encodeURIComponent(run.id)}`;
    } catch (err) {
      inputError.textContent = err.message;
    }
  }},
  h('h2', {id: 'start-h'}, 'Start a run'),
  h('label', {for: 'run-input'}, 'Input (JSON)'), input,
  h('p', {id: 'input-help', className: 'help'}, 'Checked to be JSON before it is sent; the run sees it as input.'),
  inputError,
  h('label', {for: 'idempotency-key'}, 'Idempotency key (optional)'), key,
  h('details', {className: 'options', id: 'start-options'}, h('summary', {}, 'Breakpoints, budget, timeout policy'),
    h('fieldset', {}, h('legend', {}, 'Pause before these nodes'),
      h('div', {className: 'checks'}, m.definition.nodes.map((n, i) => h('label', {className: 'check', for: `start-bp-${n.id}`}, breakpoints[i], ' ', h('code', {}, n.id))))),
    h('label', {for: 'start-budget'}, 'Budget (ct, optional)'), budget,
    h('p', {className: 'help'}, m.definition.budgetCt !== undefined && m.definition.budgetCt !== null
      ? `Empty: the definition's ${m.definition.budgetCt} ct.` : 'Empty: no budget.'),
    h('label', {for: 'start-timeout-policy'}, 'Timeout policy'), policy,
    h('p', {className: 'help'}, m.timeoutMs ? `The run times out after ${duration(m.timeoutMs)}.` : 'This metronome sets no timeout.')),
  h('button', {type: 'submit', id: 'start-run'}, 'Start run'));

  page(`Runs of ${m.name}`, crumbs({href: '#/', text: 'Metronomes'}, {href: `#/m/${encodeURIComponent(id)}`, text: m.name}, {text: 'Runs'}),
    h('h1', {}, `Runs of ${m.name}`), start,
    h('section', {'aria-labelledby': 'runs-h'}, h('h2', {id: 'runs-h'}, 'Runs, newest first'),
      h('div', {className: 'filters'}, h('label', {for: 'status-filter'}, 'Status'), status,
        h('button', {type: 'button', id: 'refresh-runs', onclick: () => load(true).catch((e) => show(e.message))}, 'Refresh')),
      bulk.element,
      h('table', {className: 'list', id: 'runs'}, h('thead', {}, h('tr', {}, ['', 'Run', 'Status', 'Trigger', 'Created', 'Ended', 'Error'].map((t) => h('th', {scope: 'col'}, t)))), list), more));
}

async function bulkJobPage(jobId) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const m = params.get('m');
  const view = bulkJobView(jobId, (runId) => (m ? `#/m/${encodeURIComponent(m)}/runs/${encodeURIComponent(runId)}` : null));
  leave = view.stop;
  page(`Bulk job ${jobId}`, crumbs({href: '#/', text: 'Metronomes'},
    m ? {href: `#/m/${encodeURIComponent(m)}/runs`, text: 'Runs'} : null, {text: jobId}),
  h('h1', {id: 'bulk-job-h'}, 'Bulk job ', h('code', {}, jobId)), view.element);
  await view.start();
}

// ------------------------------------------------------------------ one run

async function runPage(metronomeId, runId) {
  const runPath = paths.run(metronomeId, runId);
  const m = (await api(paths.metronome(metronomeId))).data;
  const first = await api(runPath + '/timeline' + query({limit: 200}));
  const state = {
    run: first.data.run, summary: first.data.summary, trigger: first.data.triggerEvent,
    steps: [], stepIndex: new Map(), pageOf: new Map(), audits: [], auditIds: new Set(),
    pages: [{cursor: null, next: first.nextCursor}], checkpoint: null, live: 'connecting',
  };
  merge(state, first, 0);

  const status = h('p', {className: 'run-status', id: 'run-status', 'aria-live': 'polite'});
  const liveState = h('span', {className: 'live', id: 'live-state', 'aria-live': 'polite'});
  const actions = h('section', {className: 'actions', 'aria-labelledby': 'actions-h'});
  const summary = h('section', {'aria-labelledby': 'summary-h'});
  const graph = drawGraph(m.definition);
  const graphBox = h('div', {className: 'graph-box', id: 'run-graph'}, graph.element);
  const decisions = h('section', {'aria-labelledby': 'decisions-h'});
  const audit = h('section', {'aria-labelledby': 'audit-h', id: 'audit'});
  const detail = h('section', {className: 'step-detail', id: 'step-detail', 'aria-labelledby': 'detail-h', 'aria-live': 'polite'},
    h('h2', {id: 'detail-h'}, 'Step'), h('p', {className: 'help'}, 'Choose a step in the timeline to see its input, output, error and metadata.'));
  const approvalPrompt = h('p', {id: 'approval-prompt', className: 'prompt', 'aria-live': 'polite'});
  let followAgain = () => {};
  const panel = actionsPanel(actions, state, runPath, () => refresh(), approvalPrompt, () => followAgain());
  const ctx = {state, runPath, refresh: () => refresh()};
  const controls = [breakpointsPanel(ctx, m.definition), budgetPanel(ctx, panel.reason), schedulePanel(ctx),
    rerunPanel(ctx, panel.reason, (run) => { location.hash = `#/m/${encodeURIComponent(metronomeId)}/runs/${encodeURIComponent(run.id)}`; })];
  let loadingMore = false;
  const gantt = new Gantt((s) => showStep(detail, s), async () => {
    const last = state.pages[state.pages.length - 1];
    if (loadingMore || !last.next) return;
    loadingMore = true;
    try {
      const res = await api(runPath + '/timeline' + query({limit: 200, cursor: last.next}));
      state.pages.push({cursor: last.next, next: res.nextCursor});
      merge(state, res, state.pages.length - 1);
      draw();
    } catch (e) { show(e.message); } finally { loadingMore = false; }
  });

  const draw = () => {
    const r = state.run;
    fill(status, badge(r.status), ' ',
      r.activeNodeCount > 0 && (r.status === 'paused' || r.status === 'cancelled')
        ? h('span', {id: 'draining'}, `draining: ${r.activeNodeCount} node${r.activeNodeCount === 1 ? '' : 's'} still running`) : '',
      state.checkpoint && r.status === 'paused' ? h('span', {id: 'checkpoint'}, ` · checkpoint: ${state.checkpoint}`) : '',
      pauseCauseText(r) ? h('span', {id: 'pause-cause', 'data-reason': r.pauseCause.reason}, ` · ${pauseCauseText(r)}`) : '',
      r.error ? h('span', {className: 'error'}, ` · ${r.error}`) : '');
    panel.update();
    for (const c of controls) c.update();
    const waiting = state.steps.find((st) => st.status === 'waiting_approval');
    const node = waiting && m.definition.nodes.find((n) => n.id === waiting.nodeId);
    approvalPrompt.textContent = waiting ? `${waiting.nodeId} waits for a decision${node && node.config && node.config.prompt ? ': ' + node.config.prompt : ''}` : '';
    drawSummary(summary, state);
    graph.setStates(nodeStates(state.steps), !state.pages[state.pages.length - 1].next);
    drawDecisions(decisions, state.summary.branchDecisions);
    drawAudit(audit, state.audits);
    gantt.setSteps(state.steps, Boolean(state.pages[state.pages.length - 1].next));
    liveState.textContent = {connecting: 'connecting…', live: '● following live', reconnecting: 'reconnecting…', ended: 'run ended: not following'}[state.live] || state.live;
  };

  // Live: every event refreshes the run and the pages that may have changed (those from the first step not yet
  // ended), at most a few times a second however fast events come.
  let timer = null, refreshing = false, again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do {
        again = false;
        const from = firstOpenPage(state);
        for (let i = from; i < state.pages.length; i++) {
          const res = await api(runPath + '/timeline' + query({limit: 200, cursor: state.pages[i].cursor}));
          state.pages[i].next = res.nextCursor;
          state.run = res.data.run;
          state.summary = res.data.summary;
          merge(state, res, i);
        }
        const last = state.pages[state.pages.length - 1];
        if (last.next && state.steps.length < 400) { // a short run: keep every page loaded
          state.pages.push({cursor: last.next, next: null});
          again = true;
        }
        draw();
      } while (again);
    } catch (e) { show(e.message); } finally { refreshing = false; }
  }
  const schedule = () => { if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 250); };

  // A redriven run goes on after its stream had ended: following starts again from the last event seen.
  let lastSeen = first.data.lastEventId, stop = () => {};
  followAgain = () => {
    stop();
    stop = follow(runPath, lastSeen, (type, event) => {
      if (event && event.id) lastSeen = event.id;
      if (type === 'workflow.paused' && event.checkpoint) state.checkpoint = event.checkpoint;
      if (type === 'workflow.resumed') state.checkpoint = null;
      schedule();
    }, (s) => { state.live = s; liveState.textContent = s === 'live' ? '● following live' : s === 'ended' ? 'run ended: not following' : s + '…'; });
  };
  followAgain();
  leave = () => { stop(); clearTimeout(timer); };

  const r = state.run;
  page(`Run ${runId}`, crumbs({href: '#/', text: 'Metronomes'}, {href: `#/m/${encodeURIComponent(metronomeId)}`, text: m.name},
    {href: `#/m/${encodeURIComponent(metronomeId)}/runs`, text: 'Runs'}, {text: runId}),
  h('h1', {}, 'Run ', h('code', {}, runId)), h('p', {}, status, ' ', liveState),
  h('dl', {className: 'facts'},
    h('dt', {}, 'Started by'), h('dd', {}, state.trigger ? `${state.trigger.triggerType}: ${state.trigger.summary || state.trigger.status}` : r.triggerType),
    h('dt', {}, 'Version'), h('dd', {}, h('code', {}, r.versionId)),
    h('dt', {}, 'Created'), h('dd', {}, time(r.createdAt)),
    r.rerunOf ? [h('dt', {}, 'Rerun of'), h('dd', {}, h('a', {id: 'rerun-of', href: `#/m/${encodeURIComponent(metronomeId)}/runs/${encodeURIComponent(r.rerunOf)}`}, h('code', {}, r.rerunOf)))] : null,
    h('dt', {}, 'Timeout policy'), h('dd', {id: 'timeout-policy'}, r.timeoutPolicy === 'excludePaused' ? 'paused time does not count' : 'wall clock (paused time counts)'),
    h('dt', {}, 'Input'), h('dd', {}, jsonView(r.input, 'input'))),
  h('div', {className: 'run-top'}, h('div', {}, actions, summary),
    h('section', {'aria-labelledby': 'graph-h'}, h('h2', {id: 'graph-h'}, 'Graph'), graphBox)),
  h('section', {'aria-labelledby': 'timeline-h'}, h('h2', {id: 'timeline-h'}, 'Timeline'),
    h('p', {className: 'help'}, 'One row per step attempt: its bar spans its run time on the run\'s axis, the pale part before it the time it waited to start. Arrow keys move, Enter opens a step.'),
    gantt.element),
  h('div', {className: 'run-bottom'}, detail, h('div', {}, decisions, audit)),
  // Below what a run is doing: what may be changed about it, less often needed than the actions above.
  h('section', {className: 'controls', id: 'controls', 'aria-labelledby': 'controls-h'}, h('h2', {id: 'controls-h'}, 'Controls'),
    h('div', {className: 'control-grid'}, controls.map((c) => c.element))));
  draw();
  if (state.steps.length < 400 && state.pages[0].next) refresh();
}

function merge(state, res, pageIndex) {
  for (const s of res.data.steps) {
    state.pageOf.set(s.id, pageIndex);
    const i = state.stepIndex.get(s.id);
    if (i === undefined) {
      state.stepIndex.set(s.id, state.steps.length);
      state.steps.push(s);
    } else state.steps[i] = s;
  }
  if (state.steps.length > 1 && res.data.steps.length && state.steps[state.steps.length - 1].id < state.steps[state.steps.length - 2].id) {
    state.steps.sort((a, b) => (a.id < b.id ? -1 : 1));
    state.stepIndex = new Map(state.steps.map((s, i) => [s.id, i]));
  }
  for (const a of res.data.auditEvents) {
    if (state.auditIds.has(a.id)) continue;
    state.auditIds.add(a.id);
    state.audits.push(a);
    if (a.action === 'run.paused' && a.payload && a.payload.checkpoint) state.checkpoint = a.payload.checkpoint;
    if (a.action === 'run.resumed') state.checkpoint = null;
  }
}

/** The page holding the first step that has not ended (steps before it cannot change), or the last page. */
function firstOpenPage(state) {
  const open = state.steps.find((s) => !['completed', 'failed', 'skipped', 'cancelled'].includes(s.status));
  return open ? state.pageOf.get(open.id) : state.pages.length - 1;
}

/**
 * The actions panel, built once (what is typed in it survives every live update); update() enables the buttons
 * the run's state allows.
 */
function actionsPanel(el, state, runPath, refresh, prompt, redriven) {
  const reason = h('input', {id: 'action-reason', name: 'reason', type: 'text', maxlength: 1000, autocomplete: 'off',
    'aria-describedby': 'action-help'});
  const resumeAt = h('input', {id: 'resume-at', name: 'resumeAt', type: 'datetime-local', 'aria-describedby': 'resume-at-help'});
  const message = h('p', {id: 'action-message', className: 'error', role: 'alert'});
  const redrives = h('p', {id: 'redrive-count', className: 'help', 'aria-live': 'polite'});
  const act = async (verb, body) => {
    message.textContent = '';
    try {
      const res = await api(`${runPath}/${verb}`, {method: 'POST', body});
      state.run = res.data;
      reason.value = '';
      resumeAt.value = '';
      if (verb === 'redrive') redriven();
      refresh();
    } catch (e) {
      message.textContent = refusal(e);
    }
  };
  const withReason = () => (reason.value.trim() ? {reason: reason.value.trim()} : {});
  const decision = (approved) => ({approved, ...(reason.value.trim() ? {comment: reason.value.trim()} : {})});
  // A pause with a time to resume at resumes by itself then; on a paused run the time alone sets that resume.
  const pause = (needTime) => {
    const at = localToIso(resumeAt.value);
    if (at === undefined || (needTime && !at)) {
      message.textContent = 'Give the time to resume at.';
      resumeAt.focus();
      return;
    }
    act('pause', {...withReason(), ...(at ? {resumeAt: at} : {})});
  };
  const dialog = h('dialog', {id: 'cancel-dialog', 'aria-labelledby': 'cancel-h'},
    h('h2', {id: 'cancel-h'}, 'Cancel this run?'), h('p', {}, 'Nodes that have not run are recorded cancelled. A cancelled run cannot be resumed.'),
    h('form', {method: 'dialog'},
      h('button', {value: 'keep', id: 'cancel-keep'}, 'Keep it running'), ' ',
      h('button', {value: 'cancel', id: 'cancel-confirm', className: 'danger'}, 'Cancel the run')));
  dialog.addEventListener('close', () => { if (dialog.returnValue === 'cancel') act('cancel', withReason()); });
  const buttons = {
    pause: h('button', {type: 'button', id: 'pause', onclick: () => pause(false)}, 'Pause'),
    resume: h('button', {type: 'button', id: 'resume', onclick: () => act('resume', withReason())}, 'Resume'),
    cancel: h('button', {type: 'button', id: 'cancel', onclick: () => dialog.showModal()}, 'Cancel…'),
    approve: h('button', {type: 'button', id: 'approve', onclick: () => act('approve', decision(true))}, 'Approve'),
    reject: h('button', {type: 'button', id: 'reject', onclick: () => act('approve', decision(false))}, 'Reject'),
    redrive: h('button', {type: 'button', id: 'redrive', onclick: () => act('redrive', withReason())}, 'Redrive'),
    autoResume: h('button', {type: 'button', id: 'auto-resume', onclick: () => pause(true)}, 'Set automatic resume'),
  };
  fill(el, h('h2', {id: 'actions-h'}, 'Actions'),
    h('label', {for: 'action-reason'}, 'Reason or comment'), reason,
    h('p', {id: 'action-help', className: 'help'}, 'Sent with pause, resume, cancel, redrive and rerun as the reason, and with approve or reject as the comment; it goes in the audit trail.'),
    h('label', {for: 'resume-at'}, 'Resume automatically at (optional)'), resumeAt,
    h('p', {id: 'resume-at-help', className: 'help'}, 'In your local time. Sent with Pause; on a paused run, Set automatic resume sets or replaces it.'),
    prompt, h('div', {className: 'buttons'}, Object.values(buttons)), redrives, message, dialog);
  const update = () => {
    const can = allowed(state.run);
    for (const [name, button] of Object.entries(buttons)) button.disabled = !can[name === 'reject' ? 'approve' : name];
    const n = state.run.redriveCount || 0;
    redrives.textContent = `Redriven ${n} time${n === 1 ? '' : 's'}${can.redrive ? '; Redrive continues it from where it stopped.' : '.'}`;
  };
  return {update, reason: withReason};
}

function drawSummary(el, state) {
  const s = state.summary;
  const counts = Object.entries(s.statusCounts).filter(([, v]) => v > 0);
  fill(el, h('h2', {id: 'summary-h'}, 'Summary'),
    h('dl', {className: 'facts', id: 'summary'},
      h('dt', {}, 'Steps'), h('dd', {}, `${s.stepCount} (`, counts.map(([k, v], i) => [i ? ', ' : '', `${v} ${statusText(k)}`]), ')'),
      h('dt', {}, 'Attempts'), h('dd', {}, String(s.totalAttempts)),
      h('dt', {}, 'Time in steps'), h('dd', {}, duration(s.totalDurationMs)),
      h('dt', {}, 'Cost'), h('dd', {}, `${s.cost.totalCt} ct (llm ${s.cost.llmInferenceCt}, resources ${s.cost.resourcesCt})`),
      h('dt', {}, 'Threads'), h('dd', {}, s.threadIds.length ? s.threadIds.join(', ') : 'none'),
      h('dt', {}, 'Audit events'), h('dd', {}, String(s.auditEventCount)),
      s.attachedProjectId ? [h('dt', {}, 'Project'), h('dd', {}, s.attachedProjectId)] : null,
      s.attachedTicketId ? [h('dt', {}, 'Ticket'), h('dd', {}, s.attachedTicketId)] : null));
}

function drawDecisions(el, decisions) {
  fill(el, h('h2', {id: 'decisions-h'}, 'Branch decisions'), decisions.length
    ? h('table', {className: 'list'}, h('thead', {}, h('tr', {}, ['Node', 'Branch', 'Taken', 'Why'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, decisions.map((d) => h('tr', {},
        h('td', {}, d.nodeId), h('td', {}, d.branchLabel || d.branchId),
        h('td', {}, d.matched ? '✓ taken' : '— not taken'), h('td', {}, d.reason || '')))))
    : h('p', {}, 'No branch has been decided.'));
}

function drawAudit(el, audits) {
  fill(el, h('h2', {id: 'audit-h'}, 'Audit trail'),
    h('ol', {className: 'audit'}, audits.map((a) => h('li', {'data-action': a.action},
      time(a.createdAt), ' ', h('strong', {}, a.action), a.actorUserId ? ` by ${a.actorUserId}` : '',
      a.payload && a.payload.reason ? ` — “${a.payload.reason}”` : '',
      a.payload && a.payload.comment ? ` — “${a.payload.comment}”` : '',
      a.payload && a.payload.checkpoint ? ` — checkpoint ${a.payload.checkpoint}` : '',
      Object.keys(a.payload || {}).length ? jsonView(a.payload, 'payload') : ''))));
}

function showStep(el, s) {
  fill(el, h('h2', {id: 'detail-h'}, 'Step ', h('code', {}, s.nodeId), s.attempt > 1 ? `, attempt ${s.attempt}` : ''),
    h('p', {}, badge(s.status), ` ${s.nodeType} · ${duration(s.durationMs)} · started `, time(s.startedAt), ' · ended ', time(s.completedAt)),
    s.error ? h('p', {className: 'error'}, s.error) : null,
    jsonView(s.input, 'input', true), jsonView(s.output, 'output', true), jsonView(s.metadata, 'metadata', true));
}

// Whatever fails unexpectedly is said on the page, not only in the browser's console.
window.addEventListener('error', (e) => show(`The console failed: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => show(`The console failed: ${e.reason && e.reason.message ? e.reason.message : e.reason}`));
window.addEventListener('hashchange', route);
route();
