// The simulated answer to a circuit question: where a question asks a node voltage, a voltage across or current
// through an element, a source's current or power, or the equivalent resistance a source sees, the operating point
// from spice-sim.ts answers it, and the trace's final answer can be compared with the simulator's.
import type { SpiceElement } from './spice.ts';
import type { OpPoint } from './spice-sim.ts';

export interface SimulatedQuantity {
  /** What was asked, e.g. "voltage across R2", "current through V1". */
  quantity: string;
  unit: 'V' | 'A' | 'W' | 'Ω';
  value: number;
}

const SI: Record<string, number> = {
  t: 1e12,
  g: 1e9,
  meg: 1e6,
  k: 1e3,
  mil: 25.4e-6,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
  p: 1e-12,
  f: 1e-15,
  a: 1e-18,
};

/** A SPICE number (4.7k, 1meg, 100n, 10uF) in base units, or null. */
export function spiceNumber(text: string | undefined): number | null {
  const m = (text ?? '').trim().match(/^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpfa])?[a-z]*$/i);
  if (!m) return null;
  return Number(m[1]) * (m[2] ? SI[m[2].toLowerCase()]! : 1);
}

const ground = (n: string) => (/^(0|gnd)$/i.test(n) ? '0' : n.toLowerCase());

function nodeVoltage(op: OpPoint, node: string): number | null {
  const v = op.nodes[ground(node)];
  return v === undefined ? null : v;
}

function across(op: OpPoint, el: SpiceElement): number | null {
  const a = nodeVoltage(op, el.nodes[0]!);
  const b = nodeVoltage(op, el.nodes[1]!);
  return a === null || b === null ? null : a - b;
}

/** Current through a two-terminal element: resistors by Ohm's law, voltage sources from their branch. */
function through(op: OpPoint, el: SpiceElement): number | null {
  if (el.type === 'V') return op.branches[el.name.toLowerCase()] ?? null;
  if (el.type === 'R') {
    const v = across(op, el);
    const r = spiceNumber(el.value);
    return v === null || !r ? null : v / r;
  }
  return null;
}

function findElement(elements: SpiceElement[], name: string): SpiceElement | undefined {
  return elements.find((e) => !e.subckt && e.name.toLowerCase() === name.toLowerCase());
}

/** The source a question means: the one it names, else the only (first) voltage source. */
function sourceOf(question: string, elements: SpiceElement[]): SpiceElement | undefined {
  const named = question
    .match(/\b(V\w*)\b/g)
    ?.map((n) => findElement(elements, n))
    .find((e) => e?.type === 'V');
  return named ?? elements.find((e) => !e.subckt && e.type === 'V');
}

/**
 * The quantity a question asks, computed from the operating point, or null when the question asks something the
 * operating point does not answer (or names an element the netlist lacks). Magnitudes: questions say "voltage
 * across" and "current through" without a reference direction.
 */
export function simulatedAnswer(question: string, elements: SpiceElement[], op: OpPoint): SimulatedQuantity | null {
  const q = question.replace(/\s+/g, ' ');
  const abs = (quantity: string, unit: SimulatedQuantity['unit'], v: number | null) =>
    v === null || !Number.isFinite(v) ? null : { quantity, unit, value: Math.abs(v) };
  let m = q.match(/\bvoltage (?:across|over|drop (?:across|over)|on) ([A-Za-z]\w*)/i);
  if (m) {
    const el = findElement(elements, m[1]!);
    return el && el.nodes.length >= 2 ? abs(`voltage across ${el.name}`, 'V', across(op, el)) : null;
  }
  m = q.match(/\bvoltage (?:at|of) (?:the )?node ([^\s,?]+)|\bV\(([^)\s,]+)\)/i);
  if (m) {
    const node = (m[1] ?? m[2])!;
    const v = nodeVoltage(op, node);
    return v === null ? null : { quantity: `voltage at node ${node}`, unit: 'V', value: v };
  }
  m = q.match(/\bpower\b[^?]*?\b(?:dissipated|consumed|absorbed) (?:by|in) ([A-Za-z]\w*)/i);
  if (m) {
    const el = findElement(elements, m[1]!);
    if (!el) return null;
    const v = across(op, el);
    const i = through(op, el);
    return abs(`power in ${el.name}`, 'W', v === null || i === null ? null : v * i);
  }
  m = q.match(/\bcurrent (?:through|in|flowing through) ([A-Za-z]\w*)/i);
  if (m) {
    const el = findElement(elements, m[1]!);
    return el ? abs(`current through ${el.name}`, 'A', through(op, el)) : null;
  }
  const src = sourceOf(q, elements);
  if (!src) return null;
  const i = op.branches[src.name.toLowerCase()];
  const v = across(op, src);
  if (i === undefined || v === null) return null;
  if (/\bpower\b/i.test(q)) return abs(`power delivered by ${src.name}`, 'W', v * i);
  if (/\b(total current|current (?:supplied|delivered|drawn|provided)|source current)\b/i.test(q))
    return abs(`current through ${src.name}`, 'A', i);
  if (/\bequivalent resistance\b|\btotal resistance\b/i.test(q))
    return i === 0 ? null : abs(`resistance seen by ${src.name}`, 'Ω', v / i);
  return null;
}

/** A number in an answer text: "1.5", "3/2", "1.5 A", "-2 V", "\frac{3}{2}"; null when there is none. */
export function answerNumber(text: string): number | null {
  const t = text
    .replace(/\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}/g, '$1/$2')
    .replace(/[{}$\\]/g, ' ')
    .trim();
  const m = t.match(
    /([+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\s*\/\s*(\d+(?:\.\d+)?))?\s*(k|m|µ|u)?(?:Ω|ohms?|V|A|W|volts?|amps?|amperes?|watts?)?/i,
  );
  if (!m) return null;
  let v = Number(m[1]);
  if (m[2]) v /= Number(m[2]);
  const scale: Record<string, number> = { k: 1e3, m: 1e-3, µ: 1e-6, u: 1e-6 };
  if (m[3] && /(Ω|ohm|V|A|W|volt|amp|watt)/i.test(t.slice(t.indexOf(m[0]) + m[1]!.length))) v *= scale[m[3]] ?? 1;
  return Number.isFinite(v) ? v : null;
}

/** Whether two values agree within answer rounding (0.5 % relative, or 0.006 absolute for 2-decimal answers). */
export function valuesAgree(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(0.006, 0.005 * Math.max(Math.abs(a), Math.abs(b)));
}

/** The numeric value a final answer stands for: an option letter is read through its option text. */
export function finalAnswerValue(finalAnswer: string, choices?: string[]): number | null {
  const letter = finalAnswer.trim().match(/^\(?([A-Z])\)?\.?$/);
  if (letter && choices?.length) {
    const k = letter[1]!.charCodeAt(0) - 65;
    return k >= 0 && k < choices.length ? answerNumber(choices[k]!) : null;
  }
  return answerNumber(finalAnswer);
}
