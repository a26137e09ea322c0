import { z } from 'zod';
import { KindSchema, SubkindSchema } from './sample.ts';

/** The router's structured output (prompts/route/classify.md): the image's kind and whether the question needs reasoning. */
export const ModalityVerdictSchema = z.object({
  kind: KindSchema,
  subkind: SubkindSchema.nullable().optional(),
  needs_reasoning: z.boolean(),
  rationale: z.string().optional(),
});
export type ModalityVerdict = z.infer<typeof ModalityVerdictSchema>;
