// The run's steps as a Gantt chart: one row per step attempt, a bar from its start to its end (or to now) on the
// run's time axis. The list is windowed: only the rows in view (and a few around them) are in the DOM, so ten
// thousand steps scroll as easily as ten; more pages are asked for as the end comes into view.
import {h, icon, statusText, duration, clear} from './dom.js';

export const ROW_HEIGHT = 28;
const OVERSCAN = 8;

export class Gantt {
  /**
   * @param onSelect(step) when a row is chosen (click, Enter or Space)
   * @param onNeedMore() when the last rows come into view and more pages exist
   */
  constructor(onSelect, onNeedMore) {
    this.steps = [];
    this.onSelect = onSelect;
    this.onNeedMore = onNeedMore;
    this.hasMore = false;
    this.selected = null;
    this.viewport = h('div', {className: 'gantt-viewport', tabindex: '0', role: 'grid', 'aria-label': 'Steps, in execution order',
      'aria-rowcount': '0', onscroll: () => this.render(), onkeydown: (e) => this.key(e)});
    this.spacer = h('div', {className: 'gantt-spacer'});
    this.rows = h('div', {className: 'gantt-rows', role: 'rowgroup'});
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    this.axis = h('div', {className: 'gantt-axis', 'aria-hidden': 'true'});
    this.count = h('p', {className: 'gantt-count', 'aria-live': 'polite'});
    this.element = h('div', {className: 'gantt'}, this.count, this.axis, this.viewport);
    this.focusIndex = 0;
  }

  setSteps(steps, hasMore, now = Date.now()) {
    this.steps = steps;
    this.hasMore = hasMore;
    let start = Infinity, end = -Infinity;
    for (const s of steps) {
      const a = Date.parse(s.createdAt);
      const b = s.completedAt ? Date.parse(s.completedAt) : (s.status === 'running' || s.status === 'waiting_approval' ? now : a);
      if (a < start) start = a;
      if (b > end) end = b;
    }
    this.start = Number.isFinite(start) ? start : now;
    this.span = Math.max(1, (Number.isFinite(end) ? end : now) - this.start);
    this.spacer.style.height = `${steps.length * ROW_HEIGHT}px`;
    this.viewport.style.height = `${Math.min(420, Math.max(3, steps.length) * ROW_HEIGHT + 2)}px`;
    this.viewport.setAttribute('aria-rowcount', String(steps.length));
    this.count.textContent = `${steps.length} step${steps.length === 1 ? '' : 's'} shown${hasMore ? ' (more load as you scroll)' : ''}`;
    clear(this.axis).append(h('span', {}, '0'), h('span', {}, duration(this.span)));
    this.render(true);
  }

  render(force = false) {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.steps.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) frag.append(this.row(this.steps[i], i));
    clear(this.rows).append(frag);
    if (this.hasMore && last >= this.steps.length - OVERSCAN) this.onNeedMore();
  }

  row(s, i) {
    const a = s.startedAt ? Date.parse(s.startedAt) : Date.parse(s.createdAt);
    const b = s.completedAt ? Date.parse(s.completedAt) : (s.status === 'running' || s.status === 'waiting_approval' ? Date.now() : a);
    const waited = s.startedAt ? Date.parse(s.startedAt) - Date.parse(s.createdAt) : 0;
    const left = ((a - this.start) / this.span) * 100;
    const width = Math.max(0.4, ((b - a) / this.span) * 100);
    const bar = h('div', {className: `gantt-bar st-${s.status}`});
    bar.style.left = `${left}%`;
    bar.style.width = `${Math.min(width, 100 - left)}%`;
    const created = Date.parse(s.createdAt);
    const wait = waited > 0 ? h('div', {className: `gantt-wait st-${s.status}`}) : null;
    if (wait) {
      wait.style.left = `${((created - this.start) / this.span) * 100}%`;
      wait.style.width = `${Math.max(0.2, (waited / this.span) * 100)}%`;
    }
    const row = h('div', {className: `gantt-row${this.selected === s.id ? ' selected' : ''}`, role: 'row',
      'aria-rowindex': String(i + 1), 'data-index': String(i), 'data-step': s.id, 'data-node': s.nodeId,
      'data-status': s.status, tabindex: i === this.focusIndex ? '0' : '-1',
      onclick: () => this.select(i)},
    h('span', {className: 'gantt-name', role: 'gridcell', title: `${s.nodeId} (${s.nodeType})`}, s.nodeId, ' ', h('span', {className: 'gantt-type'}, s.nodeType)),
    h('span', {className: 'gantt-attempt', role: 'gridcell'}, s.attempt > 1 ? `attempt ${s.attempt}` : s.attempt === 0 ? '' : '1st'),
    h('span', {className: `gantt-status st-${s.status}`, role: 'gridcell'}, h('span', {'aria-hidden': 'true'}, icon(s.status)), ' ', statusText(s.status),
      // It ended by itself after its run had: its side effect happened all the same.
      s.afterRunEnded ? h('span', {className: 'after-run-ended', title: `finished after the run was ${s.afterRunEnded}: its work was done anyway`}, ` · after run ${s.afterRunEnded}`) : ''),
    h('span', {className: 'gantt-lane', role: 'gridcell', 'aria-label': `${duration(s.durationMs)}${waited > 0 ? `, waited ${duration(waited)}` : ''}`}, wait, bar),
    h('span', {className: 'gantt-duration', role: 'gridcell'}, duration(s.durationMs)));
    row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    return row;
  }

  select(i) {
    const s = this.steps[i];
    if (!s) return;
    this.selected = s.id;
    this.focusIndex = i;
    this.render(true);
    this.onSelect(s);
  }

  /** Arrow keys move between rows (scrolling them into view), Home/End jump, Enter or Space opens one. */
  key(e) {
    const moves = {ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10};
    let i = this.focusIndex;
    if (e.key in moves) i += moves[e.key];
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = this.steps.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.select(i); return; }
    else return;
    e.preventDefault();
    this.focusIndex = Math.max(0, Math.min(this.steps.length - 1, i));
    const y = this.focusIndex * ROW_HEIGHT;
    if (y < this.viewport.scrollTop) this.viewport.scrollTop = y;
    else if (y + ROW_HEIGHT > this.viewport.scrollTop + this.viewport.clientHeight) this.viewport.scrollTop = y + ROW_HEIGHT - this.viewport.clientHeight;
    this.render(true);
    const row = this.rows.querySelector(`[data-index="${this.focusIndex}"]`);
    if (row) row.focus();
  }
}
