/**
 * MathVista (AI4Math/MathVista testmini/test) as published: parquet with `decoded_image` (an Image struct) or
 * testmini.json with `image` paths; `choices` list (null when free form), MC `answer` is the option text,
 * `precision` for floats, `query` (the benchmark's own prompt), `metadata` {category, task, grade, skills, …}.
 */
import { imageOf, letter, metaOf, need, parseList, present, str, type Raw } from '../read.ts';
import type { BenchModule } from './types.ts';

/** lmms-eval's `format-prompt` instruction per answer type (its MathVista create_one_query). */
function lmmsEvalHint(
  questionType: string | undefined,
  answerType: string | undefined,
  precision: number | undefined,
): string {
  if (questionType === 'multi_choice') return "Answer with the option's letter from the given choices directly.";
  if (answerType === 'integer') return 'Answer the question using a single integer number.';
  if (answerType === 'float' && precision === 1)
    return 'Answer the question using a single floating-point number with one decimal place.';
  if (answerType === 'float' && precision === 2)
    return 'Answer the question using a single floating-point number with two decimal places.';
  if (answerType === 'list') return 'Answer the question using a Python list.';
  return '';
}

/** MathVista's own `query` when a row lacks it: hint, `Question: …`, unit, `Choices:\n(A) …` (the HF builder). */
function queryOf(r: Raw, choices: string[] | undefined): string {
  const qt = str(r.question_type),
    at = str(r.answer_type),
    p = Number(r.precision);
  const hint =
    qt === 'multi_choice'
      ? 'Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.'
      : at === 'integer'
        ? 'Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end.'
        : at === 'float' && p === 1
          ? 'Please answer the question requiring a floating-point number with one decimal place and provide the final value, e.g., 1.2, 1.3, 1.4, at the end.'
          : at === 'float' && p === 2
            ? 'Please answer the question requiring a floating-point number with two decimal places and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.'
            : 'Please answer the question requiring a Python list as an answer and provide the final list, e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end.';
  const unit = present(r.unit);
  let q = `Hint: ${hint}\nQuestion: ${str(r.question)}${unit ? ` (Unit: ${unit})` : ''}`;
  if (choices) q += `\nChoices:\n${choices.map((c, i) => `(${letter(i)}) ${c}`).join('\n')}`;
  return q;
}

export const mathvista: BenchModule = {
  kind: 'mathvista',
  title: 'MathVista',
  files: 'testmini/test parquet (`decoded_image`) or `testmini.json` (`image` paths beside it)',
  detect: (columns) => ['pid', 'question_type', 'answer_type'].every((c) => columns.includes(c)),
  normalise(r, ctx) {
    const miss = need(r, 'pid', 'question', 'answer');
    if (miss) return miss;
    const choices = parseList(r.choices);
    const image = imageOf(r.decoded_image ?? r.image, ctx.file);
    if (typeof image === 'string' && ctx.requireImages) return image;
    const m = (r.metadata && typeof r.metadata === 'object' ? r.metadata : {}) as Raw;
    const unit = present(r.unit);
    let q = str(r.question)!;
    if (choices) q += `\nChoices:\n${choices.map((c, i) => `(${letter(i)}) ${c}`).join('\n')}`;
    else if (unit) q += ` (Unit: ${unit})`;
    const precision =
      r.precision === null || r.precision === undefined || Number.isNaN(Number(r.precision))
        ? undefined
        : String(Number(r.precision));
    return {
      row: ctx.row,
      id: str(r.pid)!,
      question: q,
      answer: str(r.answer)!.trim(),
      images: image instanceof Buffer ? [image] : [],
      ...(choices ? { choices } : {}),
      meta: metaOf({
        question_type: r.question_type,
        answer_type: r.answer_type,
        unit,
        precision,
        category: m.category,
        task: m.task,
        grade: m.grade,
        context: m.context,
        source: m.source,
        language: m.language,
        skills: Array.isArray(m.skills) ? m.skills.join(', ') : m.skills,
      }),
      raw: r,
    };
  },
  prompt(item, style) {
    const r = item.raw;
    // VLMEvalKit sends its TSV's `question`, which is MathVista's `query`.
    if (style === 'vlmevalkit') return { user: present(r.query) ?? queryOf(r, item.choices) };
    const unit = present(r.unit);
    const precision = r.precision === null || r.precision === undefined ? undefined : Number(r.precision);
    const parts = [
      `${str(r.question)}${unit ? ` (Unit: ${unit})` : ''}`,
      item.choices ? item.choices.map((c, i) => `${letter(i)}. ${c}`).join('\n') : '',
      lmmsEvalHint(str(r.question_type), str(r.answer_type), precision),
    ];
    return {
      user: parts
        .filter((p) => p !== '')
        .join('\n')
        .trim(),
    };
  },
  dimensions: [
    { name: 'question_type', key: 'question_type' },
    { name: 'answer_type', key: 'answer_type' },
    { name: 'task', key: 'task' },
    { name: 'grade', key: 'grade' },
  ],
};
