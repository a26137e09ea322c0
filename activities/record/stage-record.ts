import { safeName } from '../../core/home.ts';
import { keys, storeFor, StoreError } from '../../core/storage/index.ts';
import { RecordRowSchema, type RecordRow } from '../../schemas/sample.ts';
import type { StageRecordInput } from '../../schemas/workflow.ts';
import type { QaVerdict } from '../../schemas/stage-blobs.ts';
import { loadSample } from '../sample-io.ts';
import { formalData, readFormalChecks, readFormalDoc, readQaVerdict, readRevisitLog, readTrace } from '../stage-io.ts';
import { boxSource } from '../grounding/index.ts';
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
  const formalKey = input.formal?.formalKey;
  const formal = formalKey ? await attempt('formal', () => readFormalDoc(home, formalKey)) : null;
  const traceKey = input.qa?.traceKey ?? input.trace?.traceKey ?? null;
  const trace = traceKey ? await attempt('trace', () => readTrace(home, traceKey)) : null;
  const verdictKey = input.qa?.verdictKey;
  const verdict = verdictKey ? await attempt('verdict', () => readQaVerdict(home, verdictKey)) : null;
  const revisitKey = input.trace?.revisitKey;
  const revisit = revisitKey ? await attempt('revisit', () => readRevisitLog(home, revisitKey)) : null;
  const checksKey = input.checksKey;
  const checks = checksKey ? await attempt('checks', () => readFormalChecks(home, checksKey)) : null;
  const data = formal?.data != null ? formalData(formal) : null;
  const boxes = data?.objects ?? data?.boxes ?? null;
  const perception =
    data?.perception && typeof data.perception === 'object' ? (data.perception as { ocrEngine?: unknown }) : null;
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
    question_raw: sample?.questionRaw ?? null,
    answer_raw: sample?.answerRaw ?? null,
    answer_source: sample?.answerSource ?? null,
    image_key: sample?.imageKey ?? null,
    width: sample?.width ?? null,
    height: sample?.height ?? null,
    kind: input.route?.kind ?? null,
    subkind: input.route?.subkind ?? null,
    route_by: input.route?.routeBy ?? null,
    route_reason: input.route?.why ?? null,
    formal_format: formal?.format ?? input.formal?.format ?? null,
    formal_text: formal?.text ?? null,
    formal_key: input.formal?.formalKey ?? null,
    formal_valid: input.formal?.valid ?? null,
    formal_error: input.formal?.error ?? null,
    formal_attempts: input.formal?.attempts ?? null,
    formal_shared: input.formal ? (input.formal.shared ?? false) : null,
    boxes: boxes ? JSON.stringify(boxes) : null,
    ocr_lines: data?.lines ? JSON.stringify(data.lines) : null,
    trace,
    trace_key: traceKey,
    final_answer: input.trace?.finalAnswer ?? null,
    accuracy: input.qa?.accuracy ?? null,
    format_ok: input.qa?.format ?? null,
    qa_verdict: verdict?.json ?? null,
    qa_edit: verdict ? qaEditColumn(verdict.verdict) : null,
    first_answer: revisit ? revisit.firstAnswer : (input.trace?.finalAnswer ?? null),
    revisit_rounds: revisit ? revisit.rounds.length : input.trace ? 0 : null,
    revisit: revisit ? JSON.stringify(revisit) : null,
    sim_status: checks?.sim?.status ?? null,
    sim_quantity: checks?.sim?.quantity ?? null,
    sim_value: checks?.sim?.simulated ?? null,
    sim_agrees: checks?.sim?.agrees ?? null,
    table_check: checks?.table?.status ?? null,
    flow_check: checks?.flow?.status ?? null,
    formal_checks: checks ? JSON.stringify(checks) : null,
    box_source: boxSource(boxes),
    boxes_source_px: boxes && sample ? JSON.stringify(inSourcePixels(boxes, sample)) : null,
    source_width: sample?.sourceWidth ?? null,
    source_height: sample?.sourceHeight ?? null,
    ocr_engine_lines: perception?.ocrEngine ? JSON.stringify(perception.ocrEngine) : null,
    generator: sample?.exact?.generator ?? sample?.imported?.generator ?? null,
    workflow_id: input.workflowId,
    finished_at: new Date().toISOString(),
  });
  const key = `${keys.staging(input.run)}${safeName(input.ref.sampleId)}.json`;
  await storeFor(home).put(key, JSON.stringify(row));
  return { staged: key };
}

/** The judge's edit as one column: applied, rejected with its code and reason, or null when there was none. */
function qaEditColumn(verdict: QaVerdict): string | null {
  const edit = verdict.by === 'judge' ? verdict.edit : undefined;
  if (!edit || edit.status === 'none') return null;
  return edit.status === 'rejected' ? `rejected: ${edit.code}: ${edit.reason}` : edit.status;
}

/**
 * Boxes in pixels of the source image: the stored image was resized (activities/images/normalize.ts), so each
 * coordinate scales by source size / stored size. Without the source size (older samples) the frames coincide.
 */
export function inSourcePixels(
  boxes: unknown,
  sample: { width?: number; height?: number; sourceWidth?: number; sourceHeight?: number },
): unknown {
  if (!Array.isArray(boxes)) return boxes;
  const sx = sample.width && sample.sourceWidth ? sample.sourceWidth / sample.width : 1;
  const sy = sample.height && sample.sourceHeight ? sample.sourceHeight / sample.height : 1;
  const r = (v: number) => Math.round(v * 100) / 100;
  const isBox = (v: unknown): v is [number, number, number, number] =>
    Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number');
  return boxes.map((b: { box?: unknown }) => {
    const box = b?.box;
    if (!isBox(box)) return b;
    const [x0, y0, x1, y1] = box;
    return { ...b, box: [r(x0 * sx), r(y0 * sy), r(x1 * sx), r(y1 * sy)] };
  });
}
