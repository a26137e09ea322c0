// Answer equivalence: structure (sets, tuples, intervals, equations) first, then numbers and
// expressions through expr.ts, then case/space-insensitive text. Decisions are documented in
// core/rewards/README.md; the short version: math-verify-like, gold and prediction symmetric.
import { collectVars, evaluate, hasPercent, KNOWN_WORDS, parseExpr, stripPercent, type Node } from './expr.ts';
import { normalizeAnswer, stripUnit, textKey } from './latex.ts';

/** Answers longer than this are compared as text only: bounded time per pair. */
export const MAX_ANSWER_CHARS = 1000;
const MAX_NEST = 6;
const MAX_ITEMS = 64;

type Ans =
  | { t: 'expr'; n: Node; src: string }
  // open/close: '(' '[' '{' with their closers; '' for a bare list "1, 2"; 'U' for a union of intervals.
  | { t: 'seq'; open: string; close: string; items: Ans[]; src: string }
  | { t: 'rel'; op: string; lhs: Ans; rhs: Ans; src: string }
  | { t: 'text'; src: string };

// ---------- top-level scanning ----------

function isOpen(c: string): boolean { return c === '(' || c === '[' || c === '{'; }
function isClose(c: string): boolean { return c === ')' || c === ']' || c === '}'; }

/** Splits at depth-0 occurrences of `,` / `;`. Brackets are counted, not typed, so "[1,2)" balances. */
function splitTopCommas(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') { i++; if (s[i] === '{' ) depth++; else if (s[i] === '}') depth--; continue; }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
    else if ((c === ',' || c === ';') && depth === 0) { out.push(s.slice(last, i)); last = i + 1; }
  }
  out.push(s.slice(last));
  return out;
}

function splitTopWord(s: string, word: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (depth === 0 && s.startsWith(word, i) && !/[a-zA-Z]/.test(s[i + word.length] ?? '')) { out.push(s.slice(last, i)); last = i + word.length; i += word.length - 1; continue; }
      i++;
      if (s[i] === '{') depth++; else if (s[i] === '}') depth--;
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
  }
  out.push(s.slice(last));
  return out;
}

/** The outer bracket pair when it encloses the whole string: "(1,2)", "[1,2)", "\{1,2\}". */
function outerBrackets(s: string): { open: string; close: string; inner: string } | null {
  let openLen: number;
  let open: string;
  if (s.startsWith('\\{')) { open = '{'; openLen = 2; } else if (s[0] === '(' || s[0] === '[') { open = s[0]; openLen = 1; } else return null;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      if (s[i] === '{') depth++;
      else if (s[i] === '}') { depth--; if (depth === 0) return i === s.length - 1 && open === '{' ? { open, close: '}', inner: s.slice(openLen, i - 1) } : null; }
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) {
      depth--;
      if (depth === 0) return i === s.length - 1 && open !== '{' ? { open, close: c, inner: s.slice(openLen, i) } : null;
    }
  }
  return null;
}

const REL_TOKENS: Array<[string, string]> = [
  ['\\leq', '<='], ['\\leqslant', '<='], ['\\le', '<='], ['\\geq', '>='], ['\\geqslant', '>='], ['\\ge', '>='], ['\\neq', '!='], ['\\ne', '!='],
  ['\\approx', '='], ['\\in', '='], ['<=', '<='], ['>=', '>='], ['!=', '!='], ['=', '='], ['<', '<'], ['>', '>'],
];

