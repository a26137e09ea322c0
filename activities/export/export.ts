/**
 * Training-ready exports of a run's done records (`r1ov export`). One DuckDB SELECT per layout builds the rows
 * (images joined from the blob store with read_blob); Parquet is written by DuckDB's COPY, Arrow IPC (stream
 * format, what `datasets.Dataset.from_file` and `pyarrow.ipc.open_stream` read) by apache-arrow from the same
 * SELECT. Both carry the `huggingface` schema metadata so `datasets` decodes the image columns as images.
 * Files are written to a temporary name and renamed (an export re-run replaces, never half-writes).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, extname, join, resolve } from 'node:path';
import {
  Binary,
  Field,
  Float64,
  List,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { openCatalog } from '../../core/catalog.ts';
import { UsageError } from '../../core/errors.ts';
import { sqlString } from '../../core/sql.ts';
import { paths } from '../../core/home.ts';
import { keys as storeKeys, NotFoundError, storeFor, type ObjectStore } from '../../core/storage/index.ts';
import { mirrorDir } from '../../core/storage/mirror.ts';
import { writeFileAtomic } from '../../core/blobs.ts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { writeSplit } from './split.ts';
import pLimit from 'p-limit';
import {
  ExportInputSchema,
  SFT_PROMPT_PREFIX,
  TRL_PROMPT_SUFFIX,
  type ExportFormat,
  type ExportInput,
  type ExportOutput,
} from '../../schemas/export.ts';

// ---- Arrow types of each layout (mirroring the DuckDB SELECTs below) ----
const f = (name: string, type: DataType) => new Field(name, type, true);
const utf8 = () => new Utf8();
const list = (t: DataType) => new List(f('item', t));
const imageStruct = () => new Struct([f('bytes', new Binary()), f('path', utf8())]);
const part = () => new Struct([f('type', utf8()), f('text', utf8())]);

const ARROW_FIELDS: Record<ExportFormat, () => Field[]> = {
  'r1-onevision': () => [
    f('id', utf8()),
    f('image', utf8()),
    f('conversations', list(new Struct([f('from', utf8()), f('value', utf8())]))),
  ],
  sharegpt: () => [
    f('id', utf8()),
    f('messages', list(new Struct([f('role', utf8()), f('content', utf8())]))),
    f('images', list(imageStruct())),
  ],
  trl: () => [
    f('id', utf8()),
    f('prompt', list(new Struct([f('role', utf8()), f('content', list(part()))]))),
    f('completion', list(new Struct([f('role', utf8()), f('content', list(part()))]))),
    f('images', list(imageStruct())),
    f('solution', utf8()),
    f('choices', list(utf8())),
    f('box', list(new Float64())),
    f('boxes', list(new Struct([f('label', utf8()), f('box', list(new Float64()))]))),
    f('kind', utf8()),
    f('data_source', utf8()),
  ],
};

// ---- `datasets` features (JSON form readable by datasets 2.x-4.x: a list feature is `[feature]`) ----
const V = (dtype: string) => ({ dtype, _type: 'Value' });
const HF_FEATURES: Record<ExportFormat, Record<string, unknown>> = {
  'r1-onevision': { id: V('string'), image: V('string'), conversations: [{ from: V('string'), value: V('string') }] },
  sharegpt: { id: V('string'), messages: [{ role: V('string'), content: V('string') }], images: [{ _type: 'Image' }] },
  trl: {
    id: V('string'),
    prompt: [{ role: V('string'), content: [{ type: V('string'), text: V('string') }] }],
    completion: [{ role: V('string'), content: [{ type: V('string'), text: V('string') }] }],
    images: [{ _type: 'Image' }],
    solution: V('string'),
    choices: [V('string')],
    box: [V('float64')],
    boxes: [{ label: V('string'), box: [V('float64')] }],
    kind: V('string'),
    data_source: V('string'),
  },
};

const hfMetadata = (format: ExportFormat) => JSON.stringify({ info: { features: HF_FEATURES[format] } });

// ---- the SELECT of each layout ----
const BOX_RE = String.raw`^\s*\[\s*-?[0-9.]+\s*,\s*-?[0-9.]+\s*,\s*-?[0-9.]+\s*,\s*-?[0-9.]+\s*\]\s*$`;

/** The question as the reasoner saw it: the cleaned question, then the options as "A. …" lines. */
const QUESTION_SQL = `r.question || CASE WHEN r.choices IS NOT NULL AND json_valid(r.choices) AND json_array_length(r.choices) > 0
  THEN chr(10) || array_to_string(list_transform(from_json(r.choices, '["VARCHAR"]'), (c, i) -> chr((64 + i)::INTEGER) || '. ' || c), chr(10)) ELSE '' END`;

