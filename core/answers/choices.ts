// The options of a multiple-choice question as the models read them: one writer for every prompt that shows
// them (formalizer, reasoner, QA judge), so a gold letter names the same line in each.

/** One `A. text` line per option, in letter order. */
export function choiceLines(choices: readonly string[]): string {
  return choices.map((c, i) => `${String.fromCharCode(65 + i)}. ${c}`).join('\n');
}

/** The question, then its options under an `Options:` header (reasoner, QA judge); the question alone when there are none. */
export function questionWithChoices(question: string, choices: readonly string[] | null | undefined): string {
  return choices?.length ? `${question}\nOptions:\n${choiceLines(choices)}` : question;
}
