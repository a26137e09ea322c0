/**
 * WeMath (the We-Math repository's `testmini.json`; the Hugging Face copy) as published: `ID` groups a problem's
 * one-step sub-problems (`key` `2steps_1`, `2steps_2`, `3steps_1`…) with its composite row (`2steps_multi`,
 * `3steps_multi`); `option` is one string of options joined by ';' with irregular spacing
 * (`A. 300, 400;B. 400, 300;…; E. No correct answer`); `image_path` is relative to the file
 * (`2steps/image/1-1.png`) or, in the Hugging Face copy, an Image struct. VLMEvalKit's WeMath TSV (options in
 * `A`…`E`, base64 `image`) reads too.
 */
import type { BenchItem } from '../../../schemas/eval.ts';
import { imageOf, letter, letterColumns, metaOf, need, parseInlineChoices, present, str } from '../read.ts';
import { vlmevalkitMcqPrompt, type BenchModule, type ExtraMetrics, type ScoredItem } from './types.ts';
import { vlmevalkitImages } from './vlmevalkit.ts';

/** lmms-eval's system prompt for WeMath (its wemath_testmini_reasoning task). */
const LMMS_EVAL_SYSTEM =
  'You are a helpful assistant. When the user asks a question, your response must include two parts: ' +
  'first, the reasoning process enclosed in <think>...</think> tags, then the final answer enclosed in <answer>...</answer> tags.' +
  'Please provide a clear, concise response within <answer> </answer> tags that directly addresses the question.';

const KEY_RE = /^(\d+)steps_(\d+|multi)$/;

export interface WeMathScores {
  /** Multi-step problems scored (every sub-problem and the composite present): 525 on the full testmini. */
  problems: number;
  twoStep: number;
  threeStep: number;
  IK: number;
  IG: number;
  CM_strict: number;
  CM_loose: number;
  RM_strict: number;
  RM_loose: number;
  /** (N − 0.5·IG − RM − IK) / N, N = problems. */
  score_strict: number | null;
  score_loose: number | null;
  /** Accuracy over one-step sub-problems (S1) and composites of two- and three-step problems (S2, S3). */
  S1: number | null;
  S2: number | null;
  S3: number | null;
  incomplete: string[];
}

/**
 * The four-dimensional metrics of WeMath's reference script (four_dimensional_metrics, ≡ VLMEvalKit's wemath_evaluate_models),
 * per problem: IK = some sub-problem wrong and the composite wrong; IG = every sub-problem right, composite wrong;
 * CM strict = all right and composite right (loose: any sub-problem right); RM strict = some sub-problem wrong,
 * composite right (loose: every sub-problem wrong). The reference divides by the constant 525 (360 two-step + 165
 * three-step problems); here N is the number of multi-step problems in the file, so the full testmini gives 525.
 */
export function wemathScores(items: Array<{ id: string; key: string; correct: boolean }>): WeMathScores {
  const groups = new Map<string, { steps: number; parts: Map<string, boolean> }>();
  for (const it of items) {
    const m = KEY_RE.exec(it.key);
    if (!m || Number(m[1]) < 2) continue;
    const gid = `${it.id}\u0000${m[1]}`;
    const g = groups.get(gid) ?? { steps: Number(m[1]), parts: new Map<string, boolean>() };
    groups.set(gid, g);
    g.parts.set(m[2]!, it.correct);
  }
  const s: WeMathScores = {
    problems: 0,
    twoStep: 0,
    threeStep: 0,
    IK: 0,
    IG: 0,
    CM_strict: 0,
    CM_loose: 0,
    RM_strict: 0,
    RM_loose: 0,
    score_strict: null,
    score_loose: null,
    S1: null,
    S2: null,
    S3: null,
    incomplete: [],
  };
  let subN = 0,
    subRight = 0,
    s2N = 0,
    s2Right = 0,
    s3N = 0,
    s3Right = 0;
  for (const [gid, g] of groups) {
    const parts = Array.from({ length: g.steps }, (_, i) => g.parts.get(String(i + 1)));
    const multi = g.parts.get('multi');
    if (multi === undefined || parts.some((p) => p === undefined)) {
      s.incomplete.push(gid.split('\u0000')[0]!);
      continue;
    }
    s.problems++;
    if (g.steps === 2) {
      s.twoStep++;
      s2N++;
      if (multi) s2Right++;
    }
    if (g.steps === 3) {
      s.threeStep++;
      s3N++;
      if (multi) s3Right++;
    }
    subN += parts.length;
    subRight += parts.filter(Boolean).length;
    const all = parts.every(Boolean),
      any = parts.some(Boolean);
    if (all && !multi) s.IG++;
    if (!all && !multi) s.IK++;
    if (all && multi) s.CM_strict++;
    if (any && multi) s.CM_loose++;
    if (!all && multi) s.RM_strict++;
    if (!any && multi) s.RM_loose++;
  }
  const n = s.problems;
  if (n > 0) {
    s.score_strict = (n - 0.5 * s.IG - s.RM_strict - s.IK) / n;
    s.score_loose = (n - 0.5 * s.IG - s.RM_loose - s.IK) / n;
  }
  s.S1 = subN ? subRight / subN : null;
  s.S2 = s2N ? s2Right / s2N : null;
  s.S3 = s3N ? s3Right / s3N : null;
  return s;
}