function selectSql(format: ExportFormat, run: string, blobsDir: string, limit?: number): string {
  const has = 'img.content IS NOT NULL';
  const images = `CASE WHEN ${has} THEN [{'bytes': img.content, 'path': r.image_key || '.png'}] ELSE []::STRUCT(bytes BLOB, path VARCHAR)[] END`;
  const cols: Record<ExportFormat, string> = {
    'r1-onevision': `r.sample_id AS id,
      CASE WHEN ${has} THEN to_base64(img.content) END AS image,
      [{'from': 'human', 'value': (CASE WHEN ${has} THEN '<image>\n' ELSE '' END) || ${sqlString(SFT_PROMPT_PREFIX)} || (${QUESTION_SQL})},
       {'from': 'gpt', 'value': r.trace}] AS conversations`,
    sharegpt: `r.sample_id AS id,
      [{'role': 'user', 'content': (CASE WHEN ${has} THEN '<image>' ELSE '' END) || ${sqlString(SFT_PROMPT_PREFIX)} || (${QUESTION_SQL})},
       {'role': 'assistant', 'content': r.trace}] AS messages,
      ${images} AS images`,
    trl: `r.sample_id AS id,
      [{'role': 'user', 'content': list_concat(
          CASE WHEN ${has} THEN [{'type': 'image', 'text': NULL::VARCHAR}] ELSE []::STRUCT(type VARCHAR, text VARCHAR)[] END,
          [{'type': 'text', 'text': (${QUESTION_SQL}) || ${sqlString(TRL_PROMPT_SUFFIX)}}])}] AS prompt,
      [{'role': 'assistant', 'content': [{'type': 'text', 'text': r.trace}]}] AS completion,
      ${images} AS images,
      r.answer AS solution,
      CASE WHEN r.choices IS NOT NULL AND json_valid(r.choices) THEN from_json(r.choices, '["VARCHAR"]') END AS choices,
      CASE WHEN regexp_matches(r.answer, ${sqlString(BOX_RE)}) THEN from_json(r.answer, '["DOUBLE"]') END AS box,
      CASE WHEN r.boxes IS NOT NULL AND json_valid(r.boxes) THEN from_json(r.boxes, '[{"label": "VARCHAR", "box": ["DOUBLE"]}]') END AS boxes,
      r.kind AS kind,
      r.subset AS data_source`,
  };
  const path = `${sqlString(blobsDir + '/')} || substr(r.image_key, 1, 2) || '/' || r.image_key`;
  return `SELECT ${cols[format]}
    FROM (SELECT * FROM records WHERE run = ${sqlString(run)} AND trace IS NOT NULL ORDER BY sample_id ${limit ? `LIMIT ${limit}` : ''}) r
    LEFT JOIN _images img ON img.filename = ${path}
    ORDER BY r.sample_id`;
}

/** Output file names: `out` (".parquet" appended when it has no extension) and the ".arrow" beside it. */
export function exportPaths(out: string): { parquet: string; arrow: string } {
  const abs = resolve(out);
  const parquet = extname(abs) ? abs : `${abs}.parquet`;
  const base = parquet.slice(0, parquet.length - extname(parquet).length);
  return { parquet, arrow: `${base}.arrow` };
}

