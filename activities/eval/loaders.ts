/**
 * Loaders for the benchmarks' published local formats (no downloads). Every loader turns a file into BenchItems
 * with 0-based row numbers; a malformed row is reported with its row number and reason and skipped, never fatal.
 *
 * - R1-OneVision-Bench: VLMEvalKit-style TSV (index, image base64, question, choices, answer, level, category).
 * - MathVista testmini: parquet (pid, question, image, choices, unit, precision, answer, question_type, answer_type, metadata).
 * - MathVerse testmini: parquet/JSON/JSONL (sample_index, problem_index, problem_version, question, query_cot, answer, question_type).
 * - MathVision: parquet/JSON/JSONL (id, question, options, image, answer, level, subject).
 * - WeMath: parquet/JSON/JSONL (ID, key, question, option, answer, image).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { UsageError } from '../../core/errors.ts';
import { BENCH_KINDS, type BenchItem, type BenchKind, type MalformedRow, type MetaKey } from '../../schemas/eval.ts';

export interface LoadedBench { kind: BenchKind; file: string; rows: number; items: BenchItem[]; malformed: MalformedRow[] }
type Raw = Record<string, unknown>;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

// ---------------------------------------------------------------------------------------------------------------
// raw readers

/** RFC-4180-style delimited text (pandas `to_csv(sep='\t')` quotes fields with tabs, quotes or newlines). */
export function parseDelimited(text: string, delim = '\t'): { header: string[]; rows: Array<{ line: number; cells: string[] }> } {
  const out: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowStart = 1;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) out.push({ line: rowStart, cells });
    cells = [];
    cell = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') { cell += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      if (c === '\n') line++;
      cell += c; i++; continue;
    }
    if (c === '"' && cell === '') { quoted = true; i++; continue; }
    if (c === delim) { cells.push(cell); cell = ''; i++; continue; }
    if (c === '\r' && s[i + 1] === '\n') { i++; continue; }
    if (c === '\n') { endRow(); line++; rowStart = line; i++; continue; }
    cell += c; i++;
  }
  if (cell !== '' || cells.length > 0) endRow();
  const header = out.shift()?.cells ?? [];
  return { header, rows: out };
}

