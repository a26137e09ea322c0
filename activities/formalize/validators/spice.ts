// SPICE netlist validator (ngspice/LTspice dialect basics), pure.
//
// Floating nodes: a node with a single connection is reported as a *warning* by default (summary.warnings),
// not an error: open terminals drawn as labelled outputs ("Vout" with nothing attached) are legitimate in
// schematics, and rejecting them would send valid formalizations into repair. Pass
// `{ floatingNodes: 'error' }` to make them errors.
import { fail, ok, type ValidationResult } from './result.ts';

export interface SpiceElement {
  name: string;
  /** Upper-case card letter: R, C, L, V, I, D, Q, M, X, … */
  type: string;
  nodes: string[];
  value?: string;
  model?: string;
  /** Subcircuit the element is defined inside, if any. */
  subckt?: string;
  line: number;
}

export interface SpiceSummary {
  title?: string;
  elements: SpiceElement[];
  /** Top-level node → names of the elements attached to it (ground is "0"). */
  connections: Record<string, string[]>;
  nodes: string[];
  models: string[];
  subcircuits: Record<string, { pins: string[] }>;
  warnings: string[];
}

export interface SpiceContext {
  floatingNodes?: 'warn' | 'error';
}

/** A number with optional SI suffix; SPICE ignores letters after the suffix (10uF, 1kOhm). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?:meg|mil|[tgkmunpfa])?[a-z]*$/i;
/** Parameter expressions: {expr} or 'expr'. */
const EXPR = /^(?:\{[^{}]+\}|'[^']+')$/;
const NODE = /^[^\s=(),{}'"]+$/;

// Nodes per card letter (before the value/model); X is variable.
const FIXED_NODES: Record<string, number> = {
  R: 2,
  C: 2,
  L: 2,
  V: 2,
  I: 2,
  D: 2,
  M: 4,
  E: 4,
  G: 4,
  F: 2,
  H: 2,
  B: 2,
  J: 3,
  S: 4,
  W: 2,
  T: 4,
  Z: 3,
  A: 0,
};
const NEEDS_VALUE = new Set(['R', 'C', 'L']);
const NEEDS_MODEL = new Set(['D', 'Q', 'M', 'J', 'S', 'W', 'Z']);
const KNOWN_DOT = new Set([
  'end',
  'model',
  'subckt',
  'ends',
  'param',
  'tran',
  'ac',
  'dc',
  'op',
  'include',
  'inc',
  'lib',
  'endl',
  'option',
  'options',
  'ic',
  'nodeset',
  'print',
  'plot',
  'probe',
  'meas',
  'measure',
  'control',
  'endc',
  'global',
  'temp',
  'save',
  'func',
  'title',
  'four',
  'noise',
  'tf',
  'sens',
  'disto',
  'pz',
  'step',
  'backanno',
  'csparam',
  'width',
  'data',
  'enddata',
]);

interface Card {
  text: string;
  line: number;
}

export function validateSpice(text: string, ctx: SpiceContext = {}): ValidationResult<SpiceSummary> {
  if (typeof text !== 'string' || text.trim() === '') return fail(['netlist is empty']);
  const problems: string[] = [];
  const warnings: string[] = [];

  // Join continuation lines, drop comments; keep the first line number of each card.
  const cards: Card[] = [];
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  raw.forEach((l, i) => {
    const line = stripComment(l).trimEnd();
    if (line.trim() === '') return;
    if (/^\s*\+/.test(line)) {
      const prev = cards.at(-1);
      if (!prev) problems.push(`line ${i + 1}: continuation line '+' with no card before it`);
      else prev.text += ' ' + line.replace(/^\s*\+/, '');
      return;
    }
    cards.push({ text: line.trim(), line: i + 1 });
  });
  if (cards.length === 0) return fail(['netlist has no cards (only comments or blank lines)']);

  // Classic SPICE reads the first line as a title; accept one when it is not itself a card.
  let title: string | undefined;
  if (!looksLikeCard(cards[0]!.text)) title = cards.shift()!.text;

  const elements: SpiceElement[] = [];
  const models = new Set<string>();
  const subcircuits: Record<string, { pins: string[]; line: number }> = {};
  const names = new Map<string, number>();
  let subckt: string | undefined;
  let subcktLine = 0;
  let inControl = false;
  let endLine: number | undefined;

  // First pass for .model and .subckt names, which element cards may reference before their definition.
  for (const c of cards) {
    const t = tokens(c.text);
    const d = (t[0] ?? '').toLowerCase();
    if (d === '.model' && t[1]) models.add(t[1].toLowerCase());
    if (d === '.subckt' && t[1])
      subcircuits[t[1].toLowerCase()] = {
        pins: t.slice(2).filter((p) => !p.includes('=') && p.toLowerCase() !== 'params:'),
        line: c.line,
      };
  }

  for (const c of cards) {
    const t = tokens(c.text);
    const head = t[0] ?? '';
    const where = `line ${c.line}`;
    if (inControl) {
      if (head.toLowerCase() === '.endc') inControl = false;
      continue;
    }
    if (endLine !== undefined) {
      warnings.push(`${where}: text after .end (line ${endLine}) is ignored by SPICE`);
      continue;
    }
    if (head.startsWith('.')) {
      const d = head.slice(1).toLowerCase();
      if (d === 'end') endLine = c.line;
      else if (d === 'control') inControl = true;
      else if (d === 'subckt') {
        if (subckt)
          problems.push(
            `${where}: .subckt ${t[1] ?? ''} inside .subckt ${subckt} (line ${subcktLine}); close it with .ends first`,
          );
        if (!t[1]) problems.push(`${where}: .subckt needs a name and its pins`);
        subckt = t[1] ?? '?';
        subcktLine = c.line;
      } else if (d === 'ends') {
        if (!subckt) problems.push(`${where}: .ends without a matching .subckt`);
        subckt = undefined;
      } else if (d === 'model') {
        if (t.length < 3) problems.push(`${where}: .model needs a name and a type, e.g. ".model D1N4148 D(Is=2.52n)"`);
      } else if (!KNOWN_DOT.has(d)) warnings.push(`${where}: unknown control card '${head}'`);
      continue;
    }
    // SPICE reads commas as spaces, so a decimal comma silently splits a value in two.
    const comma = /(?:^|\s)([+-]?\d+,\d+\w*)/.exec(c.text.replace(/\([^)]*\)/g, ''));
    if (comma) {
      problems.push(`${where}: '${comma[1]}' uses a decimal comma; write '${comma[1]!.replace(',', '.')}'`);
      continue;
    }
    const el = parseElement(t, where, problems, models, subcircuits);
    if (!el) continue;
    el.line = c.line;
    if (subckt) el.subckt = subckt;
    const key = `${subckt ?? ''}/${el.name.toLowerCase()}`;
    const dup = names.get(key);
    if (dup !== undefined)
      problems.push(`${where}: element name ${el.name} is already used on line ${dup}; names must be unique`);
    else names.set(key, c.line);
    elements.push(el);
  }

  if (subckt) problems.push(`line ${subcktLine}: .subckt ${subckt} is never closed with .ends`);
  if (inControl) problems.push('.control block is never closed with .endc');
  if (endLine === undefined) problems.push(`missing .end card: add '.end' as the last line`);

  const top = elements.filter((e) => !e.subckt);
  if (top.length === 0 && problems.length === 0) problems.push('netlist has no circuit elements outside subcircuits');

  // Connections: top level with ground aliases folded to "0".
  const connections: Record<string, string[]> = {};
  for (const e of top) for (const n of e.nodes) (connections[groundName(n)] ??= []).push(e.name);
  if (top.length > 0 && !connections['0'])
    problems.push(
      'no ground: no element connects to node 0 (the reference node); connect the circuit ground to node 0',
    );

  // Floating nodes, top level and inside each subcircuit (where a pin counts as an outside connection).
  const floating: string[] = [];
  for (const [node, els] of Object.entries(connections)) {
    if (node !== '0' && els.length === 1) floating.push(`node '${node}' has a single connection (${els[0]})`);
  }
  for (const [name, def] of Object.entries(subcircuits)) {
    const inner: Record<string, string[]> = {};
    for (const e of elements)
      if (e.subckt?.toLowerCase() === name) for (const n of e.nodes) (inner[groundName(n)] ??= []).push(e.name);
    for (const [node, els] of Object.entries(inner)) {
      const isPin = def.pins.some((p) => p.toLowerCase() === node.toLowerCase());
      if (node !== '0' && !isPin && els.length === 1)
        floating.push(`node '${node}' in .subckt ${name} has a single connection (${els[0]})`);
    }
  }
  if (ctx.floatingNodes === 'error')
    problems.push(...floating.map((f) => `${f}; every node needs at least two connections`));
  else warnings.push(...floating);

  if (problems.length) return fail(problems);
  return ok({
    title,
    elements,
    connections,
    nodes: Object.keys(connections),
    models: [...models],
    subcircuits: Object.fromEntries(Object.entries(subcircuits).map(([k, v]) => [k, { pins: v.pins }])),
    warnings,
  });
}

