/**
 * MathVision (MathLLMs/MathVision test/testmini) as published: `options` list (`[]` = free form), `answer` a letter
 * when there are options, `image` path or `decoded_image`, `level` (int), `subject`.
 */
import { imageOf, letter, metaOf, need, parseList, str } from '../read.ts';
import type { BenchModule } from './types.ts';

export const mathvision: BenchModule = {
  kind: 'mathvision',
  title: 'MathVision',
  files: 'test/testmini parquet / JSON / JSONL (`options`, `decoded_image` or `image` path)',
  detect: (columns) =>
    (columns.includes('options') && columns.includes('subject')) ||
    (columns.includes('id') && columns.includes('options')),
  normalise(r, ctx) {
    const miss = need(r, 'id', 'question', 'answer');
    if (miss) return miss;
    const options = parseList(r.options);
    const mc = Boolean(options && options.length > 0);
    const image = imageOf(r.decoded_image ?? r.image, ctx.file);
    if (typeof image === 'string' && ctx.requireImages) return image;
    let q = str(r.question)!;
    if (mc) q += `\nChoices:\n${options!.map((c, i) => `(${letter(i)}) ${c}`).join('\n')}`;
    return {
      row: ctx.row,
      id: str(r.id)!,
      question: q,
      answer: str(r.answer)!.trim(),
      images: image instanceof Buffer ? [image] : [],
      ...(mc ? { choices: options } : {}),
      meta: metaOf({ level: r.level, subject: r.subject, question_type: mc ? 'multi_choice' : 'free_form' }),
      raw: r,
    };
  },
  prompt(item, style) {
    const q = str(item.raw.question)!;
    const opts = item.choices?.map((c, i) => `${letter(i)}. ${c}`).join('\n');
    // VLMEvalKit sends its TSV's `question`; the published rows keep options apart, so they follow in its MCQ layout.
    if (style === 'vlmevalkit') return { user: opts ? `${q}\nOptions:\n${opts}` : q };
    // lmms-eval's mathvision_doc_to_text: the boxed instruction, the question with no separator, then the options.
    const boxed = 'Please solve the problem step by step and put your answer in one "\\boxed{}".';
    return {
      user: opts
        ? `${boxed}${q}\nChoices: ${opts}\nAnswer the question with the option's letter from the given choices directly.`
        : `${boxed}${q}`,
    };
  },
  dimensions: [
    { name: 'subject', key: 'subject' },
    { name: 'level', key: 'level' },
    { name: 'question_type', key: 'question_type' },
  ],
};
