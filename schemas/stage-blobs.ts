// What one stage leaves in the blob store for the next: the formal description (formalize → reason, QA, checks,
// fidelity, record), the QA verdict (QA → record), the observations of a revisit round and what the detector saw
// before captioning. activities/stage-io.ts writes and reads them, validating on read.
import { z } from 'zod';
import { DetectedObjectSchema } from './formal.ts';
import { QaResultSchema } from './workflow.ts';

/** A detector's box for a label, with its confidence when the detector gives one. */
export const DetectionSchema = DetectedObjectSchema.extend({ confidence: z.number().optional() });
export type Detection = z.infer<typeof DetectionSchema>;

/** What the detector did before the captioner wrote (natural and mixed images), kept in the formal doc's `perception`. */
export const DetectorRecordSchema = z.object({
  detector: z.string(),
  status: z.enum(['ok', 'failed']),
  message: z.string().nullable(),
  detections: z.array(DetectionSchema),
});
export type DetectorRecord = z.infer<typeof DetectorRecordSchema>;

/** One visual fact the vision model answered in a revisit round, appended to the formal description. */
export const ObservationSchema = z.object({ target: z.string(), question: z.string(), answer: z.string() });
export type Observation = z.infer<typeof ObservationSchema>;

/**
 * The formal blob: `text` is what the reasoner reads; `data` the structured extras, whose shape is the formal kind's
 * (activities/formalize/kinds/: objects with boxes, OCR lines, table rows, chart axes; plus `perception` and
 * `observations`), copied into the records' columns as they are.
 */
export const FormalDocSchema = z.object({
  kind: z.string(),
  subkind: z.string().nullable(),
  format: z.string(),
  text: z.string(),
  data: z.unknown(),
});
export type FormalDoc = z.infer<typeof FormalDocSchema>;

/** The judge's structured output (prompts/qa/judge.md): its edit may only delete whole steps (activities/qa/edits.ts). */
export const JudgeVerdictSchema = z.object({
  valid: z.boolean(),
  removed_steps: z.array(z.string()).default([]),
  edited_trace: z.string().nullable().optional(),
  reason: z.string(),
});
export type JudgeVerdict = z.infer<typeof JudgeVerdictSchema>;

/** What became of the judge's edited trace: applied, rejected (with the rule or edit check that failed), or none. */
export const EditOutcomeSchema = z.object({
  status: z.enum(['applied', 'rejected', 'none']),
  code: z.string().nullable(),
  reason: z.string().nullable(),
});
export type EditOutcome = z.infer<typeof EditOutcomeSchema>;

/** The QA rules' verdict on a trace. */
export const RuleVerdictSchema = z.object({
  accepted: z.boolean(),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  accuracy: z.number(),
  format: z.number(),
});
export type RuleVerdict = z.infer<typeof RuleVerdictSchema>;

// The record's qa_verdict column is this blob's JSON as stored (activities/stage-io.ts readQaVerdict).
/** The QA verdict blob: the rules' verdict, or the judge's with the rules' result it overrode and its edit. */
export const QaVerdictSchema = z.discriminatedUnion('by', [
  z.object({ by: z.literal('rules'), ...RuleVerdictSchema.shape }),
  z.object({
    by: z.literal('judge'),
    rules: QaResultSchema,
    ...JudgeVerdictSchema.shape,
    edit: EditOutcomeSchema.optional(),
  }),
]);
export type QaVerdict = z.infer<typeof QaVerdictSchema>;
