// Benchmark evaluation (issue 6): benchmark kinds, the workflow's input/state, staged item rows and their columns.
import { z } from 'zod';
import { ResolvedEndpointSchema } from './config.ts';

export const BenchKindSchema = z.enum(['r1ov-bench', 'mathvista', 'mathverse', 'mathvision', 'wemath']);
export type BenchKind = z.infer<typeof BenchKindSchema>;
export const BENCH_KINDS: readonly BenchKind[] = BenchKindSchema.options;

export const PromptStyleSchema = z.enum(['sft', 'rl']);
export type PromptStyle = z.infer<typeof PromptStyleSchema>;

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
  image?: Buffer;
  meta: Partial<Record<MetaKey, string>>;
}
export const META_KEYS = ['level', 'category', 'subject', 'problem_version', 'question_type', 'answer_type', 'unit', 'precision', 'wemath_id', 'wemath_key'] as const;
export type MetaKey = (typeof META_KEYS)[number];

export interface MalformedRow { row: number; reason: string }

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
  state: z.object({ next: z.number().int(), total: z.number().int(), counts: z.record(z.string(), z.number()), startedAt: z.string() }).optional(),
});
export type EvalInput = z.input<typeof EvalInputSchema>;
export type EvalInputParsed = z.infer<typeof EvalInputSchema>;

export interface EvalCounts { items: number; correct: number; errored: number; malformed: number; judged: number }

export interface EvalProgress {
  run: string;
  kind: BenchKind;
  phase: 'running' | 'committing' | 'finished';
  total: number;
  done: number;
  counts: EvalCounts;
  accuracy: number | null;
}

export interface DescribeBenchResult { kind: BenchKind; rows: number; malformed: number }
export interface EvalBatchResult { done: number; correct: number; errored: number; undecided: number[] }
export interface JudgeBatchResult { judged: number; correct: number }

/** DuckDB column types of an `eval_items` row; staged rows and shards use exactly these. */
export const EVAL_ITEM_COLUMNS: Record<string, string> = {
  run: 'VARCHAR', bench: 'VARCHAR', bench_file: 'VARCHAR', item_id: 'VARCHAR', row_index: 'INTEGER',
  status: 'VARCHAR', correct: 'BOOLEAN', decided_by: 'VARCHAR', extracted: 'VARCHAR', judge_extracted: 'VARCHAR',
  judge_verdict: 'VARCHAR', gold: 'VARCHAR', choices: 'VARCHAR', question: 'VARCHAR', response: 'VARCHAR',
  reasoning: 'VARCHAR', error: 'VARCHAR', model: 'VARCHAR', prompt_style: 'VARCHAR',
  level: 'VARCHAR', category: 'VARCHAR', subject: 'VARCHAR', problem_version: 'VARCHAR', question_type: 'VARCHAR',
  answer_type: 'VARCHAR', wemath_id: 'VARCHAR', wemath_key: 'VARCHAR', tokens_in: 'BIGINT', tokens_out: 'BIGINT',
  finished_at: 'VARCHAR',
};

/** Item status: scored (a verdict), error (the model call failed after retries: counts as wrong), malformed (skipped). */
export const EvalItemStatusSchema = z.enum(['scored', 'error', 'malformed']);
/** Who decided the verdict. */
export const DecidedBySchema = z.enum(['rules', 'judge', 'error', 'none']);

export const EvalItemRowSchema = z.object({
  run: z.string(), bench: BenchKindSchema, bench_file: z.string(), item_id: z.string(), row_index: z.number().int(),
  status: EvalItemStatusSchema, correct: z.boolean(), decided_by: DecidedBySchema,
  extracted: z.string().nullable(), judge_extracted: z.string().nullable(), judge_verdict: z.string().nullable(),
  gold: z.string().nullable(), choices: z.string().nullable(), question: z.string().nullable(), response: z.string().nullable(),
  reasoning: z.string().nullable(), error: z.string().nullable(), model: z.string(), prompt_style: PromptStyleSchema,
  level: z.string().nullable(), category: z.string().nullable(), subject: z.string().nullable(), problem_version: z.string().nullable(),
  question_type: z.string().nullable(), answer_type: z.string().nullable(), wemath_id: z.string().nullable(), wemath_key: z.string().nullable(),
  tokens_in: z.number().int(), tokens_out: z.number().int(), finished_at: z.string(),
});
export type EvalItemRow = z.infer<typeof EvalItemRowSchema>;

/** `runs/<run>/eval-run.json`: the eval_runs view reads these. */
export const EvalManifestSchema = z.object({
  run: z.string(), bench: BenchKindSchema, bench_file: z.string(), model: z.string(), prompt_style: PromptStyleSchema,
  judge: z.boolean(), status: z.enum(['running', 'completed']), started_at: z.string(), updated_at: z.string(),
});
export type EvalManifest = z.infer<typeof EvalManifestSchema>;

export { evalWorkflowId } from './queues.ts';

/** `r1ov eval … --json` output. */
export const EvalOutput = z.object({
  run: z.string(), workflowId: z.string(), started: z.boolean(), status: z.string(), uiUrl: z.string().nullable(),
  progress: z.unknown().nullable(),
});
