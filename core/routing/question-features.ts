// Cheap question features for per-sample routing: a subset that is mostly captioning or transcription may still hold
// questions that need reasoning ("What is the total cost including tax?" on a receipt). Text rules only, no model.

export interface QuestionFeatures {
  /** Digits or number words in the question. */
  numbers: boolean;
  /** "how many", "how much", "count". */
  counting: boolean;
  /** total, sum, difference, average, percent, more/less than, ratio… */
  arithmetic: boolean;
  /** why, explain, infer, what would happen, reason… */
  causal: boolean;
  /** The question is multiple choice. */
  options: boolean;
  /** Comparisons: which is larger, highest, lowest, compare… */
  comparison: boolean;
}

const NUMBER =
  /\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|thousand|half|twice|double)\b/i;
const COUNTING = /\bhow (many|much)\b|\bcount\b|\bnumber of\b/i;
const ARITHMETIC =
  /\b(total|sum|difference|average|mean|median|percent(age)?|ratio|product|times|plus|minus|divided|multipl\w*|subtract\w*|add(ed|ing)? up|combined|including tax|tax|discount|change from|increase|decrease|remaining|left over)\b|%/i;
const CAUSAL =
  /\b(why|explain|reason|infer|conclude|predict|what would happen|what will happen|how (does|do|did|can|could|would)|because)\b/i;
const COMPARISON =
  /\b(more|less|fewer|greater|smaller|larger|higher|lower|highest|lowest|largest|smallest|most|least|compare\w*|older|younger|longer|shorter|bigger|before|after)\b/i;

export function questionFeatures(question: string, choices?: string[] | null): QuestionFeatures {
  return {
    numbers: NUMBER.test(question),
    counting: COUNTING.test(question),
    arithmetic: ARITHMETIC.test(question),
    causal: CAUSAL.test(question),
    options: (choices?.length ?? 0) >= 2,
    comparison: COMPARISON.test(question),
  };
}

/**
 * Whether a question calls for reasoning on its own words, with the features that say so (empty: it does not).
 * Numbers alone are not enough ("What is written on line 3?"): they count with an operation, a count or a comparison.
 */
export function reasoningSignals(f: QuestionFeatures): string[] {
  const signals: string[] = [];
  if (f.counting) signals.push('counting');
  if (f.arithmetic) signals.push('arithmetic');
  if (f.causal) signals.push('why/explain');
  if (f.comparison && (f.numbers || f.options)) signals.push('comparison');
  if (f.options) signals.push('options');
  return signals;
}
