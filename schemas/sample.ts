import { z } from 'zod';

export const KindSchema = z.enum(['natural', 'text_only', 'chart', 'diagram', 'math', 'mixed']);
export type Kind = z.infer<typeof KindSchema>;
export const SubkindSchema = z.enum(['circuit', 'flowchart', 'ui', 'table', 'scientific', 'chemistry']);
export type Subkind = z.infer<typeof SubkindSchema>;

export const StatusSchema = z.enum(['done', 'rejected', 'quarantined']);
export type Status = z.infer<typeof StatusSchema>;
export const StageSchema = z.enum(['ingest', 'route', 'formalize', 'reason', 'qa', 'record']);
export type Stage = z.infer<typeof StageSchema>;

/** What a generating spec carries for synthetic samples: the exact formal description and derivation. */
export const ExactSchema = z.object({
  kind: KindSchema,
  subkind: SubkindSchema.optional(),
  formalFormat: z.string(),
  formalText: z.string(),
  trace: z.string(),
  template: z.string(),
  generator: z.string(),
});

/**
 * One ingested sample, stored as a blob (`sampleKey`); workflows carry only its id and key.
 * `error` set at ingest means the sample is quarantined without further work.
 */
export const SampleSchema = z.object({
  sampleId: z.string().min(1),
  rowId: z.string(),
  turn: z.number().int().nonnegative(),
  source: z.string(), // data_source
  subset: z.string(),
  sourceFile: z.string(),
  question: z.string(), // what formalizer and reasoner see (instructions, hints and the options block removed)
  answer: z.string(), // the gold final answer alone: an option letter for multiple choice, the value otherwise
  choices: z.array(z.string()).optional(),
  /** The human turn and the answer turn as written, and the rule that found `answer` (core/answers). */
  questionRaw: z.string().optional(),
  answerRaw: z.string().optional(),
  answerSource: z.string().optional(),
  /** A ready-made trace imported from the source (R1-Onevision layout, `importTraces`): verified, not generated. */
  imported: z.object({ trace: z.string(), generator: z.string() }).optional(),
  imageKey: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  /** The source image's size before normalisation (width/height are the stored, normalised image's). */
  sourceWidth: z.number().int().optional(),
  sourceHeight: z.number().int().optional(),
  exact: ExactSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

/** The small reference to a sample that travels through workflow history. */
export const SampleRefSchema = z.object({ sampleId: z.string(), sampleKey: z.string(), source: z.string() });
export type SampleRef = z.infer<typeof SampleRefSchema>;

/** One row of the shards: a sample's final state. Key: (run, sample_id). */
export const RecordRowSchema = z.object({
  run: z.string(),
  sample_id: z.string(),
  row_id: z.string(),
  turn: z.number().int(),
  source: z.string(),
  subset: z.string(),
  source_file: z.string(),
  status: StatusSchema,
  stage: StageSchema,
  reason: z.string().nullable(),
  reason_code: z.string().nullable(),
  question: z.string(),
  answer: z.string(),
  choices: z.string().nullable(), // JSON array
  question_raw: z.string().nullable(),
  answer_raw: z.string().nullable(),
  answer_source: z.string().nullable(),
  image_key: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  kind: z.string().nullable(),
  subkind: z.string().nullable(),
  route_by: z.string().nullable(),
  route_reason: z.string().nullable(),
  formal_format: z.string().nullable(),
  formal_text: z.string().nullable(),
  formal_key: z.string().nullable(),
  formal_valid: z.boolean().nullable(),
  formal_error: z.string().nullable(),
  formal_attempts: z.number().int().nullable(),
  formal_shared: z.boolean().nullable(), // reused a formalization made for another sample of the same image
  boxes: z.string().nullable(), // JSON [{label, box}]
  ocr_lines: z.string().nullable(), // JSON [{text, box, confidence}]
  trace: z.string().nullable(),
  trace_key: z.string().nullable(),
  final_answer: z.string().nullable(),
  accuracy: z.number().nullable(),
  format_ok: z.number().nullable(),
  qa_verdict: z.string().nullable(), // JSON of the verdict
  qa_edit: z.string().nullable(), // the judge's edited trace: 'applied', 'rejected: <code>: <reason>', or null (none)
  first_answer: z.string().nullable(), // the first reasoning pass's final answer, before revisiting the image
  revisit_rounds: z.number().int().nullable(), // revisit rounds run (schemas/revisit.ts)
  revisit: z.string().nullable(), // JSON of the revisit log: facts asked, what the vision model saw, what changed
  sim_status: z.string().nullable(), // SPICE through ngspice: simulated | failed | refused | unavailable
  sim_quantity: z.string().nullable(), // what the question asks that the operating point answers
  sim_value: z.number().nullable(), // the simulator's answer to it
  sim_agrees: z.boolean().nullable(), // the trace's final answer equals the simulator's
  table_check: z.string().nullable(), // tables through DuckDB: typed | failed
  flow_check: z.string().nullable(), // flowcharts: reachable | unreachable | failed
  formal_checks: z.string().nullable(), // JSON of every check with its messages (schemas/checks.ts)
  box_source: z.string().nullable(), // boxes from the detector, the model, or the model after the detector failed (model_fallback)
  boxes_source_px: z.string().nullable(), // the same boxes in pixels of the source image (`boxes` is in the stored image's pixels)
  source_width: z.number().int().nullable(), // the source image's size before normalisation
  source_height: z.number().int().nullable(),
  ocr_engine_lines: z.string().nullable(), // JSON [{text, box, confidence}] from the OCR engine: the layout of record
  generator: z.string().nullable(),
  workflow_id: z.string(),
  finished_at: z.string(),
});
export type RecordRow = z.infer<typeof RecordRowSchema>;

/** DuckDB column types of a record row, in order (shards are written with exactly these). */
export const RECORD_COLUMNS: Record<keyof RecordRow, string> = {
  run: 'VARCHAR',
  sample_id: 'VARCHAR',
  row_id: 'VARCHAR',
  turn: 'INTEGER',
  source: 'VARCHAR',
  subset: 'VARCHAR',
  source_file: 'VARCHAR',
  status: 'VARCHAR',
  stage: 'VARCHAR',
  reason: 'VARCHAR',
  reason_code: 'VARCHAR',
  question: 'VARCHAR',
  answer: 'VARCHAR',
  choices: 'VARCHAR',
  question_raw: 'VARCHAR',
  answer_raw: 'VARCHAR',
  answer_source: 'VARCHAR',
  image_key: 'VARCHAR',
  width: 'INTEGER',
  height: 'INTEGER',
  kind: 'VARCHAR',
  subkind: 'VARCHAR',
  route_by: 'VARCHAR',
  route_reason: 'VARCHAR',
  formal_format: 'VARCHAR',
  formal_text: 'VARCHAR',
  formal_key: 'VARCHAR',
  formal_valid: 'BOOLEAN',
  formal_error: 'VARCHAR',
  formal_attempts: 'INTEGER',
  formal_shared: 'BOOLEAN',
  boxes: 'VARCHAR',
  ocr_lines: 'VARCHAR',
  trace: 'VARCHAR',
  trace_key: 'VARCHAR',
  final_answer: 'VARCHAR',
  accuracy: 'DOUBLE',
  format_ok: 'DOUBLE',
  qa_verdict: 'VARCHAR',
  qa_edit: 'VARCHAR',
  first_answer: 'VARCHAR',
  revisit_rounds: 'INTEGER',
  revisit: 'VARCHAR',
  sim_status: 'VARCHAR',
  sim_quantity: 'VARCHAR',
  sim_value: 'DOUBLE',
  sim_agrees: 'BOOLEAN',
  table_check: 'VARCHAR',
  flow_check: 'VARCHAR',
  formal_checks: 'VARCHAR',
  box_source: 'VARCHAR',
  boxes_source_px: 'VARCHAR',
  source_width: 'INTEGER',
  source_height: 'INTEGER',
  ocr_engine_lines: 'VARCHAR',
  generator: 'VARCHAR',
  workflow_id: 'VARCHAR',
  finished_at: 'VARCHAR',
};
