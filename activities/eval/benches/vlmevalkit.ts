/**
 * Any VLMEvalKit TSV (its ImageBaseDataset and ImageMCQDataset): `index`, `image` (base64, another row's index
 * when ≤ 64 characters, or a stringified list for several images; or `image_path`), `question`, options in
 * columns `A`…`Z` (NaN = absent), `answer` (a letter for multiple choice), optional `hint`, `category`,
 * `l2-category`, `split`. Every other column is kept in `meta` (and written back with the predictions).
 */
import { extname } from 'node:path';
import type { BenchItem } from '../../../schemas/eval.ts';
import { imageOf, letter, letterColumns, metaOf, need, parseList, present, str, type Raw } from '../read.ts';
import { vlmevalkitMcqPrompt, type BenchModule, type NormaliseContext } from './types.ts';

/** Columns that are item fields rather than metadata. */
const ITEM_COLUMNS = new Set(['index', 'image', 'image_path', 'question', 'answer', 'hint', 'choices', 'prediction']);

/**
 * A VLMEvalKit row's images: `image` as base64, as another row's index (≤ 64 characters, image reuse), or as a
 * stringified list; else `image_path` (one path or a list) relative to the file. A string is the reason none could
 * be read; `[]` when the row has no image.
 */
export function vlmevalkitImages(r: Raw, ctx: NormaliseContext): Buffer[] | string {
  let cell = present(r.image);
  if (cell !== undefined && cell.length <= 64) {
    const target = present(ctx.imageByIndex.get(cell.trim()));
    if (target === undefined || target.length <= 64) return `image ${JSON.stringify(cell)} names no row with an image`;
    cell = target;
  }
  const sources =
    cell !== undefined
      ? cell.trimStart().startsWith('[')
        ? (parseList(cell) ?? [cell])
        : [cell]
      : present(r.image_path) !== undefined
        ? (parseList(r.image_path) ?? [str(r.image_path)!])
        : [];
  const out: Buffer[] = [];
  for (const s of sources) {
    const im = imageOf(s, ctx.file);
    if (typeof im === 'string') return im;
    if (im) out.push(im);
  }
  return out;
}

/** Question, options, letter answer and images shared by VLMEvalKit-layout rows. */
function vlmevalkitItem(r: Raw, ctx: NormaliseContext, id: string): BenchItem | string {
  const images = ctx.requireImages ? vlmevalkitImages(r, ctx) : [];
  if (typeof images === 'string') return images;
  // MCQ sets list options in `A`…`Z`; VQA sets (MathVista_MINI, MathVision) keep them in a `choices` list string.
  const letters = letterColumns(r);
  const choices = letters ?? parseList(r.choices);
  const question = str(r.question)!;
  const meta = metaOf(
    Object.fromEntries(Object.entries(r).filter(([k]) => !ITEM_COLUMNS.has(k) && !/^[A-Z]$/.test(k))),
  );
  const hint = present(r.hint);
  if (hint !== undefined) meta.hint = hint;
  const shown = letters ? `${question}\nOptions:\n${letters.map((c, i) => `${letter(i)}. ${c}`).join('\n')}` : question;
  return {
    row: ctx.row,
    id,
    question: shown,
    answer: str(r.answer)!.trim(),
    images,
    ...(choices ? { choices } : {}),
    meta,
    raw: r,
  };
}

export const vlmevalkit: BenchModule = {
  kind: 'vlmevalkit',
  title: 'VLMEvalKit TSV',
  files:
    'any VLMEvalKit dataset TSV (`index`, `image`, `question`, `A`…`Z`, `answer`, `hint`, `category`, `l2-category`, `split`)',
  detect: (columns, file) =>
    ['.tsv', '.xlsx'].includes(extname(file).toLowerCase()) &&
    columns.includes('index') &&
    columns.includes('question'),
  normalise(r, ctx) {
    const miss = need(r, 'index', 'question', 'answer');
    if (miss) return miss;
    return vlmevalkitItem(r, ctx, str(r.index)!.trim());
  },
  prompt(item, style) {
    const r = item.raw;
    const letters = letterColumns(r);
    // VQA-type sets (no option columns) send `question` verbatim in VLMEvalKit (ImageBaseDataset.build_prompt).
    if (style === 'vlmevalkit')
      return { user: letters ? vlmevalkitMcqPrompt(str(r.question)!, letters, present(r.hint)) : str(r.question)! };
    // lmms-eval's multiple-choice convention (the post-prompt its MCQ tasks append).
    const q = str(r.question)!;
    return {
      user: letters
        ? `${q}\n${letters.map((c, i) => `${letter(i)}. ${c}`).join('\n')}\nAnswer with the option's letter from the given choices directly.`
        : q,
    };
  },
  dimensions: [
    { name: 'split', key: 'split' },
    { name: 'category', key: 'category' },
    { name: 'l2-category', key: 'l2-category' },
  ],
};