async function readParquetRows(file: string): Promise<Raw[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(file)}, file_row_number = true) ORDER BY file_row_number`);
    return r.getRowObjectsJS() as Raw[];
  } catch (err) {
    throw new UsageError(`--bench ${file}: cannot read parquet (${(err as Error).message.split('\n')[0]})`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** A JSON array, an object of objects (MathVista's testmini.json), or JSON lines; a bad JSON line is malformed. */
function readJsonRows(file: string): { rows: Array<Raw | null>; errors: MalformedRow[] } {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !file.endsWith('.jsonl'))) {
    try {
      const v = JSON.parse(text) as unknown;
      if (Array.isArray(v)) return { rows: v.map((x) => (x && typeof x === 'object' ? (x as Raw) : null)), errors: [] };
      if (v && typeof v === 'object') {
        const vals = Object.values(v as Raw);
        if (vals.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return { rows: vals as Raw[], errors: [] };
        return { rows: [v as Raw], errors: [] };
      }
    } catch {
      if (!file.endsWith('.jsonl') && trimmed.startsWith('[')) throw new UsageError(`--bench ${file}: not valid JSON`);
    }
  }
  const rows: Array<Raw | null> = [];
  const errors: MalformedRow[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      const v = JSON.parse(l) as unknown;
      rows.push(v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : null);
      if (rows[rows.length - 1] === null) errors.push({ row: rows.length - 1, reason: 'not a JSON object' });
    } catch (err) {
      errors.push({ row: rows.length, reason: `invalid JSON line: ${(err as Error).message.split('\n')[0]}` });
      rows.push(null);
    }
  }
  return { rows, errors };
}

// ---------------------------------------------------------------------------------------------------------------
// field helpers

const str = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
};

/** A list of option strings from an array, a JSON array string, or a Python list repr. */
export function parseList(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (!t || t === 'nan' || t === 'None' || t === '[]') return undefined;
  if (t.startsWith('[')) {
    try {
      const j = JSON.parse(t) as unknown;
      if (Array.isArray(j)) return j.map((x) => String(x));
    } catch { /* maybe a Python repr */ }
    const items: string[] = [];
    const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
    for (const m of t.matchAll(re)) items.push((m[1] ?? m[2] ?? '').replace(/\\(['"\\])/g, '$1'));
    if (items.length > 0) return items;
  }
  return undefined;
}

/** Options written in a question or an option string: "A. x", "(B) y", "C: z", one per line or separated by ';'. */
export function parseInlineChoices(text: string): string[] | undefined {
  const lines = text.split(/\n|;\s*(?=\(?[A-H][.:)．：]\s?)/);
  const found: string[] = [];
  for (const l of lines) {
    const m = /^\s*\(?([A-H])\s*[.:)．：]\s*(.*)$/.exec(l);
    if (!m) continue;
    const idx = m[1]!.charCodeAt(0) - 65;
    if (idx !== found.length) { if (idx === 0) found.length = 0; else continue; }
    found.push(m[2]!.trim());
  }
  return found.length >= 2 ? found : undefined;
}

function decodeBase64Image(v: string): Buffer | undefined {
  const b64 = v.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
  if (!b64 || !/^[A-Za-z0-9+/=_-]+$/.test(b64)) return undefined;
  const buf = Buffer.from(b64, 'base64');
  return buf.length > 0 ? buf : undefined;
}

/** An image from a struct {bytes, path}, raw bytes, a base64 string, or a path relative to the benchmark file. */
function imageOf(v: unknown, file: string): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'object') {
    const o = v as { bytes?: unknown; path?: unknown };
    return imageOf(o.bytes, file) ?? imageOf(o.path, file);
  }
  if (typeof v !== 'string' || !v.trim()) return undefined;
  if (v.length < 1024 && /\.(png|jpe?g|gif|webp|bmp)$/i.test(v)) {
    const p = isAbsolute(v) ? v : join(dirname(file), v);
    return existsSync(p) ? readFileSync(p) : undefined;
  }
  return decodeBase64Image(v);
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const looksLikeImage = (b: Buffer) => b.subarray(0, 4).equals(PNG_MAGIC) || b.subarray(0, 3).equals(JPEG_MAGIC) || b.subarray(0, 4).toString('latin1') === 'GIF8' || b.subarray(0, 4).toString('latin1') === 'RIFF' || b.subarray(0, 2).toString('latin1') === 'BM';

function meta(o: Partial<Record<MetaKey, unknown>>): BenchItem['meta'] {
  const m: BenchItem['meta'] = {};
  for (const [k, v] of Object.entries(o)) { const s = str(v); if (s !== undefined && s !== '') m[k as MetaKey] = s; }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// per-benchmark normalisers: a raw row → item, or a reason it is malformed

type Norm = (r: Raw, row: number, file: string) => BenchItem | string;

const need = (r: Raw, ...names: string[]): string | undefined => {
  const missing = names.filter((n) => { const s = str(r[n]); return s === undefined || s.trim() === ''; });
  return missing.length ? `missing ${missing.join(', ')}` : undefined;
};

const normR1ov: Norm = (r, row, file) => {
  const miss = need(r, 'index', 'question', 'answer');
  if (miss) return miss;
  let choices = parseList(r.choices);
  if (!choices) {
    const letters = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].filter((l) => str(r[l]) !== undefined && str(r[l])!.trim() !== '' && str(r[l]) !== 'nan');
    if (letters.length >= 2 && letters.every((l, i) => l === String.fromCharCode(65 + i))) choices = letters.map((l) => str(r[l])!);
  }
  choices ??= parseInlineChoices(str(r.question)!);
  const image = imageOf(r.image, file);
  if (str(r.image) && !image) return 'image is not valid base64';
  if (image && !looksLikeImage(image)) return 'image bytes are not a PNG/JPEG/GIF/WebP/BMP';
  return {
    row, id: str(r.index)!, question: str(r.question)!, answer: str(r.answer)!.trim(), image,
    ...(choices ? { choices } : {}),
    meta: meta({ level: r.level, category: r.category, question_type: choices ? 'multi_choice' : 'free_form' }),
  };
};

const normMathVista: Norm = (r, row, file) => {
  const miss = need(r, 'pid', 'question', 'answer');
  if (miss) return miss;
  const choices = parseList(r.choices);
  const m = (r.metadata && typeof r.metadata === 'object' ? r.metadata : {}) as Raw;
  let q = str(r.question)!;
  const unit = str(r.unit);
  if (choices) q += `\nChoices:\n${choices.map((c, i) => `(${String.fromCharCode(65 + i)}) ${c}`).join('\n')}`;
  else if (unit) q += ` (Unit: ${unit})`;
  const precision = r.precision === null || r.precision === undefined || Number.isNaN(Number(r.precision)) ? undefined : String(Number(r.precision));
  return {
    row, id: str(r.pid)!, question: q, answer: str(r.answer)!.trim(), image: imageOf(r.decoded_image ?? r.image, file),
    ...(choices ? { choices } : {}),
    meta: meta({ question_type: r.question_type, answer_type: r.answer_type, unit, precision, category: m.category, subject: m.task, level: m.grade }),
  };
};

const normMathVerse: Norm = (r, row, file) => {
  const miss = need(r, 'sample_index', 'answer');
  if (miss) return miss;
  const question = str(r.question)?.trim() || str(r.query_cot)?.trim() || str(r.query_wo)?.trim();
  if (!question) return 'missing question (and query_cot)';
  const qt = str(r.question_type);
  const choices = qt === 'multi-choice' ? parseInlineChoices(question) : undefined;
  return {
    row, id: str(r.sample_index)!, question, answer: str(r.answer)!.trim(), image: imageOf(r.image, file),
    ...(choices ? { choices } : {}),
    meta: meta({ problem_version: r.problem_version, question_type: qt, subject: (r.metadata as Raw | undefined)?.subject, category: (r.metadata as Raw | undefined)?.subfield }),
  };
};

const normMathVision: Norm = (r, row, file) => {
  const miss = need(r, 'id', 'question', 'answer');
  if (miss) return miss;
  const options = parseList(r.options);
  let q = str(r.question)!;
  if (options && options.length > 0) q += `\nChoices:\n${options.map((c, i) => `(${String.fromCharCode(65 + i)}) ${c}`).join('\n')}`;
  return {
    row, id: str(r.id)!, question: q, answer: str(r.answer)!.trim(), image: imageOf(r.decoded_image ?? r.image, file),
    ...(options && options.length > 0 ? { choices: options } : {}),
    meta: meta({ level: r.level, subject: r.subject, question_type: options && options.length > 0 ? 'multi_choice' : 'free_form' }),
  };
};

const normWeMath: Norm = (r, row, file) => {
  const miss = need(r, 'ID', 'key', 'question', 'answer');
  if (miss) return miss;
  const key = str(r.key)!;
  if (!/^(?:\d+steps?_(?:\d+|multi)|1step.*)$/.test(key)) return `unknown key ${JSON.stringify(key.slice(0, 40))}`;
  const option = str(r.option);
  const choices = option ? parseInlineChoices(option) : undefined;
  const q = option ? `${str(r.question)!}\nOptions: ${option}` : str(r.question)!;
  return {
    row, id: `${str(r.ID)}@${key}`, question: q, answer: str(r.answer)!.trim(), image: imageOf(r.image, file),
    ...(choices ? { choices } : {}),
    meta: meta({ wemath_id: r.ID, wemath_key: key, question_type: choices ? 'multi_choice' : 'free_form' }),
  };
};

const NORMALISERS: Record<BenchKind, Norm> = {
  'r1ov-bench': normR1ov, mathvista: normMathVista, mathverse: normMathVerse, mathvision: normMathVision, wemath: normWeMath,
};

// ---------------------------------------------------------------------------------------------------------------

/** Which benchmark a file holds, from its columns (a TSV is R1-OneVision-Bench). */
export function detectKind(file: string, columns: string[]): BenchKind {
  const has = (...c: string[]) => c.every((x) => columns.includes(x));
  if (has('pid', 'question_type', 'answer_type')) return 'mathvista';
  if (has('problem_version')) return 'mathverse';
  if (has('ID', 'key') || has('ID', 'option')) return 'wemath';
  if (has('options', 'subject') || has('id', 'options')) return 'mathvision';
  if (extname(file).toLowerCase() === '.tsv' || has('index', 'category', 'level')) return 'r1ov-bench';
  throw new UsageError(`--bench ${file}: cannot tell which benchmark this is from its columns (${columns.slice(0, 12).join(', ')}); pass --bench-kind ${BENCH_KINDS.join('|')}`);
}

async function readRaw(file: string): Promise<{ rows: Array<Raw | null>; errors: MalformedRow[]; columns: string[] }> {
  const ext = extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.csv') {
    const { header, rows } = parseDelimited(readFileSync(file, 'utf8'), ext === '.tsv' ? '\t' : ',');
    const errors: MalformedRow[] = [];
    const out = rows.map((r, i) => {
      if (r.cells.length !== header.length) {
        errors.push({ row: i, reason: `line ${r.line}: ${r.cells.length} fields, header has ${header.length}` });
        return null;
      }
      return Object.fromEntries(header.map((h, j) => [h, r.cells[j]]));
    });
    return { rows: out, errors, columns: header };
  }
  if (ext === '.parquet') {
    const rows = await readParquetRows(file);
    return { rows, errors: [], columns: rows[0] ? Object.keys(rows[0]) : [] };
  }
  if (ext === '.json' || ext === '.jsonl') {
    const { rows, errors } = readJsonRows(file);
    const first = rows.find((r) => r !== null);
    return { rows, errors, columns: first ? Object.keys(first) : [] };
  }
  throw new UsageError(`--bench ${file}: unsupported extension ${ext || '(none)'} (expected .tsv, .parquet, .json or .jsonl)`);
}

const loaded = new Map<string, { mtimeMs: number; size: number; kind: BenchKind; bench: LoadedBench }>();

/** Load and normalise a benchmark file (cached per process while the file is unchanged). */
export async function loadBench(file: string, kind?: BenchKind): Promise<LoadedBench> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new UsageError(`--bench ${file}: no such file`);
  const st = statSync(abs);
  const hit = loaded.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size && (!kind || hit.kind === kind)) return hit.bench;
  const raw = await readRaw(abs);
  const k = kind ?? detectKind(abs, raw.columns);
  const norm = NORMALISERS[k];
  const errs = new Map(raw.errors.map((e) => [e.row, e.reason]));
  const items: BenchItem[] = [];
  const malformed: MalformedRow[] = [];
  const seen = new Set<string>();
  raw.rows.forEach((r, row) => {
    if (r === null) { malformed.push({ row, reason: errs.get(row) ?? 'unreadable row' }); return; }
    let it: BenchItem | string;
    try {
      it = norm(r, row, abs);
    } catch (err) {
      it = `cannot read row: ${(err as Error).message.split('\n')[0]}`;
    }
    if (typeof it === 'string') { malformed.push({ row, reason: it }); return; }
    if (seen.has(it.id)) { malformed.push({ row, reason: `duplicate id ${it.id}` }); return; }
    seen.add(it.id);
    items.push(it);
  });
  const bench: LoadedBench = { kind: k, file: abs, rows: raw.rows.length, items, malformed };
  loaded.set(abs, { mtimeMs: st.mtimeMs, size: st.size, kind: k, bench });
  return bench;
}
