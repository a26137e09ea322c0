/**
 * R1-OneVision-Bench as published: one VLMEvalKit-style TSV (`r1-onevision.tsv`: index, image base64, question,
 * answer, choices, level, category). The hint and the options are already inside `question`
 * (`Hint: …\nQuestion: …\nOptions: …`); `choices` is a list string, empty for free-form items. Grade (`level`) and
 * category strings are the file's own. A row with an empty answer is malformed (reported, not fatal).
 */
import { extname } from 'node:path';
import { need, parseInlineChoices, parseList, present, str } from '../read.ts';
import type { BenchModule } from './types.ts';
import { vlmevalkitImages } from './vlmevalkit.ts';

export const r1ovBench: BenchModule = {
  kind: 'r1ov-bench',
  title: 'R1-OneVision-Bench',
  files:
    '`r1-onevision.tsv` (VLMEvalKit-style TSV: index, image, question with hint and options, answer, choices, level, category)',
  detect: (columns, file) =>
    ['.tsv', '.csv', '.xlsx'].includes(extname(file).toLowerCase()) &&
    ['index', 'question', 'level', 'category'].every((c) => columns.includes(c)),
  normalise(r, ctx) {
    const miss = need(r, 'index', 'question', 'answer');
    if (miss) return miss === 'missing answer' ? 'answer is empty' : miss;
    const images = ctx.requireImages ? vlmevalkitImages(r, ctx) : [];
    if (typeof images === 'string') return images;
    const full = str(r.question)!;
    // Loaders split the hint from the question on its `Question: ` marker.
    const at = full.indexOf('Question: ');
    const hint =
      at > 0
        ? full
            .slice(0, at)
            .trim()
            .replace(/^Hint:\s*/, '')
        : undefined;
    const question = at >= 0 ? full.slice(at + 'Question: '.length) : full;
    const choices =
      parseList(r.choices) ?? (present(r.choices) !== undefined ? parseInlineChoices(question) : undefined);
    return {
      row: ctx.row,
      id: str(r.index)!.trim(),
      question,
      answer: str(r.answer)!.trim(),
      images,
      ...(choices ? { choices } : {}),
      meta: {
        ...(present(r.level) !== undefined ? { level: present(r.level)! } : {}),
        ...(present(r.category) !== undefined ? { category: present(r.category)! } : {}),
        ...(hint ? { hint } : {}),
        question_type: choices ? 'multi_choice' : 'free_form',
      },
      raw: r,
    };
  },
  // Neither toolkit has an R1-OneVision-Bench task: both send the published question (hint and options inside) as is.
  prompt: (item) => ({ user: str(item.raw.question)! }),
  dimensions: [
    { name: 'grade', key: 'level' },
    { name: 'category', key: 'category' },
    { name: 'grade×category', key: ['level', 'category'] },
    { name: 'question_type', key: 'question_type' },
  ],
};
