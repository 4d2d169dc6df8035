// Builds the DOM from data without innerHTML: nothing a run or a user wrote can become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Run and step statuses, in words and a symbol: never in colour alone. */
const ICONS = {
  queued: '◷', running: '▶', waiting_approval: '✋', paused: '⏸', completed: '✓', failed: '✗', skipped: '↷',
  cancelled: '⊘', matched: '✓', ignored: '↷', unauthorized: '⛔', draining: '⏳',
};

export function statusText(status) {
  return String(status).replace(/_/g, ' ');
}

export function badge(status, extra) {
  return h('span', {className: `badge st-${status}`, 'data-status': status},
    h('span', {'aria-hidden': 'true'}, ICONS[status] || '•'), ' ', statusText(status), extra ? ' ' + extra : '');
}

export function icon(status) {
  return ICONS[status] || '•';
}

export function time(iso) {
  if (!iso) return '—';
  return h('time', {datetime: iso, title: iso}, new Date(iso).toLocaleString());
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60000), s = Math.round((ms % 60000) / 1000);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A JSON value as nested disclosure widgets: objects and arrays fold, keyboard-usable as native <details>. */
export function jsonView(value, label = 'value', open = false) {
  if (value === null || typeof value !== 'object') {
    return h('div', {className: 'json-leaf'}, h('span', {className: 'json-key'}, label + ': '), leaf(value));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const details = h('details', {className: 'json', open},
    h('summary', {}, h('span', {className: 'json-key'}, label), ' ', h('span', {className: 'json-count'}, summary)));
  // Children are built when first opened, so a large value costs nothing until someone looks.
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const shown = entries.slice(0, 500);
    for (const [k, v] of shown) details.append(jsonView(v, k));
    if (entries.length > shown.length) details.append(h('div', {className: 'json-more'}, `… ${entries.length - shown.length} more`));
  };
  if (open) build();
  details.addEventListener('toggle', build);
  return details;
}

function leaf(v) {
  const type = v === null ? 'null' : typeof v;
  return h('span', {className: `json-${type}`}, type === 'string' ? JSON.stringify(v) : String(v));
}

/** Replaces the element's children with these (null, undefined and false leave nothing). */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}
