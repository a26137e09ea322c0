/** Shared helpers: exact numbers, multiple choice, traces, SVG primitives. */
import { at } from '../../core/must.ts';
import type { Rng } from './rng.ts';

// ---------- exact arithmetic ----------

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** Small exact rational; circuit and geometry values stay far below 2^53. */
export class Frac {
  readonly n: number;
  readonly d: number;
  constructor(n: number, d = 1) {
    if (d === 0) throw new Error('zero denominator');
    const g = gcd(n, d);
    const s = d < 0 ? -1 : 1;
    this.n = (s * n) / g;
    this.d = (s * d) / g;
  }
  static of(x: number | Frac): Frac {
    return x instanceof Frac ? x : new Frac(x);
  }
  add(o: number | Frac): Frac {
    const b = Frac.of(o);
    return new Frac(this.n * b.d + b.n * this.d, this.d * b.d);
  }
  sub(o: number | Frac): Frac {
    const b = Frac.of(o);
    return new Frac(this.n * b.d - b.n * this.d, this.d * b.d);
  }
  mul(o: number | Frac): Frac {
    const b = Frac.of(o);
    return new Frac(this.n * b.n, this.d * b.d);
  }
  div(o: number | Frac): Frac {
    const b = Frac.of(o);
    return new Frac(this.n * b.d, this.d * b.n);
  }
  inv(): Frac {
    return new Frac(this.d, this.n);
  }
  value(): number {
    return this.n / this.d;
  }
  eq(o: number | Frac): boolean {
    const b = Frac.of(o);
    return this.n === b.n && this.d === b.d;
  }
  /** True when the value is written exactly with at most 2 decimals (denominator divides 100). */
  nice(): boolean {
    return 100 % this.d === 0;
  }
  /** Decimal when exact with ≤ 2 decimals, else simplified "a/b". */
  toString(): string {
    return this.nice() ? fmt(this.value()) : `${this.n}/${this.d}`;
  }
}

/** A number with at most 2 decimals, trailing zeros stripped, never "-0". */
export function fmt(x: number): string {
  const r = Math.round(x * 100) / 100;
  if (Math.abs(r - x) > 1e-9) throw new Error(`not a 2-decimal number: ${x}`);
  const s = r.toFixed(2).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

// ---------- multiple choice ----------

export const LETTERS = ['A', 'B', 'C', 'D'] as const;

export interface Mc {
  choices: string[];
  letter: string;
  correct: string;
}

/** Four options, exactly one correct; distractors deduplicated against the answer and each other. */
export function makeMc(rng: Rng, correct: string, distractors: readonly string[]): Mc {
  const seen = new Set([correct]);
  const ds: string[] = [];
  for (const d of distractors) {
    if (!seen.has(d)) {
      seen.add(d);
      ds.push(d);
    }
  }
  if (ds.length < 3) throw new Error(`need 3 distinct distractors for "${correct}", got ${ds.length}`);
  const choices = rng.shuffle([correct, ...ds.slice(0, 3)]);
  return { choices, letter: at(LETTERS, choices.indexOf(correct), 'choice letter'), correct };
}

/** Question stem followed by lettered options, so the question stands alone. */
export function withChoices(stem: string, choices: readonly string[]): string {
  return `${stem}\nChoices:\n${choices.map((c, i) => `${LETTERS[i]}. ${c}`).join('\n')}`;
}

// ---------- traces ----------

/** `<think>…</think>\n<answer>…\boxed{…}…</answer>`, the shape the verifier's format reward expects. */
export function makeTrace(think: readonly string[], conclusion: string, boxed: string): string {
  return `<think>\n${think.join('\n')}\n</think>\n<answer>\n${conclusion} The answer is \\boxed{${boxed}}.\n</answer>`;
}

/** The first two elements of a pair drawn with `rng.sample(xs, 2)`. */
export function pair<T>(xs: readonly T[]): [T, T] {
  return [at(xs, 0, 'pair'), at(xs, 1, 'pair')];
}

/** "a, b and c" */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// ---------- SVG ----------

export const FONT = 'DejaVu Sans';
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface TextOpts {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  fill?: string;
  rotate?: number;
  baseline?: 'middle' | 'auto';
}

export function text(x: number, y: number, s: string, o: TextOpts = {}): string {
  const size = o.size ?? 14;
  const attrs = [
    `x="${r1(x)}"`,
    `y="${r1(y)}"`,
    `font-family="${FONT}"`,
    `font-size="${size}"`,
    `text-anchor="${o.anchor ?? 'start'}"`,
    `fill="${o.fill ?? '#222'}"`,
  ];
  if (o.weight === 'bold') attrs.push('font-weight="bold"');
  if (o.baseline === 'middle') attrs.push('dominant-baseline="central"');
  if (o.rotate) attrs.push(`transform="rotate(${o.rotate} ${r1(x)} ${r1(y)})"`);
  return `<text ${attrs.join(' ')}>${esc(s)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke = '#222', width = 2, extra = ''): string {
  return `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="${stroke}" stroke-width="${width}"${extra ? ' ' + extra : ''}/>`;
}

export function r1(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Whole document: white background and a bold title centred at the top. */
export function svgDoc(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 40, title, { size: 24, anchor: 'middle', weight: 'bold', fill: '#111' }),
    ...body,
    '</svg>',
  ].join('\n');
}

/** A tick step of 1, 2, 2.5 or 5 × 10^k giving about `target` intervals up to `max`. */
export function niceStep(max: number, target = 6): number {
  const raw = max / target;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
