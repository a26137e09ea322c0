/** Process flowcharts with one decision. Formal text: Mermaid `flowchart TD`. */
import { at } from '../../core/must.ts';
import type { Rng } from './rng.ts';
import type { Generated, KindGenerator } from './types.ts';
import { listText, makeMc, makeTrace, r1, svgDoc, text, withChoices } from './util.ts';

const THEMES = [
  {
    title: 'Order Processing',
    pre: ['Receive order', 'Verify customer', 'Check inventory'],
    decision: 'Item in stock?',
    yes: ['Pack items', 'Ship parcel', 'Send invoice'],
    no: ['Order from supplier', 'Notify customer'],
  },
  {
    title: 'User Login',
    pre: ['Open app', 'Enter password', 'Submit form'],
    decision: 'Password valid?',
    yes: ['Load profile', 'Show dashboard', 'Record session'],
    no: ['Show error', 'Count attempt'],
  },
  {
    title: 'Baking a Cake',
    pre: ['Mix batter', 'Preheat oven', 'Bake cake'],
    decision: 'Cake done?',
    yes: ['Cool cake', 'Add frosting', 'Serve slices'],
    no: ['Bake 5 more minutes', 'Test with toothpick'],
  },
  {
    title: 'Loan Application',
    pre: ['Submit application', 'Check credit', 'Review income'],
    decision: 'Approved?',
    yes: ['Sign contract', 'Transfer funds', 'Open account'],
    no: ['Send rejection', 'Archive file'],
  },
  {
    title: 'Software Release',
    pre: ['Write code', 'Run tests', 'Code review'],
    decision: 'Tests pass?',
    yes: ['Build package', 'Deploy to server', 'Announce release'],
    no: ['Fix bugs', 'Update tests'],
  },
];

type Shape = 'terminal' | 'process' | 'decision';
export interface FlowNode {
  id: string;
  label: string;
  shape: Shape;
}
export interface FlowEdge {
  from: string;
  to: string;
  label?: 'Yes' | 'No';
}

export type FlowQ =
  | { template: 'flow-next'; node: string }
  | { template: 'flow-branch'; branch: 'Yes' | 'No' }
  | { template: 'flow-min-steps'; from: string; to: string }
  | { template: 'flow-reachable'; from: string };

export interface FlowSpec {
  title: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** How the "No" branch ends: at End, joining the Yes branch, or looping back before the decision. */
  variant: 'end' | 'rejoin' | 'loop';
  q: FlowQ;
}

/** Grid cell of each node, used for drawing only. */
interface Cell {
  row: number;
  col: 0 | 1;
}

function build(rng: Rng) {
  const th = rng.pick(THEMES);
  const a = rng.int(1, 3),
    b = rng.int(1, 3);
  const c = Math.min(b, rng.int(1, 2));
  const nodes: FlowNode[] = [];
  const cells = new Map<string, Cell>();
  const add = (label: string, shape: Shape, cell: Cell) => {
    const id = `n${nodes.length}`;
    nodes.push({ id, label, shape });
    cells.set(id, cell);
    return id;
  };
  const start = add('Start', 'terminal', { row: 0, col: 0 });
  const pre = th.pre.slice(0, a).map((l, i) => add(l, 'process', { row: 1 + i, col: 0 }));
  const dec = add(th.decision, 'decision', { row: a + 1, col: 0 });
  const yes = th.yes.slice(0, b).map((l, i) => add(l, 'process', { row: a + 2 + i, col: 0 }));
  const end = add('End', 'terminal', { row: a + b + 2, col: 0 });
  const no = th.no.slice(0, c).map((l, i) => add(l, 'process', { row: a + 2 + i, col: 1 }));
  const edges: FlowEdge[] = [];
  const chain = (ids: string[]) => ids.slice(1).forEach((to, i) => edges.push({ from: at(ids, i), to }));
  chain([start, ...pre, dec]);
  edges.push({ from: dec, to: at(yes, 0, 'Yes step'), label: 'Yes' });
  chain([...yes, end]);
  edges.push({ from: dec, to: at(no, 0, 'No step'), label: 'No' });
  chain(no);
  // "rejoin" needs a Yes step strictly below the last No step.
  const variants: FlowSpec['variant'][] = ['end', 'loop', ...(b > c ? (['rejoin'] as const) : [])];
  const variant = rng.pick(variants);
  const last = at(no, no.length - 1, 'No step');
  if (variant === 'end') edges.push({ from: last, to: end });
  else if (variant === 'loop') edges.push({ from: last, to: rng.pick(pre) });
  else edges.push({ from: last, to: at(yes, rng.int(c, b - 1), 'Yes step') });
  return { th, nodes, edges, cells, variant, start, end, dec };
}

function bfs(edges: FlowEdge[], from: string): Map<string, string | null> {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const u = queue.shift()!;
    for (const e of edges)
      if (e.from === u && !parent.has(e.to)) {
        parent.set(e.to, u);
        queue.push(e.to);
      }
  }
  return parent;
}

