// CSV tables through DuckDB's read_csv (the reader the catalog uses), plus JSON tables.
// A quick RFC 4180 pass first gives exact line numbers for ragged rows, which DuckDB's sniffer reports vaguely.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { fail, ok, type ValidationResult } from './result.ts';
import { scanCsv, type CsvScan } from '../../../core/csv.ts';
import { sqlString } from '../../../core/sql.ts';

export interface CsvSummary {
  columns: string[];
  /** DuckDB's inferred type per column (VARCHAR, BIGINT, DOUBLE, DATE, …). */
  types: string[];
  rows: number;
  delimiter: string;
}

export interface JsonTableSummary {
  columns: string[];
  rows: number;
}

let connection: Promise<DuckDBConnection> | undefined;
// One query at a time on the shared connection.
let queue: Promise<unknown> = Promise.resolve();

/** `work` on this module's in-memory DuckDB connection (made on first use), after every earlier caller's work. */
export function withDuckDb<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    connection ??= DuckDBInstance.create(':memory:').then((i) => i.connect());
    return work(await connection);
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Splits CSV into records, strictly (core/csv.ts): a quoting error is the problem, with its line. */
export function splitCsv(text: string, delimiter: string): CsvScan {
  return scanCsv(text, delimiter, { strict: true });
}

/** The delimiter of a table whose header line is `firstLine`: the most frequent of , ; tab |, else a comma. */
export function guessDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

export async function validateCsv(text: string): Promise<ValidationResult<CsvSummary>> {
  if (typeof text !== 'string' || text.trim() === '') return fail(['CSV is empty']);
  const body = text.replace(/^\uFEFF/, '').replace(/^\s*\n/, '');
  const delimiter = guessDelimiter(body.split('\n')[0] ?? '');
  const { records, problem } = splitCsv(body, delimiter);
  if (problem) return fail([problem]);
  if (records.length === 0) return fail(['CSV has no rows']);
  const header = records[0]!.fields.map((h) => h.trim());
  const problems: string[] = [];
  if (header.length < 1) problems.push('line 1: the header has no columns');
  header.forEach((h, i) => {
    if (h === '') problems.push(`line 1: column ${i + 1} has an empty header name`);
  });
  const dupes = header.filter((h, i) => h !== '' && header.indexOf(h) !== i);
  if (dupes.length) problems.push(`line 1: duplicate column name(s): ${[...new Set(dupes)].join(', ')}`);
  if (header.length > 1 && header.every((h) => /^[+-]?\d+(\.\d+)?%?$/.test(h)))
    problems.push(
      `line 1: the first row (${header.join(delimiter)}) looks like data, not a header; add a header row with column names`,
    );
  for (const r of records.slice(1))
    if (r.fields.length !== header.length)
      problems.push(
        `line ${r.line}: ${r.fields.length} fields, but the header has ${header.length} (${header.join(delimiter)})`,
      );
  if (records.length < 2) problems.push('CSV has a header but no data rows');
  if (problems.length) return fail(problems);

  return withDuckDb((conn) => readWithDuckDb(conn, body, delimiter));
}

async function readWithDuckDb(
  conn: DuckDBConnection,
  body: string,
  delimiter: string,
): Promise<ValidationResult<CsvSummary>> {
  const dir = await mkdtemp(join(tmpdir(), 'r1ov-csv-'));
  const file = join(dir, 'table.csv');
  try {
    await writeFile(file, body);
    const delim = delimiter === '\t' ? '\\t' : delimiter;
    const sql = `SELECT * FROM read_csv(${sqlString(file)}, header = true, delim = '${delim}', quote = '"', escape = '"', strict_mode = true, null_padding = false, all_varchar = false)`;
    const reader = await conn.runAndReadAll(sql);
    const columns = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    const rows = reader.currentRowCount;
    if (rows < 1) return fail(['CSV has a header but no data rows']);
    return ok({ columns, types, rows, delimiter });
  } catch (err) {
    const msg = (err as Error).message.split('\n').slice(0, 3).join(' ');
    return fail([`CSV could not be read: ${msg}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A JSON table: a non-empty array of flat objects that all have the same keys. */
export function validateJsonTable(value: unknown): ValidationResult<JsonTableSummary> {
  let rows = value;
  if (typeof value === 'string') {
    try {
      rows = JSON.parse(value);
    } catch (err) {
      return fail([`JSON does not parse: ${(err as Error).message}`]);
    }
  }
  if (!Array.isArray(rows)) return fail(['the JSON table must be an array of row objects']);
  if (rows.length === 0) return fail(['the JSON table has no rows']);
  const problems: string[] = [];
  let columns: string[] | undefined;
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push(
        `row ${i}: expected an object, got ${Array.isArray(r) ? 'an array' : r === null ? 'null' : typeof r}`,
      );
      return;
    }
    const keys = Object.keys(r);
    if (!columns) {
      columns = keys;
      if (keys.length === 0) problems.push('row 0: has no keys');
    } else {
      const missing = columns.filter((k) => !keys.includes(k));
      const extra = keys.filter((k) => !columns!.includes(k));
      if (missing.length || extra.length)
        problems.push(
          `row ${i}: keys differ from row 0${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; extra ${extra.join(', ')}` : ''}`,
        );
    }
    for (const [k, v] of Object.entries(r))
      if (v !== null && typeof v === 'object')
        problems.push(`row ${i}: value of '${k}' is nested; cells must be strings, numbers, booleans or null`);
  });
  if (problems.length) return fail(problems);
  return ok({ columns: columns ?? [], rows: rows.length });
}
