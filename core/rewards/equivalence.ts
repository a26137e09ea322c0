// Answer equivalence: structure (sets, tuples, intervals, matrices, equations, inequalities) first,
// then numbers and expressions through expr.ts, then case/space-insensitive text. Decisions are
// documented in core/rewards/README.md; the short version: math-verify-like. Comparison is oriented
// (prediction, gold) only where math-verify's is: an equation gold and a bare value prediction.
import { collectVars, evaluate, hasPercent, KNOWN_WORDS, parseExpr, stripPercent, type Node } from './expr.ts';
import { at } from '../must.ts';
import { normalizeAnswer, stripUnit, textKey } from './latex.ts';

/** Answers longer than this are compared as text only: bounded time per pair. */
export const MAX_ANSWER_CHARS = 1000;
const MAX_NEST = 6;
const MAX_ITEMS = 64;

type Ans =
  | { t: 'expr'; n: Node; src: string }
  // open/close: '(' '[' '{' with their closers; '' for a bare list "1, 2"; 'U' for a union of
  // intervals; 'M' for a matrix (rows are 'M' sequences too); ':' for a ratio.
  | { t: 'seq'; open: string; close: string; items: Ans[]; src: string }
  // op: '=' '<' '<=' '>' '>=' '!='; a chain "x = 1 + 1 = 2" keeps its first and last sides.
  | { t: 'rel'; op: string; lhs: Ans; rhs: Ans; src: string }
  // "lo < x < hi" (ops '<' or '<='), the bounded inequality that is an interval.
  | { t: 'range'; lo: Ans; loOp: string; mid: Ans; hiOp: string; hi: Ans; src: string }
  // An ambiguous answer ("1,5": one and a half, or the list 1, 5): equal when any reading is.
  | { t: 'alt'; items: Ans[]; src: string }
  | { t: 'text'; src: string };

// ---------- top-level scanning ----------

function isOpen(c: string): boolean {
  return c === '(' || c === '[' || c === '{';
}
function isClose(c: string): boolean {
  return c === ')' || c === ']' || c === '}';
}

/** Splits at depth-0 occurrences of any of `seps`. Brackets are counted, not typed, so "[1,2)" balances. */
function splitTop(s: string, seps: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') {
      i++;
      if (s[i] === '{') depth++;
      else if (s[i] === '}') depth--;
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
    else if (depth === 0 && seps.includes(c)) {
      out.push(s.slice(last, i));
      last = i + 1;
    }
  }
  out.push(s.slice(last));
  return out;
}

function splitTopWord(s: string, word: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') {
      if (depth === 0 && s.startsWith(word, i) && !/[a-zA-Z]/.test(s[i + word.length] ?? '')) {
        out.push(s.slice(last, i));
        last = i + word.length;
        i += word.length - 1;
        continue;
      }
      i++;
      if (s[i] === '{') depth++;
      else if (s[i] === '}') depth--;
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
  }
  out.push(s.slice(last));
  return out;
}

/** The outer bracket pair when it encloses the whole string: "(1,2)", "[1,2)", "\{1,2\}", "{1,2}". */
function outerBrackets(s: string): { open: string; close: string; inner: string } | null {
  let openLen: number;
  let open: string;
  if (s.startsWith('\\{')) {
    open = '{';
    openLen = 2;
  } else if (s[0] === '(' || s[0] === '[' || s[0] === '{') {
    open = s[0] === '{' ? '{{' : s[0];
    openLen = 1;
  } else return null;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') {
      i++;
      if (s[i] === '{') depth++;
      else if (s[i] === '}') {
        depth--;
        if (depth === 0)
          return i === s.length - 1 && open === '{' ? { open, close: '}', inner: s.slice(openLen, i - 1) } : null;
      }
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) {
      depth--;
      if (depth === 0) {
        if (i !== s.length - 1 || open === '{') return null;
        // A bare "{1, 2}" is a set as well (math-verify reads it so); "{5}" is only grouping.
        if (open === '{{') return c === '}' ? { open: '{', close: '}', inner: s.slice(1, i) } : null;
        return { open, close: c, inner: s.slice(openLen, i) };
      }
    }
  }
  return null;
}

