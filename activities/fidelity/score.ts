// Formalization fidelity metrics, pure: how close the model's formal description of a synthetic image is to
// the exact one the image was drawn from. Tables and charts: cell accuracy; circuits: element and connection F1;
// flowcharts: node and edge F1. Both sides are parsed with the formal validators, so a description the validators
// reject scores 0. A shared module: each formal kind names its metrics from here (activities/formalize/kinds/).
import { guessDelimiter, splitCsv } from '../formalize/validators/csv.ts';
import { validateMermaid, type GraphEdge, type GraphNode } from '../formalize/validators/mermaid.ts';
import { validatePlantUml } from '../formalize/validators/plantuml.ts';
import { validateSpice, type SpiceSummary } from '../formalize/validators/spice.ts';

export interface Metric {
  metric: string;
  value: number;
}

const norm = (s: string) =>
  s
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^["']|["']$/g, '');

/** F1 of two multisets of keys (1 when both are empty). */
export function multisetF1(exact: string[], model: string[]): number {
  if (exact.length === 0 && model.length === 0) return 1;
  if (exact.length === 0 || model.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const k of exact) counts.set(k, (counts.get(k) ?? 0) + 1);
  let hit = 0;
  for (const k of model) {
    const c = counts.get(k) ?? 0;
    if (c > 0) {
      hit++;
      counts.set(k, c - 1);
    }
  }
  if (hit === 0) return 0;
  const p = hit / model.length;
  const r = hit / exact.length;
  return (2 * p * r) / (p + r);
}

// ---------------------------------------------------------------------------------------------------------------
// tables and charts

export interface Table {
  header: string[];
  rows: string[][];
}

/** A CSV table, skipping `# key: value` header lines (the chart format) and blank lines. */
export function parseTable(text: string): Table | null {
  const body = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .join('\n');
  if (!body) return null;
  const delimiter = guessDelimiter(body.split('\n')[0] ?? '');
  const { records, problem } = splitCsv(body, delimiter);
  if (problem || records.length < 2) return null;
  return {
    header: records[0]!.fields.map((h) => h.trim()),
    rows: records.slice(1).map((r) => r.fields.map((f) => f.trim())),
  };
}

const NUM = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
function cellsEqual(a: string, b: string, relTol: number): boolean {
  const x = a.replace(/[,%$\s]/g, '');
  const y = b.replace(/[,%$\s]/g, '');
  if (NUM.test(x) && NUM.test(y)) {
    const u = Number(x);
    const v = Number(y);
    return Math.abs(u - v) <= Math.max(1e-9, relTol * Math.abs(u));
  }
  return norm(a) === norm(b);
}

/**
 * Share of the exact table's cells the model reproduced, over the larger of the two tables (extra rows or columns
 * count against it). Columns align by header name, else position; rows by their first cell, else position.
 * `relTol` allows reading error on charts (ChartQA's relaxed accuracy uses 5 %); tables are exact.
 */
export function cellAccuracy(exactText: string, modelText: string, relTol = 0): number {
  const e = parseTable(exactText);
  const m = parseTable(modelText);
  if (!e || !m) return 0;
  const colOf = e.header.map((h, j) => {
    const byName = m.header.findIndex((mh) => norm(mh) === norm(h));
    return byName >= 0
      ? byName
      : j < m.header.length && !e.header.some((eh) => norm(eh) === norm(m.header[j]!))
        ? j
        : -1;
  });
  const usedRows = new Set<number>();
  let matched = 0;
  e.rows.forEach((row, i) => {
    let mi = m.rows.findIndex(
      (mr, k) => !usedRows.has(k) && mr[0] !== undefined && row[0] !== undefined && norm(mr[0]) === norm(row[0]),
    );
    if (mi < 0 && i < m.rows.length && !usedRows.has(i)) mi = i;
    if (mi < 0) return;
    usedRows.add(mi);
    const mr = m.rows[mi]!;
    row.forEach((cell, j) => {
      const mj = colOf[j]!;
      if (mj >= 0 && mr[mj] !== undefined && cellsEqual(cell, mr[mj], j === 0 ? 0 : relTol)) matched++;
    });
  });
  const exactCells = e.rows.length * e.header.length;
  const modelCells = m.rows.length * m.header.length;
  return matched / Math.max(exactCells, modelCells, 1);
}

// ---------------------------------------------------------------------------------------------------------------
// circuits

const SI: Record<string, number> = {
  t: 1e12,
  g: 1e9,
  meg: 1e6,
  k: 1e3,
  m: 1e-3,
  u: 1e-6,
  µ: 1e-6,
  n: 1e-9,
  p: 1e-12,
  f: 1e-15,
  mil: 25.4e-6,
};
/** The numeric value of an element ("4.7k", "DC 15", "10uF"), or the text when it has none. */
export function spiceValue(v: string | undefined): string {
  if (!v) return '';
  const tok = v.split(/\s+/).find((t) => /^[+-]?(\d|\.\d)/.test(t)) ?? v;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpfµ])?/i.exec(tok);
  if (!m) return norm(v);
  const n = Number(m[1]) * (m[2] ? SI[m[2].toLowerCase()]! : 1);
  return String(Number(n.toPrecision(6)));
}

