// PlantUML validator for activity diagrams (new syntax) and component-style arrow diagrams, pure.
// Activity flow is turned into a graph: actions, decisions and start/stop become nodes; control flow
// (sequence, if/else branches, loops, forks) becomes edges.
import { fail, ok, type ValidationResult } from './result.ts';
import type { GraphEdge, GraphNode } from './mermaid.ts';

export interface PlantUmlSummary {
  diagram: 'activity' | 'component';
  nodes: GraphNode[];
  edges: GraphEdge[];
}

type Frame =
  | { type: 'if'; line: number; decision: string; ends: string[]; hasElse: boolean }
  | { type: 'while'; line: number; decision: string }
  | { type: 'repeat'; line: number; start: string }
  | { type: 'fork'; line: number; word: 'fork' | 'split'; sources: string[]; ends: string[] }
  | { type: 'partition'; line: number };

const SKIP =
  /^(skinparam|title|header|footer|caption|scale|hide|show|left to right direction|top to bottom direction|!|legend|endlegend|center header|right footer|detach|allowmixing|autonumber)\b/i;
const ARROW = /^(.+?)\s*(<?[-.=]+(?:\[[^\]]*\])?(?:left|right|up|down|le|ri|do)?[-.=]*>?)\s*(.+?)(?:\s*:\s*(.*))?$/;