const REL_TOKENS: Array<[string, string]> = [
  ['\\leqslant', '<='],
  ['\\geqslant', '>='],
  ['\\leq', '<='],
  ['\\le', '<='],
  ['\\geq', '>='],
  ['\\ge', '>='],
  ['\\neq', '!='],
  ['\\ne', '!='],
  ['\\lt', '<'],
  ['\\gt', '>'],
  ['\\approx', '~'],
  ['\\in', 'in'],
  ['<=', '<='],
  ['>=', '>='],
  ['!=', '!='],
  ['=', '='],
  ['<', '<'],
  ['>', '>'],
];

/** Every depth-0 relation symbol, in order. */
function findRelations(s: string): Array<{ op: string; at: number; len: number }> {
  let depth = 0;
  const found: Array<{ op: string; at: number; len: number }> = [];
  for (let i = 0; i < s.length && found.length < 16; i++) {
    const c = s.charAt(i);
    if (depth === 0 && (c === '\\' || c === '<' || c === '>' || c === '=' || c === '!')) {
      let matched = false;
      for (const [tok, op] of REL_TOKENS) {
        if (s.startsWith(tok, i) && !(tok[0] === '\\' && /[a-zA-Z]/.test(s[i + tok.length] ?? ''))) {
          found.push({ op, at: i, len: tok.length });
          i += tok.length - 1;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    if (c === '\\') {
      i++;
      if (s[i] === '{') depth++;
      else if (s[i] === '}') depth--;
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
  }
  return found;
}

// ---------- parsing an answer ----------

/** True when the answer reads as words rather than math ("yes", "isosceles triangle"). */
function looksLikeText(s: string): boolean {
  // Subscripts are names, not words: S_{MBCN}.
  const bare = s.replace(/_\{[^{}]*\}/g, ' ').replace(/\\[a-zA-Z]+/g, ' ');
  const runs = bare.match(/[a-zA-Z]{3,}/g);
  if (!runs) return false;
  return runs.some((r) => ![...KNOWN_WORDS].some((w) => r.startsWith(w)));
}

function parseScalar(s: string): Ans {
  const unitless = stripUnit(s);
  if (unitless !== null) {
    const n = parseExpr(unitless);
    if (n && collectVars(n, new Set()).size === 0) return { t: 'expr', n, src: s };
  }
  if (looksLikeText(s)) return { t: 'text', src: s };
  const n = parseExpr(s);
  return n ? { t: 'expr', n, src: s } : { t: 'text', src: s };
}

// Thousands groups: "1,234", "12,345.6" (a leading "0," is a decimal comma, never thousands).
const THOUSANDS_RE = /^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$/;
// "1000,99", "0,111", "1,5": a decimal comma, or a list of two numbers.
const DECIMAL_COMMA_RE = /^[+-]?\d+,\d+$/;
const NUMBER_WITH_UNIT_RE = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?\s*\S/;

function seqOf(open: string, close: string, parts: string[], src: string, depth: number): Ans {
  if (parts.length > MAX_ITEMS) return { t: 'text', src };
  return { t: 'seq', open, close, items: parts.map((p) => parseAns(p, depth + 1)), src };
}

/** "\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}" (also bmatrix, vmatrix, array) as rows of cells; null when s is not one matrix. */
function matrixRows(s: string): string[][] | null {
  const m =
    /^[[(]?\s*\\begin\{([a-zA-Z]*matrix|array)\}(?:\{[^{}]*\})?((?:(?!\\end\{)[\s\S])*)\\end\{\1\}\s*[\])]?$/.exec(s);
  if (!m) return null;
  const [, , body = ''] = m;
  const rows = body
    .split(/\\\\/)
    .map((r) => r.trim())
    .filter((r) => r !== '' && !/^\\hline$/.test(r));
  if (rows.length === 0 || rows.length > MAX_ITEMS) return null;
  return rows.map((r) => r.split('&').map((c) => c.trim()));
}

const MATRIX_RE = /\\begin\{([a-zA-Z]*matrix|array)\}(?:\{[^{}]*\})?[\s\S]*?\\end\{\1\}/g;

/** "A + B", "A - B", "A B" / "A \\cdot B" of two constant matrices, computed; null otherwise. */
function matrixArithmetic(s: string): string[][] | null {
  const ms = [...s.matchAll(MATRIX_RE)];
  const [m1, m2] = ms;
  if (ms.length !== 2 || !m1 || !m2) return null;
  const before = s.slice(0, m1.index).trim();
  const op = s.slice((m1.index ?? 0) + m1[0].length, m2.index).trim();
  const after = s.slice((m2.index ?? 0) + m2[0].length).trim();
  if (before !== '' || after !== '' || !/^(?:\+|-|\\cdot|\\times|\*|)$/.test(op)) return null;
  const num = (rows: string[][] | null): number[][] | null => {
    if (!rows) return null;
    const out = rows.map((r) =>
      r.map((c) => {
        const n = parseExpr(c);
        return n && collectVars(n, new Set()).size === 0 ? evaluate(n, {}) : NaN;
      }),
    );
    return out.every((r) => r.length === out[0]?.length && r.every(Number.isFinite)) ? out : null;
  };
  const a = num(matrixRows(m1[0]));
  const b = num(matrixRows(m2[0]));
  // matrixRows never returns an empty matrix, and num keeps every row as long as the first.
  const [a0, b0] = [a?.[0], b?.[0]];
  if (!a || !b || !a0 || !b0) return null;
  const bAt = (i: number, j: number): number => at(at(b, i, 'matrix row'), j, 'matrix cell');
  let c: number[][];
  if (op === '+' || op === '-') {
    if (a.length !== b.length || a0.length !== b0.length) return null;
    c = a.map((r, i) => r.map((x, j) => (op === '+' ? x + bAt(i, j) : x - bAt(i, j))));
  } else {
    if (a0.length !== b.length) return null;
    c = a.map((r) => b0.map((_, j) => r.reduce((acc, x, k) => acc + x * bAt(k, j), 0)));
  }
  return c.map((r) => r.map((x) => String(x)));
}

// "and" / "or" between answers ("6 and 8", "(11,7)or(7,11)") separate list items like commas.
const CONNECTIVE_RE = /(?:^|(?<=[\s)\]}]))(?:and|or)(?=[\s([{]|$)/g;

function parseAns(raw: string, depth: number): Ans {
  const s = raw.trim();
  if (depth > MAX_NEST || s === '') return { t: 'text', src: s };

  // A number with a unit or currency ("1,000.99€", "5 cm") is that number.
  if (NUMBER_WITH_UNIT_RE.test(s)) {
    const u = stripUnit(s);
    if (u !== null && (THOUSANDS_RE.test(u) || /^[+-]?\d+(?:\.\d+)?%?$/.test(u)))
      return parseScalar(u.replace(/,/g, ''));
  }

  const union = splitTopWord(s, '\\cup');
  if (union.length > 1 && union.length <= MAX_ITEMS) return seqOf('U', 'U', union, s, depth);

  // ";" separates answers at a higher level than ",": "p=5,q=2; p=7,q=2".
  const groups = splitTop(s, ';');
  if (groups.length > 1)
    return seqOf(
      '',
      '',
      groups.filter((g) => g.trim() !== ''),
      s,
      depth,
    );

  if (THOUSANDS_RE.test(s)) return parseScalar(s.replace(/,/g, ''));
  if (DECIMAL_COMMA_RE.test(s)) {
    const [a = '', b = ''] = s.split(',');
    return { t: 'alt', items: [parseScalar(`${a}.${b}`), seqOf('', '', [a, b], s, depth)], src: s };
  }

  let listSrc = s;
  if (/(?:and|or)/.test(s) && !looksLikeText(s.replace(CONNECTIVE_RE, ' '))) listSrc = s.replace(CONNECTIVE_RE, ',');
  const parts = splitTop(listSrc, ',');
  if (parts.length > 1) {
    const items = parts.filter((p) => p.trim() !== '');
    return items.length === 1 ? parseAns(at(items, 0), depth + 1) : seqOf('', '', items, s, depth);
  }

  const rows = matrixRows(s) ?? matrixArithmetic(s);
  if (rows)
    return { t: 'seq', open: 'M', close: 'M', items: rows.map((r) => seqOf('M', 'M', r, s, depth + 1)), src: s };

  const outer = outerBrackets(s);
  if (outer) {
    const inner = splitTop(outer.inner, ',;');
    if (outer.open === '{' || inner.length > 1) {
      if (inner.length > MAX_ITEMS) return { t: 'text', src: s };
      const items = inner.length === 1 && inner[0]?.trim() === '' ? [] : inner.map((p) => parseAns(p, depth + 1));
      return { t: 'seq', open: outer.open, close: outer.close, items, src: s };
    }
    if (outer.open === '(' && outer.close === ')') return parseAns(outer.inner, depth + 1);
  }

  const rels = findRelations(s);
  if (rels.length > 0) {
    const r = parseRelation(s, rels, depth);
    if (r) return r;
  }

  // "\pm 2" is the pair {2, -2}.
  const pm = s.indexOf('\\pm');
  if (pm >= 0 && !/[a-zA-Z]/.test(s[pm + 3] ?? '')) {
    const a = s.slice(0, pm) + '+' + s.slice(pm + 3);
    const b = s.slice(0, pm) + '-' + s.slice(pm + 3);
    return { t: 'seq', open: '', close: '', items: [parseAns(a, depth + 1), parseAns(b, depth + 1)], src: s };
  }

  // A ratio "2:3" (ordered).
  const ratio = splitTop(s, ':');
  if (ratio.length > 1 && ratio.every((p) => p.trim() !== '')) return seqOf(':', ':', ratio, s, depth);
  return parseScalar(s);
}

/**
 * A relation or a chain of them. "x = 5+5+1 = 11" keeps its first and last sides; a trailing
 * "≈ 1.3" after an exact value is dropped; "a < x ≤ b" is a range; "x ∈ S" is S.
 */
function parseRelation(s: string, rels: Array<{ op: string; at: number; len: number }>, depth: number): Ans | null {
  const sides: string[] = [];
  let last = 0;
  for (const r of rels) {
    sides.push(s.slice(last, r.at).trim());
    last = r.at + r.len;
  }
  sides.push(s.slice(last).trim());
  let ops = rels.map((r) => r.op);
  // "x = 1/3 ≈ 0.33": the approximation after an exact value adds nothing.
  const approx = ops.indexOf('~');
  if (approx > 0) {
    ops = ops.slice(0, approx);
    sides.length = approx + 1;
  }
  ops = ops.map((o) => (o === '~' ? '=' : o));
  if (sides[0] === '') {
    sides.shift();
    ops.shift();
  }
  if (ops.length === 0) return parseAns(sides[0] ?? '', depth + 1);
  if (sides.some((x) => x === '')) return null;
  // One more side than relation symbols, always.
  const side = (i: number): Ans => parseAns(at(sides, i, 'relation side'), depth + 1);
  const op = (i: number): string => at(ops, i, 'relation');
  if (ops.length === 1 && op(0) === 'in') return side(1);
  if (ops.every((o) => o === '=')) {
    const parsed = sides.map((x) => parseAns(x, depth + 1));
    // "1 = \\zzz = x = 0": the first name in the chain is what it assigns.
    const name = parsed.slice(0, -1).find(isName) ?? at(parsed, 0);
    return { t: 'rel', op: '=', lhs: name, rhs: at(parsed, parsed.length - 1), src: s };
  }
  if (ops.length === 1) return { t: 'rel', op: op(0), lhs: side(0), rhs: side(1), src: s };
  if (ops.length === 2) {
    const up = ops.every((o) => o === '<' || o === '<=');
    const down = ops.every((o) => o === '>' || o === '>=');
    if (up) return { t: 'range', lo: side(0), loOp: op(0), mid: side(1), hiOp: op(1), hi: side(2), src: s };
    if (down)
      return {
        t: 'range',
        lo: side(2),
        loOp: op(1) === '>' ? '<' : '<=',
        mid: side(1),
        hiOp: op(0) === '>' ? '<' : '<=',
        hi: side(0),
        src: s,
      };
  }
  return null;
}

const cache = new Map<string, Ans>();

/** Forgets remembered parses (benchmarks measure cold parsing with it). */
export function clearAnswerCache(): void {
  cache.clear();
}

// A few parsed golds repeat across the G completions of one GRPO group: remember them.
export function parseAnswer(s: string): Ans {
  let a = cache.get(s);
  if (a) return a;
  a = parseAns(normalizeAnswer(s), 0);
  if (cache.size >= 2000) cache.clear();
  cache.set(s, a);
  return a;
}

// ---------- comparing ----------

/**
 * Constants: exact for integers; otherwise equal when rounding both to 6 decimals agrees
 * (math-verify's float_rounding=6: 1/3 = 0.333333 but 3.14 ≠ 3.14159) or within 1e-9 relative
 * (floating-point noise, large magnitudes).
 */
export function numbersEqual(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 53 && Math.abs(b) < 2 ** 53) return false;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  if (Math.abs(a - b) <= 1e-9 * scale) return true;
  return scale < 1e9 && Math.round(a * 1e6) === Math.round(b * 1e6);
}

// Fixed evaluation points in [0.5, 3): positive so sqrt/log stay real, non-integers to avoid lucky coincidences.
const POINTS: number[][] = (() => {
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  return Array.from({ length: 6 }, () => Array.from({ length: 16 }, () => 0.5 + 2.5 * next()));
})();

function envsFor(a: Node, b: Node): Array<Record<string, number>> | null {
  const vars = collectVars(b, collectVars(a, new Set()));
  if (vars.size > 16) return null;
  const names = [...vars].sort();
  return POINTS.map((pt) => {
    const env: Record<string, number> = {};
    names.forEach((n, i) => {
      env[n] = at(pt, i, 'evaluation point');
    });
    return env;
  });
}

function exprEqualPlain(a: Node, b: Node): boolean {
  const vars = collectVars(b, collectVars(a, new Set()));
  if (vars.size === 0) return numbersEqual(evaluate(a, {}), evaluate(b, {}));
  const envs = envsFor(a, b);
  if (!envs) return false;
  let valid = 0;
  for (const env of envs) {
    const va = evaluate(a, env);
    const vb = evaluate(b, env);
    if (Number.isNaN(va) && Number.isNaN(vb)) continue;
    if (va === vb) {
      valid++;
      continue;
    }
    if (!Number.isFinite(va) || !Number.isFinite(vb)) return false;
    if (Math.abs(va - vb) > 1e-8 * Math.max(1, Math.abs(va), Math.abs(vb))) return false;
    valid++;
  }
  return valid >= 2;
}

/**
 * Whether a = k·b for one constant k ≠ 0 (k > 0 when `positive`) at every sample point: the same
 * equation rearranged or scaled ("2x+4y-3=0" and "y = -x/2 + 3/4"), or the same inequality.
 */
function proportional(a: Node, b: Node, positive: boolean): boolean {
  const envs = envsFor(a, b);
  if (!envs || collectVars(b, collectVars(a, new Set())).size === 0) return false;
  let k: number | null = null;
  let valid = 0;
  for (const env of envs) {
    const va = evaluate(a, env);
    const vb = evaluate(b, env);
    if (!Number.isFinite(va) || !Number.isFinite(vb)) continue;
    if (Math.abs(va) < 1e-12 && Math.abs(vb) < 1e-12) continue;
    if (Math.abs(vb) < 1e-12 || Math.abs(va) < 1e-12) return false;
    const r = va / vb;
    if (k === null) k = r;
    else if (Math.abs(r - k) > 1e-8 * Math.max(1, Math.abs(k))) return false;
    valid++;
  }
  return k !== null && valid >= 2 && (!positive || k > 0);
}

/** Percent answers match both readings: "50%" equals 0.5 and 50 (as math-verify does). */
function exprEqual(a: Node, b: Node): boolean {
  if (exprEqualPlain(a, b)) return true;
  if (hasPercent(a) || hasPercent(b)) return exprEqualPlain(stripPercent(a), stripPercent(b));
  return false;
}

const MIRROR: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '!=': '!=' };

function isSetLike(open: string): boolean {
  return open === '{' || open === '' || open === 'U';
}

function seqEqual(a: Extract<Ans, { t: 'seq' }>, b: Extract<Ans, { t: 'seq' }>, depth: number): boolean {
  const ordered = !(isSetLike(a.open) && isSetLike(b.open));
  if (ordered) {
    if (a.items.length !== b.items.length) return false;
    // A bare "1, 2" may stand for a tuple; two bracketed forms must use the same brackets ([1,2) ≠ [1,2]).
    if (a.open !== '' && b.open !== '' && (a.open !== b.open || a.close !== b.close)) return false;
    if ((a.open === 'U') !== (b.open === 'U') || (a.open === 'M') !== (b.open === 'M')) return false;
    return a.items.every((x, i) => ansEqual(x, at(b.items, i), depth + 1));
  }
  // Sets: duplicates do not count ({1, 1, 2} = {2, 1}).
  if (a.items.length === 0 || b.items.length === 0) return a.items.length === b.items.length;
  return (
    a.items.every((x) => b.items.some((y) => ansEqual(x, y, depth + 1))) &&
    b.items.every((y) => a.items.some((x) => ansEqual(x, y, depth + 1)))
  );
}

function ansEqual(a: Ans, b: Ans, depth: number): boolean {
  if (depth > MAX_NEST * 2) return false;
  if (structEqual(a, b, depth)) return true;
  return textKey(a.src) === textKey(b.src);
}

/**
 * A name: variables joined by products, quotients or a ratio, under |…|, or a tuple of names ("x", "AB", "f(x)", "|AB|", "(p, q)",
 * "\frac{NO}{BO}", "A:B"). An equation whose left side is a name assigns its right side; "x + y = 10"
 * or "2x + z = 1" assigns nothing (math-verify accepts any number-free left side, so "x + y = 10" ↔ 10).
 */
function isName(a: Ans): boolean {
  if (a.t === 'seq')
    return (a.open === ':' || a.open === '(' || a.open === '') && a.items.length > 0 && a.items.every(isName);
  if (a.t !== 'expr') return false;
  const name = (n: Node): boolean => {
    switch (n.k) {
      case 'var':
        return true;
      case 'bin':
        return (n.op === '*' || n.op === '/') && name(n.a) && name(n.b);
      case 'fn':
        return n.name === 'abs' && name(n.a);
      default:
        return false;
    }
  };
  return name(a.n);
}

function constant(a: Ans): Node | null {
  return a.t === 'expr' && collectVars(a.n, new Set()).size === 0 ? a.n : null;
}

const NEG_INF: Ans = { t: 'expr', n: { k: 'num', v: -Infinity }, src: '-\\infty' };
const POS_INF: Ans = { t: 'expr', n: { k: 'num', v: Infinity }, src: '\\infty' };

/** An inequality in one variable as its solution set: "x > 5" is (5, ∞), "x ≠ 3" is (−∞,3) ∪ (3,∞); null when not of that shape. */
function relationAsSet(a: Ans): Ans | null {
  if (a.t === 'range') {
    if (!isName(a.mid) || !constant(a.lo) || !constant(a.hi)) return null;
    return {
      t: 'seq',
      open: a.loOp === '<' ? '(' : '[',
      close: a.hiOp === '<' ? ')' : ']',
      items: [a.lo, a.hi],
      src: a.src,
    };
  }
  if (a.t !== 'rel' || a.op === '=') return null;
  let op = a.op;
  let bound = a.rhs;
  if (!isName(a.lhs) || !constant(a.rhs)) {
    const mirrored = MIRROR[op];
    if (!isName(a.rhs) || !constant(a.lhs) || mirrored === undefined) return null;
    op = mirrored;
    bound = a.lhs;
  }
  const open = (lo: Ans, hi: Ans, l: string, r: string): Ans => ({
    t: 'seq',
    open: l,
    close: r,
    items: [lo, hi],
    src: a.src,
  });
  switch (op) {
    case '>':
      return open(bound, POS_INF, '(', ')');
    case '>=':
      return open(bound, POS_INF, '[', ')');
    case '<':
      return open(NEG_INF, bound, '(', ')');
    case '<=':
      return open(NEG_INF, bound, '(', ']');
    case '!=':
      return {
        t: 'seq',
        open: 'U',
        close: 'U',
        items: [open(NEG_INF, bound, '(', ')'), open(bound, POS_INF, '(', ')')],
        src: a.src,
      };
  }
  return null;
}

/** An inequality as "d > 0" / "d ≥ 0" / "d ≠ 0" with d = one side minus the other. */
function oriented(r: Extract<Ans, { t: 'rel' }>): { op: string; d: Node } | null {
  if (r.lhs.t !== 'expr' || r.rhs.t !== 'expr') return null;
  const minus = (x: Node, y: Node): Node => ({ k: 'bin', op: '-', a: x, b: y });
  switch (r.op) {
    case '>':
    case '>=':
      return { op: r.op, d: minus(r.lhs.n, r.rhs.n) };
    case '<':
      return { op: '>', d: minus(r.rhs.n, r.lhs.n) };
    case '<=':
      return { op: '>=', d: minus(r.rhs.n, r.lhs.n) };
    case '!=':
    case '=':
      return { op: r.op, d: minus(r.lhs.n, r.rhs.n) };
  }
  return null;
}

function relEqual(a: Extract<Ans, { t: 'rel' }>, b: Extract<Ans, { t: 'rel' }>, depth: number): boolean {
  if (a.op === b.op && ansEqual(a.lhs, b.lhs, depth + 1) && ansEqual(a.rhs, b.rhs, depth + 1)) return true;
  if (MIRROR[a.op] === b.op && ansEqual(a.lhs, b.rhs, depth + 1) && ansEqual(a.rhs, b.lhs, depth + 1)) return true;
  // Rearranged or scaled: y = 2x+1 and 2x - y + 1 = 0; x < 1 and -x > -1.
  const oa = oriented(a);
  const ob = oriented(b);
  if (!oa || !ob || oa.op !== ob.op) return false;
  return proportional(oa.d, ob.d, oa.op !== '=' && oa.op !== '!=');
}

/** a is (a part of) the prediction, b of the gold. */
function structEqual(a: Ans, b: Ans, depth: number): boolean {
  if (a.t === 'alt') return a.items.some((x) => ansEqual(x, b, depth + 1));
  if (b.t === 'alt') return b.items.some((y) => ansEqual(a, y, depth + 1));
  if (a.t === 'rel' && b.t === 'rel') return relEqual(a, b, depth);
  if (a.t === 'range' && b.t === 'range') {
    return (
      a.loOp === b.loOp &&
      a.hiOp === b.hiOp &&
      ansEqual(a.lo, b.lo, depth + 1) &&
      ansEqual(a.mid, b.mid, depth + 1) &&
      ansEqual(a.hi, b.hi, depth + 1)
    );
  }
  // An inequality and an interval: the inequality's solution set (either side).
  if ((a.t === 'rel' || a.t === 'range') && b.t === 'seq') {
    const sa = relationAsSet(a);
    if (sa) return ansEqual(sa, b, depth + 1);
  }
  if ((b.t === 'rel' || b.t === 'range') && a.t === 'seq') {
    const sb = relationAsSet(b);
    if (sb) return ansEqual(a, sb, depth + 1);
  }
  // A predicted equation against a value gold: its right-hand side is the answer ("k = 1/3" for 1/3).
  if (a.t === 'rel') return a.op === '=' && b.t !== 'range' && ansEqual(a.rhs, b, depth + 1);
  // A gold equation against a value: only an assignment ("x = 3", "AB = 4") reduces to its value;
  // for "2x + z = 1" the bare 1 is not the answer.
  if (b.t === 'rel') return b.op === '=' && isName(b.lhs) && a.t !== 'range' && ansEqual(a, b.rhs, depth + 1);
  if (a.t === 'range' || b.t === 'range') return false;
  if (a.t === 'seq' && b.t === 'seq') return seqEqual(a, b, depth);
  if (a.t === 'seq') return a.items.length === 1 && a.open !== 'M' && ansEqual(at(a.items, 0), b, depth + 1);
  if (b.t === 'seq') return b.items.length === 1 && b.open !== 'M' && ansEqual(a, at(b.items, 0), depth + 1);
  if (a.t === 'expr' && b.t === 'expr') return exprEqual(a.n, b.n);
  return false;
}

// ---------- counted things ----------

// "4 birds", "There are 4 apples": an integer and one plural noun (optionally after "there are").
const COUNT_RE = /^(?:there\s+(?:are|were|is|was)\s+)?(\d{1,3}(?:,\d{3})+|\d+)\s+([A-Za-z][a-z]{2,})$/i;
const BARE_INTEGER_RE = /^(?:\d{1,3}(?:,\d{3})+|\d+)$/;
// A regular plural ("apples", not "less", "plus", "axis") or a common irregular one.
const PLURAL_RE = /^(?:[a-z]+[^sui]s|children|people|men|women|mice|geese|teeth|sheep|fish|deer)$/i;
// Plurals that change the value ("4 dozens", "3 hundreds", "2 thirds", "5 tenths", "3 sixes") are not counted things.
const NOT_COUNTED_RE =
  /^(?:ones|twos|threes|fours|fives|sixes|sevens|eights|nines|tens|elevens|twelves|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|dozens|scores|hundreds|thousands|millions|billions|trillions|lakhs|crores|halves|thirds|quarters|[a-z]*ths|times)$/i;

/**
 * A count of things against a bare-integer gold: "4 apples" is 4 when the gold is "4" (never against
 * "5", and never a letter: "4x" is no count). Only the prediction may carry the noun.
 */
function countEqual(predicted: string, gold: string): boolean {
  if (!BARE_INTEGER_RE.test(gold)) return false;
  const m = COUNT_RE.exec(predicted);
  if (!m) return false;
  const [, count = '', noun = ''] = m;
  if (!PLURAL_RE.test(noun) || NOT_COUNTED_RE.test(noun)) return false;
  const digits = (n: string): string => n.replace(/,/g, '').replace(/^0+(?=\d)/, '');
  return digits(count) === digits(gold);
}

/** Value equivalence of two answers, no multiple-choice logic. */
export function valuesEquivalent(predicted: string, gold: string): boolean {
  if (predicted.length > MAX_ANSWER_CHARS || gold.length > MAX_ANSWER_CHARS) {
    return (
      textKey(normalizeAnswer(predicted.slice(0, 4 * MAX_ANSWER_CHARS))) ===
      textKey(normalizeAnswer(gold.slice(0, 4 * MAX_ANSWER_CHARS)))
    );
  }
  const p = parseAnswer(predicted);
  const g = parseAnswer(gold);
  return ansEqual(p, g, 0) || countEqual(p.src, g.src);
}

// ---------- multiple choice ----------

export type LetterForm = { letter: string } | { hedged: true } | null;

const HEDGE_RE =
  /^(?:(?:options?|choices?)\s*)?\(?([A-Za-z])\)?\s*(?:,|\bor\b|\band\b|\/|&|\s)\s*(?:(?:options?|choices?)\s*)?\(?([A-Za-z])\)?$/i;
const LETTER_RE =
  /^(?:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer)\s*(?:is\s*)?:?\s*)?(?:\(([A-Za-z])\)|\[([A-Za-z])\]|([A-Za-z])(?:\)|\.|:|(?=$)))\s*(.*)$/i;

/**
 * Reads a choice letter: "B", "(B)", "B.", "B: text", "Option B", "\text{B}", lowercase too.
 * Two different letters ("A or C") is a hedge. Gold letters need choices or an uppercase A–J.
 */
export function letterForm(raw: string, choices: readonly string[] | undefined, isGold = false): LetterForm {
  if (raw.length > 200) return null;
  const s = normalizeAnswer(raw);
  const h = HEDGE_RE.exec(s);
  if (h?.[1] && h[2] && h[1].toUpperCase() !== h[2].toUpperCase()) {
    const both = [h[1], h[2]].every((l) => isLetterInRange(l.toUpperCase(), choices));
    if (both && (!isGold || choices)) return { hedged: true };
  }
  const m = LETTER_RE.exec(s);
  if (!m) return null;
  const l = m[1] ?? m[2] ?? m[3];
  if (l === undefined) return null; // the pattern's three alternatives each capture the letter
  const letter = l.toUpperCase();
  if (choices && choices.length > 0) {
    if (!isLetterInRange(letter, choices)) return null;
  } else if (isGold) {
    if (l !== letter || letter > 'J' || m[4] !== '') return null;
  }
  return { letter };
}

function isLetterInRange(letter: string, choices: readonly string[] | undefined): boolean {
  const i = letter.charCodeAt(0) - 65;
  return i >= 0 && i < (choices && choices.length > 0 ? choices.length : 10);
}

/** A choice's text without its "A." / "(A)" / "A:" label. */
export function choiceText(choice: string, index: number): string {
  const m = /^\s*\(?([A-Za-z])\)?\s*[.:)]\s*(.*)$/s.exec(choice) ?? /^\s*\(([A-Za-z])\)\s*(.*)$/s.exec(choice);
  const [, letter, text = ''] = m ?? [];
  if (letter?.toUpperCase() === String.fromCharCode(65 + index)) return text.trim();
  return choice.trim();
}

/** Index of the single choice whose text the answer equals, else -1. */
export function matchChoice(answer: string, choices: readonly string[]): number {
  let found = -1;
  for (const [i, choice] of choices.entries()) {
    if (valuesEquivalent(answer, choiceText(choice, i))) {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return found;
}

export function answersEquivalentImpl(predicted: string, gold: string, choices?: readonly string[]): boolean {
  const ch = choices && choices.length > 0 ? choices : undefined;
  const g = letterForm(gold, ch, true);
  if (g && 'letter' in g) {
    const p = letterForm(predicted, ch);
    if (p) return 'letter' in p && p.letter === g.letter;
    if (ch) return matchChoice(predicted, ch) === g.letter.charCodeAt(0) - 65;
    return valuesEquivalent(predicted, gold);
  }
  if (ch) {
    const p = letterForm(predicted, ch);
    if (p && 'hedged' in p) return false;
    if (p) {
      const i = p.letter.charCodeAt(0) - 65; // letterForm only returns letters within the choices
      const choice = at(ch, i, 'choice');
      return valuesEquivalent(choiceText(choice, i), gold) || valuesEquivalent(choice, gold);
    }
  }
  return valuesEquivalent(predicted, gold);
}