/** `{:.2%}` as the reference prints it. */
const pct2 = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}%`);
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** The paper's table: Score, IK, IG, CM, RM (rates with counts) under strict and loose, then S1–S3. */
export function wemathMetrics(items: ScoredItem[]): ExtraMetrics {
  const s = wemathScores(
    items.filter((i) => i.meta.ID && i.meta.key).map((i) => ({ id: i.meta.ID!, key: i.meta.key!, correct: i.correct })),
  );
  const n = s.problems;
  // Rates as the reference computes them: IK, IG, CM over N; RM over CM + RM of the same condition.
  const rates = {
    IK: ratio(s.IK, n),
    IG: ratio(s.IG, n),
    CM_strict: ratio(s.CM_strict, n),
    CM_loose: ratio(s.CM_loose, n),
    RM_strict: ratio(s.RM_strict, s.CM_strict + s.RM_strict),
    RM_loose: ratio(s.RM_loose, s.CM_loose + s.RM_loose),
  };
  const cell = (r: number | null, c: number) => `${pct2(r)} (${c})`;
  return {
    title: 'WeMath four-dimensional metrics',
    values: {
      problems: n,
      two_step: s.twoStep,
      three_step: s.threeStep,
      IK: s.IK,
      IG: s.IG,
      CM_strict: s.CM_strict,
      CM_loose: s.CM_loose,
      RM_strict: s.RM_strict,
      RM_loose: s.RM_loose,
      score_strict: s.score_strict,
      score_loose: s.score_loose,
      IK_rate: rates.IK,
      IG_rate: rates.IG,
      CM_strict_rate: rates.CM_strict,
      CM_loose_rate: rates.CM_loose,
      RM_strict_rate: rates.RM_strict,
      RM_loose_rate: rates.RM_loose,
      S1: s.S1,
      S2: s.S2,
      S3: s.S3,
    },
    tables: [
      {
        caption: `Strict and loose (N = ${n} multi-step problems: ${s.twoStep} two-step, ${s.threeStep} three-step)`,
        header: ['condition', 'Score', 'IK', 'IG', 'CM', 'RM'],
        rows: [
          [
            'strict',
            pct2(s.score_strict),
            cell(rates.IK, s.IK),
            cell(rates.IG, s.IG),
            cell(rates.CM_strict, s.CM_strict),
            cell(rates.RM_strict, s.RM_strict),
          ],
          [
            'loose',
            pct2(s.score_loose),
            cell(rates.IK, s.IK),
            cell(rates.IG, s.IG),
            cell(rates.CM_loose, s.CM_loose),
            cell(rates.RM_loose, s.RM_loose),
          ],
        ],
      },
      {
        caption: 'Accuracy by steps',
        header: ['One-step (S1)', 'Two-step (S2)', 'Three-step (S3)'],
        rows: [[pct2(s.S1), pct2(s.S2), pct2(s.S3)]],
      },
    ],
    notes: s.incomplete.length
      ? [
          `Incomplete multi-step problems (a sub-problem or the composite missing; not scored): ${s.incomplete.join(', ')}`,
        ]
      : [],
  };
}

/**
 * WeMath's string match (its reference script's load_and_process_data): the text after the last `Answer`, stripped of
 * `><:.`, its first character when it is A–H. Only for responses that name an `Answer` (`<Answer>: C`,
 * `Answer: C`); others go to the shared verifier.
 */
export function wemathAnswerLetter(response: string): string | undefined {
  if (!response.includes('Answer')) return undefined;
  const tail = response
    .split('Answer')
    .pop()!
    .trim()
    .replace(/[><:.]/g, '')
    .trim();
  return tail && 'ABCDEFGH'.includes(tail[0]!) ? tail[0] : undefined;
}

export const wemath: BenchModule = {
  kind: 'wemath',
  title: 'WeMath',
  files:
    "`testmini.json` with `image_path` files beside it (`2steps/image/1-1.png`), the Hugging Face parquet (Image column), or VLMEvalKit's WeMath TSV",
  detect: (columns) => columns.includes('ID') && (columns.includes('key') || columns.includes('option')),
  normalise(r, ctx): BenchItem | string {
    const miss = need(r, 'ID', 'key', 'question', 'answer');
    if (miss) return miss;
    const key = str(r.key)!.trim();
    if (!KEY_RE.test(key)) return `unknown key ${JSON.stringify(key.slice(0, 40))} (expected Nsteps_i or Nsteps_multi)`;
    const option = present(r.option);
    const choices = option !== undefined ? parseInlineChoices(option) : letterColumns(r);
    if (!choices)
      return option !== undefined
        ? `option ${JSON.stringify(option.slice(0, 60))} lists no lettered options`
        : 'missing option';
    let images: Buffer[] | string;
    if (r.image_path !== undefined && r.image_path !== null && typeof r.image_path !== 'string') {
      const im = imageOf(r.image_path, ctx.file); // the Hugging Face Image struct
      images = typeof im === 'string' ? im : im ? [im] : 'image_path holds no image';
    } else if (present(r.image) !== undefined) images = vlmevalkitImages(r, ctx);
    else if (present(r.image_path) !== undefined) {
      const im = imageOf(str(r.image_path)!, ctx.file);
      images = typeof im === 'string' ? im : im ? [im] : 'image_path is empty';
    } else images = 'no image (image_path or image)';
    if (typeof images === 'string' && !ctx.requireImages) images = [];
    if (typeof images === 'string') return images;
    const question = str(r.question)!;
    return {
      row: ctx.row,
      id: `${str(r.ID)!.trim()}@${key}`,
      question: `${question}\nOptions:\n${choices.map((c, i) => `${letter(i)}. ${c}`).join('\n')}`,
      answer: str(r.answer)!.trim(),
      images,
      choices,
      meta: metaOf({
        ID: str(r.ID)!.trim(),
        key,
        step: key.endsWith('_multi') ? 'multi-step' : 'one-step',
        split: r.split,
        'knowledge concept': r['knowledge concept'],
        'question number': r['question number'],
      }),
      raw: r,
    };
  },
  prompt(item, style) {
    const r = item.raw;
    // VLMEvalKit's WeMath.build_prompt: hint if any, `Question: …`, `Options:` lines, no closing instruction.
    if (style === 'vlmevalkit')
      return { user: vlmevalkitMcqPrompt(str(r.question)!, item.choices, present(r.hint), false) };
    const option = present(r.option) ?? item.choices!.map((c, i) => `${letter(i)}. ${c}`).join(';');
    return { system: LMMS_EVAL_SYSTEM, user: `${str(r.question)}\n${option}`.trim() };
  },
  dimensions: [
    { name: 'step', key: 'step' },
    { name: 'key', key: 'key' },
    { name: 'knowledge concept', key: 'knowledge concept' },
  ],
  verdict(response, item) {
    const l = wemathAnswerLetter(response);
    return l === undefined ? undefined : { extracted: l, correct: l === item.answer.trim().toUpperCase() };
  },
  metrics: wemathMetrics,
};
