import { getBlob, getJsonBlob, writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths, safeName } from '../../core/home.ts';
import { RecordRowSchema, type RecordRow } from '../../schemas/sample.ts';
import type { StageRecordInput } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../formalize/kinds.ts';
import { join } from 'node:path';
import { loadSample } from '../sample-io.ts';
import { oneLine } from '../../core/errors.ts';

/**
 * Stage a sample's final row as JSON under the run's staging folder (overwritten on retry: idempotent).
 * commitShard compacts staged rows into Parquet.
 */
export async function stageRecord(home: string, input: StageRecordInput): Promise<{ staged: string }> {
  // Recording never fails on a missing input: a row that says what went wrong beats a sample that is lost.
  const problems: string[] = [];
  const attempt = <T>(what: string, f: () => T): T | null => {
    try {
      return f();
    } catch (err) {
      problems.push(`${what}: ${oneLine(err, 160)}`);
      return null;
    }
  };
  const sample = attempt('sample', () => loadSample(home, input.ref.sampleKey));
  const formal = input.formal?.formalKey ? attempt('formal', () => getJsonBlob(home, input.formal!.formalKey!) as FormalDoc) : null;
  const traceKey = input.qa?.traceKey ?? input.trace?.traceKey ?? null;
  const trace = traceKey ? attempt('trace', () => getBlob(home, traceKey).toString('utf8')) : null;
  const verdict = input.qa?.verdictKey ? attempt('verdict', () => JSON.stringify(getJsonBlob(home, input.qa!.verdictKey!))) : null;
  const data = (formal?.data ?? null) as { objects?: unknown; boxes?: unknown; lines?: unknown } | null;
  const boxes = data?.objects ?? data?.boxes ?? null;
  const incomplete = problems.length > 0 && input.status !== 'quarantined';
  const row: RecordRow = RecordRowSchema.parse({
    run: input.run,
    sample_id: input.ref.sampleId,
    row_id: sample?.rowId ?? input.ref.sampleId.replace(/#\d+$/, ''),
    turn: sample?.turn ?? 0,
    source: sample?.source ?? input.ref.source,
    subset: sample?.subset ?? '',
    source_file: sample?.sourceFile ?? '',
    status: incomplete ? 'quarantined' : input.status,
    stage: incomplete ? 'record' : input.stage,
    reason: incomplete ? problems.join('; ') : input.reason,
    reason_code: incomplete ? 'record_incomplete' : input.reasonCode,
    question: sample?.question ?? '',
    answer: sample?.answer ?? '',
    choices: sample?.choices ? JSON.stringify(sample.choices) : null,
    image_key: sample?.imageKey ?? null,
    width: sample?.width ?? null,
    height: sample?.height ?? null,
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
    qa_verdict: verdict,
    generator: sample?.exact?.generator ?? null,
    workflow_id: input.workflowId,
    finished_at: new Date().toISOString(),
  });
  const dir = ensureDir(paths.staging(home, input.run));
  const file = join(dir, `${safeName(input.ref.sampleId)}.json`);
  writeFileAtomic(file, JSON.stringify(row));
  return { staged: file };
}
