import { scoreCompletion } from '../../core/rewards/index.ts';
import { CAPTION_TALK } from '../../core/trace-format.ts';
import type { RuleVerdict } from '../../schemas/stage-blobs.ts';

export interface RuleLimits {
  minTraceChars: number;
  maxTraceChars: number;
}

/** The share of letters from the dominant script; a trace mixing e.g. Latin and CJK prose is suspicious. */
function scriptMix(text: string): number {
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  const cjk = (text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g) ?? []).length;
  const cyr = (text.match(/[\u0400-\u04ff]/g) ?? []).length;
  const total = latin + cjk + cyr;
  return total === 0 ? 1 : Math.max(latin, cjk, cyr) / total;
}

/** Longest run of one repeated non-trivial line (degenerate loops in model output). */
function maxRepeatedLines(text: string): number {
  const counts = new Map<string, number>();
  let max = 0;
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 12)) {
    const n = (counts.get(line) ?? 0) + 1;
    counts.set(line, n);
    max = Math.max(max, n);
  }
  return max;
}

/**
 * Rule-based QA, in order of cost: format, agreement with the ground truth under the shared verifier, length,
 * repetition, language mixing, leaked "caption" talk. The first failing rule is the reason.
 */
export function qaRulesVerdict(
  trace: string | null,
  groundTruth: string,
  choices: string[] | undefined,
  limits: RuleLimits,
): RuleVerdict {
  if (!trace)
    return {
      accepted: false,
      code: 'no_trace',
      reason: 'the reasoner produced no usable trace',
      accuracy: 0,
      format: 0,
    };
  const s = scoreCompletion({ completion: trace, groundTruth, choices });
  const no = (code: string, reason: string): RuleVerdict => ({
    accepted: false,
    code,
    reason,
    accuracy: s.accuracy,
    format: s.format,
  });
  if (s.format !== 1) return no('bad_format', 'trace is not <think>…</think> followed by <answer>…</answer>');
  if (s.accuracy !== 1)
    return no(
      'wrong_answer',
      `final answer ${JSON.stringify(s.extracted)} does not match the ground truth ${JSON.stringify(groundTruth.slice(0, 80))}`,
    );
  if (trace.length < limits.minTraceChars)
    return no('too_short', `trace has ${trace.length} characters, under ${limits.minTraceChars}`);
  if (trace.length > limits.maxTraceChars)
    return no('too_long', `trace has ${trace.length} characters, over ${limits.maxTraceChars}`);
  const rep = maxRepeatedLines(trace);
  if (rep >= 4) return no('repetition', `a line repeats ${rep} times`);
  if (scriptMix(trace) < 0.9) return no('mixed_language', 'trace mixes writing systems');
  const leak = trace.match(CAPTION_TALK);
  if (leak) return no('caption_talk', `trace refers to its text source ("${leak[0]}") instead of the image`);
  return { accepted: true, code: null, reason: null, accuracy: s.accuracy, format: s.format };
}
