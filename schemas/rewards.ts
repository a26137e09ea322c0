import { z } from 'zod';

/** A ground-truth box [x1, y1, x2, y2] in the image's pixel coordinates. */
export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

// Gold answers are sometimes numbers in source data; they are compared as text.
const GoldSchema = z.union([z.string(), z.number()]).transform((v) => String(v));
const IdSchema = z.union([z.string(), z.number()]);

const itemFields = {
  completion: z.string(),
  ground_truth: GoldSchema,
  // null is treated as absent: JSON writers in other languages emit it for missing fields.
  choices: z
    .array(z.string())
    .max(26)
    .nullish()
    .transform((v) => v ?? undefined),
  box: BoxSchema.nullish().transform((v) => v ?? undefined),
};

/** One line of `r1ov rewards score --in FILE.jsonl`. */
export const RewardInputLineSchema = z.object({ id: IdSchema, ...itemFields });
export type RewardInputLine = z.infer<typeof RewardInputLineSchema>;

/** One output line: the scores of the input line with the same id. */
export const RewardOutputLineSchema = z.object({
  id: IdSchema,
  accuracy: z.union([z.literal(0), z.literal(1)]),
  format: z.union([z.literal(0), z.literal(1)]),
  extracted: z.string().nullable(),
  iou: z.number().min(0).max(1).optional(),
});
export type RewardOutputLine = z.infer<typeof RewardOutputLineSchema>;

/** Most items one HTTP request may carry (GRPO sends one batch per step). */
export const MAX_BATCH_ITEMS = 100_000;

/** `POST /score` body: items are the JSONL input lines, id optional. */
export const RewardBatchRequestSchema = z.object({
  items: z.array(z.object({ id: IdSchema.optional(), ...itemFields })).max(MAX_BATCH_ITEMS),
});
export type RewardBatchRequest = z.infer<typeof RewardBatchRequestSchema>;

/** `POST /score` response: one result per item, in request order. */
export const RewardBatchResponseSchema = z.object({
  results: z.array(RewardOutputLineSchema.extend({ id: IdSchema.optional() })),
});
export type RewardBatchResponse = z.infer<typeof RewardBatchResponseSchema>;

/** `GET /health` response. */
export const RewardHealthSchema = z.object({ status: z.literal('ok'), version: z.string() });
