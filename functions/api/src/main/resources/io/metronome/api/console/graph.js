// A definition drawn as a graph: dagre (from its WebJar) lays it out, this draws the SVG. Each node shows its id,
// type and, for a run, its status in words with a symbol and its attempt count.
import {svg, icon, statusText} from './dom.js';

const NODE_W = 190, NODE_H = 54;

/**
 * Lays the definition out once and draws it; for a run, call setStates on what it returns to show each node's state
 * (no new layout: a definition of two thousand nodes is laid out once, however often its run changes).
 */
export function drawGraph(definition) {
  const g = new window.dagre.graphlib.Graph({multigraph: true});
  g.setGraph({rankdir: 'TB', nodesep: 30, ranksep: 40, marginx: 10, marginy: 10});
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of definition.nodes) g.setNode(n.id, {width: NODE_W, height: NODE_H});
  for (const e of definition.edges || []) {
    const label = e.branchId ? e.branchId : '';
    g.setEdge(e.from, e.to, label ? {label, width: label.length * 7, height: 14} : {}, e.id || `${e.from}>${e.to}`);
  }
  window.dagre.layout(g);
  const {width, height} = g.graph();
  const root = svg('svg', {viewBox: `0 0 ${Math.max(width, NODE_W)} ${Math.max(height, NODE_H)}`, width: Math.max(width, NODE_W),
    height: Math.max(height, NODE_H), role: 'img', class: 'graph',
    'aria-label': `Graph of ${definition.nodes.length} nodes`});
  root.append(svg('defs', {}, svg('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: 'auto-start-reverse'}, svg('path', {d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow'}))));
  for (const e of g.edges()) {
    const edge = g.edge(e);
    const d = edge.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');
    root.append(svg('path', {d, class: 'edge', 'marker-end': 'url(#arrow)'}));
    if (edge.label) root.append(svg('text', {x: edge.x, y: edge.y, class: 'edge-label', 'text-anchor': 'middle'}, edge.label));
  }
  const nodes = new Map();
  for (const n of definition.nodes) {
    const box = g.node(n.id);
    const x = box.x - NODE_W / 2, y = box.y - NODE_H / 2;
    const title = svg('title', {}, `${n.id} (${n.type})`);
    const sub = svg('text', {x: x + 10, y: y + 40, class: 'node-sub'}, n.type);
    const group = svg('g', {class: 'node st-definition', 'data-node': n.id, 'data-status': 'definition'}, title,
      svg('rect', {x, y, width: NODE_W, height: NODE_H, rx: 6}),
      svg('text', {x: x + 10, y: y + 20, class: 'node-id'}, truncate(n.id, 22)), sub);
    nodes.set(n.id, {group, title, sub, type: n.type});
    root.append(group);
  }
  return {element: root, setStates: (states, allSeen = true) => setStates(nodes, states, allSeen)};
}

/**
 * @param states Map nodeId -> {status, attempts, detail}
 * @param allSeen whether states come from every step of the run (else a node without one may be further on)
 */
function setStates(nodes, states, allSeen) {
  const unseen = allSeen ? 'not reached' : 'not in the steps loaded';
  for (const [id, n] of nodes) {
    const state = states.get(id);
    const status = state ? state.status : 'pending';
    n.group.setAttribute('class', `node st-${status}`);
    n.group.setAttribute('data-status', status);
    n.title.textContent = state ? `${id}: ${statusText(status)}, ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}${state.detail ? ' (' + state.detail + ')' : ''}`
      : `${id} (${n.type}): ${unseen}`;
    n.sub.textContent = state ? `${icon(status)} ${statusText(status)} · ×${state.attempts}${state.detail ? ' · ' + state.detail : ''}`
      : `${n.type} · ${unseen}`;
  }
}

function truncate(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * Each node's state from the steps seen: the latest attempt's status and the number of attempts; a map's
 * children (<mapId>[i]) are counted into their map's detail.
 */
export function nodeStates(steps) {
  const states = new Map();
  const children = new Map();
  for (const s of steps) {
    const child = /^(.*)\[(\d+)\]$/.exec(s.nodeId);
    if (child) {
      const counts = children.get(child[1]) || {};
      counts[s.status] = (counts[s.status] || 0) + 1;
      children.set(child[1], counts);
      continue;
    }
    const prev = states.get(s.nodeId);
    if (!prev || s.attempt >= prev.attempt) states.set(s.nodeId, {status: s.status, attempts: Math.max(s.attempt, prev ? prev.attempts : 0)});
  }
  for (const [mapId, counts] of children) {
    const st = states.get(mapId) || {status: 'running', attempts: 1};
    st.detail = Object.entries(counts).map(([k, v]) => `${v} ${statusText(k)}`).join(', ');
    states.set(mapId, st);
  }
  return states;
}