export function validatePlantUml(text: string): ValidationResult<PlantUmlSummary> {
  if (typeof text !== 'string' || text.trim() === '') return fail(['diagram is empty']);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const problems: string[] = [];
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const stack: Frame[] = [];
  let prev: string[] = [];
  let pendingLabel: string | undefined;
  let started = false;
  let ended = false;
  let activity = false;
  let counter = 0;

  const add = (id: string, label: string, shape: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, label, shape });
    return id;
  };
  const flowTo = (id: string) => {
    for (const p of prev) edges.push({ from: p, to: id, ...(pendingLabel ? { label: pendingLabel } : {}) });
    pendingLabel = undefined;
    prev = [id];
  };
  const paren = (s: string | undefined) => (s ?? '').replace(/^\(|\)$/g, '').trim() || undefined;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `line ${lineNo}`;
    let line = lines[i]!.trim();
    if (!line || line.startsWith("'")) continue;
    if (line.startsWith("/'")) {
      while (i < lines.length && !lines[i]!.includes("'/")) i++;
      continue;
    }
    if (!started) {
      if (/^@startuml\b/i.test(line)) started = true;
      else return fail([`${where}: a PlantUML diagram must start with @startuml, got '${clip(line)}'`]);
      continue;
    }
    if (ended) {
      problems.push(`${where}: text after @enduml`);
      break;
    }
    if (/^@enduml\b/i.test(line)) {
      ended = true;
      continue;
    }
    if (SKIP.test(line) || /^\|.*\|$/.test(line)) continue;
    if (/^(note|rnote|hnote)\b/i.test(line)) {
      if (!line.includes(':')) {
        // Multi-line note: skip to 'end note'.
        const end = lines.findIndex((l, j) => j > i && /^\s*end\s*note\b/i.test(l));
        if (end < 0) {
          problems.push(`${where}: note is never closed with 'end note'`);
          break;
        }
        i = end;
      }
      continue;
    }
    let m: RegExpExecArray | null;
    // Action, possibly spanning lines: ":text;" (also ended by | < > / ] }).
    if (line.startsWith(':')) {
      activity = true;
      let body = line.slice(1);
      const startLine = lineNo;
      while (!/[;|<>/\]}]\s*$/.test(body)) {
        i++;
        if (i >= lines.length || /^@enduml/i.test(lines[i]!.trim())) {
          problems.push(`line ${startLine}: action ':${clip(line.slice(1))}' is never closed with ';'`);
          body = '';
          break;
        }
        body += '\n' + lines[i]!.trim();
      }
      if (!body) break;
      const label = body.replace(/[;|<>/\]}]\s*$/, '').trim();
      flowTo(add(`a${++counter}`, label, 'action'));
      continue;
    }
    if (/^start$/i.test(line)) {
      activity = true;
      flowTo(add('start', 'start', 'start'));
      continue;
    }
    if (/^(stop|end|kill|detach)$/i.test(line)) {
      activity = true;
      const word = line.toLowerCase();
      if (word === 'stop' || word === 'end') flowTo(add(word, word, 'stop'));
      prev = [];
      continue;
    }
    if ((m = /^if\s*\((.*)\)\s*(?:is\s*\((.*?)\)\s*)?then\s*(\(.*\))?\s*$/i.exec(line))) {
      activity = true;
      const d = add(`d${++counter}`, m[1]!.trim(), 'decision');
      flowTo(d);
      stack.push({ type: 'if', line: lineNo, decision: d, ends: [], hasElse: false });
      pendingLabel = paren(m[3]) ?? m[2];
      continue;
    }
    if (/^if\b/i.test(line)) {
      problems.push(`${where}: malformed if; write 'if (condition?) then (yes)'`);
      continue;
    }
    if ((m = /^(?:elseif|else\s+if)\s*\((.*)\)\s*then\s*(\(.*\))?\s*$/i.exec(line))) {
      const f = stack.at(-1);
      if (f?.type !== 'if') {
        problems.push(`${where}: elseif without an open if`);
        continue;
      }
      f.ends.push(...prev);
      prev = [f.decision];
      const d = add(`d${++counter}`, m[1]!.trim(), 'decision');
      flowTo(d);
      f.decision = d;
      pendingLabel = paren(m[2]);
      continue;
    }
    if ((m = /^else\s*(\(.*\))?\s*$/i.exec(line))) {
      const f = stack.at(-1);
      if (f?.type !== 'if') {
        problems.push(`${where}: else without an open if`);
        continue;
      }
      f.ends.push(...prev);
      f.hasElse = true;
      prev = [f.decision];
      pendingLabel = paren(m[1]);
      continue;
    }
    if (/^end\s*if$/i.test(line)) {
      const f = stack.pop();
      if (f?.type !== 'if') {
        problems.push(
          `${where}: endif without an open if${f ? ` (the open block is ${f.type} from line ${f.line})` : ''}`,
        );
        if (f) stack.push(f);
        continue;
      }
      prev = [...f.ends, ...prev, ...(f.hasElse ? [] : [f.decision])];
      continue;
    }
    if ((m = /^while\s*\((.*)\)\s*(?:is\s*(\(.*\)))?\s*$/i.exec(line))) {
      activity = true;
      const d = add(`d${++counter}`, m[1]!.trim(), 'decision');
      flowTo(d);
      stack.push({ type: 'while', line: lineNo, decision: d });
      pendingLabel = paren(m[2]);
      continue;
    }
    if ((m = /^end\s*while\s*(\(.*\))?\s*$/i.exec(line))) {
      const f = stack.pop();
      if (f?.type !== 'while') {
        problems.push(`${where}: endwhile without an open while`);
        if (f) stack.push(f);
        continue;
      }
      for (const p of prev) edges.push({ from: p, to: f.decision });
      prev = [f.decision];
      pendingLabel = paren(m[1]);
      continue;
    }
    if (/^repeat\s*(:.*;)?$/i.test(line) && !/^repeat\s+while/i.test(line)) {
      activity = true;
      const r = add(`r${++counter}`, 'repeat', 'merge');
      flowTo(r);
      stack.push({ type: 'repeat', line: lineNo, start: r });
      continue;
    }
    if ((m = /^repeat\s*while\s*\((.*?)\)\s*(?:is\s*(\(.*?\)))?\s*(?:not\s*(\(.*?\)))?\s*$/i.exec(line))) {
      const f = stack.pop();
      if (f?.type !== 'repeat') {
        problems.push(`${where}: 'repeat while' without an open repeat`);
        if (f) stack.push(f);
        continue;
      }
      const d = add(`d${++counter}`, m[1]!.trim(), 'decision');
      flowTo(d);
      edges.push({ from: d, to: f.start, ...(paren(m[2]) ? { label: paren(m[2]) } : {}) });
      pendingLabel = paren(m[3]);
      continue;
    }
    if ((m = /^(fork|split)$/i.exec(line))) {
      activity = true;
      stack.push({
        type: 'fork',
        line: lineNo,
        word: m[1]!.toLowerCase() as 'fork' | 'split',
        sources: prev,
        ends: [],
      });
      continue;
    }
    if ((m = /^(fork|split) again$/i.exec(line))) {
      const f = stack.at(-1);
      if (f?.type !== 'fork') {
        problems.push(`${where}: '${line}' without an open ${m[1]}`);
        continue;
      }
      f.ends.push(...prev);
      prev = f.sources;
      continue;
    }
    if ((m = /^end\s*(fork|merge|split)\b.*$/i.exec(line))) {
      const f = stack.pop();
      if (f?.type !== 'fork') {
        problems.push(`${where}: '${line}' without an open fork/split`);
        if (f) stack.push(f);
        continue;
      }
      prev = [...f.ends, ...prev];
      continue;
    }
    if (/^(partition|group|package|rectangle|node|folder|frame|cloud|database)\b.*\{$/i.test(line)) {
      stack.push({ type: 'partition', line: lineNo });
      continue;
    }
    if (line === '}') {
      const f = stack.pop();
      if (f?.type !== 'partition') {
        problems.push(`${where}: '}' without an open partition/package`);
        if (f) stack.push(f);
      }
      continue;
    }
    if ((m = /^-+>\s*(.*?);?$/.exec(line))) {
      activity = true;
      pendingLabel = m[1]!.trim() || undefined;
      continue;
    }
    // Declarations: component X, [X], actor X, usecase X … (optionally "as Alias").
    if (
      (m =
        /^(component|interface|actor|usecase|node|database|queue|storage|artifact|agent|boundary|control|entity|participant|class|object|state)\s+(.+)$/i.exec(
          line,
        ))
    ) {
      const { id, label } = declared(m[2]!);
      add(id, label, m[1]!.toLowerCase());
      continue;
    }
    if (/^\[[^\]]+\](\s+as\s+\S+)?$/.test(line) || /^\([^)]+\)(\s+as\s+\S+)?$/.test(line)) {
      const { id, label } = declared(line);
      add(id, label, 'component');
      continue;
    }
    if (
      (m = ARROW.exec(line)) &&
      /[-.=]{1,}/.test(m[2]!) &&
      (m[2]!.includes('>') || m[2]!.includes('<') || /^[-.=]{2,}$/.test(m[2]!))
    ) {
      let a = declared(m[1]!);
      let b = declared(m[3]!);
      if (m[2]!.startsWith('<') && !m[2]!.endsWith('>')) [a, b] = [b, a];
      add(a.id, a.label, endpointShape(m[1]!));
      add(b.id, b.label, endpointShape(m[3]!));
      edges.push({ from: a.id, to: b.id, kind: m[2], ...(m[4] ? { label: m[4].trim() } : {}) });
      continue;
    }
    problems.push(`${where}: unrecognised statement '${clip(line)}'`);
  }

  if (!started) return fail(['no @startuml line']);
  if (!ended) problems.push('missing @enduml at the end of the diagram');
  for (const f of stack.reverse())
    problems.push(
      `line ${f.line}: ${f.type === 'fork' ? f.word : f.type} block is never closed (expected ${closer(f)})`,
    );
  if (nodes.size === 0 && problems.length === 0) problems.push('the diagram has no nodes');
  if (problems.length) return fail(problems);
  return ok({ diagram: activity ? 'activity' : 'component', nodes: [...nodes.values()], edges });
}

function closer(f: Frame): string {
  switch (f.type) {
    case 'if':
      return 'endif';
    case 'while':
      return 'endwhile';
    case 'repeat':
      return 'repeat while (…)';
    case 'fork':
      return `end ${f.word}`;
    case 'partition':
      return '}';
  }
}

/** "[Web App] as web" → id web; "(*)" → start/end marker; quotes stripped. */
function declared(raw: string): { id: string; label: string } {
  const s = raw.trim();
  const as = /^(.*?)\s+as\s+(\S+)$/i.exec(s);
  const label = strip(as ? as[1]! : s);
  if (s === '(*)') return { id: '(*)', label: 'start/end' };
  return { id: as ? strip(as[2]!) : label, label };
}

function strip(s: string): string {
  return s
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/^\((.*)\)$/, '$1')
    .replace(/^"(.*)"$/, '$1')
    .replace(/^:(.*):$/, '$1')
    .trim();
}

function endpointShape(raw: string): string {
  const s = raw.trim();
  if (s === '(*)') return 'terminal';
  if (s.startsWith('[')) return 'component';
  if (s.startsWith('(')) return 'usecase';
  return 'node';
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}
