// `r1ov export RUN --format r1-onevision|sharegpt|trl --out PATH [--arrow] [--limit N] [--split sft=rest,rl=N …]` (docs/ARCHITECTURE.md, the command line contract).
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { exportRun } from '../activities/export/export.ts';
import { parseSplitSpec } from '../activities/export/split.ts';
import {
  EXPORT_FORMATS,
  ExportOutputSchema,
  ExportSplitSchema,
  RL_ANSWER_TYPES,
  type ExportFormat,
  type ExportSplit,
} from '../schemas/export.ts';
import { emit, globals, positiveInt } from './context.ts';

interface SplitOptions {
  split?: string;
  rlAnswers?: string;
  rlMaxTraceChars?: number;
  rlMix?: string;
  seed?: string;
}

function splitFromOptions(o: SplitOptions): ExportSplit | undefined {
  if (!o.split) {
    if (o.rlAnswers || o.rlMaxTraceChars || o.rlMix || o.seed)
      throw new UsageError('export: --rl-answers, --rl-max-trace-chars, --rl-mix and --seed need --split');
    return undefined;
  }
  const answers = o.rlAnswers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = answers?.find((a) => !(RL_ANSWER_TYPES as readonly string[]).includes(a));
  if (bad)
    throw new UsageError(`export: --rl-answers: ${JSON.stringify(bad)} is not one of ${RL_ANSWER_TYPES.join(', ')}`);
  if (o.rlMix && o.rlMix !== 'balanced' && o.rlMix !== 'proportional')
    throw new UsageError(`export: --rl-mix ${JSON.stringify(o.rlMix)}: use balanced or proportional`);
  if (o.seed !== undefined && !/^\d+$/.test(o.seed))
    throw new UsageError(`export: --seed ${JSON.stringify(o.seed)}: a non-negative integer`);
  return ExportSplitSchema.parse({
    ...parseSplitSpec(o.split),
    rlAnswers: answers,
    rlMaxTraceChars: o.rlMaxTraceChars,
    rlMix: o.rlMix,
    seed: o.seed === undefined ? undefined : Number(o.seed),
  });
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("write a run's done records as training-ready Parquet (and Arrow IPC with --arrow)")
    .argument('<run>', 'run name')
    .requiredOption('--format <format>', `layout: ${EXPORT_FORMATS.join(' | ')}`)
    .requiredOption(
      '--out <path>',
      'Parquet file to write (".parquet" appended when the name has no extension); with --split, a directory',
    )
    .option('--arrow', 'also write an Arrow IPC stream beside it (same name, ".arrow")')
    .option('--limit <n>', 'export at most N records (the first N by sample id)', positiveInt('--limit'))
    .option(
      '--split <spec>',
      'SFT/RL split (trl): sft=rest|all,rl=N|P% → OUT/sft.parquet, OUT/rl.parquet, OUT/split.json',
    )
    .option(
      '--rl-answers <types>',
      `answer types RL draws from (${RL_ANSWER_TYPES.join(',')}; default multiple-choice,numeric)`,
    )
    .option(
      '--rl-max-trace-chars <n>',
      'RL rows only with traces at most this long',
      positiveInt('--rl-max-trace-chars'),
    )
    .option('--rl-mix <mix>', 'balanced (round-robin over kinds, default) | proportional')
    .option('--seed <n>', 'seed of the RL draw (default 0)')
    .action(
      async (
        run: string,
        o: { format: string; out: string; arrow?: boolean; limit?: number } & SplitOptions,
        cmd: Command,
      ) => {
        const { home, json } = globals(cmd);
        if (!(EXPORT_FORMATS as readonly string[]).includes(o.format))
          throw new UsageError(`export: --format ${JSON.stringify(o.format)}: use ${EXPORT_FORMATS.join(', ')}`);
        const split = splitFromOptions(o);
        const r = await exportRun(home, {
          run,
          format: o.format as ExportFormat,
          out: o.out,
          arrow: Boolean(o.arrow),
          limit: o.limit,
          split,
        });
        emit(json, ExportOutputSchema, r, () =>
          r.split
            ? [
                `exported ${r.rows} records of run ${r.run} as trl, split: ${r.split.rows.sft} SFT, ${r.split.rows.rl} RL (of ${r.split.rows.eligible} verifiable)`,
                `  sft:      ${r.split.files.sft}`,
                `  rl:       ${r.split.files.rl}`,
                `  rl kinds: ${
                  Object.entries(r.split.rl.kinds)
                    .map(([k, n]) => `${k} ${n}`)
                    .join(', ') || '–'
                }; answers: ${
                  Object.entries(r.split.rl.answers)
                    .map(([k, n]) => `${k} ${n}`)
                    .join(', ') || '–'
                }`,
              ].join('\n')
            : [
                `exported ${r.rows} records of run ${r.run} as ${r.format} (${r.withImage} with an image${r.format === 'trl' ? `, ${r.withBox} with a box` : ''})`,
                `  parquet: ${r.parquet}`,
                ...(r.arrow ? [`  arrow:   ${r.arrow}`] : []),
              ].join('\n'),
        );
      },
    );
}
