// `r1ov export RUN --format r1-onevision|sharegpt|trl --out PATH [--arrow] [--limit N]` (DESIGN.md CLI contract).
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { exportRun } from '../activities/export/export.ts';
import { EXPORT_FORMATS, ExportOutputSchema, type ExportFormat } from '../schemas/export.ts';
import { emit, globals, positiveInt } from './context.ts';

export function registerExportCommand(program: Command): void {
  program.command('export')
    .description('write a run\'s done records as training-ready Parquet (and Arrow IPC with --arrow)')
    .argument('<run>', 'run name')
    .requiredOption('--format <format>', `layout: ${EXPORT_FORMATS.join(' | ')}`)
    .requiredOption('--out <path>', 'Parquet file to write (".parquet" appended when the name has no extension)')
    .option('--arrow', 'also write an Arrow IPC stream beside it (same name, ".arrow")')
    .option('--limit <n>', 'export at most N records (the first N by sample id)', positiveInt('--limit'))
    .action(async (run: string, o: { format: string; out: string; arrow?: boolean; limit?: number }, cmd: Command) => {
      const { home, json } = globals(cmd);
      if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`export: --format ${JSON.stringify(o.format)}: use ${EXPORT_FORMATS.join(', ')}`);
      const r = await exportRun(home, { run, format: o.format as ExportFormat, out: o.out, arrow: Boolean(o.arrow), limit: o.limit });
      emit(json, ExportOutputSchema, r, () => [
        `exported ${r.rows} records of run ${r.run} as ${r.format} (${r.withImage} with an image${r.format === 'trl' ? `, ${r.withBox} with a box` : ''})`,
        `  parquet: ${r.parquet}`,
        ...(r.arrow ? [`  arrow:   ${r.arrow}`] : []),
      ].join('\n'));
    });
}
