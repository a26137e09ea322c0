import { z } from 'zod';
import { ResolvedEndpointSchema, RoleSchema, RunConfigSchema } from './config.ts';
import { SampleRefSchema, StageSchema, StatusSchema } from './sample.ts';

import { RUN_NAME_RE } from './queues.ts';

export { CPU_QUEUE, GPU_QUEUE, llmQueue, ALL_QUEUES } from './queues.ts';

/** Where ingestion stands: file index in the resolved file list, row offset in that file. */
export const IngestCursorSchema = z.object({
  file: z.number().int().nonnegative(),
  row: z.number().int().nonnegative(),
});
export type IngestCursor = z.infer<typeof IngestCursorSchema>;

export const IngestPageResultSchema = z.object({
  refs: z.array(SampleRefSchema),
  next: IngestCursorSchema.nullable(),
  rowsRead: z.number().int(),
});
export type IngestPageResult = z.infer<typeof IngestPageResultSchema>;

export const EndpointsSchema = z.partialRecord(RoleSchema, ResolvedEndpointSchema);
export type Endpoints = z.infer<typeof EndpointsSchema>;

export const CountsSchema = z.object({
  done: z.number().int(),
  rejected: z.number().int(),
  quarantined: z.number().int(),
});
export type Counts = z.infer<typeof CountsSchema>;

/** A role whose endpoint keeps failing (connection refused, unknown host, key refused). */
export const EndpointDownSchema = z.object({
  role: z.string(),
  host: z.string(),
  error: z.string(),
  sampleId: z.string().optional(),
  atMs: z.number().optional(),
});
export type EndpointDown = z.infer<typeof EndpointDownSchema>;

/** State a build carries across continue-as-new: offsets and counts, never sample data. */
export const BuildStateSchema = z.object({
  cursor: IngestCursorSchema.nullable(),
  ingested: z.number().int(),
  counts: CountsSchema,
  byStage: z.record(z.string(), z.number().int()),
  inFlight: z.array(z.string()),
  uncommitted: z.number().int(),
  shards: z.number().int(),
  pages: z.number().int(),
  startedAtMs: z.number(),
  paused: z.boolean(),
  generation: z.number().int(),
  /** Rows the source holds (capped by the limit), when cheap to know; the progress bar's total. */
  total: z.number().int().nullable().default(null),
  /** Counts by kind (chart, diagram, …) of finished samples. */
  byKind: z.record(z.string(), z.number().int()).default({}),
  /** The circuit breaker: set while an endpoint keeps failing; no new samples start until it clears. */
  halted: EndpointDownSchema.nullable().default(null),
  /** Samples waiting for the halted endpoint (workflow ids): told to go on when the build resumes. */
  waiting: z.array(z.string()).default([]),
  /** Top quarantine/rejection reason codes with counts (kept small: at most 20 codes). */
  reasons: z.record(z.string(), z.number().int()).default({}),
  /** The page at `cursor`, read ahead before a continue-as-new: the next run starts its samples without reading it. */
  ahead: IngestPageResultSchema.nullable().default(null),
});
export type BuildState = z.infer<typeof BuildStateSchema>;

/**
 * The `buildDataset` workflow input: the trigger contract for scripts (`temporal workflow start --type buildDataset`,
 * any Temporal client). `{run, source}` alone is complete: the workflow applies the defaults itself; endpoints left
 * out are resolved by a worker from its environment (R1OV_<ROLE>_* / OPENAI_*), exactly as the CLI resolves them.
 */
export const BuildInputSchema = z.object({
  run: z.string().regex(RUN_NAME_RE, "letters, digits, '.', '_' or '-' (at most 100 characters)"),
  source: z.string().min(1, 'a parquet file, directory, glob or synthetic:N'),
  subsets: z.array(z.string()).optional(),
  limit: z.number().int().positive().optional(),
  config: RunConfigSchema.prefault({}),
  endpoints: EndpointsSchema.optional(),
  state: BuildStateSchema.optional(),
});
/** What a caller may send (defaults not yet applied). */
export type BuildInputRaw = z.input<typeof BuildInputSchema>;
/** What the workflow works with (defaults applied). */
export type BuildInput = z.output<typeof BuildInputSchema>;

