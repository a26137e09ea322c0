/**
 * Pure scoring for evaluation: the shared verifier (core/rewards) decides what it can; what it cannot decide goes
 * to the optional judge. Benchmark-specific metrics live in the benchmark's module (benches/).
 */
import { answersEquivalent, extractAnswer } from '../../core/rewards/index.ts';
import type { BenchItem, BenchKind } from '../../schemas/eval.ts';
import { benchModule } from './benches/index.ts';

export type RuleDecision = 'correct' | 'wrong' | 'undecided';

const NUM_RE = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const isPlainNumber = (s: string) => NUM_RE.test(s.trim());
const isLetter = (s: string) => /^[A-J]$/.test(s.trim());

/** Round a plain number to MathVista's `precision` decimals. */
function roundTo(s: string, precision: string | undefined): string {
  if (precision === undefined || !isPlainNumber(s)) return s;
  const p = Number(precision);
  if (!Number.isInteger(p) || p < 0 || p > 12) return s;
  return Number(s.replace(/,/g, '')).toFixed(p);
}

/**
 * The verifier's verdict on a response. `undecided` when no final answer can be extracted, or when the extracted
 * answer is wrong by string/number/LaTeX equivalence but is not a bare letter or number (units, words, expressions
 * the rules may misread) — only then may a judge look at it.
 */
export function ruleVerdict(
  response: string,
  item: Pick<BenchItem, 'answer' | 'choices' | 'meta'>,
): { extracted: string | null; decision: RuleDecision } {
  const extracted = extractAnswer(response, item.choices);
  if (extracted === null) return { extracted, decision: 'undecided' };
  const precision = item.meta.precision;
  const pred = roundTo(extracted, precision);
  const gold = roundTo(item.answer, precision);
  if (answersEquivalent(pred, gold, item.choices)) return { extracted, decision: 'correct' };
  const goldIsLetter = isLetter(item.answer);
  if ((item.choices?.length || goldIsLetter) && isLetter(extracted)) return { extracted, decision: 'wrong' };
  if (isPlainNumber(extracted) && (isPlainNumber(item.answer) || (item.choices?.length ?? 0) > 0 || goldIsLetter))
    return { extracted, decision: 'wrong' };
  return { extracted, decision: 'undecided' };
}

/** The benchmark's own answer rule where it has one and it applies, else the shared verifier. */
export function itemVerdict(
  kind: BenchKind,
  response: string,
  item: BenchItem,
): { extracted: string | null; decision: RuleDecision } {
  const own = benchModule(kind).verdict?.(response, item);
  if (own) return { extracted: own.extracted, decision: own.correct ? 'correct' : 'wrong' };
  return ruleVerdict(response, item);
}

/** The judge's first YES/NO word. */
export function parseYesNo(text: string): boolean | null {
  const m = /\b(YES|NO)\b/i.exec(text.replace(/<\/?[a-z]+>/gi, ' '));
  return m ? m[1]!.toUpperCase() === 'YES' : null;
}

/** The judge's extracted answer, or null for NONE / nothing. */
export function parseJudgeExtraction(text: string): string | null {
  const t = text
    .trim()
    .replace(/^(?:final\s+answer|answer|extracted(?:\s+answer)?)\s*[:：]\s*/i, '')
    .split('\n')[0]!
    .trim()
    .replace(/^["'`]+|["'`.]+$/g, '')
    .trim();
  return !t || /^none$/i.test(t) ? null : t.slice(0, 500);
}
