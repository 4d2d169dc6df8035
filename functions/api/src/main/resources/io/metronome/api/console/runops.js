// The run page's panels for its controls: breakpoints, budget, scheduled pause, rerun. Each is built once (what is
// typed in it survives the live updates) and returns update(), which follows the run's state.
import {api, ApiError} from './api.js';
import {h, fill} from './dom.js';
import {allowed, budgetVerb, costText, localToIso, parseBudget, parseJson, scheduleText} from './rules.js';

/** What a refused call says: a 409 as the server words it. */
export function refusal(e) {
  return e instanceof ApiError && e.status === 409 ? `Refused: ${e.message}` : e.message;
}

/**
 * Calls the API for the run and takes the run it answers; the message element says what went wrong, or
 * `done` what went right.
 */
async function call(ctx, message, path, options, done) {
  message.textContent = '';
  message.className = 'error';
  try {
    const res = await api(path, options);
    ctx.state.run = res.data;
    ctx.refresh();
    if (done) {
      message.className = 'ok';
      message.textContent = done;
    }
    return true;
  } catch (e) {
    message.className = 'error';
    message.textContent = refusal(e);
    return false;
  }
}

/** The run's breakpoints as a checkbox per node of the definition, saved as one replaced set. */
export function breakpointsPanel(ctx, definition) {
  let edited = false; // once the user ticks a box, the live updates stop overwriting the boxes
  const boxes = definition.nodes.map((n) => h('input', {type: 'checkbox', id: `bp-${n.id}`, name: 'pauseBefore',
    value: n.id, onchange: () => { edited = true; }}));
  const current = h('p', {id: 'breakpoints-now', 'aria-live': 'polite'});
  const message = h('p', {id: 'breakpoints-message', className: 'error', role: 'alert'});
  const save = h('button', {type: 'submit', id: 'save-breakpoints'}, 'Save breakpoints');
  const form = h('form', {className: 'run-op', 'aria-labelledby': 'bp-h', onsubmit: async (e) => {
    e.preventDefault();
    const pauseBefore = boxes.filter((b) => b.checked).map((b) => b.value);
    if (await call(ctx, message, `${ctx.runPath}/breakpoints`, {method: 'PUT', body: {pauseBefore}}, 'Breakpoints saved.')) edited = false;
    update();
  }},
  h('h3', {id: 'bp-h'}, 'Breakpoints'), current,
  h('fieldset', {}, h('legend', {}, 'Pause before these nodes (first attempt, once per reach)'),
    h('div', {className: 'checks'}, definition.nodes.map((n, i) => h('label', {className: 'check', for: `bp-${n.id}`}, boxes[i], ' ', h('code', {}, n.id))))),
  save, message);
  const update = () => {
    const run = ctx.state.run;
    const set = run.pauseBefore || [];
    current.textContent = set.length ? `Breakpoints: ${set.join(', ')}` : 'No breakpoints.';
    if (!edited) for (const b of boxes) b.checked = set.includes(b.value);
    const can = allowed(run).breakpoints;
    save.disabled = !can;
    for (const b of boxes) b.disabled = !can;
  };
  return {element: form, update};
}

/** Cost and budget; a new budget resumes a paused run with it, or is set alone on an active one. */
export function budgetPanel(ctx, reason) {
  const input = h('input', {type: 'text', inputmode: 'decimal', id: 'budget-input', name: 'budgetCt', autocomplete: 'off',
    className: 'short', 'aria-describedby': 'budget-help budget-message'});
  const now = h('p', {id: 'budget-now', 'aria-live': 'polite'});
  const message = h('p', {id: 'budget-message', className: 'error', role: 'alert'});
  const button = h('button', {type: 'submit', id: 'set-budget'}, 'Set budget');
  const form = h('form', {className: 'run-op', 'aria-labelledby': 'budget-h', onsubmit: async (e) => {
    e.preventDefault();
    const parsed = parseBudget(input.value);
    if (parsed.error || parsed.value === null) {
      input.setAttribute('aria-invalid', 'true');
      message.className = 'error';
      message.textContent = parsed.error || 'Give the new budget in cents.';
      return;
    }
    input.removeAttribute('aria-invalid');
    const body = {budgetCt: parsed.value, ...reason()};
    if (await call(ctx, message, `${ctx.runPath}/resume`, {method: 'POST', body}, `Budget set to ${parsed.value} ct.`)) input.value = '';
  }},
  h('h3', {id: 'budget-h'}, 'Budget'), now,
  h('label', {for: 'budget-input'}, 'New budget (ct)'), input,
  h('p', {id: 'budget-help', className: 'help'}, 'Nodes that cost (llm) do not start once the run\'s cost has reached its budget. On a paused run the new budget comes with a resume.'),
  button, message);
  const update = () => {
    const run = ctx.state.run;
    now.textContent = `Cost: ${costText(run)}`;
    button.textContent = budgetVerb(run);
    button.disabled = !allowed(run).budget;
  };
  return {element: form, update};
}