function pathTo(parent: Map<string, string | null>, to: string): string[] {
  const path = [to];
  for (let p = parent.get(to); p; p = parent.get(p)) path.unshift(p);
  return path;
}

const BOX_W = 190,
  BOX_H = 44,
  DIA_W = 200,
  DIA_H = 64,
  TERM_W = 130;
const COL_X = [230, 520] as const;

function render(spec: FlowSpec, cells: Map<string, Cell>): { svg: string; width: number; height: number } {
  const W = 760;
  const rows = Math.max(...[...cells.values()].map((c) => c.row)) + 1;
  const rowY = (r: number) => 100 + r * 80;
  const H = rowY(rows - 1) + 60;
  const byId = new Map(spec.nodes.map((n) => [n.id, n]));
  const pos = (id: string) => ({ x: COL_X[cells.get(id)!.col], y: rowY(cells.get(id)!.row) });
  const halfW = (id: string) =>
    (byId.get(id)!.shape === 'decision' ? DIA_W : byId.get(id)!.shape === 'terminal' ? TERM_W : BOX_W) / 2;
  const halfH = (id: string) => (byId.get(id)!.shape === 'decision' ? DIA_H : BOX_H) / 2;
  const parts: string[] = [
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
  ];
  const poly = (pts: [number, number][]) =>
    parts.push(
      `<polyline points="${pts.map(([x, y]) => `${r1(x)},${r1(y)}`).join(' ')}" fill="none" stroke="#333" stroke-width="2" marker-end="url(#arrow)"/>`,
    );
  for (const e of spec.edges) {
    const a = pos(e.from),
      b = pos(e.to);
    const ca = cells.get(e.from)!,
      cb = cells.get(e.to)!;
    if (ca.col === cb.col && cb.row === ca.row + 1) {
      poly([
        [a.x, a.y + halfH(e.from)],
        [b.x, b.y - halfH(e.to)],
      ]);
      if (e.label)
        parts.push(text(a.x + 10, a.y + halfH(e.from) + 16, e.label, { size: 14, weight: 'bold', fill: '#1a7f37' }));
    } else if (e.label === 'No') {
      poly([
        [a.x + halfW(e.from), a.y],
        [b.x, a.y],
        [b.x, b.y - halfH(e.to)],
      ]);
      parts.push(
        text((a.x + halfW(e.from) + b.x) / 2, a.y - 8, 'No', {
          size: 14,
          weight: 'bold',
          anchor: 'middle',
          fill: '#c62828',
        }),
      );
    } else if (cb.row > ca.row) {
      // Down the side column, then left into the target's right edge.
      poly([
        [a.x, a.y + halfH(e.from)],
        [a.x, b.y],
        [b.x + halfW(e.to), b.y],
      ]);
    } else {
      // Loop back: out to the right margin, up, then left into the earlier step.
      const xr = W - 40;
      poly([
        [a.x + halfW(e.from), a.y],
        [xr, a.y],
        [xr, b.y],
        [b.x + halfW(e.to), b.y],
      ]);
    }
  }
  for (const n of spec.nodes) {
    const { x, y } = pos(n.id);
    if (n.shape === 'decision') {
      parts.push(
        `<polygon points="${x},${y - DIA_H / 2} ${x + DIA_W / 2},${y} ${x},${y + DIA_H / 2} ${x - DIA_W / 2},${y}" fill="#fff4d6" stroke="#b8860b" stroke-width="2"/>`,
      );
    } else if (n.shape === 'terminal') {
      parts.push(
        `<rect x="${x - TERM_W / 2}" y="${y - BOX_H / 2}" width="${TERM_W}" height="${BOX_H}" rx="22" fill="#e3f1e3" stroke="#2e7d32" stroke-width="2"/>`,
      );
    } else {
      parts.push(
        `<rect x="${x - BOX_W / 2}" y="${y - BOX_H / 2}" width="${BOX_W}" height="${BOX_H}" rx="4" fill="#e8f0fb" stroke="#2f5d9e" stroke-width="2"/>`,
      );
    }
    parts.push(text(x, y + 5, n.label, { size: n.label.length > 18 ? 13 : 15, anchor: 'middle', fill: '#111' }));
  }
  return { svg: svgDoc(W, H, spec.title, parts), width: W, height: H };
}

function mermaid(spec: FlowSpec): string {
  const shape = (n: FlowNode) =>
    n.shape === 'terminal' ? `(["${n.label}"])` : n.shape === 'decision' ? `{"${n.label}"}` : `["${n.label}"]`;
  return (
    [
      'flowchart TD',
      ...spec.nodes.map((n) => `    ${n.id}${shape(n)}`),
      ...spec.edges.map((e) => `    ${e.from} -->${e.label ? `|${e.label}|` : ''} ${e.to}`),
    ].join('\n') + '\n'
  );
}

