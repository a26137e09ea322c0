// The one reward verifier shared by QA, evaluation and GRPO (core/rewards/README.md).
// Pure functions: no I/O, never throw, bounded time per call.
import { answersEquivalentImpl } from './equivalence.ts';
import { extractAnswerImpl, extractDetailed, joinedBoxes, withChoices } from './extract.ts';
import { formatRewardImpl, iouRewardImpl } from './format.ts';

export interface ScoreInput {
  completion: string;
  groundTruth: string;
  choices?: string[];
  box?: [number, number, number, number];
}

export interface ScoreResult {
  accuracy: 0 | 1;
  format: 0 | 1;
  iou?: number;
  extracted: string | null;
}

/** The final answer of a completion (letters canonicalised to "B" when choices are given), or null. */
export function extractAnswer(completion: string, choices?: string[]): string | null {
  try {
    return extractAnswerImpl(String(completion ?? ''), choices);
  } catch {
    return null;
  }
}

/** Whether an (extracted) answer equals the gold answer; gold letters and option texts both work with choices. */
export function answersEquivalent(predicted: string, gold: string, choices?: string[]): boolean {
  try {
    return answersEquivalentImpl(String(predicted ?? ''), String(gold ?? ''), choices);
  } catch {
    return false;
  }
}

/** 1 for exactly a non-empty <think>…</think> then a non-empty <answer>…</answer>, whitespace only around. */
export function formatReward(completion: string): 0 | 1 {
  try {
    return formatRewardImpl(String(completion ?? ''));
  } catch {
    return 0;
  }
}

/** IoU in [0,1] of the first [x1,y1,x2,y2] in the answer against the ground-truth box; 0 when none or invalid. */
export function iouReward(completion: string, box: [number, number, number, number]): number {
  try {
    return iouRewardImpl(String(completion ?? ''), box);
  } catch {
    return 0;
  }
}

/**
 * The answer of a gold written as a solution (MATH-style "… so \boxed{1} and \boxed{-2}"): all boxed
 * answers of its final part joined as one list, else what extractAnswer reads, else the text itself.
 */
export function extractGold(text: string): string {
  try {
    const t = String(text ?? '');
    const d = extractDetailed(t);
    return joinedBoxes(d.boxes) ?? d.answer ?? t;
  } catch {
    return String(text ?? '');
  }
}

export function scoreCompletion(input: ScoreInput): ScoreResult {
  let extracted: string | null = null;
  let accuracy: 0 | 1 = 0;
  try {
    const d = extractDetailed(String(input.completion ?? ''));
    extracted = withChoices(d.answer, input.choices);
    accuracy = extracted !== null && answersEquivalent(extracted, input.groundTruth, input.choices) ? 1 : 0;
    // Several boxed answers ("\boxed{1} and \boxed{-2}") are read together when the gold has several values.
    const joined = accuracy === 0 ? joinedBoxes(d.boxes) : null;
    if (joined !== null && answersEquivalent(joined, input.groundTruth, input.choices)) {
      extracted = joined;
      accuracy = 1;
    }
  } catch {
    accuracy = 0;
  }
  const result: ScoreResult = { accuracy, format: formatReward(input.completion), extracted };
  if (input.box) result.iou = iouReward(input.completion, input.box);
  return result;
}
