import { z } from 'zod';
import { ResolvedEndpointSchema, RoleSchema, RunConfigSchema } from './config.ts';
import { SampleRefSchema, StageSchema, StatusSchema } from './sample.ts';

export { CPU_QUEUE, GPU_QUEUE, llmQueue, ALL_QUEUES } from './queues.ts';

/** Where ingestion stands: file index in the resolved file list, row offset in that file. */
export const IngestCursorSchema = z.object({ file: z.number().int().nonnegative(), row: z.number().int().nonnegative() });
export type IngestCursor = z.infer<typeof IngestCursorSchema>;

export const IngestPageResultSchema = z.object({
  refs: z.array(SampleRefSchema),
  next: IngestCursorSchema.nullable(),
  rowsRead: z.number().int(),
});
export type IngestPageResult = z.infer<typeof IngestPageResultSchema>;

export const EndpointsSchema = z.partialRecord(RoleSchema, ResolvedEndpointSchema);
export type Endpoints = z.infer<typeof EndpointsSchema>;

export const CountsSchema = z.object({ done: z.number().int(), rejected: z.number().int(), quarantined: z.number().int() });
export type Counts = z.infer<typeof CountsSchema>;

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
});
export type BuildState = z.infer<typeof BuildStateSchema>;

export const BuildInputSchema = z.object({
  run: z.string(),
  source: z.string(),
  subsets: z.array(z.string()).optional(),
  limit: z.number().int().positive().optional(),
  config: RunConfigSchema,
  endpoints: EndpointsSchema,
  state: BuildStateSchema.optional(),
});
export type BuildInput = z.infer<typeof BuildInputSchema>;

export const BuildProgressSchema = z.object({
  run: z.string(),
  phase: z.enum(['ingesting', 'draining', 'committing', 'finished', 'cancelled']),
  paused: z.boolean(),
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
});
export type RouteResult = z.infer<typeof RouteResultSchema>;

export const FormalResultSchema = z.object({
  formalKey: z.string().nullable(),
  format: z.string().nullable(),
  valid: z.boolean(),
  error: z.string().nullable(),
  attempts: z.number().int(),
});
export type FormalResult = z.infer<typeof FormalResultSchema>;

export const TraceResultSchema = z.object({
  traceKey: z.string().nullable(),
  finalAnswer: z.string().nullable(),
  candidates: z.number().int(),
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
});
export type StageRecordInput = z.infer<typeof StageRecordInputSchema>;
