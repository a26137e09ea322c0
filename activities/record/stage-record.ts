import { getBlob, getJsonBlob } from '../../core/blobs.ts';
import { safeName } from '../../core/home.ts';
import { keys, storeFor, StoreError } from '../../core/storage/index.ts';
import { RecordRowSchema, type RecordRow } from '../../schemas/sample.ts';
import type { StageRecordInput } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../formalize/kinds.ts';
import { loadSample } from '../sample-io.ts';
import { oneLine } from '../../core/errors.ts';

/**
 * Stage a sample's final row as JSON under the run's staging prefix in the store (overwritten on retry: idempotent).
 * commitShard compacts staged rows into Parquet.
 */
export async function stageRecord(home: string, input: StageRecordInput): Promise<{ staged: string }> {
  // Recording never fails on a missing input: a row that says what went wrong beats a sample that is lost.
  const problems: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (err) {
      // An unreachable store is not a missing input: fail the attempt so the activity retries.
      if (err instanceof StoreError) throw err;
      problems.push(`${what}: ${oneLine(err, 160)}`);
      return null;
    }
  };
  const sample = await attempt('sample', () => loadSample(home, input.ref.sampleKey));
  const formal = input.formal?.formalKey ? await attempt('formal', async () => await getJsonBlob(home, input.formal!.formalKey!) as FormalDoc) : null;
  const traceKey = input.qa?.traceKey ?? input.trace?.traceKey ?? null;
  const trace = traceKey ? await attempt('trace', async () => (await getBlob(home, traceKey)).toString('utf8')) : null;
  const verdict = input.qa?.verdictKey ? await attempt('verdict', async () => JSON.stringify(await getJsonBlob(home, input.qa!.verdictKey!))) : null;
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
  const key = `${keys.staging(input.run)}${safeName(input.ref.sampleId)}.json`;
  await storeFor(home).put(key, JSON.stringify(row));
  return { staged: key };
}