/** The last depth-0 relation ("x = y = 3" splits before 3). */
function findRelation(s: string): { op: string; at: number; len: number } | null {
  let depth = 0;
  let found: { op: string; at: number; len: number } | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (depth === 0 && (c === '\\' || c === '<' || c === '>' || c === '=' || c === '!')) {
      let matched = false;
      for (const [tok, op] of REL_TOKENS) {
        if (s.startsWith(tok, i) && !(tok[0] === '\\' && /[a-zA-Z]/.test(s[i + tok.length] ?? ''))) {
          found = { op, at: i, len: tok.length };
          i += tok.length - 1;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    if (c === '\\') { i++; if (s[i] === '{') depth++; else if (s[i] === '}') depth--; continue; }
    if (isOpen(c)) depth++;
    else if (isClose(c)) depth--;
  }
  return found;
}

// ---------- parsing an answer ----------

/** True when the answer reads as words rather than math ("yes", "isosceles triangle"). */
function looksLikeText(s: string): boolean {
  const bare = s.replace(/\\[a-zA-Z]+/g, ' ');
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

const THOUSANDS_RE = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

function parseAns(raw: string, depth: number): Ans {
  const s = raw.trim();
  if (depth > MAX_NEST || s === '') return { t: 'text', src: s };

  const union = splitTopWord(s, '\\cup');
  if (union.length > 1 && union.length <= MAX_ITEMS) return { t: 'seq', open: 'U', close: 'U', items: union.map((p) => parseAns(p, depth + 1)), src: s };

  if (THOUSANDS_RE.test(s)) return parseScalar(s.replace(/,/g, ''));
  const parts = splitTopCommas(s);
  if (parts.length > 1) {
    if (parts.length > MAX_ITEMS) return { t: 'text', src: s };
    return { t: 'seq', open: '', close: '', items: parts.map((p) => parseAns(p, depth + 1)), src: s };
  }

  const outer = outerBrackets(s);
  if (outer) {
    const inner = splitTopCommas(outer.inner);
    if (outer.open === '{' || inner.length > 1) {
      if (inner.length > MAX_ITEMS) return { t: 'text', src: s };
      const items = inner.length === 1 && inner[0].trim() === '' ? [] : inner.map((p) => parseAns(p, depth + 1));
      return { t: 'seq', open: outer.open, close: outer.close, items, src: s };
    }
    if (outer.open === '(' && outer.close === ')') return parseAns(outer.inner, depth + 1);
  }

  const rel = findRelation(s);
  if (rel) {
    const lhs = s.slice(0, rel.at).trim();
    const rhs = s.slice(rel.at + rel.len).trim();
    if (lhs === '') return parseAns(rhs, depth + 1);
    return { t: 'rel', op: rel.op, lhs: parseAns(lhs, depth + 1), rhs: parseAns(rhs, depth + 1), src: s };
  }

  // "\pm 2" is the pair {2, -2}.
  const pm = s.indexOf('\\pm');
  if (pm >= 0 && !/[a-zA-Z]/.test(s[pm + 3] ?? '')) {
    const a = s.slice(0, pm) + '+' + s.slice(pm + 3);
    const b = s.slice(0, pm) + '-' + s.slice(pm + 3);
    return { t: 'seq', open: '', close: '', items: [parseAns(a, depth + 1), parseAns(b, depth + 1)], src: s };
  }
  return parseScalar(s);
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
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  return Array.from({ length: 6 }, () => Array.from({ length: 16 }, () => 0.5 + 2.5 * next()));
})();

function exprEqualPlain(a: Node, b: Node): boolean {
  const vars = collectVars(b, collectVars(a, new Set()));
  if (vars.size === 0) return numbersEqual(evaluate(a, {}), evaluate(b, {}));
  if (vars.size > 16) return false;
  const names = [...vars].sort();
  let valid = 0;
  for (const pt of POINTS) {
    const env: Record<string, number> = {};
    names.forEach((n, i) => { env[n] = pt[i]; });
    const va = evaluate(a, env);
    const vb = evaluate(b, env);
    if (Number.isNaN(va) && Number.isNaN(vb)) continue;
    if (va === vb) { valid++; continue; }
    if (!Number.isFinite(va) || !Number.isFinite(vb)) return false;
    if (Math.abs(va - vb) > 1e-8 * Math.max(1, Math.abs(va), Math.abs(vb))) return false;
    valid++;
  }
  return valid >= 2;
}

/** Percent answers match both readings: "50%" equals 0.5 and 50 (as math-verify does). */
function exprEqual(a: Node, b: Node): boolean {
  if (exprEqualPlain(a, b)) return true;
  if (hasPercent(a) || hasPercent(b)) return exprEqualPlain(stripPercent(a), stripPercent(b));
  return false;
}

const MIRROR: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '!=': '!=' };

function isSetLike(open: string): boolean { return open === '{' || open === '' || open === 'U'; }

function seqEqual(a: Extract<Ans, { t: 'seq' }>, b: Extract<Ans, { t: 'seq' }>, depth: number): boolean {
  if (a.items.length !== b.items.length) return false;
  const ordered = !(isSetLike(a.open) && isSetLike(b.open));
  if (ordered) {
    // A bare "1, 2" may stand for a tuple; two bracketed forms must use the same brackets ([1,2) ≠ [1,2]).
    if (a.open !== '' && b.open !== '' && (a.open !== b.open || a.close !== b.close)) return false;
    if ((a.open === 'U') !== (b.open === 'U')) return false;
    return a.items.every((x, i) => ansEqual(x, b.items[i], depth + 1));
  }
  const used = new Array<boolean>(b.items.length).fill(false);
  for (const x of a.items) {
    const j = b.items.findIndex((y, k) => !used[k] && ansEqual(x, y, depth + 1));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}

function ansEqual(a: Ans, b: Ans, depth: number): boolean {
  if (depth > MAX_NEST * 2) return false;
  if (structEqual(a, b, depth)) return true;
  return textKey(a.src) === textKey(b.src);
}

function structEqual(a: Ans, b: Ans, depth: number): boolean {
  if (a.t === 'rel' && b.t === 'rel') {
    const direct = a.op === b.op && ansEqual(a.lhs, b.lhs, depth + 1) && ansEqual(a.rhs, b.rhs, depth + 1);
    if (direct) return true;
    if (MIRROR[a.op] === b.op && ansEqual(a.lhs, b.rhs, depth + 1) && ansEqual(a.rhs, b.lhs, depth + 1)) return true;
    // y = 2x+1 and 2x - y + 1 = 0: same equation when lhs - rhs agree up to sign.
    if (a.op === '=' && b.op === '=' && a.lhs.t === 'expr' && a.rhs.t === 'expr' && b.lhs.t === 'expr' && b.rhs.t === 'expr') {
      const da: Node = { k: 'bin', op: '-', a: a.lhs.n, b: a.rhs.n };
      const db: Node = { k: 'bin', op: '-', a: b.lhs.n, b: b.rhs.n };
      return exprEqualPlain(da, db) || exprEqualPlain(da, { k: 'neg', a: db });
    }
    return false;
  }
  // "x = 3" against "3": the value is what counts.
  if (a.t === 'rel') return a.op === '=' && ansEqual(a.rhs, b, depth + 1);
  if (b.t === 'rel') return b.op === '=' && ansEqual(a, b.rhs, depth + 1);
  if (a.t === 'seq' && b.t === 'seq') return seqEqual(a, b, depth);
  if (a.t === 'seq') return a.items.length === 1 && ansEqual(a.items[0], b, depth + 1);
  if (b.t === 'seq') return b.items.length === 1 && ansEqual(a, b.items[0], depth + 1);
  if (a.t === 'expr' && b.t === 'expr') return exprEqual(a.n, b.n);
  return false;
}

/** Value equivalence of two answers, no multiple-choice logic. */
export function valuesEquivalent(predicted: string, gold: string): boolean {
  if (predicted.length > MAX_ANSWER_CHARS || gold.length > MAX_ANSWER_CHARS) {
    return textKey(normalizeAnswer(predicted.slice(0, 4 * MAX_ANSWER_CHARS))) === textKey(normalizeAnswer(gold.slice(0, 4 * MAX_ANSWER_CHARS)));
  }
  return ansEqual(parseAnswer(predicted), parseAnswer(gold), 0);
}

// ---------- multiple choice ----------

export type LetterForm = { letter: string } | { hedged: true } | null;

const HEDGE_RE = /^(?:(?:options?|choices?)\s*)?\(?([A-Za-z])\)?\s*(?:,|\bor\b|\band\b|\/|&|\s)\s*(?:(?:options?|choices?)\s*)?\(?([A-Za-z])\)?$/i;
const LETTER_RE = /^(?:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer)\s*(?:is\s*)?:?\s*)?(?:\(([A-Za-z])\)|\[([A-Za-z])\]|([A-Za-z])(?:\)|\.|:|(?=$)))\s*(.*)$/i;