async function writeArrow(
  rows: AsyncIterable<Record<string, unknown>[]>,
  format: ExportFormat,
  file: string,
): Promise<void> {
  const fields = ARROW_FIELDS[format]();
  const schema = new Schema(fields, new Map([['huggingface', hfMetadata(format)]]));
  const writer = new RecordBatchStreamWriter();
  const out = createWriteStream(file);
  const piping = new Promise<void>((res, rej) => {
    out.on('error', rej);
    out.on('finish', () => res());
  });
  writer.pipe(out);
  let wrote = false;
  for await (const chunk of rows) {
    if (chunk.length === 0) continue;
    const cols = Object.fromEntries(
      fields.map((fl) => [
        fl.name,
        vectorFromArray(
          chunk.map((r) => normalise(r[fl.name])),
          fl.type,
        ),
      ]),
    );
    const t = new Table(cols);
    for (const b of t.batches) writer.write(new RecordBatch(schema, b.data));
    wrote = true;
  }
  if (!wrote) writer.write(new Table(schema));
  writer.finish();
  writer.close();
  await piping;
}

/** DuckDB's JS values → plain values apache-arrow's builders take (bytes as Uint8Array, numbers as numbers). */
function normalise(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalise(x)]));
  return v;
}

async function fetchBlobs(store: ObjectStore, dir: string, hashes: string[]): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(
    hashes.map((h) =>
      limit(async () => {
        const file = join(dir, h.slice(0, 2), h);
        if (existsSync(file)) return;
        mkdirSync(dirname(file), { recursive: true });
        try {
          await store.download(storeKeys.blob(h), file);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err; // a missing image exports as null, as locally
        }
      }),
    ),
  );
}

