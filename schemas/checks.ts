import { z } from 'zod';

/** ngspice's operating point against the question: did it simulate, what does the simulator answer, does the trace agree. */
export const SimCheckSchema = z.object({
  status: z.enum(['simulated', 'failed', 'refused', 'unavailable']),
  message: z.string().nullable(),
  /** What the question asks, when the operating point answers it ("voltage across R2"). */
  quantity: z.string().nullable(),
  unit: z.string().nullable(),
  simulated: z.number().nullable(),
  /** The trace's final answer as a number (an option letter read through its option). */
  answered: z.number().nullable(),
  agrees: z.boolean().nullable(),
});
export type SimCheck = z.infer<typeof SimCheckSchema>;

/** The table loaded by DuckDB with typed columns. */
export const TableCheckSchema = z.object({
  status: z.enum(['typed', 'failed']),
  message: z.string().nullable(),
  columns: z.array(z.string()),
  types: z.array(z.string()),
});
export type TableCheck = z.infer<typeof TableCheckSchema>;

/** The flowchart's graph walked from its start(s): every end reachable? */
export const FlowCheckSchema = z.object({
  status: z.enum(['reachable', 'unreachable', 'failed']),
  message: z.string().nullable(),
  starts: z.array(z.string()),
  ends: z.array(z.string()),
  unreachable: z.array(z.string()),
});
export type FlowCheck = z.infer<typeof FlowCheckSchema>;

/**
 * The check of a formal kind that has no column of its own (its `check` in activities/formalize/kinds/<kind>.ts):
 * whether it passed (null: could not tell) and what it computed, shown by the viewer from `formal_checks`.
 */
export const KindCheckSchema = z.object({
  kind: z.string(),
  status: z.string(),
  ok: z.boolean().nullable(),
  message: z.string().nullable(),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type KindCheck = z.infer<typeof KindCheckSchema>;

/** Executable checks of a sample's formal text; null (or, for `kindCheck`, absent) where none applies to its format. */
export const FormalChecksSchema = z.object({
  sim: SimCheckSchema.nullable(),
  table: TableCheckSchema.nullable(),
  flow: FlowCheckSchema.nullable(),
  kindCheck: KindCheckSchema.optional(),
});
export type FormalChecks = z.infer<typeof FormalChecksSchema>;

export const FormalChecksResultSchema = z.object({ checksKey: z.string().nullable() });
export type FormalChecksResult = z.infer<typeof FormalChecksResultSchema>;