/**
 * Reads a choice letter: "B", "(B)", "B.", "B: text", "Option B", "\text{B}", lowercase too.
 * Two different letters ("A or C") is a hedge. Gold letters need choices or an uppercase A–J.
 */
export function letterForm(raw: string, choices: readonly string[] | undefined, isGold = false): LetterForm {
  if (raw.length > 200) return null;
  const s = normalizeAnswer(raw);
  const h = HEDGE_RE.exec(s);
  if (h && h[1].toUpperCase() !== h[2].toUpperCase()) {
    const both = [h[1], h[2]].every((l) => isLetterInRange(l.toUpperCase(), choices));
    if (both && (!isGold || choices)) return { hedged: true };
  }
  const m = LETTER_RE.exec(s);
  if (!m) return null;
  const l = m[1] ?? m[2] ?? m[3];
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
  if (m && m[1].toUpperCase() === String.fromCharCode(65 + index)) return m[2].trim();
  return choice.trim();
}

/** Index of the single choice whose text the answer equals, else -1. */
export function matchChoice(answer: string, choices: readonly string[]): number {
  let found = -1;
  for (let i = 0; i < choices.length; i++) {
    if (valuesEquivalent(answer, choiceText(choices[i], i))) {
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
      const i = p.letter.charCodeAt(0) - 65;
      return valuesEquivalent(choiceText(ch[i], i), gold) || valuesEquivalent(ch[i], gold);
    }
  }
  return valuesEquivalent(predicted, gold);
}
