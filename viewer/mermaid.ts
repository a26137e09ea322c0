/**
 * A small server-side Mermaid flowchart renderer: parses `flowchart|graph TD|LR` with node shapes
 * `[..]`, `(..)`, `([..])`, `{..}`, `((..))` and edges `-->`, `-->|label|`, `-- label -->`, `---`, `-.->`, `==>`,
 * lays nodes out in layers (longest path from the roots, back edges ignored) and draws a plain SVG.
 * Anything it cannot parse returns null and the caller shows the source as text.
 */
import { esc } from './html.ts';

export interface FlowNode {
  id: string;
  label: string;
  shape: 'rect' | 'round' | 'stadium' | 'diamond' | 'circle';
}
export interface FlowEdge {
  from: string;
  to: string;
  label: string | null;
}
export interface Flow {
  dir: 'TD' | 'LR';
  nodes: FlowNode[];
  edges: FlowEdge[];
}

const NODE = String.raw`([A-Za-z0-9_]+)(?:\(\[(?:"([^"]*)"|([^\]]*))\]\)|\(\((?:"([^"]*)"|([^)]*))\)\)|\[(?:"([^"]*)"|([^\]]*))\]|\((?:"([^"]*)"|([^)]*))\)|\{(?:"([^"]*)"|([^}]*))\})?`;
const ARROW = String.raw`\s*(?:-->\|([^|]*)\||--\s*([^->][^-]*?)\s*-->|-->|---|-\.->|==>)\s*`;

export function parseMermaid(src: string): Flow | null {
  const lines = src
    .split(/\r?\n/)
    .map((l) => l.replace(/%%.*$/, '').trim())
    .filter(Boolean);
  const head = lines.shift()?.match(/^(?:flowchart|graph)\s+(TD|TB|LR|RL|BT)\s*;?$/i);
  if (!head) return null;
  const dir = /LR|RL/i.test(head[1]!) ? 'LR' : 'TD';
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  const nodeRe = new RegExp(`^${NODE}`);
  const arrowRe = new RegExp(`^${ARROW}`);
  const take = (s: string): { node: FlowNode; rest: string } | null => {
    const m = s.match(nodeRe);
    if (!m) return null;
    const id = m[1]!;
    const pick = (a?: string, b?: string) => (a ?? b)?.trim();
    let shape: FlowNode['shape'] = 'rect',
      label: string | undefined;
    if (m[2] !== undefined || m[3] !== undefined) {
      shape = 'stadium';
      label = pick(m[2], m[3]);
    } else if (m[4] !== undefined || m[5] !== undefined) {
      shape = 'circle';
      label = pick(m[4], m[5]);
    } else if (m[6] !== undefined || m[7] !== undefined) {
      shape = 'rect';
      label = pick(m[6], m[7]);
    } else if (m[8] !== undefined || m[9] !== undefined) {
      shape = 'round';
      label = pick(m[8], m[9]);
    } else if (m[10] !== undefined || m[11] !== undefined) {
      shape = 'diamond';
      label = pick(m[10], m[11]);
    }
    const prev = nodes.get(id);
    const node = label !== undefined ? { id, label, shape } : (prev ?? { id, label: id, shape });
    nodes.set(id, node);
    return { node, rest: s.slice(m[0].length) };
  };
  for (const line0 of lines) {
    const line = line0.replace(/;$/, '');
    if (/^(classDef|class|style|linkStyle|click|subgraph|end|direction)\b/.test(line)) continue;
    let cur = take(line);
    if (!cur) return null;
    let rest = cur.rest;
    while (rest.trim()) {
      const a = rest.match(arrowRe);
      if (!a) return null;
      const next = take(rest.slice(a[0].length));
      if (!next) return null;
      edges.push({ from: cur.node.id, to: next.node.id, label: (a[1] ?? a[2])?.trim() || null });
      cur = next;
      rest = next.rest;
    }
  }
  if (nodes.size === 0 || nodes.size > 300) return null;
  return { dir, nodes: [...nodes.values()], edges };
}

