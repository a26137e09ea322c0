/**
 * Raw readers for benchmark files (no downloads): delimited text as pandas writes it, Parquet through DuckDB,
 * JSON / JSON lines; and the field helpers every bench module shares (strings, option lists, images).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { UsageError } from '../../core/errors.ts';
import { scanCsv } from '../../core/csv.ts';
import { sqlString } from '../../core/sql.ts';
import type { MalformedRow } from '../../schemas/eval.ts';

export type Raw = Record<string, unknown>;

/** RFC-4180-style delimited text (pandas `to_csv(sep='\t')` quotes fields with tabs, quotes or newlines), read leniently. */
export function parseDelimited(
  text: string,
  delim = '\t',
): { header: string[]; rows: Array<{ line: number; cells: string[] }> } {
  const [head, ...rows] = scanCsv(text.replace(/^\uFEFF/, ''), delim).records;
  return { header: head?.fields ?? [], rows: rows.map((r) => ({ line: r.line, cells: r.fields })) };
}

async function readParquetRows(file: string): Promise<Raw[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(
      `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)}, file_row_number = true) ORDER BY file_row_number`,
    );
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
        if (vals.every((x) => x && typeof x === 'object' && !Array.isArray(x)))
          return { rows: vals as Raw[], errors: [] };
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

export interface RawFile {
  rows: Array<Raw | null>;
  errors: MalformedRow[];
  columns: string[];
}

/** Every row of a benchmark file as published, with its column names in file order. */
export async function readRaw(file: string): Promise<RawFile> {
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
  if (ext === '.xlsx') {
    const { columns, rows } = await readXlsxRows(file);
    return { rows, errors: [], columns };
  }
  throw new UsageError(
    `--bench ${file}: unsupported extension ${ext || '(none)'} (expected .tsv, .parquet, .json, .jsonl or .xlsx)`,
  );
}

/** Rows of an `.xlsx` file (VLMEvalKit's prediction files) as strings (first sheet, first row the header). */
export async function readXlsxRows(file: string): Promise<{ columns: string[]; rows: Raw[] }> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(file);
  } catch (err) {
    throw new UsageError(`${file}: not a readable .xlsx file (${(err as Error).message.split('\n')[0]})`);
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new UsageError(`${file}: the workbook has no sheet`);
  const text = (v: unknown): string | undefined => {
    if (v === null || v === undefined) return undefined;
    if (typeof v === 'object' && v !== null && 'richText' in v)
      return (v as { richText: Array<{ text: string }> }).richText.map((x) => x.text).join('');
    if (typeof v === 'object' && v !== null && 'text' in v) return String((v as { text: unknown }).text);
    if (typeof v === 'object' && v !== null && 'result' in v) return String((v as { result: unknown }).result);
    return String(v);
  };
  const header = ((ws.getRow(1).values as unknown[]) ?? []).slice(1).map((v) => text(v) ?? '');
  const rows: Raw[] = [];
  for (let i = 2; i <= ws.rowCount; i++) {
    const vals = (ws.getRow(i).values as unknown[]).slice(1);
    if (vals.every((v) => v === null || v === undefined)) continue;
    rows.push(Object.fromEntries(header.map((h, j) => [h, text(vals[j])])));
  }
  return { columns: header, rows };
}

// ---------------------------------------------------------------------------------------------------------------
// field helpers

/** A cell as a string; pandas' empty markers (`nan`, `None`, '') and non-scalars are absent. */
export const str = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
};
export const present = (v: unknown): string | undefined => {
  const s = str(v);
  return s === undefined || s.trim() === '' || s === 'nan' || s === 'NaN' || s === 'None' ? undefined : s;
};

/** `missing a, b` when a required field is absent or blank. */
export const need = (r: Raw, ...names: string[]): string | undefined => {
  const missing = names.filter((n) => present(r[n]) === undefined);
  return missing.length ? `missing ${missing.join(', ')}` : undefined;
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
    } catch {
      /* maybe a Python repr */
    }
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
    if (idx !== found.length) {
      if (idx === 0) found.length = 0;
      else continue;
    }
    found.push(m[2]!.trim());
  }
  return found.length >= 2 ? found : undefined;
}

/** VLMEvalKit's option columns `A`…`Z` in order, stopping at the first absent one (NaN = absent). */
export function letterColumns(r: Raw): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < 26; i++) {
    const v = present(r[String.fromCharCode(65 + i)]);
    if (v === undefined) break;
    out.push(v);
  }
  return out.length >= 2 ? out : undefined;
}

export const letter = (i: number) => String.fromCharCode(65 + i);

export function decodeBase64Image(v: string): Buffer | undefined {
  const b64 = v.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
  if (!b64 || !/^[A-Za-z0-9+/=_-]+$/.test(b64)) return undefined;
  const buf = Buffer.from(b64, 'base64');
  return buf.length > 0 ? buf : undefined;
}

/**
 * An image from a Hugging Face Image struct {bytes, path}, raw bytes, a base64 string, or a path relative to the
 * benchmark file (WeMath's `image_path`, MathVista's `image`). `undefined` when there is none; a string when a
 * named path or value does not resolve to an image (the reason).
 */
export function imageOf(v: unknown, file: string): Buffer | string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return v.length ? Buffer.from(v) : undefined;
  if (typeof v === 'object') {
    const o = v as { bytes?: unknown; path?: unknown };
    const b = imageOf(o.bytes, file);
    return b instanceof Buffer ? b : (imageOf(o.path, file) ?? b);
  }
  if (typeof v !== 'string' || !v.trim() || v === 'nan') return undefined;
  if (v.length < 1024 && /\.(png|jpe?g|gif|webp|bmp)$/i.test(v.trim())) {
    const p = isAbsolute(v) ? v : join(dirname(file), v.trim());
    return existsSync(p) ? readFileSync(p) : `image file ${v.trim()} not found beside the benchmark file`;
  }
  const b = decodeBase64Image(v);
  if (!b) return 'image is not valid base64';
  return looksLikeImage(b) ? b : 'image bytes are not a PNG/JPEG/GIF/WebP/BMP';
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
export const looksLikeImage = (b: Buffer) =>
  b.subarray(0, 4).equals(PNG_MAGIC) ||
  b.subarray(0, 3).equals(JPEG_MAGIC) ||
  b.subarray(0, 4).toString('latin1') === 'GIF8' ||
  b.subarray(0, 4).toString('latin1') === 'RIFF' ||
  b.subarray(0, 2).toString('latin1') === 'BM';

/** Only the string-valued entries, for an item's `meta` map. */
export function metaOf(o: Record<string, unknown>): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    const s = present(v);
    if (s !== undefined) m[k] = s;
  }
  return m;
}