function spiceOf(text: string): SpiceSummary | null {
  const r = validateSpice(text);
  return r.ok ? r.summary : null;
}

/**
 * Element F1 over (type, value) pairs, name-agnostic; connection F1 over pairs of elements that share a node (ground
 * counts as a terminal of its own), with the model's element names mapped onto the exact ones (same name and type
 * first, else same type and value), so node names never matter.
 */
export function netlistF1(exactText: string, modelText: string): { element_f1: number; connection_f1: number } {
  const e = spiceOf(exactText);
  const m = spiceOf(modelText);
  if (!e || !m) return { element_f1: 0, connection_f1: 0 };
  const key = (el: SpiceSummary['elements'][number]) => `${el.type}:${spiceValue(el.value)}`;
  const element_f1 = multisetF1(e.elements.map(key), m.elements.map(key));
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const el of m.elements) {
    const same = e.elements.find(
      (x) => x.name.toUpperCase() === el.name.toUpperCase() && x.type === el.type && !taken.has(x.name),
    );
    if (same) {
      rename.set(el.name, same.name);
      taken.add(same.name);
    }
  }
  for (const el of m.elements) {
    if (rename.has(el.name)) continue;
    const alike = e.elements.find((x) => key(x) === key(el) && !taken.has(x.name));
    if (alike) {
      rename.set(el.name, alike.name);
      taken.add(alike.name);
    } else rename.set(el.name, `?${el.name}`);
  }
  const pairs = (s: SpiceSummary, name: (n: string) => string) => {
    const out = new Set<string>();
    for (const [node, els] of Object.entries(s.connections)) {
      const names = [...new Set(els.map(name))].sort();
      if (node === '0' || node.toLowerCase() === 'gnd') names.forEach((n) => out.add(`${n}~GND`));
      for (let i = 0; i < names.length; i++)
        for (let j = i + 1; j < names.length; j++) out.add(`${names[i]}~${names[j]}`);
    }
    return [...out];
  };
  const connection_f1 = multisetF1(
    pairs(e, (n) => n),
    pairs(m, (n) => rename.get(n) ?? `?${n}`),
  );
  return { element_f1, connection_f1 };
}

// ---------------------------------------------------------------------------------------------------------------
// flowcharts

function graphOf(text: string): { nodes: GraphNode[]; edges: GraphEdge[] } | null {
  const isPlantUml = /@startuml/i.test(text);
  const r = isPlantUml ? validatePlantUml(text) : validateMermaid(text);
  return r.ok ? { nodes: r.summary.nodes, edges: r.summary.edges } : null;
}

/** Node F1 over node texts (ids are arbitrary); edge F1 over (from text, to text, edge label). */
export function flowchartF1(exactText: string, modelText: string): { node_f1: number; edge_f1: number } {
  const e = graphOf(exactText);
  const m = graphOf(modelText);
  if (!e || !m) return { node_f1: 0, edge_f1: 0 };
  const labelOf = (g: { nodes: GraphNode[] }) => {
    const by = new Map(g.nodes.map((n) => [n.id, norm(n.label || n.id)]));
    return (id: string) => by.get(id) ?? norm(id);
  };
  const el = labelOf(e);
  const ml = labelOf(m);
  return {
    node_f1: multisetF1(
      e.nodes.map((n) => norm(n.label || n.id)),
      m.nodes.map((n) => norm(n.label || n.id)),
    ),
    edge_f1: multisetF1(
      e.edges.map((x) => `${el(x.from)}→${el(x.to)}|${norm(x.label ?? '')}`),
      m.edges.map((x) => `${ml(x.from)}→${ml(x.to)}|${norm(x.label ?? '')}`),
    ),
  };
}
