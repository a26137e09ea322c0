import { z } from 'zod';

export const KindSchema = z.enum(['natural', 'text_only', 'chart', 'diagram', 'math', 'mixed']);
export type Kind = z.infer<typeof KindSchema>;
export const SubkindSchema = z.enum(['circuit', 'flowchart', 'ui', 'table', 'scientific']);
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
  question: z.string(),
  answer: z.string(),
  choices: z.array(z.string()).optional(),
  imageKey: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
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
  image_key: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  kind: z.string().nullable(),
  subkind: z.string().nullable(),
  route_by: z.string().nullable(),
  formal_format: z.string().nullable(),
  formal_text: z.string().nullable(),
  formal_key: z.string().nullable(),
  formal_valid: z.boolean().nullable(),
  formal_error: z.string().nullable(),
  formal_attempts: z.number().int().nullable(),
  boxes: z.string().nullable(), // JSON [{label, box}]
  ocr_lines: z.string().nullable(), // JSON [{text, box, confidence}]
  trace: z.string().nullable(),
  trace_key: z.string().nullable(),
  final_answer: z.string().nullable(),
  accuracy: z.number().nullable(),
  format_ok: z.number().nullable(),
  qa_verdict: z.string().nullable(), // JSON of the verdict
  generator: z.string().nullable(),
  workflow_id: z.string(),
  finished_at: z.string(),
});
export type RecordRow = z.infer<typeof RecordRowSchema>;

/** DuckDB column types of a record row, in order (shards are written with exactly these). */
export const RECORD_COLUMNS: Record<keyof RecordRow, string> = {
  run: 'VARCHAR', sample_id: 'VARCHAR', row_id: 'VARCHAR', turn: 'INTEGER', source: 'VARCHAR', subset: 'VARCHAR',
  source_file: 'VARCHAR', status: 'VARCHAR', stage: 'VARCHAR', reason: 'VARCHAR', reason_code: 'VARCHAR',
  question: 'VARCHAR', answer: 'VARCHAR', choices: 'VARCHAR', image_key: 'VARCHAR', width: 'INTEGER', height: 'INTEGER',
  kind: 'VARCHAR', subkind: 'VARCHAR', route_by: 'VARCHAR', formal_format: 'VARCHAR', formal_text: 'VARCHAR',
  formal_key: 'VARCHAR', formal_valid: 'BOOLEAN', formal_error: 'VARCHAR', formal_attempts: 'INTEGER', boxes: 'VARCHAR',
  ocr_lines: 'VARCHAR', trace: 'VARCHAR', trace_key: 'VARCHAR', final_answer: 'VARCHAR', accuracy: 'DOUBLE',
  format_ok: 'DOUBLE', qa_verdict: 'VARCHAR', generator: 'VARCHAR', workflow_id: 'VARCHAR', finished_at: 'VARCHAR',
};
