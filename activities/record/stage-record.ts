import { getBlob, getJsonBlob, writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths, safeName } from '../../core/home.ts';
import { RecordRowSchema, type RecordRow } from '../../schemas/sample.ts';
import type { StageRecordInput } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../formalize/kinds.ts';
import { join } from 'node:path';
import { loadSample } from '../sample-io.ts';

/**
 * Stage a sample's final row as JSON under the run's staging folder (overwritten on retry: idempotent).
 * commitShard compacts staged rows into Parquet.
 */
export async function stageRecord(home: string, input: StageRecordInput): Promise<{ staged: string }> {
  const sample = loadSample(home, input.ref.sampleKey);
  const formal = input.formal?.formalKey ? (getJsonBlob(home, input.formal.formalKey) as FormalDoc) : null;
  const traceKey = input.qa?.traceKey ?? input.trace?.traceKey ?? null;
  const trace = traceKey ? getBlob(home, traceKey).toString('utf8') : null;
  const data = (formal?.data ?? null) as { objects?: unknown; boxes?: unknown; lines?: unknown } | null;
  const boxes = data?.objects ?? data?.boxes ?? null;
  const row: RecordRow = RecordRowSchema.parse({
    run: input.run,
    sample_id: sample.sampleId,
    row_id: sample.rowId,
    turn: sample.turn,
    source: sample.source,
    subset: sample.subset,
    source_file: sample.sourceFile,
    status: input.status,
    stage: input.stage,
    reason: input.reason,
    reason_code: input.reasonCode,
    question: sample.question,
    answer: sample.answer,
    choices: sample.choices ? JSON.stringify(sample.choices) : null,
    image_key: sample.imageKey ?? null,
    width: sample.width ?? null,
    height: sample.height ?? null,
    kind: input.route?.kind ?? null,
    subkind: input.route?.subkind ?? null,
    route_by: input.route?.routeBy ?? null,
    formal_format: formal?.format ?? input.formal?.format ?? null,
    formal_text: formal?.text ?? null,
    formal_key: input.formal?.formalKey ?? null,
    formal_valid: input.formal?.valid ?? null,
    formal_error: input.formal?.error ?? null,
    formal_attempts: input.formal?.attempts ?? null,
    boxes: boxes ? JSON.stringify(boxes) : null,
    ocr_lines: data?.lines ? JSON.stringify(data.lines) : null,
    trace,
    trace_key: traceKey,
    final_answer: input.trace?.finalAnswer ?? null,
    accuracy: input.qa?.accuracy ?? null,
    format_ok: input.qa?.format ?? null,
    qa_verdict: input.qa?.verdictKey ? JSON.stringify(getJsonBlob(home, input.qa.verdictKey)) : null,
    generator: sample.exact?.generator ?? null,
    workflow_id: input.workflowId,
    finished_at: new Date().toISOString(),
  });
  const dir = ensureDir(paths.staging(home, input.run));
  const file = join(dir, `${safeName(sample.sampleId)}.json`);
  writeFileAtomic(file, JSON.stringify(row));
  return { staged: file };
}
