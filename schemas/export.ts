import { z } from 'zod';
import { RUN_NAME_RE } from '../core/home.ts';

/** Training-ready export layouts (`r1ov export RUN --format …`). */
export const EXPORT_FORMATS = ['r1-onevision', 'sharegpt', 'trl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Prompt of the SFT model as the paper describes it (FACTS.md, "Prompts and training"): used by the
 * r1-onevision and sharegpt layouts, whose assistant turn is the `<think>…</think>\n<answer>…</answer>` trace.
 */
export const SFT_PROMPT_PREFIX = 'Hint: Please answer the question and provide the final answer at the end.\nQuestion: ';

/** Instruction appended to the question in the TRL layout (the RL model's think/answer format). */
export const TRL_PROMPT_SUFFIX =
  '\nOutput the thinking process in <think> </think> and the final answer in <answer> </answer> tags, with the final answer in \\boxed{}.';

export const ExportInputSchema = z.object({
  run: z.string().regex(RUN_NAME_RE, 'run: letters, digits, ".", "_" or "-"'),
  format: z.enum(EXPORT_FORMATS),
  /** Parquet file to write (".parquet" is appended when the name has no extension). */
  out: z.string().min(1),
  /** Also write an Arrow IPC stream beside it (same name, ".arrow"). */
  arrow: z.boolean().default(false),
  /** Cap on exported records (deterministic: the first N by sample id). */
  limit: z.number().int().positive().optional(),
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
});
export type ExportOutput = z.infer<typeof ExportOutputSchema>;
