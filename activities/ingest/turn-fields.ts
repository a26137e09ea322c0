import { normalizeGoldAnswer, parseQuestion } from '../../core/answers/index.ts';
import { normalizeTrace } from '../../core/trace-format.ts';
import type { TurnPair } from './turns.ts';

/** What one exchange of a source row becomes, before images: the fields of a Sample that come from its text. */
export interface TurnFields {
  question: string;
  questionRaw: string;
  choices: string[] | null;
  /** The gold final answer ('' when there is none: then `error` says why). */
  answer: string;
  answerRaw: string;
  /** The core/answers rule that found the answer ('none' when none did, 'missing' when there is no reply). */
  answerSource: string;
  /** The reasoning inside <think>…</think> of the answer turn (R1-Onevision layout), else null. */
  think: string | null;
  error?: { code: string; message: string };
}

const preview = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}…` : s);

/**
 * Split the question turn (instructions, hints, options) and reduce the answer turn to its final answer, with the
 * rules of core/answers. Shared by ingest and `r1ov profile`, so the profile's extraction rate is the build's.
 */
export function turnFields(pair: TurnPair): TurnFields {
  const q = parseQuestion(pair.question);
  const base = { question: q.question, questionRaw: q.questionRaw, choices: q.choices };
  if (pair.answer === null) {
    return {
      ...base,
      answer: '',
      answerRaw: '',
      answerSource: 'missing',
      think: null,
      error: { code: 'missing_answer', message: `human turn ${pair.turn} has no gpt answer` },
    };
  }
  const gold = normalizeGoldAnswer(pair.answer, { choices: q.choices });
  const fields: TurnFields = {
    ...base,
    answer: gold.answer ?? '',
    answerRaw: gold.answerRaw,
    answerSource: gold.source,
    think: gold.think,
  };
  if (gold.answer === null || gold.answer === '') {
    fields.error = {
      code: 'no_gold_answer',
      message: `answer turn ${pair.turn} holds no final answer: ${preview(pair.answer)}`,
    };
  }
  return fields;
}

/**
 * A released trace in the dataset's own format, ready for the QA rules: the <think> text, then what followed the
 * tag (or the conclusion alone), ending in the gold answer boxed. Null when the turn has no <think> block.
 */
export function importedTrace(f: TurnFields): string | null {
  if (!f.think || !f.answer) return null;
  const after = f.answerRaw.replace(/^[\s\S]*<\/think>/i, '').trim();
  return normalizeTrace(after, f.think, f.answer);
}
