import { z } from 'zod';

/** One revisit round: the facts the reasoner was unsure of, what the vision model saw, and what changed. */
export const RevisitRoundSchema = z.object({
  round: z.number().int().positive(),
  facts: z.array(z.object({ target: z.string(), question: z.string(), answer: z.string().nullable() })),
  answerBefore: z.string().nullable(),
  answerAfter: z.string().nullable(),
  /** The final answer differs after this round. */
  changed: z.boolean(),
  /** Why the loop stopped here, when it did. */
  note: z.string().nullable(),
});

/** The whole loop's log, stored as a blob and copied into the `revisit` column of samples. */
export const RevisitLogSchema = z.object({
  firstAnswer: z.string().nullable(),
  rounds: z.array(RevisitRoundSchema),
});
export type RevisitLog = z.infer<typeof RevisitLogSchema>;

export const RevisitRoundInputSchema = z.object({
  /** The formal description the last pass read (the original, or one with earlier observations). */
  formalKey: z.string(),
  traceKey: z.string().nullable(),
  finalAnswer: z.string().nullable(),
  /** The log so far (null before the first round). */
  logKey: z.string().nullable(),
});
export type RevisitRoundInput = z.infer<typeof RevisitRoundInputSchema>;

/** The reasoner's structured output (prompts/reason/revisit-ask.md): the visual facts it is unsure of. */
export const RevisitAskSchema = z.object({
  facts: z.array(z.object({ target: z.string().min(1), question: z.string().min(1) })),
});
export type RevisitAsk = z.infer<typeof RevisitAskSchema>;

/** The vision model's structured output (prompts/reason/revisit-look.md): an answer per numbered question. */
export const RevisitLookSchema = z.object({
  answers: z.array(z.object({ index: z.number().int(), answer: z.string() })),
});
export type RevisitLook = z.infer<typeof RevisitLookSchema>;
