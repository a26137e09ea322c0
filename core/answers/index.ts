// Questions and gold answers of real source rows (LLaVA-OneVision, R1-Onevision), as they are
// written: the question without its instructions and options block, the options in letter order,
// and the final answer alone. Pure functions: no I/O, never throw, microseconds per call.
// Rules: core/answers/README.md.
import type { GoldAnswer, ParsedQuestion } from '../../schemas/answers.ts';
import { normalizeGoldAnswerImpl } from './gold.ts';
import { parseQuestionImpl } from './question.ts';

export type { AnswerRule, GoldAnswer, ParsedQuestion } from '../../schemas/answers.ts';
export { INSTRUCTIONS, type Instruction } from './instructions.ts';
export { findOptions, type OptionsBlock } from './options.ts';
export { splitThink, type ThinkSplit } from './gold.ts';
export { choiceLines, questionWithChoices } from './choices.ts';

/** The human turn split into the question the models see, its options (null when not multiple-choice) and what was removed. */
export function parseQuestion(humanTurn: string): ParsedQuestion {
  try {
    return parseQuestionImpl(humanTurn);
  } catch {
    const raw = String(humanTurn ?? '');
    return { question: raw.trim(), questionRaw: raw, choices: null, stripped: [] };
  }
}

/**
 * The final answer of an answer turn: an option letter when `choices` are given and the gold names
 * one (by letter or by its text), else the value (units and prose removed, LaTeX kept); null when the
 * turn holds no answer. `think` is the reasoning of an R1-Onevision `<think>` block.
 */
export function normalizeGoldAnswer(gptTurn: string, opts: { choices: string[] | null }): GoldAnswer {
  try {
    return normalizeGoldAnswerImpl(gptTurn, opts?.choices ?? null);
  } catch {
    return { answer: null, answerRaw: String(gptTurn ?? ''), source: 'none', think: null };
  }
}
