import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { putBlob, putJsonBlob } from '../../core/blobs.ts';
import type { RunConfig } from '../../schemas/config.ts';
import { SampleSchema, type Sample, type SampleRef } from '../../schemas/sample.ts';
import type { IngestCursor, IngestPageResult } from '../../schemas/workflow.ts';
import { heartbeat } from '../heartbeat.ts';
import { ImageRejected, normalizeImage } from '../images/normalize.ts';
import { generateSyntheticItem, parseSyntheticSource, renderSyntheticPng } from '../synthetic/index.ts';
import { listParquetFiles, readParquetPage, type RawRow } from './source.ts';
import { turnFields, importedTrace } from './turn-fields.ts';
import { pairTurns } from './turns.ts';

export interface IngestPageInput {
  run: string;
  source: string;
  subsets?: string[];
  cursor: IngestCursor;
  /** Samples still allowed under --limit (undefined: no limit). */
  remaining?: number;
  config: Pick<RunConfig, 'pageSize' | 'minPixels' | 'maxPixels' | 'maxInputPixels'> &
    Partial<Pick<RunConfig, 'importTraces'>>;
}

function decodeImageField(row: RawRow, file: string): Buffer | null {
  if (row.image instanceof Uint8Array) return Buffer.from(row.image);
  if (typeof row.image === 'string' && row.image.length > 0) {
    const b64 = row.image.replace(/^data:[^;,]*;base64,/, '');
    return Buffer.from(b64, 'base64');
  }
  if (row.imagePath) return readFileSync(resolve(dirname(file), row.imagePath));
  return null;
}

/**
 * Ingest one page of a source: read rows, split turns into samples, normalise images into the blob store,
 * store each sample as a blob and return only references. Idempotent: same input → same keys.
 */
export async function ingestPage(home: string, input: IngestPageInput): Promise<IngestPageResult> {
  const synthetic = parseSyntheticSource(input.source);
  return synthetic ? ingestSyntheticPage(home, input, synthetic) : ingestParquetPage(home, input);
}

async function ingestParquetPage(home: string, input: IngestPageInput): Promise<IngestPageResult> {
  const files = await listParquetFiles(input.source, input.subsets);
  const { cursor } = input;
  if (cursor.file >= files.length) return { refs: [], next: null, rowsRead: 0 };
  const file = files[cursor.file]!;
  const rows = await readParquetPage(file.path, cursor.row, input.config.pageSize);
  const refs: SampleRef[] = [];
  let remaining = input.remaining ?? Infinity;
  let rowsRead = 0;
  for (const row of rows) {
    if (remaining <= 0) break;
    rowsRead++;
    const samples = await samplesOfRow(home, row, file.path, file.subset, input.config);
    for (const s of samples.slice(0, remaining)) {
      const sample = SampleSchema.parse(s);
      refs.push({ sampleId: sample.sampleId, sampleKey: await putJsonBlob(home, sample), source: sample.source });
    }
    remaining -= samples.length;
    heartbeat({ row: row.rowIndex });
  }
  let next: IngestCursor | null;
  if (remaining <= 0) next = null;
  else if (rows.length < input.config.pageSize)
    next = cursor.file + 1 < files.length ? { file: cursor.file + 1, row: 0 } : null;
  else next = { file: cursor.file, row: cursor.row + rows.length };
  return { refs, next, rowsRead };
}

async function samplesOfRow(
  home: string,
  row: RawRow,
  file: string,
  subset: string,
  config: IngestPageInput['config'],
): Promise<Sample[]> {
  const rowId = row.id ?? `${basename(file)}:${row.rowIndex}`;
  const source = row.dataSource ?? (subset || basename(file, '.parquet'));
  const base = { rowId, source, subset: subset || source, sourceFile: basename(file) };
  const fail = (code: string, message: string): Sample => ({
    ...base,
    sampleId: `${rowId}#0`,
    turn: 0,
    question: '',
    answer: '',
    error: { code, message },
  });

  if (!row.conversations) return [fail('bad_conversations', row.conversationsError ?? 'row has no conversations')];
  const pairs = pairTurns(row.conversations);
  if (pairs.length === 0) return [fail('missing_question', 'conversation has no human turn')];

  let image: { key: string; width: number; height: number; sourceWidth: number; sourceHeight: number } | undefined;
  let imageError: { code: string; message: string } | undefined;
  try {
    const bytes = decodeImageField(row, file);
    if (!bytes) imageError = { code: 'no_image', message: 'row has no image' };
    else {
      const n = await normalizeImage(bytes, config);
      image = {
        key: await putBlob(home, n.png),
        width: n.width,
        height: n.height,
        sourceWidth: n.sourceWidth,
        sourceHeight: n.sourceHeight,
      };
    }
  } catch (err) {
    imageError =
      err instanceof ImageRejected
        ? { code: err.code, message: err.message }
        : { code: 'image_unreadable', message: (err as Error).message };
  }

  return pairs.map((p): Sample => {
    const f = turnFields(p);
    const common: Sample = {
      ...base,
      sampleId: `${rowId}#${p.turn}`,
      turn: p.turn,
      question: f.question,
      answer: f.answer,
      ...(f.choices ? { choices: f.choices } : {}),
      questionRaw: f.questionRaw,
      answerRaw: f.answerRaw,
      answerSource: f.answerSource,
    };
    // A missing reply or a gold turn without an answer is quarantined before any image problem: it can never verify.
    if (f.error) return { ...common, error: f.error };
    if (imageError) return { ...common, error: imageError };
    const trace = config.importTraces ? importedTrace(f) : null;
    return {
      ...common,
      imageKey: image!.key,
      width: image!.width,
      height: image!.height,
      sourceWidth: image!.sourceWidth,
      sourceHeight: image!.sourceHeight,
      ...(trace ? { imported: { trace, generator: `import:${base.subset}` } } : {}),
    };
  });
}

async function ingestSyntheticPage(
  home: string,
  input: IngestPageInput,
  spec: NonNullable<ReturnType<typeof parseSyntheticSource>>,
): Promise<IngestPageResult> {
  const start = input.cursor.row;
  const limit = Math.min(
    spec.n,
    start + input.config.pageSize,
    input.remaining === undefined ? Infinity : start + input.remaining,
  );
  const refs: SampleRef[] = [];
  for (let i = start; i < limit; i++) {
    const item = generateSyntheticItem(i, spec);
    const png = await renderSyntheticPng(item);
    const n = await normalizeImage(png, input.config);
    const sample: Sample = SampleSchema.parse({
      sampleId: `${item.id}#0`,
      rowId: item.id,
      turn: 0,
      source: `synthetic/${item.kind}`,
      subset: item.kind,
      sourceFile: input.source,
      question: item.question,
      answer: item.answer,
      choices: item.choices,
      imageKey: await putBlob(home, n.png),
      width: n.width,
      height: n.height,
      sourceWidth: n.sourceWidth,
      sourceHeight: n.sourceHeight,
      exact: {
        kind: item.routeKind,
        subkind: item.subkind,
        formalFormat: item.formalFormat,
        formalText: item.formalText,
        trace: item.trace,
        template: item.template,
        generator: `synthetic:${item.kind}/${item.template}`,
      },
    });
    refs.push({ sampleId: sample.sampleId, sampleKey: await putJsonBlob(home, sample), source: sample.source });
    heartbeat({ index: i });
  }
  const next =
    limit < spec.n && (input.remaining === undefined || refs.length < input.remaining) ? { file: 0, row: limit } : null;
  return { refs, next, rowsRead: refs.length };
}