function parseElement(
  t: string[],
  where: string,
  problems: string[],
  models: Set<string>,
  subcircuits: Record<string, { pins: string[] }>,
): SpiceElement | undefined {
  const name = t[0] ?? '';
  const type = (name[0] ?? '').toUpperCase();
  if (!/^[A-Za-z]\w*/.test(name)) {
    problems.push(
      `${where}: '${name}' is not an element card (cards start with a letter such as R, C, L, V, I, D, Q, M, X)`,
    );
    return undefined;
  }
  if (type === 'K') {
    // Mutual inductance couples two inductors; it has no nodes.
    if (t.length < 4) problems.push(`${where}: ${name}: expected "K<name> L1 L2 <coupling>"`);
    return { name, type, nodes: [], value: t[3], line: 0 };
  }
  // Positional tokens: no key=value pairs; parenthesised source functions stay whole.
  const pos = t.slice(1).filter((x) => !x.includes('='));
  let nodeCount: number;
  if (type === 'X') {
    // Last positional token is the subcircuit name (PARAMS: starts parameters).
    const paramsAt = pos.findIndex((p) => p.toLowerCase() === 'params:');
    const xs = paramsAt >= 0 ? pos.slice(0, paramsAt) : pos;
    if (xs.length < 2) {
      problems.push(`${where}: ${name}: expected "X<name> <nodes…> <subcircuit>"`);
      return undefined;
    }
    const sub = xs.at(-1)!;
    const nodes = xs.slice(0, -1);
    const def = subcircuits[sub.toLowerCase()];
    if (def && def.pins.length !== nodes.length)
      problems.push(
        `${where}: ${name} connects ${nodes.length} nodes but .subckt ${sub} has ${def.pins.length} pins (${def.pins.join(' ')})`,
      );
    return checkNodes({ name, type, nodes, model: sub, line: 0 }, where, problems);
  }
  if (type === 'Q') {
    // Collector, base, emitter, optional substrate, then the model.
    if (pos.length < 4) {
      problems.push(
        `${where}: ${name}: a BJT needs 3 nodes (collector base emitter) and a model, e.g. "Q1 c b e 2N3904"`,
      );
      return undefined;
    }
    nodeCount =
      models.has(pos[3]!.toLowerCase()) || pos.length === 4 || (pos.length >= 5 && NUMBER.test(pos[4]!)) ? 3 : 4;
  } else if (type in FIXED_NODES) nodeCount = FIXED_NODES[type]!;
  else {
    problems.push(
      `${where}: unknown element type '${type}' in ${name} (use R, C, L, V, I, D, Q, M, X, E, F, G, H, B, J, K, S, W, T)`,
    );
    return undefined;
  }
  const nodes = pos.slice(0, nodeCount);
  if (nodes.length < nodeCount) {
    problems.push(`${where}: ${name} needs ${nodeCount} nodes, got ${nodes.length} (${nodes.join(' ') || 'none'})`);
    return undefined;
  }
  const rest = pos.slice(nodeCount);
  const el: SpiceElement = { name, type, nodes, line: 0 };
  if (NEEDS_VALUE.has(type)) {
    const v = rest[0];
    if (v === undefined) {
      const last = nodes.at(-1)!;
      problems.push(
        NUMBER.test(last) && !/^\d+$/.test(last)
          ? `${where}: ${name} needs 2 nodes and a value; only '${nodes.join(' ')}' given, so '${last}' was read as a node`
          : `${where}: ${name} has no value (e.g. ${type === 'R' ? '10k' : type === 'C' ? '100n' : '1m'})`,
      );
    } else if (!NUMBER.test(v) && !EXPR.test(v))
      problems.push(
        `${where}: ${name} value '${v}' is not a SPICE number (digits with an optional suffix f p n u m k meg g t, e.g. 4.7k, 1.5meg, 100n)`,
      );
    else {
      el.value = v;
      // 'M' is milli in SPICE; "1M" for a resistor nearly always meant mega.
      if (type === 'R' && /^[\d.]+M$/.test(v))
        problems.push(
          `${where}: ${name} value '${v}' means milli-ohms in SPICE (M = milli); write '${v.slice(0, -1)}meg' for mega-ohms`,
        );
    }
  } else if (NEEDS_MODEL.has(type)) {
    const m = rest[0];
    if (m === undefined) problems.push(`${where}: ${name} needs a model name after its ${nodeCount} nodes`);
    else el.model = m;
  } else if (type === 'V' || type === 'I') {
    const v = sourceValue(rest);
    if (v.problem) problems.push(`${where}: ${name}: ${v.problem}`);
    el.value = v.value;
  } else if (type === 'F' || type === 'H') {
    if (rest.length < 2)
      problems.push(`${where}: ${name} needs a controlling voltage source and a gain, e.g. "${name} out 0 Vsense 10"`);
    el.value = rest.slice(0, 2).join(' ');
  } else if (type === 'E' || type === 'G') {
    if (rest.length < 1) problems.push(`${where}: ${name} needs a gain after its 4 nodes`);
    el.value = rest.join(' ') || undefined;
  } else if (rest.length) el.value = rest.join(' ');
  return checkNodes(el, where, problems);
}

