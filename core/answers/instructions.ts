// The instruction and hint strings that source datasets wrap around a question. They tell a model
// how to format its answer, which the formalizer and reasoner must not see as part of the question.
// One table, tried in order; add a row to support a new dataset's wording.

export interface Instruction {
  /** Where the family comes from (kept for the record and for tests). */
  name: string;
  /** `prefix`: at the start of the turn; `suffix`: at its end; `line`: a whole line anywhere. */
  at: 'prefix' | 'suffix' | 'line';
  /** Matches the instruction text itself, without its separating newline. */
  text: RegExp;
}

const lit = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

export const INSTRUCTIONS: readonly Instruction[] = [
  // LLaVA-OneVision short-answer suffixes (the strings Mulberry's loader strips).
  { name: 'ov-single-word', at: 'suffix', text: lit('Answer the question using a single word or phrase.') },
  {
    name: 'ov-option-letter',
    at: 'suffix',
    text: /Answer (?:the question )?with the option's letter from the given choices directly\./,
  },
  { name: 'ov-short-answer', at: 'suffix', text: lit('Answer the question with a short answer.') },
  { name: 'ov-short-phrase', at: 'suffix', text: lit('Answer the question with a short phrase.') },
  { name: 'ov-given-options', at: 'suffix', text: lit('Answer with the given options directly.') },
  {
    name: 'ov-select-one',
    at: 'suffix',
    text: lit('Answer the question by selecting only one option from the given options.'),
  },
  { name: 'ov-yes-no', at: 'suffix', text: lit('Answer the question with Yes or No.') },
  // plotqa-style brevity request (Mulberry's comcts rows).
  { name: 'very-brief', at: 'suffix', text: lit('Your answer should be very brief.') },
  { name: 'chart2text', at: 'suffix', text: lit('Please clarify the meaning conveyed by this graph.') },
  // lmms-eval MathVista free-form suffixes.
  { name: 'mathvista-integer', at: 'suffix', text: lit('Answer the question using a single integer number.') },
  {
    name: 'mathvista-float',
    at: 'suffix',
    text: /Answer the question using a single floating-point number with (?:one|two|\w+) decimal places?\./,
  },
  { name: 'mathvista-list', at: 'suffix', text: lit('Answer the question using a Python list.') },
  // VLMEvalKit's multiple-choice prompt tail (written with a trailing space).
  { name: 'vlmeval-select', at: 'suffix', text: lit('Please select the correct answer from the options above.') },
  // MathVista query hints ("…requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end."),
  // the OV hint prefixes, and R1-Onevision's inference prompt (same words, then " Question: " on the same line).
  { name: 'hint-at-the-end', at: 'prefix', text: /Hint: Please answer the question[^\n]*?at the end\./ },
  // geo170k / MathVista reason-first hint (its typo "select the question" is in the source).
  {
    name: 'reason-first',
    at: 'prefix',
    text: lit(
      'First perform reasoning, then finally select the question from the choices in the following format: Answer: xxx.',
    ),
  },
  // MathVista reason-first hints for free-form questions ("…requiring an integer answer and provide the final value, …").
  {
    name: 'reason-first-value',
    at: 'prefix',
    text: /First perform reasoning, then finally answer the question[^\n]*?in the following format: Answer: xxx\./,
  },
  {
    name: 'directly-select',
    at: 'prefix',
    text: lit('Based on the image, directly select the correct answer for the following question:'),
  },
  // MathVerse query_wo / query_cot and the MAVIS prompts that share their wording.
  {
    name: 'mathverse-direct',
    at: 'prefix',
    text: /(?:According to the question shown in the image, p|P)lease directly answer the question and provide the (?:correct option letter, e\.g\., A, B, C, D|final value, e\.g\., 1, 2\.5, 300)\./,
  },
  {
    name: 'mathverse-cot',
    at: 'prefix',
    text: /(?:According to the question shown in the image, p|P)lease first conduct reasoning, and then answer the question and provide the (?:correct option letter, e\.g\., A, B, C, D, at the end|final value, e\.g\., 1, 2\.5, 300, at the end|final value, e\.g\., The answer is xxx)\.?/,
  },
  {
    name: 'mavis-choice',
    at: 'prefix',
    text: /(?:According to the question shown in the image, p|P)lease first perform reasoning, then finally select the right answer from the choices, e\.g\., Answer: xxx\./,
  },
  // Any other line that only tells the format of the answer by example ("…, e.g., Answer: xxx.").
  { name: 'eg-answer-xxx', at: 'line', text: /[^\n]*e\.g\.,? (?:Answer: xxx|The answer is xxx)\.?/ },
  // A bare answer template left on its own line ("Answer: xxx").
  { name: 'answer-template', at: 'line', text: /Answer: ?xxx\.?/ },
  // lmms-eval MathVision prefix (no separator before the question).
  {
    name: 'mathvision-boxed',
    at: 'prefix',
    text: lit('Please solve the problem step by step and put your answer in one "\\boxed{}".'),
  },
];
