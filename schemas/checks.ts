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

/** Executable checks of a sample's formal text; null where the check does not apply to its format. */
export const FormalChecksSchema = z.object({
  sim: SimCheckSchema.nullable(),
  table: TableCheckSchema.nullable(),
  flow: FlowCheckSchema.nullable(),
});
export type FormalChecks = z.infer<typeof FormalChecksSchema>;

export const FormalChecksResultSchema = z.object({ checksKey: z.string().nullable() });
export type FormalChecksResult = z.infer<typeof FormalChecksResultSchema>;
