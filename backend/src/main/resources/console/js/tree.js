// The branch tree as SVG: roots on the left, children to the right of their parent, one row per leaf.
// Each branch is a card (name, badges, storage); each parent link is a curve labelled with the branch
// point (the LSN or time the child was taken from).

import { bytes, relative, truncate } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const CARD_W = 256;
const CARD_H = 88;
const GAP_X = 120;
const GAP_Y = 18;
const PAD = 20;

function el(name, attrs = {}, ...children) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

/** Positions every branch; branches whose parent is not listed (schema-only, anonymized) are roots. */
export function layout(branches) {
  const byId = new Map(branches.map((b) => [b.id, b]));
  const kids = new Map();
  const roots = [];
  for (const b of branches) {
    if (b.parent_id && byId.has(b.parent_id)) {
      if (!kids.has(b.parent_id)) kids.set(b.parent_id, []);
      kids.get(b.parent_id).push(b);
    } else {
      roots.push(b);
    }
  }
  const byCreated = (a, b) => (a.default ? -1 : b.default ? 1 : a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  roots.sort(byCreated);
  for (const list of kids.values()) list.sort(byCreated);
  const nodes = [];
  let row = 0;
  let maxDepth = 0;
  const place = (b, depth) => {
    maxDepth = Math.max(maxDepth, depth);
    const children = kids.get(b.id) ?? [];
    const placed = children.map((c) => place(c, depth + 1));
    const y = placed.length ? (placed[0].y + placed[placed.length - 1].y) / 2 : PAD + (row++) * (CARD_H + GAP_Y);
    const node = { branch: b, depth, x: PAD + depth * (CARD_W + GAP_X), y, children: placed };
    nodes.push(node);
    return node;
  };
  roots.forEach((r) => place(r, 0));
  return {
    nodes,
    width: PAD * 2 + (maxDepth + 1) * CARD_W + maxDepth * GAP_X,
    height: PAD * 2 + Math.max(1, row) * (CARD_H + GAP_Y) - GAP_Y,
  };
}

/** The branch point a child was taken at, as the link's label. */
export function branchPoint(b) {
  if (b.parent_timestamp && !b.parent_lsn) return `@ ${b.parent_timestamp.slice(11, 19)} UTC`;
  if (b.parent_lsn) return `LSN ${b.parent_lsn}`;
  return 'head';
}

function badge(x, y, text, kind) {
  const w = 10 + text.length * 6.2;
  return [el('g', { class: `badge badge-${kind}`, transform: `translate(${x},${y})` },
    el('rect', { width: w, height: 18, rx: 9 }),
    el('text', { x: w / 2, y: 12.5, 'text-anchor': 'middle' }, text)), w];
}

function card(node, usage, endpoints, selected) {
  const b = node.branch;
  const busy = b.current_state !== 'ready' || (b.pending_state && b.pending_state !== b.current_state);
  const g = el('g', {
    class: `branch-node${selected ? ' selected' : ''}${busy ? ' busy' : ''}`,
    transform: `translate(${node.x},${node.y})`,
    tabindex: 0, role: 'button',
    'data-branch-id': b.id, 'data-branch-name': b.name, 'data-state': b.current_state,
    'aria-label': `branch ${b.name}`,
  });
  g.append(el('title', {}, `${b.name} (${b.id})`));
  g.append(el('rect', { class: 'card', width: CARD_W, height: CARD_H, rx: 10 }));
  const ep = endpoints.find((e) => e.type === 'read_write') ?? endpoints[0];
  const dot = ep ? (ep.current_state === 'active' ? 'active' : 'idle') : 'none';
  g.append(el('circle', { class: `dot dot-${dot}`, cx: 18, cy: 22, r: 5 },
    el('title', {}, ep ? `endpoint ${ep.id}: ${ep.current_state}` : 'no endpoint')));
  g.append(el('text', { class: 'name', x: 30, y: 27 }, truncate(b.name, 24)));
  let bx = 12;
  const badges = [];
  if (b.default) badges.push(['default', 'default']);
  if (b.protected) badges.push(['protected', 'protected']);
  if (b.expires_at) badges.push([`expires ${relative(b.expires_at)}`, 'expiry']);
  if (b.init_source === 'schema-only') badges.push(['schema-only', 'muted']);
  if (busy) badges.push([b.current_state === 'ready' ? (b.pending_state ?? 'busy') : b.current_state, 'busy']);
  for (const [text, kind] of badges) {
    if (bx > CARD_W - 40) break;
    const [bg, w] = badge(bx, 38, text, kind);
    g.append(bg);
    bx += w + 6;
  }
  const logical = usage?.logical_size ?? b.logical_size;
  const written = usage?.written_data_bytes;
  const sizeText = `${bytes(logical)} logical${written !== undefined ? ` · ${bytes(written)} written` : ''}`;
  g.append(el('text', { class: 'meta', x: 12, y: 76 }, sizeText));
  return g;
}

/**
 * Draws the tree into {@code svg}. {@code usage}: branch id → consumption row; {@code endpoints}: branch id →
 * endpoints. {@code onSelect(branchId)} is called on click or Enter.
 */
export function renderTree(svg, branches, { usage, endpoints, selectedId, onSelect }) {
  const { nodes, width, height } = layout(branches);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const links = el('g', { class: 'links' });
  const cards = el('g', { class: 'cards' });
  for (const n of nodes) {
    for (const c of n.children) {
      const x1 = n.x + CARD_W;
      const y1 = n.y + CARD_H / 2;
      const x2 = c.x;
      const y2 = c.y + CARD_H / 2;
      const mx = x1 + GAP_X / 2;
      links.append(el('path', {
        class: 'link', d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
        'data-parent-id': n.branch.id, 'data-child-id': c.branch.id,
      }));
      const label = branchPoint(c.branch);
      const w = 10 + label.length * 6;
      links.append(el('g', { class: 'point', transform: `translate(${x2 - w - 6},${y2 - 20})` },
        el('rect', { width: w, height: 16, rx: 4 }),
        el('text', { x: w / 2, y: 11.5, 'text-anchor': 'middle' }, label),
        el('title', {}, c.branch.parent_timestamp ? `branched at ${c.branch.parent_timestamp}` : `branched from ${n.branch.name}`)));
    }
    const g = card(n, usage.get(n.branch.id), endpoints.get(n.branch.id) ?? [], n.branch.id === selectedId);
    g.addEventListener('click', () => onSelect(n.branch.id));
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(n.branch.id); } });
    cards.append(g);
  }
  svg.append(links, cards);
}
