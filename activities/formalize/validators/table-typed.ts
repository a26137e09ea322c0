// Tables loaded by DuckDB with typed columns: the CSV through read_csv (csv.ts), the JSON rows through read_json,
// so a table whose numbers read as text (units in cells, thousands separators) shows as VARCHAR columns.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlString } from '../../../core/sql.ts';
import { validateCsv, withDuckDb } from './csv.ts';
import { fail, ok, type ValidationResult } from './result.ts';

export interface TypedTable {
  columns: string[];
  types: string[];
  rows: number;
  /** Columns DuckDB types as numbers. */
  numeric: string[];
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

function typed(columns: string[], types: string[], rows: number): TypedTable {
  return { columns, types, rows, numeric: columns.filter((_, i) => NUMERIC.test(types[i] ?? '')) };
}

/** A CSV text (the first lines of a chart description may be `# key: value` comments) as a typed table. */
export async function loadCsvTyped(text: string): Promise<ValidationResult<TypedTable>> {
  const body = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  const r = await validateCsv(body);
  return r.ok ? ok(typed(r.summary.columns, r.summary.types, r.summary.rows)) : r;
}

/** JSON row objects as a typed table through DuckDB's read_json (auto-detected column types). */
export async function loadJsonTyped(rows: unknown): Promise<ValidationResult<TypedTable>> {
  if (!Array.isArray(rows) || rows.length === 0)
    return fail(['the JSON table must be a non-empty array of row objects']);
  return withDuckDb(async (conn) => {
    const dir = await mkdtemp(join(tmpdir(), 'r1ov-json-'));
    try {
      const file = join(dir, 'table.json');
      await writeFile(file, JSON.stringify(rows));
      const reader = await conn.runAndReadAll(`SELECT * FROM read_json(${sqlString(file)}, format = 'array')`);
      return ok(
        typed(
          reader.columnNames(),
          reader.columnTypes().map((t) => t.toString()),
          reader.currentRowCount,
        ),
      );
    } catch (err) {
      return fail([`JSON table could not be read: ${(err as Error).message.split('\n')[0]}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