function checkNodes(el: SpiceElement, where: string, problems: string[]): SpiceElement {
  for (const n of el.nodes) if (!NODE.test(n)) problems.push(`${where}: ${el.name}: '${n}' is not a valid node name`);
  return el;
}

/** V/I sources: [DC] value, AC mag [phase], and transient functions SIN(…) PULSE(…) PWL(…) EXP(…) SFFM(…). */
function sourceValue(rest: string[]): { value?: string; problem?: string } {
  if (rest.length === 0) return { problem: 'no value given (e.g. "DC 5" or "5")' };
  for (const tok of rest) {
    const fn = /^(sin|pulse|pwl|exp|sffm|am|trnoise|trrandom)\((.*)\)$/i.exec(tok);
    if (fn) {
      const args = fn[2]!.split(/[\s,]+/).filter(Boolean);
      const bad = args.find((a) => !NUMBER.test(a) && !EXPR.test(a));
      if (bad) return { problem: `'${bad}' in ${fn[1]}(…) is not a number` };
      continue;
    }
    if (/^(dc|ac)$/i.test(tok) || NUMBER.test(tok) || EXPR.test(tok)) continue;
    if (/\(/.test(tok))
      return { problem: `unknown source function '${tok.split('(')[0]}' (use SIN, PULSE, PWL, EXP or SFFM)` };
    return { problem: `'${tok}' is not a source value (write e.g. "DC 5", "AC 1", "SIN(0 1 1k)")` };
  }
  return { value: rest.join(' ') };
}

/** Ground aliases fold to "0" (ngspice accepts gnd). */
function groundName(n: string): string {
  return n === '0' || n.toLowerCase() === 'gnd' ? '0' : n;
}

function stripComment(line: string): string {
  if (/^\s*\*/.test(line)) return '';
  // Inline comments: ';' anywhere, or ' $ ' (ngspice).
  return line
    .replace(/;.*$/, '')
    .replace(/\s\$\s.*$/, '')
    .replace(/\s\$$/, '');
}

export function looksLikeCard(line: string): boolean {
  if (line.startsWith('.')) return true;
  const t = tokens(line);
  return /^[RCLVIDQMXEFGHBJKSWTZ]\w*$/i.test(t[0] ?? '') && t.length >= 3;
}

/** Whitespace/comma tokens, keeping "fn( … )" groups and {…} expressions together. */
function tokens(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line) {
    if (ch === '(' || ch === '{') depth++;
    if (ch === ')' || ch === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && (ch === ' ' || ch === '\t' || ch === ',')) {
      if (cur) out.push(cur);
      cur = '';
    } else if (depth > 0 && ch === ',') cur += ' ';
    else cur += ch;
  }
  if (cur) out.push(cur);
  // "SIN (0 1 1k)" → "SIN(0 1 1k)"
  for (let i = out.length - 1; i > 0; i--)
    if (out[i]!.startsWith('(') && /^[a-z]+$/i.test(out[i - 1]!)) out.splice(i - 1, 2, out[i - 1]! + out[i]!);
  return out.map((x) => x.replace(/\s+/g, ' '));
}