/** Layered layout: rank = longest path from a root over a DFS tree's forward edges. */
export function layout(flow: Flow): Map<string, { rank: number; order: number }> {
  const out = new Map<string, string[]>();
  for (const n of flow.nodes) out.set(n.id, []);
  const indeg = new Map(flow.nodes.map((n) => [n.id, 0]));
  // Remove back edges (cycles) with a DFS from nodes in declaration order.
  const state = new Map<string, 1 | 2>();
  const forward: FlowEdge[] = [];
  const adj = new Map<string, FlowEdge[]>(flow.nodes.map((n) => [n.id, []]));
  for (const e of flow.edges) adj.get(e.from)!.push(e);
  const visit = (id: string) => {
    state.set(id, 1);
    for (const e of adj.get(id)!) {
      const s = state.get(e.to);
      if (s === 1) continue; // back edge
      forward.push(e);
      if (!s) visit(e.to);
    }
    state.set(id, 2);
  };
  for (const n of flow.nodes) if (!state.has(n.id)) visit(n.id);
  for (const e of forward) {
    out.get(e.from)!.push(e.to);
    indeg.set(e.to, indeg.get(e.to)! + 1);
  }
  const rank = new Map<string, number>();
  const queue = flow.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) rank.set(id, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const to of out.get(id)!) {
      rank.set(to, Math.max(rank.get(to) ?? 0, rank.get(id)! + 1));
      indeg.set(to, indeg.get(to)! - 1);
      if (indeg.get(to) === 0) queue.push(to);
    }
  }
  const pos = new Map<string, { rank: number; order: number }>();
  const perRank = new Map<number, number>();
  for (const n of flow.nodes) {
    const r = rank.get(n.id) ?? 0;
    const o = perRank.get(r) ?? 0;
    perRank.set(r, o + 1);
    pos.set(n.id, { rank: r, order: o });
  }
  return pos;
}

const W = 150,
  H = 44,
  GAPX = 40,
  GAPY = 50;

/** The flowchart as a self-contained SVG string (all text escaped). */
export function mermaidSvg(flow: Flow): string {
  const pos = layout(flow);
  const xy = (id: string) => {
    const p = pos.get(id)!;
    return flow.dir === 'TD'
      ? { x: 20 + p.order * (W + GAPX), y: 20 + p.rank * (H + GAPY) }
      : { x: 20 + p.rank * (W + GAPX + 30), y: 20 + p.order * (H + GAPY) };
  };
  let maxX = 0,
    maxY = 0;
  for (const n of flow.nodes) {
    const { x, y } = xy(n.id);
    maxX = Math.max(maxX, x + W);
    maxY = Math.max(maxY, y + H);
  }
  const parts: string[] = [];
  for (const e of flow.edges) {
    const a = xy(e.from),
      b = xy(e.to);
    let x1: number, y1: number, x2: number, y2: number;
    if (flow.dir === 'TD') {
      const down = b.y > a.y;
      x1 = a.x + W / 2;
      y1 = down ? a.y + H : a.y;
      x2 = b.x + W / 2;
      y2 = down ? b.y : b.y + H;
      if (b.y === a.y) {
        y1 = a.y + H / 2;
        y2 = b.y + H / 2;
        x1 = a.x + (b.x > a.x ? W : 0);
        x2 = b.x + (b.x > a.x ? 0 : W);
      }
    } else {
      const right = b.x > a.x;
      y1 = a.y + H / 2;
      x1 = right ? a.x + W : a.x;
      y2 = b.y + H / 2;
      x2 = right ? b.x : b.x + W;
    }
    const back = flow.dir === 'TD' ? b.y < a.y : b.x < a.x;
    const path = back
      ? `M${x1},${y1} C${x1 + 90},${y1 - 20} ${x2 + 90},${y2 + 20} ${x2},${y2}`
      : `M${x1},${y1} L${x2},${y2}`;
    parts.push(
      `<path class="edge" d="${path}" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>`,
    );
    if (e.label)
      parts.push(
        `<text class="edge-label" x="${(x1 + x2) / 2 + (back ? 50 : 6)}" y="${(y1 + y2) / 2}" font-size="12" fill="#a33">${esc(e.label)}</text>`,
      );
  }
  for (const n of flow.nodes) {
    const { x, y } = xy(n.id);
    const cx = x + W / 2,
      cy = y + H / 2;
    const shape =
      n.shape === 'diamond'
        ? `<polygon points="${cx},${y - 6} ${x + W + 6},${cy} ${cx},${y + H + 6} ${x - 6},${cy}" fill="#fff7e0" stroke="#b8860b"/>`
        : n.shape === 'circle'
          ? `<ellipse cx="${cx}" cy="${cy}" rx="${W / 2}" ry="${H / 2}" fill="#eef" stroke="#447"/>`
          : `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="${n.shape === 'stadium' ? H / 2 : n.shape === 'round' ? 10 : 2}" fill="#eef4ff" stroke="#447"/>`;
    const label = n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label;
    parts.push(
      `<g class="node" data-id="${esc(n.id)}">${shape}<title>${esc(n.label)}</title><text x="${cx}" y="${cy + 4}" text-anchor="middle" font-size="12">${esc(label)}</text></g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="mermaid" width="${maxX + 120}" height="${maxY + 20}" viewBox="0 0 ${maxX + 120} ${maxY + 20}" font-family="sans-serif">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>` +
    parts.join('') +
    '</svg>'
  );
}
