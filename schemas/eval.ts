// Benchmark evaluation: benchmark kinds, prompt styles, the workflow's input/state, staged item rows and their columns.
// Benchmark-specific fields never become columns: they travel in each item's `meta` map (activities/eval/benches/).
import { z } from 'zod';
import { ResolvedEndpointSchema } from './config.ts';

export const BenchKindSchema = z.enum(['r1ov-bench', 'mathvista', 'mathverse', 'mathvision', 'wemath', 'vlmevalkit']);
export type BenchKind = z.infer<typeof BenchKindSchema>;
export const BENCH_KINDS: readonly BenchKind[] = BenchKindSchema.options;

/**
 * How the question is put to the model: the project's own templates (`sft`, `rl`: prompts/eval/), or exactly as
 * a toolkit sends it (`vlmevalkit`, `lmms-eval`), so a number can be reproduced there.
 */
export const PromptStyleSchema = z.enum(['sft', 'rl', 'vlmevalkit', 'lmms-eval']);
export type PromptStyle = z.infer<typeof PromptStyleSchema>;
export type ToolkitStyle = Extract<PromptStyle, 'vlmevalkit' | 'lmms-eval'>;

/** The text sent for one item: an optional system message and the user message (images go with the user message). */
export interface BuiltPrompt {
  system?: string;
  user: string;
}

/** One benchmark item after loading, whatever its published format (never travels through workflow history). */
export interface BenchItem {
  /** 0-based data-row number in the file (the offset the workflow pages by). */
  row: number;
  id: string;
  question: string;
  /** Option texts when the item is multiple choice and the options are known. */
  choices?: string[];
  /** Gold answer as published (a letter, an option text, or a value). */
  answer: string;
  /** Images in the order the toolkits send them (usually one; VLMEvalKit rows may list several). */
  images: Buffer[];
  /** Benchmark-specific fields (grade, category, problem version, WeMath ID/key…), as strings. */
  meta: Record<string, string>;
  /** The row as read (the bench module builds toolkit prompts from it); stays in the worker, never staged. */
  raw: Record<string, unknown>;
}

export interface MalformedRow {
  row: number;
  reason: string;
}

/** The evaluate workflow's input: a file path, endpoints (no keys) and knobs. */
export const EvalInputSchema = z.object({
  run: z.string(),
  bench: z.string(),
  kind: BenchKindSchema,
  promptStyle: PromptStyleSchema.default('sft'),
  model: ResolvedEndpointSchema,
  judge: ResolvedEndpointSchema.optional(),
  batchSize: z.number().int().positive().max(256).default(16),
  /** Batches in flight at once. */
  parallel: z.number().int().positive().max(64).default(4),
  /** Attempts of a batch before its still-failing items are recorded as errored. */
  itemAttempts: z.number().int().positive().max(20).default(3),
  limit: z.number().int().positive().optional(),
  /** Carried across continue-as-new: next row offset and counts so far. */
  state: z
    .object({
      next: z.number().int(),
      total: z.number().int(),
      counts: z.record(z.string(), z.number()),
      startedAt: z.string(),
    })
    .optional(),
});
export type EvalInput = z.input<typeof EvalInputSchema>;
export type EvalInputParsed = z.infer<typeof EvalInputSchema>;

export interface EvalCounts {
  items: number;
  correct: number;
  errored: number;
  malformed: number;
  judged: number;
}

export interface EvalProgress {
  run: string;
  kind: BenchKind;
  phase: 'running' | 'committing' | 'finished';
  total: number;
  done: number;
  counts: EvalCounts;
  accuracy: number | null;
}

export interface DescribeBenchResult {
  kind: BenchKind;
  rows: number;
  malformed: number;
}
export interface EvalBatchResult {
  done: number;
  correct: number;
  errored: number;
  undecided: number[];
}
export interface JudgeBatchResult {
  judged: number;
  correct: number;
}

/** DuckDB column types of an `eval_items` row; staged rows and shards use exactly these. */
export const EVAL_ITEM_COLUMNS: Record<string, string> = {
  run: 'VARCHAR',
  bench: 'VARCHAR',
  bench_file: 'VARCHAR',
  item_id: 'VARCHAR',
  row_index: 'INTEGER',
  status: 'VARCHAR',
  correct: 'BOOLEAN',
  decided_by: 'VARCHAR',
  extracted: 'VARCHAR',
  judge_extracted: 'VARCHAR',
  judge_verdict: 'VARCHAR',
  gold: 'VARCHAR',
  choices: 'VARCHAR',
  question: 'VARCHAR',
  response: 'VARCHAR',
  reasoning: 'VARCHAR',
  error: 'VARCHAR',
  model: 'VARCHAR',
  prompt_style: 'VARCHAR',
  system_prompt: 'VARCHAR',
  prompt: 'VARCHAR',
  images: 'INTEGER',
  meta: 'MAP(VARCHAR, VARCHAR)',
  tokens_in: 'BIGINT',
  tokens_out: 'BIGINT',
  finished_at: 'VARCHAR',
};

/** Item status: scored (a verdict), error (the model call failed after retries: counts as wrong), malformed (skipped). */
export const EvalItemStatusSchema = z.enum(['scored', 'error', 'malformed']);
/** Who decided the verdict. */
export const DecidedBySchema = z.enum(['rules', 'judge', 'error', 'none']);

export const EvalItemRowSchema = z.object({
  run: z.string(),
  bench: BenchKindSchema,
  bench_file: z.string(),
  item_id: z.string(),
  row_index: z.number().int(),
  status: EvalItemStatusSchema,
  correct: z.boolean(),
  decided_by: DecidedBySchema,
  extracted: z.string().nullable(),
  judge_extracted: z.string().nullable(),
  judge_verdict: z.string().nullable(),
  gold: z.string().nullable(),
  choices: z.string().nullable(),
  question: z.string().nullable(),
  response: z.string().nullable(),
  reasoning: z.string().nullable(),
  error: z.string().nullable(),
  model: z.string(),
  prompt_style: PromptStyleSchema,
  /** Exactly what the model was sent (recorded per item so another toolkit's number can be reproduced). */
  system_prompt: z.string().nullable(),
  prompt: z.string().nullable(),
  images: z.number().int(),
  meta: z.record(z.string(), z.string()),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  finished_at: z.string(),
});
export type EvalItemRow = z.infer<typeof EvalItemRowSchema>;

/** `runs/<run>/eval-run.json`: the eval_runs view reads these. */
export const EvalManifestSchema = z.object({
  run: z.string(),
  bench: BenchKindSchema,
  bench_file: z.string(),
  model: z.string(),
  prompt_style: PromptStyleSchema,
  judge: z.boolean(),
  status: z.enum(['running', 'completed']),
  started_at: z.string(),
  updated_at: z.string(),
});
export type EvalManifest = z.infer<typeof EvalManifestSchema>;

export { evalWorkflowId } from './queues.ts';

/** `r1ov eval … --json` output. */
export const EvalOutput = z.object({
  run: z.string(),
  workflowId: z.string(),
  started: z.boolean(),
  status: z.string(),
  uiUrl: z.string().nullable(),
  progress: z.unknown().nullable(),
});
