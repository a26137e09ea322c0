import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../core/errors.ts';
import { sqlString } from '../../core/sql.ts';

/** A parquet source resolved to an ordered file list (order is the paging order, so it must be stable). */
export interface ParquetFile {
  path: string;
  /** `<subset>` from the `<subset>/train-*.parquet` layout; '' when the file is not inside a subset folder. */
  subset: string;
}

let shared: Promise<DuckDBConnection> | undefined;
/** One in-memory DuckDB per process for reading sources (parquet readers are cheap; the instance is not). */
export function sourceDb(): Promise<DuckDBConnection> {
  shared ??= DuckDBInstance.create(':memory:', { threads: '2' }).then((i) => i.connect());
  return shared;
}

function globRoot(pattern: string): string {
  const parts = resolve(pattern).split(sep);
  const i = parts.findIndex((p) => /[*?[{]/.test(p));
  return i < 0 ? dirname(resolve(pattern)) : parts.slice(0, i).join(sep) || sep;
}

/** file → [file]; dir → every *.parquet below it; glob → its matches. Throws UsageError when nothing matches. */
export async function listParquetFiles(source: string, subsets?: string[]): Promise<ParquetFile[]> {
  let pattern: string;
  let root: string;
  const abs = resolve(source);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    pattern = `${abs}/**/*.parquet`;
    root = abs;
  } else if (existsSync(abs)) {
    pattern = abs;
    root = dirname(abs);
  } else if (/[*?[{]/.test(source)) {
    pattern = abs;
    root = globRoot(source);
  } else {
    throw new UsageError(`source ${source}: no such file or directory`);
  }
  const db = await sourceDb();
  const r = await db.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)}) ORDER BY file`);
  const files = r.getRowObjects().map((row) => String(row.file));
  const out = files.map((path) => {
    const rel = relative(root, dirname(path));
    return { path, subset: rel && !rel.startsWith('..') ? rel.split(sep)[0]! : '' };
  });
  if (out.length === 0) throw new UsageError(`source ${source}: no parquet files found`);
  const wanted = subsets?.length ? out.filter((f) => subsets.includes(f.subset)) : out;
  if (wanted.length === 0)
    throw new UsageError(
      `source ${source}: no files for subset(s) ${subsets!.join(', ')} (found: ${[...new Set(out.map((f) => f.subset))].join(', ') || 'none'})`,
    );
  return wanted;
}

export interface RawRow {
  rowIndex: number;
  id: string | null;
  image: Uint8Array | string | null;
  imagePath: string | null;
  conversations: Array<{ from: string; value: string }> | null;
  conversationsError?: string;
  dataSource: string | null;
}

/** Read rows [offset, offset+limit) of one parquet file, converting the columns whatever their physical form. */
export async function readParquetPage(file: string, offset: number, limit: number): Promise<RawRow[]> {
  const db = await sourceDb();
  const f = sqlString(file);
  const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${f})`);
  const types = new Map(described.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
  const imageType = types.get('image') ?? '';
  const imageSel = !types.has('image')
    ? 'NULL::BLOB AS image_bytes, NULL::VARCHAR AS image_text, NULL::VARCHAR AS image_path'
    : imageType.startsWith('STRUCT')
      ? `image.bytes::BLOB AS image_bytes, NULL::VARCHAR AS image_text, ${/path/i.test(imageType) ? 'image.path' : 'NULL'}::VARCHAR AS image_path`
      : imageType === 'BLOB'
        ? 'image AS image_bytes, NULL::VARCHAR AS image_text, NULL::VARCHAR AS image_path'
        : 'NULL::BLOB AS image_bytes, image::VARCHAR AS image_text, NULL::VARCHAR AS image_path';
  const col = (name: string, expr = name) => (types.has(name) ? `${expr}` : 'NULL');
  const sql = `SELECT ${col('id', 'id::VARCHAR')} AS id, ${imageSel},
      ${col('conversations', 'to_json(conversations)::VARCHAR')} AS conversations,
      ${col('data_source', 'data_source::VARCHAR')} AS data_source
    FROM read_parquet(${f}) LIMIT ${Math.max(0, Math.floor(limit))} OFFSET ${Math.max(0, Math.floor(offset))}`;
  const reader = await db.runAndReadAll(sql);
  const rows = reader.getRows();
  return rows.map((r, i) => {
    const [id, bytes, text, path, conv, ds] = r as unknown[];
    let conversations: RawRow['conversations'] = null;
    let conversationsError: string | undefined;
    if (typeof conv === 'string') {
      try {
        const parsed = JSON.parse(conv);
        conversations = Array.isArray(parsed)
          ? parsed.map((t) => ({ from: String(t?.from ?? ''), value: String(t?.value ?? '') }))
          : null;
        if (!conversations) conversationsError = 'conversations is not a list';
      } catch (err) {
        conversationsError = `conversations is not valid JSON: ${(err as Error).message}`;
      }
    }
    const blob =
      bytes && typeof bytes === 'object' && 'bytes' in (bytes as object)
        ? (bytes as { bytes: Uint8Array }).bytes
        : null;
    return {
      rowIndex: offset + i,
      id: id == null ? null : String(id),
      image: blob ?? (typeof text === 'string' ? text : null),
      imagePath: typeof path === 'string' ? path : null,
      conversations,
      conversationsError,
      dataSource: ds == null ? null : String(ds),
    };
  });
}