function generate(rng: Rng): Generated {
  const { th, nodes, edges, cells, variant, start, end, dec } = build(rng);
  const label = (id: string) => nodes.find((n) => n.id === id)!.label;
  const q0 = (id: string) => `"${label(id)}"`;
  const t = rng.pick(['flow-next', 'flow-branch', 'flow-min-steps', 'flow-reachable'] as const);
  const intro = `The flowchart "${th.title}" starts at Start, runs through ${nodes.length - 2} other shapes and has one decision diamond, "${th.decision}", with a Yes arrow and a No arrow.`;
  const others = (...skip: string[]) => rng.shuffle(nodes.filter((n) => !skip.includes(n.id)).map((n) => n.label));
  let q: FlowQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'flow-next') {
    const single = nodes.filter((n) => edges.filter((e) => e.from === n.id).length === 1);
    const n = rng.pick(single);
    const to = edges.find((e) => e.from === n.id)!.to;
    q = { template: t, node: n.label };
    const mc = makeMc(rng, label(to), others(n.id, to));
    question = withChoices(`In the flowchart, which step comes directly after ${q0(n.id)}?`, mc.choices);
    choices = mc.choices;
    answer = mc.letter;
    think = [
      intro,
      `Locating the ${q0(n.id)} box, exactly one arrow leaves it, and it points to ${q0(to)}.`,
      `${q0(to)} is option ${mc.letter}.`,
    ];
    concl = `${label(to)} follows ${label(n.id)}, option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'flow-branch') {
    const branch = rng.pick(['Yes', 'No'] as const);
    const to = edges.find((e) => e.from === dec && e.label === branch)!.to;
    const alt = edges.find((e) => e.from === dec && e.label !== branch)!.to;
    q = { template: t, branch };
    // The other branch's first step is the most tempting wrong option, so it always appears.
    const mc = makeMc(rng, label(to), [label(alt), ...others(dec, to, alt)]);
    question = withChoices(`If the answer to "${th.decision}" is ${branch}, which step comes next?`, mc.choices);
    choices = mc.choices;
    answer = mc.letter;
    think = [
      intro,
      `From the diamond "${th.decision}", the arrow marked ${branch} leads to ${q0(to)}, while the ${branch === 'Yes' ? 'No' : 'Yes'} arrow leads to ${q0(alt)}.`,
      `So after a ${branch} answer the next step is ${q0(to)}, option ${mc.letter}.`,
    ];
    concl = `On ${branch}, the flow goes to ${label(to)}, option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'flow-min-steps') {
    const pairs: [string, string, number][] = [];
    for (const n of nodes) {
      const par = bfs(edges, n.id);
      for (const [m] of par) {
        const d = pathTo(par, m).length - 1;
        if (d >= 2) pairs.push([n.id, m, d]);
      }
    }
    // Prefer Start → End (the classic question) half the time.
    const se = pairs.find(([f, to]) => f === start && to === end)!;
    const [from, to, d] = rng.int(0, 1) === 0 ? se : rng.pick(pairs);
    q = { template: t, from: label(from), to: label(to) };
    const path = pathTo(bfs(edges, from), to);
    question = `What is the smallest number of arrows you must follow to get from ${q0(from)} to ${q0(to)}?`;
    answer = String(d);
    const pathText = path.map((id, i) => {
      const e = i > 0 ? edges.find((x) => x.from === path[i - 1] && x.to === id) : undefined;
      return `${e?.label ? `(${e.label}) ` : ''}${label(id)}`;
    });
    think = [
      intro,
      `Tracing the arrows from ${q0(from)}, the shortest route to ${q0(to)} is: ${pathText.join(' → ')}.`,
      `That route uses ${path.length - 1} arrows${path.includes(dec) && path.indexOf(dec) < path.length - 1 ? `; taking the other branch at "${th.decision}" would not be shorter` : ''}.`,
    ];
    concl = `The shortest route from ${label(from)} to ${label(to)} follows ${d} arrows.`;
    boxed = answer;
  } else {
    const from = rng.pick(nodes.filter((n) => n.id !== end)).id;
    q = { template: 'flow-reachable', from: label(from) };
    const reach = [...bfs(edges, from).keys()].filter((id) => id !== from);
    question = `Starting at ${q0(from)} and following the arrows, how many other shapes of the flowchart (boxes, the decision diamond and End) can be reached?`;
    answer = String(reach.length);
    think = [
      intro,
      `Following every arrow out of ${q0(from)}${variant === 'loop' ? ', including the arrow that loops back to an earlier step' : ''}, the shapes reached are: ${listText(reach.map(q0))}.`,
      `That is ${reach.length} shapes besides ${q0(from)}.`,
    ];
    concl = `${reach.length} other shapes can be reached from ${label(from)}.`;
    boxed = answer;
  }
  const spec: FlowSpec = { title: th.title, nodes, edges, variant, q };
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'mermaid',
    formalText: mermaid(spec),
    trace: makeTrace(think, concl, boxed),
    spec,
    ...render(spec, cells),
  };
}

export const flowchart: KindGenerator = {
  templates: ['flow-next', 'flow-branch', 'flow-min-steps', 'flow-reachable'],
  generate,
};