/** A workflow input that fails validation: one readable line naming the field, for a non-retryable failure. */
export function inputProblem(workflow: string, error: z.ZodError): string {
  const i = error.issues[0]!;
  return `${workflow} input: ${i.path.join('.') || '(root)'}: ${i.message}`;
}

export const BuildProgressSchema = z.object({
  run: z.string(),
  phase: z.enum(['ingesting', 'draining', 'committing', 'finished', 'cancelled']),
  paused: z.boolean(),
  /** Set while the circuit breaker holds the build: which role's endpoint failed, and how. */
  halted: EndpointDownSchema.nullable().default(null),
  /** Samples waiting for the halted endpoint (they go on when the build resumes). */
  waiting: z.number().int().default(0),
  /** Source rows (capped by the limit) when known: the progress bar's total. */
  total: z.number().int().nullable().default(null),
  byKind: z.record(z.string(), z.number().int()).default({}),
  /** Quarantine/rejection reason codes with counts. */
  reasons: z.record(z.string(), z.number().int()).default({}),
  /** Seconds to go at the current rate, when the total is known. */
  etaSec: z.number().nullable().default(null),
  ingested: z.number().int(),
  inFlight: z.number().int(),
  counts: CountsSchema,
  byStage: z.record(z.string(), z.number().int()),
  finished: z.number().int(),
  shards: z.number().int(),
  elapsedSec: z.number(),
  ratePerSec: z.number(),
  sourceExhausted: z.boolean(),
});
export type BuildProgress = z.infer<typeof BuildProgressSchema>;

export const SampleOutcomeSchema = z.object({
  sampleId: z.string(),
  status: StatusSchema,
  stage: StageSchema,
  kind: z.string().nullable(),
  reason: z.string().nullable(),
});
export type SampleOutcome = z.infer<typeof SampleOutcomeSchema>;

export const LifecycleInputSchema = z.object({
  run: z.string(),
  ref: SampleRefSchema,
  parentId: z.string(),
  config: RunConfigSchema,
  endpoints: EndpointsSchema,
});
export type LifecycleInput = z.infer<typeof LifecycleInputSchema>;

/** Results of the stages, as small as possible: kinds, flags and blob keys. */
export const RouteResultSchema = z.object({
  kind: z.string().nullable(),
  subkind: z.string().nullable(),
  routeBy: z.string(),
  exact: z.boolean(),
  needsClassifier: z.boolean(),
  reject: z.object({ code: z.string(), message: z.string() }).nullable(),
  quarantine: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Why the sample was kept or rejected at routing, in words (records' route_reason). */
  why: z.string().nullable().optional(),
});
export type RouteResult = z.infer<typeof RouteResultSchema>;

export const FormalResultSchema = z.object({
  formalKey: z.string().nullable(),
  format: z.string().nullable(),
  valid: z.boolean(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  /** Reused a formalization of the same image made for another sample: no call of its own. */
  shared: z.boolean().optional(),
});
export type FormalResult = z.infer<typeof FormalResultSchema>;

export const TraceResultSchema = z.object({
  traceKey: z.string().nullable(),
  finalAnswer: z.string().nullable(),
  candidates: z.number().int(),
  /** The revisit loop's log (schemas/revisit.ts), when the reasoner revisited the image. */
  revisitKey: z.string().nullable().optional(),
});
export type TraceResult = z.infer<typeof TraceResultSchema>;

export const QaResultSchema = z.object({
  accepted: z.boolean(),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  accuracy: z.number(),
  format: z.number(),
  traceKey: z.string().nullable(),
  verdictKey: z.string().nullable(),
});
export type QaResult = z.infer<typeof QaResultSchema>;

export const StageRecordInputSchema = z.object({
  run: z.string(),
  ref: SampleRefSchema,
  workflowId: z.string(),
  status: StatusSchema,
  stage: StageSchema,
  reasonCode: z.string().nullable(),
  reason: z.string().nullable(),
  route: RouteResultSchema.nullable(),
  formal: FormalResultSchema.nullable(),
  trace: TraceResultSchema.nullable(),
  qa: QaResultSchema.nullable(),
  /** Executable checks of the formal text (schemas/checks.ts), when any applied. */
  checksKey: z.string().nullable().optional(),
});
export type StageRecordInput = z.infer<typeof StageRecordInputSchema>;
