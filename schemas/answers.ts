import { z } from 'zod';

/**
 * The rule that found a gold answer in a source row's answer turn (core/answers/README.md lists
 * them in the order they are tried). `none`: the turn holds no answer.
 */
export const AnswerRuleSchema = z.enum([
  'boxed', // the last \boxed{…} / \fbox{…}
  'answer_tag', // <answer>…</answer>
  'answer_colon', // "Answer: X", "Answer:X", "**Answer:** X"
  'the_answer_is', // "The answer is X", "the correct option is B"
  'final_answer', // "**Final Answer** X", "Final answer: X"
  'think_tail', // a short answer written after </think>
  'think_inner', // a final answer at the end of the <think> block, nothing after it
  'letter_only', // "B", "B.", "B:"
  'paren_letter', // "(B)", "[B]"
  'option_text', // the text of exactly one option, mapped to its letter
  'equation_value', // "x = 3", "The radius is 7 cm." (the value after the "=" / "is")
  'conclusion', // a reasoning text whose last sentence concludes "Therefore, … is 8."
  'last_line', // a reasoning text whose last line is a short answer ("…\n8")
  'bare_value', // a number, possibly with units or a percent sign
  'latex_value', // "$\frac{25\pi}{2}$", "\sqrt{3}"
  'yes_no', // "yes", "No." → Yes / No
  'whole_turn_short', // a short free-text answer ("a red bus") that is its own answer
  'none',
]);
export type AnswerRule = z.infer<typeof AnswerRuleSchema>;

/** A source row's human turn, split into what the models see and what was removed. */
export const ParsedQuestionSchema = z.object({
  // What formalizer/reasoner see: <image> tokens, instruction suffixes, hint prefixes and the options block removed.
  question: z.string(),
  // The human turn as written.
  questionRaw: z.string(),
  // Option texts in letter order (A, B, …); null when the question is not multiple-choice.
  choices: z.array(z.string()).nullable(),
  // The instruction / hint strings removed, as written (for the record).
  stripped: z.array(z.string()),
});
export type ParsedQuestion = z.infer<typeof ParsedQuestionSchema>;

/** A source row's answer turn, reduced to its final answer. */
export const GoldAnswerSchema = z.object({
  // The final answer alone: an option letter for multiple choice, the value otherwise; null = no answer in the turn.
  answer: z.string().nullable(),
  // The gpt / assistant turn as written.
  answerRaw: z.string(),
  source: AnswerRuleSchema,
  // The reasoning inside <think>…</think> when the turn has one (R1-Onevision layout), else null.
  think: z.string().nullable(),
});
export type GoldAnswer = z.infer<typeof GoldAnswerSchema>;