/**
 * Times are typed in the browser's local time and sent as UTC: a pause taken at a time, with an automatic resume
 * after it, and the schedule shown with a button that cancels it.
 */
export function schedulePanel(ctx) {
  const at = h('input', {type: 'datetime-local', id: 'pause-at', name: 'at', required: true});
  const resumeAt = h('input', {type: 'datetime-local', id: 'scheduled-resume-at', name: 'resumeAt'});
  const reason = h('input', {type: 'text', id: 'schedule-reason', name: 'reason', maxlength: 1000, autocomplete: 'off'});
  const now = h('p', {id: 'schedule-now', 'aria-live': 'polite'});
  const message = h('p', {id: 'schedule-message', className: 'error', role: 'alert'});
  const submit = h('button', {type: 'submit', id: 'schedule-pause'}, 'Schedule the pause');
  const cancel = h('button', {type: 'button', id: 'cancel-schedule', onclick: () =>
    call(ctx, message, `${ctx.runPath}/schedule-pause`, {method: 'DELETE'}, 'Schedule cancelled.')}, 'Cancel the schedule');
  const form = h('form', {className: 'run-op', 'aria-labelledby': 'schedule-h', onsubmit: async (e) => {
    e.preventDefault();
    const when = localToIso(at.value), then = localToIso(resumeAt.value);
    if (!when || then === undefined) {
      message.className = 'error';
      message.textContent = 'Give the pause a date and time (and the resume, if any, too).';
      return;
    }
    const body = {at: when, ...(then ? {resumeAt: then} : {}), ...(reason.value.trim() ? {reason: reason.value.trim()} : {})};
    if (await call(ctx, message, `${ctx.runPath}/schedule-pause`, {method: 'POST', body}, 'Pause scheduled.')) {
      at.value = resumeAt.value = reason.value = '';
    }
  }},
  h('h3', {id: 'schedule-h'}, 'Scheduled pause'), now,
  h('div', {className: 'row'},
    h('div', {}, h('label', {for: 'pause-at'}, 'Pause at'), at),
    h('div', {}, h('label', {for: 'scheduled-resume-at'}, 'Resume at (optional)'), resumeAt)),
  h('label', {for: 'schedule-reason'}, 'Reason (optional)'), reason,
  h('p', {className: 'help'}, 'In your local time; sent as UTC. A new schedule replaces the one before.'),
  h('div', {className: 'buttons'}, submit, cancel), message);
  const update = () => {
    const run = ctx.state.run;
    const text = scheduleText(run.schedule);
    now.textContent = text ? `Scheduled: this run ${text}.` : 'Nothing scheduled.';
    const can = allowed(run);
    submit.disabled = !can.schedulePause;
    cancel.disabled = !can.cancelSchedule;
  };
  return {element: form, update};
}

/** A new run of the same version, with the same input or one typed here (checked to be JSON first); opens it. */
export function rerunPanel(ctx, reason, open) {
  const input = h('textarea', {id: 'rerun-input', name: 'input', rows: 3, spellcheck: 'false',
    'aria-describedby': 'rerun-help rerun-message', placeholder: 'the same input'});
  const message = h('p', {id: 'rerun-message', className: 'error', role: 'alert'});
  const form = h('form', {className: 'run-op', 'aria-labelledby': 'rerun-h', onsubmit: async (e) => {
    e.preventDefault();
    const parsed = parseJson(input.value);
    if (parsed.error) {
      input.setAttribute('aria-invalid', 'true');
      message.textContent = `The input is ${parsed.error}`;
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    message.textContent = '';
    const body = {...(parsed.empty ? {} : {input: parsed.value}), ...reason()};
    try {
      const run = (await api(`${ctx.runPath}/rerun`, {method: 'POST', body})).data;
      open(run);
    } catch (err) {
      message.textContent = refusal(err);
    }
  }},
  h('h3', {id: 'rerun-h'}, 'Rerun'),
  h('label', {for: 'rerun-input'}, 'Input for the new run (JSON, optional)'), input,
  h('p', {id: 'rerun-help', className: 'help'}, 'Empty: the same input. The new run has this run\'s version, timeout and controls, and names this one.'),
  h('button', {type: 'submit', id: 'rerun'}, 'Rerun'), message);
  return {element: form, update: () => {}};
}
