// Flowchart graphs must be walkable: every end must be reachable from a start by following the arrows. A graph
// that parses (mermaid.ts, plantuml.ts) can still have an end no path leads to, or a step cut off from the start.
import type { GraphEdge, GraphNode } from './mermaid.ts';

export interface Reachability {
  ok: boolean;
  starts: string[];
  ends: string[];
  /** Ends no start reaches. */
  unreachableEnds: string[];
  /** Any node no start reaches (a weaker finding: reported, not failed on). */
  unreachable: string[];
  message: string | null;
}

const START = /^(start|begin|開始|开始)$/i;
const END = /^(end|stop|finish|done|exit|結束|结束)$/i;

/**
 * Starts: nodes labelled Start/Begin, else the nodes no arrow enters. Ends: nodes labelled End/Stop/…, else the
 * nodes no arrow leaves. Edges are followed in their written direction (undirected links `---` both ways).
 */
export function checkReachability(nodes: GraphNode[], edges: GraphEdge[]): Reachability {
  const ids = new Set([...nodes.map((n) => n.id), ...edges.flatMap((e) => [e.from, e.to])]);
  const label = new Map(nodes.map((n) => [n.id, (n.label || n.id).trim()]));
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  const outdeg = new Map<string, number>();
  const link = (a: string, b: string) => {
    out.set(a, [...(out.get(a) ?? []), b]);
    outdeg.set(a, (outdeg.get(a) ?? 0) + 1);
    indeg.set(b, (indeg.get(b) ?? 0) + 1);
  };
  for (const e of edges) {
    link(e.from, e.to);
    if (e.kind && !/[>]/.test(e.kind) && !/^<|<$/.test(e.kind)) link(e.to, e.from);
  }
  const all = [...ids];
  const named = (re: RegExp) => all.filter((id) => re.test(label.get(id) ?? id) || re.test(id));
  const starts = named(START).length ? named(START) : all.filter((id) => !indeg.get(id));
  const ends = named(END).length ? named(END) : all.filter((id) => !outdeg.get(id));
  const seen = new Set<string>(starts);
  const stack = [...starts];
  while (stack.length)
    for (const n of out.get(stack.pop()!) ?? [])
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
  const unreachableEnds = ends.filter((e) => !seen.has(e));
  const unreachable = all.filter((n) => !seen.has(n));
  let message: string | null = null;
  if (all.length === 0) message = 'the flowchart has no nodes';
  else if (starts.length === 0) message = 'the flowchart has no start: every node has an arrow into it';
  else if (ends.length === 0) message = 'the flowchart has no end: every node has an arrow out of it';
  else if (unreachableEnds.length) message = `no path from ${starts.join(', ')} reaches ${unreachableEnds.join(', ')}`;
  return { ok: message === null, starts, ends, unreachableEnds, unreachable, message };
}
