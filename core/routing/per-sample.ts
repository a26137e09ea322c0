import { questionFeatures, reasoningSignals } from './question-features.ts';
import { asksForNoReasoning, type SourceRoute } from './source-table.ts';

export interface QuestionDecision {
  /** Set when the sample is rejected for asking no reasoning. */
  reject: { code: string; message: string } | null;
  /** How the decision was made: 'question' when the question overrode the source's prior, else 'table'. */
  by: 'question' | 'table';
  why: string;
}

/**
 * The per-sample half of routing (pure: the question, its options and the source table's prior). A request for a
 * description or transcription is rejected wherever it comes from; in a subset the table marks captioning or
 * transcription, a question with reasoning signals (counting, arithmetic, why, comparisons, options) is kept.
 */
export function routeByQuestion(
  question: string,
  choices: string[] | undefined | null,
  source: string,
  prior: SourceRoute | undefined,
): QuestionDecision {
  if (asksForNoReasoning(question)) {
    return {
      reject: { code: 'no_reasoning', message: 'the question asks for a description or transcription, not reasoning' },
      by: 'question',
      why: 'question asks for a description or transcription',
    };
  }
  const signals = reasoningSignals(questionFeatures(question, choices));
  if (prior?.noReasoning) {
    if (signals.length > 0)
      return {
        reject: null,
        by: 'question',
        why: `question needs reasoning (${signals.join(', ')}) although source ${source} is captioning/transcription`,
      };
    return {
      reject: {
        code: 'no_reasoning',
        message: `source ${source} is captioning/transcription data and the question shows no reasoning`,
      },
      by: 'question',
      why: `source ${source} is captioning/transcription; question shows no reasoning signal`,
    };
  }
  if (prior)
    return {
      reject: null,
      by: 'table',
      why: `source table: ${source} → ${prior.kind}${prior.subkind ? `/${prior.subkind}` : ''}${signals.length ? `; question: ${signals.join(', ')}` : ''}`,
    };
  return {
    reject: null,
    by: 'table',
    why: signals.length ? `question: ${signals.join(', ')}` : 'question shows no reasoning signal',
  };
}
