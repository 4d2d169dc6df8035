// A definition drawn as a graph: dagre (from its WebJar) lays it out, this draws the SVG. Each node shows its id,
// type and, for a run, its status in words with a symbol and its attempt count.
import {svg, icon, statusText} from './dom.js';

const NODE_W = 190, NODE_H = 54;

/**
 * @param states Map nodeId -> {status, attempts, detail} (a run), or null (a definition alone)
 * @param allSeen whether states come from every step of the run (else a node without one may be further on)
 */
export function drawGraph(definition, states = null, allSeen = true) {
  const unseen = allSeen ? 'not reached' : 'not in the steps loaded';
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
  const types = Object.fromEntries(definition.nodes.map((n) => [n.id, n.type]));
  for (const id of g.nodes()) {
    const n = g.node(id);
    const state = states && states.get(id);
    const status = state ? state.status : states ? 'pending' : 'definition';
    const x = n.x - NODE_W / 2, y = n.y - NODE_H / 2;
    const title = state ? `${id}: ${statusText(status)}, ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}`
      : `${id} (${types[id]})${states ? ': ' + unseen : ''}`;
    const group = svg('g', {class: `node st-${status}`, 'data-node': id, 'data-status': status},
      svg('title', {}, title),
      svg('rect', {x, y, width: NODE_W, height: NODE_H, rx: 6}),
      svg('text', {x: x + 10, y: y + 20, class: 'node-id'}, truncate(id, 22)),
      svg('text', {x: x + 10, y: y + 40, class: 'node-sub'},
        state ? `${icon(status)} ${statusText(status)} · ×${state.attempts}${state.detail ? ' · ' + state.detail : ''}`
          : `${types[id]}${states ? ' · ' + unseen : ''}`));
    root.append(group);
  }
  return root;
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
