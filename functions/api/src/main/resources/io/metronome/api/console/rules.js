// What a run's state lets the console offer, and the words for it: pure (no DOM, no fetch), so that the browser
// tests can call each rule as the page loaded it.

export const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Which run operations the run's state allows; the server still decides (a 409 is shown as it words it). */
export function allowed(run) {
  const s = run.status;
  const open = !ENDED.has(s);
  const atBudget = s === 'paused' && Boolean(run.pauseCause) && run.pauseCause.reason === 'budget';
  return {
    pause: ['queued', 'running', 'waiting_approval'].includes(s),
    resume: s === 'paused' && !atBudget, // at its budget only a higher budget resumes it
    cancel: open,
    approve: s === 'waiting_approval',
    redrive: (s === 'failed' || s === 'cancelled') && !run.activeNodeCount, // still ending: the server says 409
    rerun: true,
    breakpoints: open,
    budget: open,
    autoResume: s === 'paused' && !atBudget, // the server would refuse that resume when its time came
    schedulePause: open,
    cancelSchedule: open && Boolean(run.schedule),
  };
}

/** What the budget button does in this state: a paused run resumes with it, an active one only takes it. */
export function budgetVerb(run) {
  return run.status === 'paused' ? 'Resume with this budget' : 'Set budget';
}

/** Why a paused run is paused, in words; null when it is not paused or the server gives no cause. */
export function pauseCauseText(run) {
  const c = run.pauseCause;
  if (run.status !== 'paused' || !c) return null;
  const before = c.nodeId ? ` before ${c.nodeId}` : '';
  switch (c.reason) {
    case 'breakpoint': return `paused at its breakpoint${before}`;
    case 'budget': return `paused at its budget${before}: cost ${ct(c.costCt)} of ${ct(c.budgetCt)}`;
    case 'scheduled': return 'paused as scheduled';
    case 'requested': return 'paused on request';
    default: return `paused (${c.reason}${before})`;
  }
}

export function ct(value) {
  return value === null || value === undefined ? 'none' : `${Number(value)} ct`;
}

/** Cost against budget: "12.5 ct of 50 ct", or "3 ct, no budget". */
export function costText(run) {
  const cost = ct(run.costCt || 0);
  return run.budgetCt === null || run.budgetCt === undefined ? `${cost}, no budget` : `${cost} of ${ct(run.budgetCt)}`;
}

/**
 * A budget as typed: {value} in cents, or {error} saying what is wrong (the API takes 0 to 100,000,000).
 * Empty is {value: null}: no budget given.
 */
export function parseBudget(text) {
  const t = String(text || '').trim();
  if (!t) return {value: null};
  if (!/^\d+(\.\d+)?$/.test(t)) return {error: 'The budget is a number of cents, such as 50 or 12.5.'};
  const v = Number(t);
  if (v > 100000000) return {error: 'The budget is at most 100000000 ct.'};
  return {value: v};
}

/** JSON as typed: {value}, {empty: true} for nothing typed, or {error} with the parser's words. */
export function parseJson(text) {
  const t = String(text || '').trim();
  if (!t) return {empty: true};
  try {
    return {value: JSON.parse(t)};
  } catch (e) {
    return {error: `not valid JSON: ${e.message}`};
  }
}

/**
 * A datetime-local value ("2026-11-22T05:10", the browser's local time) as a UTC ISO instant; null for empty;
 * undefined for a value that is no time. The local-time reading is the Date constructor's for a form without an offset.
 */
export function localToIso(value) {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  return isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The run's schedule in words, or null when nothing is scheduled. */
export function scheduleText(schedule, format = (iso) => new Date(iso).toLocaleString()) {
  if (!schedule || (!schedule.pauseAt && !schedule.resumeAt)) return null;
  const parts = [];
  if (schedule.pauseAt) parts.push(`pauses at ${format(schedule.pauseAt)}`);
  if (schedule.resumeAt) parts.push(`resumes by itself at ${format(schedule.resumeAt)}`);
  return parts.join(', then ') + (schedule.reason ? ` (“${schedule.reason}”)` : '') +
    (schedule.requestedBy ? `, asked by ${schedule.requestedBy}` : '');
}

/** The body of a bulk request: the ids chosen, or the page's filter; always a dry run unless said otherwise. */
export function bulkBody({runIds, metronomeId, status, reason, dryRun = true}) {
  const body = runIds && runIds.length ? {runIds: [...runIds]} : {filter: {metronomeId, ...(status ? {status} : {})}};
  if (reason) body.reason = reason;
  if (dryRun) body.dryRun = true;
  return body;
}

/** A dry run's answer in words: "3 runs would be cancelled: run_a, run_b, run_c". */
export function dryRunText(action, dry) {
  const verb = {pause: 'paused', resume: 'resumed', cancel: 'cancelled'}[action] || action;
  const n = `${dry.countCapped ? 'at least ' : ''}${dry.count} run${dry.count === 1 ? '' : 's'}`;
  const more = dry.count > dry.firstRunIds.length ? ', …' : '';
  return dry.count === 0 ? `No run matches: nothing would be ${verb}.`
    : `${n} would be ${verb} (some may be left unchanged): ${dry.firstRunIds.join(', ')}${more}`;
}

/** A job's counts in words. */
export function countsText(job) {
  const c = job.counts;
  return `${job.processed} processed: ${c.changed} changed, ${c.unchanged} unchanged, ${c.conflict} conflict, ${c.notFound} not found`;
}
