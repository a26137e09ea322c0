/**
 * MathVerse (AI4Math/MathVerse testmini) as published: one row per problem version (`problem_version` ∈ Text
 * Dominant … Vision Only), `question` with the options inline (`Choices:\nA:…`), `answer` a letter for
 * `multi-choice` (hyphen, unlike MathVista), `query_wo` / `query_cot` prompts, `metadata` {subject, subfield};
 * `image` may be empty for text-only rows.
 */
import { imageOf, metaOf, need, parseInlineChoices, present, str, type Raw } from '../read.ts';
import type { BenchModule } from './types.ts';

export const MATHVERSE_VERSIONS = [
  'Text Dominant',
  'Text Lite',
  'Vision Intensive',
  'Vision Dominant',
  'Vision Only',
] as const;

/** VLMEvalKit may store `metadata` as a Python dict string. */
function metadataOf(v: unknown): Raw {
  if (v && typeof v === 'object') return v as Raw;
  const s = present(v);
  if (!s) return {};
  try {
    return JSON.parse(s.replaceAll("'", '"')) as Raw;
  } catch {
    return {};
  }
}

export const mathverse: BenchModule = {
  kind: 'mathverse',
  title: 'MathVerse',
  files: 'testmini parquet / JSON / JSONL (`problem_version`, `query_wo`, `query_cot`)',
  detect: (columns) => columns.includes('problem_version'),
  normalise(r, ctx) {
    const miss = need(r, 'sample_index', 'answer');
    if (miss) return miss;
    const question = present(r.question)?.trim() ?? present(r.query_cot)?.trim() ?? present(r.query_wo)?.trim();
    if (!question) return 'missing question (and query_cot, query_wo)';
    const qt = str(r.question_type);
    const choices = qt === 'multi-choice' ? parseInlineChoices(question) : undefined;
    const image = imageOf(r.image, ctx.file);
    if (typeof image === 'string' && ctx.requireImages) return image;
    const m = metadataOf(r.metadata);
    return {
      row: ctx.row,
      id: str(r.sample_index)!,
      question,
      answer: str(r.answer)!.trim(),
      images: image instanceof Buffer ? [image] : [],
      ...(choices ? { choices } : {}),
      meta: metaOf({
        problem_index: r.problem_index,
        problem_version: r.problem_version,
        question_type: qt,
        subject: m.subject,
        subfield: m.subfield,
      }),
      raw: r,
    };
  },
  prompt(item, style) {
    const r = item.raw;
    // VLMEvalKit's MathVerse_MINI sends `question` (its *_cot configs `query_cot`); lmms-eval sends `query_wo`.
    if (style === 'vlmevalkit') return { user: present(r.question) ?? item.question };
    return { user: (present(r.query_wo) ?? item.question).trim() };
  },
  dimensions: [
    { name: 'problem_version', key: 'problem_version', order: MATHVERSE_VERSIONS },
    { name: 'subject', key: 'subject' },
    { name: 'subfield', key: 'subfield' },
    { name: 'question_type', key: 'question_type' },
  ],
};
