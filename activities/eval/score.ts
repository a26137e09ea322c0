/**
 * Pure scoring for evaluation: the shared verifier (core/rewards) decides what it can; what it cannot decide goes
 * to the optional judge. Also the WeMath four-dimensional metrics.
 */
import { answersEquivalent, extractAnswer } from '../../core/rewards/index.ts';
import type { BenchItem } from '../../schemas/eval.ts';

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
export function ruleVerdict(response: string, item: Pick<BenchItem, 'answer' | 'choices' | 'meta'>): { extracted: string | null; decision: RuleDecision } {
  const extracted = extractAnswer(response, item.choices);
  if (extracted === null) return { extracted, decision: 'undecided' };
  const precision = item.meta.precision;
  const pred = roundTo(extracted, precision);
  const gold = roundTo(item.answer, precision);
  if (answersEquivalent(pred, gold, item.choices)) return { extracted, decision: 'correct' };
  const goldIsLetter = isLetter(item.answer);
  if ((item.choices?.length || goldIsLetter) && isLetter(extracted)) return { extracted, decision: 'wrong' };
  if (isPlainNumber(extracted) && (isPlainNumber(item.answer) || (item.choices?.length ?? 0) > 0 || goldIsLetter)) return { extracted, decision: 'wrong' };
  return { extracted, decision: 'undecided' };
}

/** The judge's first YES/NO word. */
export function parseYesNo(text: string): boolean | null {
  const m = /\b(YES|NO)\b/i.exec(text.replace(/<\/?[a-z]+>/gi, ' '));
  return m ? m[1]!.toUpperCase() === 'YES' : null;
}

/** The judge's extracted answer, or null for NONE / nothing. */
export function parseJudgeExtraction(text: string): string | null {
  const t = text.trim().replace(/^(?:final\s+answer|answer|extracted(?:\s+answer)?)\s*[:：]\s*/i, '').split('\n')[0]!.trim().replace(/^["'`]+|["'`.]+$/g, '').trim();
  return !t || /^none$/i.test(t) ? null : t.slice(0, 500);
}

// ---------------------------------------------------------------------------------------------------------------
// WeMath

export interface WeMathItem { id: string; key: string; correct: boolean }
export interface WeMathScores {
  groups: number;
  twoStep: number;
  threeStep: number;
  incompleteGroups: string[];
  IK: number; IG: number; CM_strict: number; CM_loose: number; RM_strict: number; RM_loose: number;
  strict: number | null; loose: number | null;
}

/**
 * WeMath's four-dimensional metrics over the multi-step groups (problems with `Nsteps_1..N` and `Nsteps_multi`):
 * IG = every one-step sub-problem right, the composite wrong; IK = some sub-problem wrong, composite wrong;
 * CM strict = all sub-problems and the composite right (loose: any sub-problem); RM strict = composite right but
 * some sub-problem wrong (loose: every sub-problem wrong).
 * strict = (N − 0.5·IG − RM_strict − IK) / N, loose = (N − 0.5·IG − RM_loose − IK) / N, N = the groups scored
 * (525 on the full testmini, the constant of the reference script).
 */
export function wemathScores(items: WeMathItem[]): WeMathScores {
  const groups = new Map<string, Map<string, boolean>>();
  for (const it of items) {
    const m = /^(\d+)steps?_(\d+|multi)$/.exec(it.key);
    if (!m || Number(m[1]) < 2) continue;
    const gid = `${it.id}\0${m[1]}`;
    let g = groups.get(gid);
    if (!g) groups.set(gid, (g = new Map()));
    g.set(m[2]!, it.correct);
  }
  const s: WeMathScores = { groups: 0, twoStep: 0, threeStep: 0, incompleteGroups: [], IK: 0, IG: 0, CM_strict: 0, CM_loose: 0, RM_strict: 0, RM_loose: 0, strict: null, loose: null };
  for (const [gid, g] of groups) {
    const steps = Number(gid.split('\0')[1]);
    const parts = Array.from({ length: steps }, (_, i) => g.get(String(i + 1)));
    const multi = g.get('multi');
    if (multi === undefined || parts.some((p) => p === undefined)) { s.incompleteGroups.push(gid.split('\0')[0]!); continue; }
    s.groups++;
    if (steps === 2) s.twoStep++;
    if (steps === 3) s.threeStep++;
    const all = parts.every(Boolean);
    const any = parts.some(Boolean);
    if (all && !multi) s.IG++;
    if (!all && !multi) s.IK++;
    if (all && multi) s.CM_strict++;
    if (any && multi) s.CM_loose++;
    if (!all && multi) s.RM_strict++;
    if (!any && multi) s.RM_loose++;
  }
  if (s.groups > 0) {
    s.strict = (s.groups - 0.5 * s.IG - s.RM_strict - s.IK) / s.groups;
    s.loose = (s.groups - 0.5 * s.IG - s.RM_loose - s.IK) / s.groups;
  }
  return s;
}
