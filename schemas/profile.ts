import { z } from 'zod';

const Counts = z.record(z.string(), z.number().int().nonnegative());

/** Projected language-model use of a build over the profiled rows: calls, tokens and cost per role. */
export const ProjectionSchema = z.object({
  calls: Counts,
  tokensIn: Counts,
  tokensOut: Counts,
  /** US dollars, from `price` per role in the config (0 for roles without one). */
  costUsd: z.record(z.string(), z.number().nonnegative()),
  /** Formalizer calls saved by sharing one formalization per image. */
  sharedFormalizations: z.number().int().nonnegative(),
});
export type Projection = z.infer<typeof ProjectionSchema>;

/** One subset (source folder) of a profiled source. */
export const SubsetProfileSchema = z.object({
  subset: z.string(),
  rows: z.number().int().nonnegative(),
  /** Human→assistant exchanges (samples a build makes). */
  turns: z.number().int().nonnegative(),
  multiTurnRows: z.number().int().nonnegative(),
  rowsWithoutImage: z.number().int().nonnegative(),
  /** Image sizes as stored in the source (header only), over rows with a readable image. */
  image: z.object({
    count: z.number().int().nonnegative(),
    medianWidth: z.number().nonnegative(),
    medianHeight: z.number().nonnegative(),
    maxPixels: z.number().nonnegative(),
    distinct: z.number().int().nonnegative(),
  }),
  /** Samples per routed kind (`classifier` where the source table does not know the subset). */
  kinds: Counts,
  multipleChoice: z.number().int().nonnegative(),
  /** Samples per core/answers rule that found the gold answer (`none`: no answer; `missing`: no reply). */
  answerRules: Counts,
  /** Share of replies whose final answer was found. */
  extractionRate: z.number().min(0).max(1),
  /** Samples a build would quarantine at ingest, by reason code. */
  quarantined: Counts,
  /** Samples routing would reject, by reason code. */
  rejected: Counts,
  /** Samples that would go on to formalization and reasoning. */
  kept: z.number().int().nonnegative(),
  projection: ProjectionSchema,
});
export type SubsetProfile = z.infer<typeof SubsetProfileSchema>;

export const SourceProfileSchema = z.object({
  source: z.string(),
  subsets: z.array(SubsetProfileSchema),
  total: SubsetProfileSchema,
  /** The per-call token estimates the projection assumes (characters / 4 for text, Qwen2.5-VL 28×28 patches for images). */
  assumptions: z.record(z.string(), z.number()),
  elapsedSec: z.number().nonnegative(),
});
export type SourceProfile = z.infer<typeof SourceProfileSchema>;
