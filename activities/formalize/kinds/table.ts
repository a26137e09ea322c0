// Tables as CSV (optionally with the same table as JSON rows): parsed (validators/csv.ts) and, after reasoning,
// loaded by DuckDB with typed columns (validators/table-typed.ts). Viewer: an HTML table (viewer/render.ts).
import { z } from 'zod';
import type { TableCheck } from '../../../schemas/checks.ts';
import { cellAccuracy } from '../../fidelity/score.ts';
import { guessDelimiter, splitCsv, validateCsv, validateJsonTable } from '../validators/csv.ts';
import { fail } from '../validators/result.ts';
import { loadCsvTyped, loadJsonTyped } from '../validators/table-typed.ts';
import { defineKind, unchanged, type CheckInput } from './kind.ts';

/** `json`, when given, is the same table as an array of row objects. */
export const TableFormalSchema = z.object({
  format: z.literal('csv'),
  csv: z.string().min(1),
  json: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).optional(),
});

/** A CSV table as row objects (first row = header): the JSON half of the table formalization. */
export function csvRows(csv: string): Array<Record<string, string>> {
  const body = csv.replace(/^\uFEFF/, '').trim();
  const delimiter = guessDelimiter(body.split('\n')[0] ?? '');
  const { records } = splitCsv(body, delimiter);
  const header = records[0]?.fields.map((h) => h.trim()) ?? [];
  return records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, (r.fields[i] ?? '').trim()])));
}

/** The table (its JSON rows where stored, else the CSV text) loaded by DuckDB with typed columns. */
export async function tableCheck(input: CheckInput): Promise<TableCheck> {
  const json = (input.data as { json?: unknown } | null | undefined)?.json;
  const r = json !== undefined ? await loadJsonTyped(json) : await loadCsvTyped(input.text);
  return r.ok
    ? { status: 'typed', message: null, columns: r.summary.columns, types: r.summary.types }
    : { status: 'failed', message: r.error.split('\n')[0] ?? r.error, columns: [], types: [] };
}

export const table = defineKind({
  name: 'table',
  formats: ['csv'],
  schema: TableFormalSchema,
  prompt: 'table',
  routes: [{ kind: 'diagram', subkind: 'table' }],
  async validate(out) {
    const csv = await validateCsv(out.csv);
    if (!csv.ok || !out.json) return unchanged(out, csv);
    const json = validateJsonTable(out.json);
    if (!json.ok) return fail([`json: ${json.error}`]);
    if (json.summary.rows !== csv.summary.rows || json.summary.columns.length !== csv.summary.columns.length)
      return fail([
        `json has ${json.summary.rows} rows × ${json.summary.columns.length} columns but csv has ${csv.summary.rows} × ${csv.summary.columns.length}; they must be the same table`,
      ]);
    return { ok: true, summary: { output: out, summary: { csv: csv.summary, json: json.summary } } };
  },
  render: (o) => ({ text: o.csv.trim(), data: { json: o.json ?? csvRows(o.csv) } }),
  // Synthetic tables may be stored as JSON rows.
  check: { formats: ['csv', 'json'], run: async (input) => ({ table: await tableCheck(input) }) },
  fidelity: { metrics: ['cell_accuracy'], score: (exact, model) => ({ cell_accuracy: cellAccuracy(exact, model) }) },
});
