import { z } from 'zod';

/** One fidelity measurement: how well the model formalizer reproduced a synthetic sample's exact description. */
export const FidelityRowSchema = z.object({
  run: z.string(),
  sample_id: z.string(),
  /** Formal kind (chart, table, circuit, flowchart, math). */
  kind: z.string(),
  /** Synthetic generator kind and template (e.g. synthetic:bar/difference). */
  generator: z.string().nullable(),
  metric: z.string(),
  value: z.number(),
  prompt_hash: z.string(),
  model: z.string(),
  created_at: z.string(),
});
export type FidelityRow = z.infer<typeof FidelityRowSchema>;

export const FIDELITY_COLUMNS: Record<keyof FidelityRow, string> = {
  run: 'VARCHAR',
  sample_id: 'VARCHAR',
  kind: 'VARCHAR',
  generator: 'VARCHAR',
  metric: 'VARCHAR',
  value: 'DOUBLE',
  prompt_hash: 'VARCHAR',
  model: 'VARCHAR',
  created_at: 'VARCHAR',
};
