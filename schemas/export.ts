import { z } from 'zod';
import { RUN_NAME_RE } from './queues.ts';

/** Training-ready export layouts (`r1ov export RUN --format …`). */
export const EXPORT_FORMATS = ['r1-onevision', 'sharegpt', 'trl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Prompt of the SFT model as the R1-Onevision paper describes it (its training prompts): used by the
 * r1-onevision and sharegpt layouts, whose assistant turn is the `<think>…</think>\n<answer>…</answer>` trace.
 */
export const SFT_PROMPT_PREFIX =
  'Hint: Please answer the question and provide the final answer at the end.\nQuestion: ';

/** Instruction appended to the question in the TRL layout (the RL model's think/answer format). */
export const TRL_PROMPT_SUFFIX =
  '\nOutput the thinking process in <think> </think> and the final answer in <answer> </answer> tags, with the final answer in \\boxed{}.';

/** How the GRPO rewards verify a gold answer: a choice letter, a constant, a box (IoU). */
export const RL_ANSWER_TYPES = ['multiple-choice', 'numeric', 'box'] as const;
export type RlAnswerType = (typeof RL_ANSWER_TYPES)[number];

/** `--split`: an SFT/RL split of a TRL export (activities/export/split.ts). */
export const ExportSplitSchema = z.strictObject({
  /** SFT gets the rows not drawn for RL (`rest`) or every row (`all`). */
  sft: z.enum(['rest', 'all']).default('rest'),
  /** RL subset size: a row count, or a fraction of the export. */
  rl: z.union([
    z.strictObject({ rows: z.number().int().positive() }),
    z.strictObject({ fraction: z.number().gt(0).max(1) }),
  ]),
  /** Answer types RL may draw from (default multiple-choice and numeric: what the accuracy reward verifies exactly). */
  rlAnswers: z.array(z.enum(RL_ANSWER_TYPES)).min(1).default(['multiple-choice', 'numeric']),
  /** Only rows whose trace is at most this long (characters): they fit GRPO's completion budget. */
  rlMaxTraceChars: z.number().int().positive().optional(),
  /** balanced: round-robin over kinds; proportional: as the export's kinds fall. */
  rlMix: z.enum(['balanced', 'proportional']).default('balanced'),
  seed: z.number().int().min(0).default(0),
});
export type ExportSplit = z.infer<typeof ExportSplitSchema>;

export const SplitManifestSchema = z.object({
  run: z.string(),
  format: z.literal('trl'),
  seed: z.number().int(),
  rules: z.object({
    sft: z.enum(['rest', 'all']),
    rl: ExportSplitSchema.shape.rl,
    rlAnswers: z.array(z.enum(RL_ANSWER_TYPES)),
    rlMaxTraceChars: z.number().int().nullable(),
    rlMix: z.enum(['balanced', 'proportional']),
  }),
  rows: z.object({ total: z.number().int(), eligible: z.number().int(), rl: z.number().int(), sft: z.number().int() }),
  rl: z.object({
    kinds: z.record(z.string(), z.number().int()),
    answers: z.record(z.string(), z.number().int()),
    ids: z.array(z.string()),
  }),
  sft: z.object({ kinds: z.record(z.string(), z.number().int()) }),
  files: z.object({ sft: z.string(), rl: z.string() }),
});
export type SplitManifest = z.infer<typeof SplitManifestSchema>;

export const ExportInputSchema = z.object({
  run: z.string().regex(RUN_NAME_RE, 'run: letters, digits, ".", "_" or "-"'),
  format: z.enum(EXPORT_FORMATS),
  /** Parquet file to write (".parquet" is appended when the name has no extension). */
  out: z.string().min(1),
  /** Also write an Arrow IPC stream beside it (same name, ".arrow"). */
  arrow: z.boolean().default(false),
  /** Cap on exported records (deterministic: the first N by sample id). */
  limit: z.number().int().positive().optional(),
  /** Write an SFT/RL split instead of one file: `out` is then a directory (trl only). */
  split: ExportSplitSchema.optional(),
});
export type ExportInput = z.input<typeof ExportInputSchema>;

export const ExportOutputSchema = z.object({
  run: z.string(),
  format: z.enum(EXPORT_FORMATS),
  rows: z.number().int(),
  withImage: z.number().int(),
  withBox: z.number().int(),
  parquet: z.string(),
  arrow: z.string().nullable(),
  bytes: z.number().int(),
  /** With --split: the manifest (also written as split.json beside the two files). */
  split: SplitManifestSchema.nullable().default(null),
});
export type ExportOutput = z.infer<typeof ExportOutputSchema>;