/** The SFT/RL halves of a full TRL export (split.ts), an Arrow stream of each with --arrow, and split.json. */
async function finishSplit(
  conn: DuckDBConnection,
  input: ReturnType<typeof ExportInputSchema.parse>,
  allFile: string,
  dir: string,
): Promise<ExportOutput> {
  const files = { sft: join(dir, 'sft.parquet'), rl: join(dir, 'rl.parquet') };
  const tmp = { sft: `${files.sft}.${process.pid}.tmp`, rl: `${files.rl}.${process.pid}.tmp` };
  try {
    const manifest = await writeSplit(conn, allFile, tmp, input.split!, { run: input.run });
    renameSync(tmp.rl, files.rl);
    renameSync(tmp.sft, files.sft);
    manifest.files = files;
    let arrowOut: string | null = null;
    if (input.arrow) {
      for (const half of ['sft', 'rl'] as const) {
        const target = files[half].replace(/\.parquet$/, '.arrow');
        const atmp = `${target}.${process.pid}.tmp`;
        try {
          const res = await conn.stream(`SELECT * FROM read_parquet(${sqlString(files[half])})`);
          await writeArrow(res.yieldRowObjectJs() as AsyncIterable<Record<string, unknown>[]>, 'trl', atmp);
          renameSync(atmp, target);
        } finally {
          rmSync(atmp, { force: true });
        }
      }
      arrowOut = files.rl.replace(/\.parquet$/, '.arrow');
    }
    writeFileAtomic(join(dir, 'split.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const withBox = Number(
      (
        await (
          await conn.runAndReadAll(`SELECT count(box) AS n FROM read_parquet(${sqlString(allFile)})`)
        ).getRowObjectsJS()
      )[0]!.n,
    );
    const withImage = Number(
      (
        await (
          await conn.runAndReadAll(
            `SELECT count(*) FILTER (len(images) > 0) AS n FROM read_parquet(${sqlString(allFile)})`,
          )
        ).getRowObjectsJS()
      )[0]!.n,
    );
    return {
      run: input.run,
      format: 'trl',
      rows: manifest.rows.total,
      withImage,
      withBox,
      parquet: files.rl,
      arrow: arrowOut,
      bytes: statSync(files.sft).size + statSync(files.rl).size,
      split: manifest,
    };
  } finally {
    rmSync(tmp.sft, { force: true });
    rmSync(tmp.rl, { force: true });
  }
}

export async function exportRun(home: string, rawInput: ExportInput): Promise<ExportOutput> {
  const input = ExportInputSchema.parse(rawInput);
  if (input.split && input.format !== 'trl')
    throw new UsageError(`export: --split writes TRL datasets: use --format trl (not ${input.format})`);
  // A split writes the whole export to a scratch file in the output directory, then its two halves beside it.
  const splitDir = input.split ? resolve(input.out) : null;
  const { parquet, arrow } = splitDir
    ? { parquet: join(splitDir, `.all-${process.pid}.parquet`), arrow: '' }
    : exportPaths(input.out);
  const { conn, close } = await openCatalog(home);
  try {
    const counts = (
      await (
        await conn.runAndReadAll(
          `SELECT count(*) AS n FROM records WHERE run = ${sqlString(input.run)} AND trace IS NOT NULL`,
        )
      ).getRowObjectsJS()
    )[0]!;
    const available = Number(counts.n);
    if (available === 0) {
      const any = Number(
        (
          await (
            await conn.runAndReadAll(`SELECT count(*) AS n FROM samples WHERE run = ${sqlString(input.run)}`)
          ).getRowObjectsJS()
        )[0]!.n,
      );
      throw new UsageError(
        any === 0
          ? `export: no run ${JSON.stringify(input.run)} in ${home} (see \`r1ov sql "select * from runs"\`)`
          : `export: run ${input.run} has no done records with a trace`,
      );
    }
    // An S3 home: the images are fetched once into the home's cache (content-addressed, so a cached file is valid).
    const store = storeFor(home);
    const blobsDir =
      store.kind === 'local' ? paths.blobs(home) : join(mirrorDir(paths.cache(home), store.location), 'blobs');
    const keys = (
      await (
        await conn.runAndReadAll(
          `SELECT DISTINCT image_key FROM (SELECT image_key FROM records WHERE run = ${sqlString(input.run)} AND trace IS NOT NULL ORDER BY sample_id ${input.limit ? `LIMIT ${input.limit}` : ''}) WHERE image_key IS NOT NULL`,
        )
      ).getRowObjectsJS()
    )
      .map((r) => String(r.image_key))
      .filter((k) => /^[0-9a-f]{64}$/.test(k));
    if (store.kind !== 'local') await fetchBlobs(store, blobsDir, keys);
    const files = keys.map((k) => join(blobsDir, k.slice(0, 2), k)).filter((p) => existsSync(p));
    await conn.run(
      files.length
        ? `CREATE TEMP TABLE _images AS SELECT filename, content FROM read_blob([${files.map(sqlString).join(', ')}])`
        : `CREATE TEMP TABLE _images AS SELECT NULL::VARCHAR AS filename, NULL::BLOB AS content WHERE false`,
    );
    const select = selectSql(input.format, input.run, blobsDir, input.limit);
    mkdirSync(dirname(parquet), { recursive: true });
    const tmp = join(dirname(parquet), `.${Date.now()}-${process.pid}.parquet.tmp`);
    try {
      await conn.run(`COPY (${select}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1024,
        KV_METADATA {huggingface: ${sqlString(hfMetadata(input.format))}})`);
      renameSync(tmp, parquet);
    } finally {
      rmSync(tmp, { force: true });
    }
    if (splitDir) {
      try {
        return await finishSplit(conn, input, parquet, splitDir);
      } finally {
        rmSync(parquet, { force: true });
      }
    }
    let arrowOut: string | null = null;
    if (input.arrow) {
      const atmp = join(dirname(arrow), `.${Date.now()}-${process.pid}.arrow.tmp`);
      try {
        const res = await conn.stream(select);
        await writeArrow(res.yieldRowObjectJs() as AsyncIterable<Record<string, unknown>[]>, input.format, atmp);
        renameSync(atmp, arrow);
        arrowOut = arrow;
      } finally {
        rmSync(atmp, { force: true });
      }
    }
    const stats = (
      await (
        await conn.runAndReadAll(`SELECT count(*) AS rows,
        count(*) FILTER (${input.format === 'r1-onevision' ? 'image IS NOT NULL' : input.format === 'sharegpt' ? 'len(images) > 0' : 'len(images) > 0'}) AS with_image,
        ${input.format === 'trl' ? 'count(box)' : '0'} AS with_box
      FROM read_parquet(${sqlString(parquet)})`)
      ).getRowObjectsJS()
    )[0]!;
    return {
      run: input.run,
      format: input.format,
      rows: Number(stats.rows),
      withImage: Number(stats.with_image),
      withBox: Number(stats.with_box),
      parquet,
      arrow: arrowOut,
      bytes: statSync(parquet).size + (arrowOut ? statSync(arrowOut).size : 0),
      split: null,
    };
  } finally {
    close();
  }
}
