import { z } from 'zod';
import { BuildProgressSchema } from './workflow.ts';

/** `--json` outputs of the CLI (stdout); human progress goes to stderr. */
export const ServerStatusOutput = z.object({
  running: z.boolean(),
  address: z.string().nullable(),
  uiUrl: z.string().nullable(),
  pid: z.number().nullable(),
  dbFile: z.string().nullable(),
});
export const BuildOutput = z.object({
  run: z.string(),
  workflowId: z.string(),
  started: z.boolean(),
  uiUrl: z.string().nullable(),
  progress: BuildProgressSchema.nullable(),
  status: z.string(),
});
export const RunStatusOutput = z.object({
  run: z.string(),
  workflowId: z.string(),
  status: z.string(),
  progress: BuildProgressSchema.nullable(),
  uiUrl: z.string().nullable(),
});
export const ControlOutput = z.object({
  run: z.string(),
  action: z.enum(['pause', 'resume', 'cancel']),
  ok: z.boolean(),
});
export const SqlOutput = z.object({ columns: z.array(z.string()), rows: z.array(z.record(z.string(), z.unknown())) });
export const ErrorOutput = z.object({ error: z.string(), code: z.number() });
