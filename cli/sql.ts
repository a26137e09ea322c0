import { readFileSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { openCatalog, queryReadOnly } from '../core/catalog.ts';
import { csvField } from '../core/csv.ts';
import { UsageError } from '../core/errors.ts';
import { SqlOutput } from '../schemas/cli.ts';
import { globals } from './context.ts';
import { renderTable } from './table.ts';
import { parseNotebook, provideStandIns, writeChart } from '../activities/report/chart.ts';

function csvCell(v: unknown): string {
  return csvField(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
}

/** DuckDB's JSON conversion writes 64-bit integers as strings; counts are numbers to every reader of --json. */
function jsonRows(
  rows: Array<Record<string, unknown>>,
  types: string[],
  columns: string[],
): Array<Record<string, unknown>> {
  const big = columns.filter((_, i) => /^(BIGINT|HUGEINT|UBIGINT|INTEGER|SMALLINT|TINYINT)$/.test(types[i] ?? ''));
  if (big.length === 0) return rows;
  for (const r of rows)
    for (const c of big) if (typeof r[c] === 'string' && Number.isSafeInteger(Number(r[c]))) r[c] = Number(r[c]);
  return rows;
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('read-only SQL over the catalog (views samples, records, quarantine, rejected, llm_calls, runs)')
    .argument('[query]', 'SQL text')
    .option('-f, --file <file>', 'read the SQL from a file')
    .option('--format <fmt>', 'table | json | csv | arrow', 'table')
    .option(
      '--chart <dir>',
      "also render the result's chart (the notebook header's, else a guess) as DIR/<name>.svg and .png",
    )
    .action(async (query: string | undefined, o: { file?: string; format: string; chart?: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const format = json ? 'json' : o.format;
      if (!['table', 'json', 'csv', 'arrow'].includes(format))
        throw new UsageError(`--format ${o.format}: expected table, json, csv or arrow`);
      if (o.file && !existsSync(o.file)) throw new UsageError(`-f ${o.file}: no such file`);
      const sql = o.file ? readFileSync(o.file, 'utf8') : query;
      if (!sql?.trim()) throw new UsageError('sql: give a query or -f FILE');
      const nb = parseNotebook(sql, o.file); // a notebook header: chart spec and views that may not exist yet
      const { conn, close } = await openCatalog(home);
      try {
        await provideStandIns(conn, nb.requires);
        const reader = await queryReadOnly(conn, sql);
        const columns = reader.columnNames();
        const rows = jsonRows(
          reader.getRowObjectsJson() as Array<Record<string, unknown>>,
          reader.columnTypes().map((t) => t.toString()),
          columns,
        );
        if (format === 'json') process.stdout.write(`${JSON.stringify(SqlOutput.parse({ columns, rows }))}\n`);
        else if (format === 'csv')
          process.stdout.write(
            `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`,
          );
        else if (format === 'arrow') process.stdout.write(tableToIPC(tableFromJSON(rows), 'stream'));
        else process.stdout.write(`${renderTable(columns, rows)}\n`);
        if (o.chart) {
          const files = await writeChart(
            o.chart,
            nb,
            columns,
            reader.columnTypes().map((t) => t.toString()),
            rows,
          );
          process.stderr.write(`chart: ${files.svg} ${files.png}\n`);
        }
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`sql: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        close();
      }
    });
}
