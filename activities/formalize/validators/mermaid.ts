// Mermaid flowchart validator: a small scanner for `flowchart`/`graph` diagrams, pure.
// Handles node shapes, edge kinds with labels, chains and `&` groups, subgraphs; classDef/class/style/
// linkStyle/click lines are accepted and ignored.
import { fail, ok, type ValidationResult } from './result.ts';

export interface GraphNode {
  id: string;
  label: string;
  shape?: string;
}
export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  /** The arrow as written: -->, ---, -.->, ==>, … */
  kind?: string;
}
export interface MermaidSummary {
  direction: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  subgraphs: string[];
}

// Longest openers first; each maps to its closer and a shape name.
const SHAPES: [open: string, close: string, shape: string][] = [
  ['(((', ')))', 'double-circle'],
  ['((', '))', 'circle'],
  ['([', '])', 'stadium'],
  ['[[', ']]', 'subroutine'],
  ['[(', ')]', 'cylinder'],
  ['[/', '/]', 'parallelogram'],
  ['[\\', '\\]', 'parallelogram-alt'],
  ['{{', '}}', 'hexagon'],
  ['[', ']', 'rect'],
  ['(', ')', 'round'],
  ['{', '}', 'diamond'],
  ['>', ']', 'asymmetric'],
];
const ID = /^[A-Za-z0-9_\u00C0-\uFFFF][\w\u00C0-\uFFFF-]*/;
const LINK = /^(?:<?(?:-{2,}>|-{3,}|-{2,}[ox](?=[\s\w"])|={2,}>|={3,}|-\.+->|-\.+-|~{3,}))/;
const TEXT_LINK = /^(--|==|-\.)\s+(.+?)\s+(-{2,}>|-{3,}|={2,}>|={3,}|\.-+>|\.-+)/;
const IGNORED = /^(classDef|class|style|linkStyle|click|direction|accTitle|accDescr)\b/;

export function validateMermaid(text: string): ValidationResult<MermaidSummary> {
  if (typeof text !== 'string' || text.trim() === '') return fail(['diagram is empty']);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const problems: string[] = [];
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const subgraphs: string[] = [];
  const open: { name: string; line: number }[] = [];
  let direction: string | undefined;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/%%.*$/, '').trim();
    if (!line) continue;
    if (direction === undefined) {
      if (/^---\s*$/.test(line)) {
        // YAML front matter: skip to its closing ---.
        const end = lines.findIndex((l, j) => j > i && /^---\s*$/.test(l.trim()));
        if (end < 0) return fail([`line ${lineNo}: front matter '---' is never closed`]);
        i = end;
        continue;
      }
      const h = /^(flowchart|graph)(?:\s+(TB|TD|BT|RL|LR))?\s*;?\s*(.*)$/i.exec(line);
      if (!h) {
        const kind = line.split(/\s/)[0];
        return fail([
          `line ${lineNo}: expected a flowchart header such as 'flowchart TD' or 'graph LR', got '${kind}'`,
        ]);
      }
      direction = (h[2] ?? 'TB').toUpperCase();
      if (h[3]) statements(h[3], lineNo);
      continue;
    }
    statements(line, lineNo);
  }
  if (direction === undefined) return fail(['no flowchart header (flowchart TD / graph LR)']);
  for (const s of open) problems.push(`line ${s.line}: subgraph '${s.name}' is never closed with 'end'`);
  if (nodes.size === 0 && problems.length === 0) problems.push('the flowchart has no nodes');
  if (problems.length) return fail(problems);
  return ok({ direction, nodes: [...nodes.values()], edges, subgraphs });

  function statements(line: string, lineNo: number) {
    for (const part of splitStatements(line)) statement(part.trim(), lineNo);
  }

  function statement(s: string, lineNo: number) {
    if (!s) return;
    const where = `line ${lineNo}`;
    const sub = /^subgraph\b\s*(.*)$/.exec(s);
    if (sub) {
      const m = /^([\w-]+)\s*\[(.*)\]$/.exec(sub[1]!.trim());
      const name = m ? m[1]! : sub[1]!.trim().replace(/^"|"$/g, '') || `subgraph${subgraphs.length + 1}`;
      subgraphs.push(name);
      open.push({ name, line: lineNo });
      return;
    }
    if (s === 'end') {
      if (!open.pop())
        problems.push(`${where}: 'end' without an open subgraph (a node cannot be called 'end'; rename it, e.g. End)`);
      return;
    }
    if (IGNORED.test(s)) return;
    let pos = 0;
    let prev: string[] | undefined;
    let pending: { kind: string; label?: string } | undefined;
    while (pos < s.length) {
      const group: string[] = [];
      for (;;) {
        const n = node(s, pos, where);
        if ('problem' in n) {
          problems.push(n.problem);
          return;
        }
        group.push(n.id);
        pos = skipWs(s, n.end);
        if (s[pos] === '&') {
          pos = skipWs(s, pos + 1);
          continue;
        }
        break;
      }
      if (prev && pending)
        for (const a of prev)
          for (const b of group)
            edges.push({ from: a, to: b, kind: pending.kind, ...(pending.label ? { label: pending.label } : {}) });
      prev = group;
      pending = undefined;
      if (pos >= s.length) break;
      const rest = s.slice(pos);
      const tl = TEXT_LINK.exec(rest);
      const l = tl ? undefined : LINK.exec(rest);
      if (tl) {
        pending = { kind: `${tl[1]}${tl[3]}`, label: tl[2]!.replace(/^"|"$/g, '') };
        pos += tl[0].length;
      } else if (l) {
        pending = { kind: l[0] };
        pos += l[0].length;
        const pipe = /^\s*\|([^|]*)\|/.exec(s.slice(pos));
        if (pipe) {
          pending.label = pipe[1]!.trim().replace(/^"|"$/g, '');
          pos += pipe[0].length;
        }
      } else {
        problems.push(
          `${where}: unexpected '${clip(rest)}' after node ${prev.join(' & ')} (expected an arrow such as -->, ---, -.->, ==> or the end of the statement)`,
        );
        return;
      }
      pos = skipWs(s, pos);
      if (pos >= s.length) {
        problems.push(`${where}: the arrow '${pending.kind}' has no target node`);
        return;
      }
    }
  }

  function node(s: string, start: number, where: string): { id: string; end: number } | { problem: string } {
    const m = ID.exec(s.slice(start));
    if (!m) return { problem: `${where}: expected a node id at '${clip(s.slice(start))}'` };
    // A trailing '-' belongs to an arrow (A--->B), not to the id.
    let id = m[0];
    while (id.endsWith('-')) id = id.slice(0, -1);
    if (!id) return { problem: `${where}: expected a node id at '${clip(s.slice(start))}'` };
    if (id === 'end')
      return { problem: `${where}: 'end' is reserved in Mermaid and cannot be a node id; use e.g. End or stop` };
    let pos = start + id.length;
    let label: string | undefined;
    let shape: string | undefined;
    const rest = s.slice(pos);
    const sh = SHAPES.find(([o]) => rest.startsWith(o));
    if (sh) {
      const [o, c, name] = sh;
      const body = pos + o.length;
      let close: number;
      if (s[skipWs(s, body)] === '"') {
        const q0 = skipWs(s, body);
        const q1 = s.indexOf('"', q0 + 1);
        if (q1 < 0) return { problem: `${where}: node ${id}: the quoted label is never closed with '"'` };
        label = s.slice(q0 + 1, q1);
        close = skipWs(s, q1 + 1);
        if (!s.startsWith(c, close)) return { problem: `${where}: node ${id}: expected '${c}' after the quoted label` };
      } else {
        close = s.indexOf(c, body);
        if (close < 0) return { problem: `${where}: node ${id}: '${o}' is never closed with '${c}'` };
        label = s.slice(body, close).trim();
        if (/[[\]{}()]/.test(label) && name !== 'asymmetric')
          return {
            problem: `${where}: node ${id}: the label '${clip(label)}' contains brackets; wrap it in double quotes, e.g. ${id}${o}"${label}"${c}`,
          };
      }
      shape = name;
      pos = close + c.length;
    }
    const cls = /^:::[\w-]+/.exec(s.slice(pos));
    if (cls) pos += cls[0].length;
    const existing = nodes.get(id);
    if (!existing) nodes.set(id, { id, label: label ?? id, ...(shape ? { shape } : {}) });
    else if (label !== undefined) {
      existing.label = label;
      if (shape) existing.shape = shape;
    }
    return { id, end: pos };
  }
}

/** Splits on ';' outside quotes and brackets. */
function splitStatements(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote = false;
  for (const ch of line) {
    if (ch === '"') quote = !quote;
    if (!quote && '[({'.includes(ch)) depth++;
    if (!quote && '])}'.includes(ch)) depth = Math.max(0, depth - 1);
    if (ch === ';' && !quote && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function skipWs(s: string, pos: number): number {
  while (pos < s.length && /\s/.test(s[pos]!)) pos++;
  return pos;
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}
