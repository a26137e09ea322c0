import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { openCatalog, queryReadOnly } from '../core/catalog.ts';
import { oneLine, UsageError } from '../core/errors.ts';
import {
  dropStandIns,
  markdownTable,
  numericRows,
  parseNotebook,
  provideStandIns,
  writeChart,
} from '../activities/report/chart.ts';
import { emit, globals, log } from './context.ts';

/** The notebooks shipped with r1ov (the repository's `notebooks/`). */
export const NOTEBOOKS_DIR = fileURLToPath(new URL('../notebooks/', import.meta.url));

export const NotebookRunOutput = z.object({
  out: z.string(),
  notebooks: z.array(
    z.object({
      name: z.string(),
      title: z.string(),
      rows: z.number().int(),
      markdown: z.string(),
      svg: z.string(),
      png: z.string(),
      /** Views the notebook needed that the catalog lacks; an empty stand-in was used. */
      stand_ins: z.array(z.string()),
    }),
  ),
  failed: z.array(z.object({ name: z.string(), error: z.string() })),
});
export type NotebookRunOutput = z.infer<typeof NotebookRunOutput>;

export function listNotebooks(dir = NOTEBOOKS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !f.startsWith('.'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export interface RunNotebooksOptions {
  home: string;
  out: string;
  names?: string[];
  dir?: string;
  /** Runs on the catalog connection before the notebooks (tests use it to stand in views the catalog will gain). */
  setup?: (conn: DuckDBConnection) => Promise<void>;
}

/** Run notebooks over the home's catalog: `<out>/<name>.md` (table) + `.svg` + `.png` each. A failing notebook is reported, not fatal. */
export async function runNotebooks(o: RunNotebooksOptions): Promise<NotebookRunOutput> {
  const dir = o.dir ?? NOTEBOOKS_DIR;
  const all = listNotebooks(dir);
  const names = o.names?.length ? o.names.map((n) => n.replace(/\.sql$/i, '')) : all;
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length)
    throw new UsageError(`notebook: no such notebook ${unknown.join(', ')} (have: ${all.join(', ') || 'none'})`);
  mkdirSync(o.out, { recursive: true });
  const result: NotebookRunOutput = { out: o.out, notebooks: [], failed: [] };
  const { conn, close } = await openCatalog(o.home);
  try {
    if (o.setup) await o.setup(conn);
    for (const name of names) {
      const file = join(dir, `${name}.sql`);
      let standIns: string[] = [];
      try {
        const nb = parseNotebook(readFileSync(file, 'utf8'), file);
        standIns = await provideStandIns(conn, nb.requires);
        const reader = await queryReadOnly(conn, nb.sql);
        const columns = reader.columnNames();
        const types = reader.columnTypes().map((t) => t.toString());
        const rows = numericRows(columns, types, reader.getRowObjectsJson() as Array<Record<string, unknown>>);
        const chart = await writeChart(o.out, nb, columns, types, rows);
        const markdown = join(o.out, `${name}.md`);
        const note =
          (standIns.length
            ? `\n> The catalog has no ${standIns.map((v) => `\`${v}\``).join(', ')} view yet; this ran on an empty stand-in.\n`
            : '') + (rows.length === 0 && nb.needs ? `\n> No rows yet. Needs: ${nb.needs}\n` : '');
        writeFileSync(
          markdown,
          [
            `# ${nb.title}`,
            '',
            nb.description,
            note,
            `![${nb.title}](${name}.svg)`,
            '',
            markdownTable(columns, rows),
            '',
            '<details><summary>SQL</summary>',
            '',
            '```sql',
            nb.sql.trim(),
            '```',
            '',
            '</details>',
            '',
          ].join('\n'),
        );
        result.notebooks.push({
          name,
          title: nb.title,
          rows: rows.length,
          markdown,
          svg: chart.svg,
          png: chart.png,
          stand_ins: standIns,
        });
      } catch (err) {
        result.failed.push({ name, error: oneLine(err) });
      } finally {
        await dropStandIns(conn, standIns);
      }
    }
  } finally {
    close();
  }
  return result;
}

export function registerNotebookCommand(program: Command): void {
  const nb = program.command('notebook').description('SQL analyses over the catalog with their charts (notebooks/)');
  nb.command('list')
    .description('list the notebooks')
    .action((_o: unknown, cmd: Command) => {
      const { json } = globals(cmd);
      const names = listNotebooks();
      emit(json, z.object({ notebooks: z.array(z.string()) }), { notebooks: names }, () => names.join('\n'));
    });
  nb.command('run')
    .description('run notebooks (all by default): <out>/<name>.md (table) + .svg + .png')
    .argument('[names...]', 'notebook names (file names without .sql)')
    .option('--out <dir>', 'where to write (default <home>/notebooks)')
    .action(async (names: string[], o: { out?: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const out = resolve(o.out ?? join(home, 'notebooks'));
      const result = await runNotebooks({ home, out, names });
      emit(json, NotebookRunOutput, result, () =>
        [
          ...result.notebooks.map(
            (n) =>
              `${n.name.padEnd(18)} ${String(n.rows).padStart(5)} rows  ${relative(process.cwd(), n.markdown) || n.markdown}${
                n.stand_ins.length ? `  (no ${n.stand_ins.join(', ')} view yet: empty)` : ''
              }`,
          ),
          ...result.failed.map((f) => `${f.name.padEnd(18)} FAILED: ${f.error}`),
          `wrote ${out}`,
        ].join('\n'),
      );
      if (result.failed.length) {
        for (const f of result.failed) log(`r1ov: notebook ${f.name}: ${f.error}`);
        process.exitCode = 1;
      }
    });
}
