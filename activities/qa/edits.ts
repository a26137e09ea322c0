// The judge may delete steps from a trace, never write them: its edited trace must be the original minus whole
// steps (a subsequence of the original's steps after whitespace normalisation), and every step it says it removed
// must exist in the original. A step is a non-empty line of the <think> or <answer> block (traces put one step per
// line: activities/synthetic/util.ts makeTrace, prompts/reason/roleplay.md).
import { splitTrace } from '../../core/trace-format.ts';

export type EditProblemCode =
  | 'edit_unparsable'
  | 'edit_inserted_step'
  | 'edit_reworded_step'
  | 'edit_reordered'
  | 'edit_missing_removed_step'
  | 'edit_not_removed';

export type EditCheck = { ok: true; removed: number } | { ok: false; code: EditProblemCode; reason: string };

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const stepsOf = (block: string) => block.split('\n').map(norm).filter(Boolean);
const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s);

/** Word overlap (Jaccard over lower-cased words): a foreign step close to a deleted one was reworded, else inserted. */
function similarity(a: string, b: string): number {
  const wa = new Set(a.toLowerCase().match(/[\p{L}\p{N}.]+/gu) ?? []);
  const wb = new Set(b.toLowerCase().match(/[\p{L}\p{N}.]+/gu) ?? []);
  const inter = [...wa].filter((w) => wb.has(w)).length;
  const union = new Set([...wa, ...wb]).size;
  return union === 0 ? 0 : inter / union;
}

/** Greedy subsequence match of `edited` in `original`; returns the first edited step that does not fit, if any. */
function matchSubsequence(original: string[], edited: string[]): { misfit: string | null; kept: boolean[] } {
  const kept = original.map(() => false);
  let i = 0;
  for (const step of edited) {
    while (i < original.length && original[i] !== step) i++;
    if (i === original.length) return { misfit: step, kept };
    kept[i++] = true;
  }
  return { misfit: null, kept };
}

function explainMisfit(misfit: string, original: string[], kept: boolean[], block: string): EditCheck {
  if (original.includes(misfit)) {
    return {
      ok: false,
      code: 'edit_reordered',
      reason: `the edited ${block} moves the step "${clip(misfit)}" out of its original order`,
    };
  }
  const near = original
    .filter((_, k) => !kept[k])
    .map((s) => ({ s, sim: similarity(s, misfit) }))
    .sort((a, b) => b.sim - a.sim)[0];
  if (near && near.sim >= 0.5) {
    return {
      ok: false,
      code: 'edit_reworded_step',
      reason: `the edited ${block} rewords "${clip(near.s)}" as "${clip(misfit)}"; the judge may only delete whole steps`,
    };
  }
  return {
    ok: false,
    code: 'edit_inserted_step',
    reason: `the edited ${block} has a step the original lacks: "${clip(misfit)}"; the judge may only delete whole steps`,
  };
}

/** Whether a removed-step entry is one original step, or several consecutive ones (a multi-line paragraph). */
function existsIn(steps: string[], entry: string): boolean {
  const e = norm(entry);
  if (!e) return false;
  for (let i = 0; i < steps.length; i++) {
    let joined = steps[i]!;
    if (joined === e) return true;
    for (let j = i + 1; j < steps.length && joined.length < e.length; j++) {
      joined = `${joined} ${steps[j]!}`;
      if (joined === e) return true;
    }
  }
  return false;
}

/**
 * Check a judge's edit against the original trace: deletions of whole steps only, and every listed removed step
 * present in the original. Both traces are in the normalised <think>…</think><answer>…</answer> form.
 */
export function checkJudgeEdit(original: string, edited: string, removedSteps: string[]): EditCheck {
  const o = splitTrace(original);
  const e = splitTrace(edited);
  if (!o || !e)
    return {
      ok: false,
      code: 'edit_unparsable',
      reason: 'the edited trace is not <think>…</think> followed by <answer>…</answer>',
    };
  let removed = 0;
  for (const block of ['think', 'answer'] as const) {
    const os = stepsOf(o[block]);
    const es = stepsOf(e[block]);
    const { misfit, kept } = matchSubsequence(os, es);
    if (misfit !== null) return explainMisfit(misfit, os, kept, block === 'think' ? 'reasoning' : 'answer');
    removed += os.length - es.length;
  }
  const all = [...stepsOf(o.think), ...stepsOf(o.answer)];
  const missing = removedSteps.find((s) => !existsIn(all, s));
  if (missing !== undefined) {
    return {
      ok: false,
      code: 'edit_missing_removed_step',
      reason: `removed_steps lists "${clip(norm(missing))}", which is not a step of the original trace`,
    };
  }
  if (removedSteps.length > 0 && removed === 0) {
    return {
      ok: false,
      code: 'edit_not_removed',
      reason: 'removed_steps lists steps but the edited trace removes none',
    };
  }
  return { ok: true, removed };
}
