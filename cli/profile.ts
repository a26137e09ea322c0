import type { Command } from 'commander';
import { loadRunConfig } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { profileSource } from '../activities/ingest/profile.ts';
import { parseSyntheticSource } from '../activities/synthetic/index.ts';
import { SourceProfileSchema, type SourceProfile, type SubsetProfile } from '../schemas/profile.ts';
import { emit, globals, positiveInt } from './context.ts';
import { renderTable } from './table.ts';

const top = (m: Record<string, number>, n = 3) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)}%` : '-');
const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

function row(p: SubsetProfile): Record<string, unknown> {
  return {
    subset: p.subset,
    rows: p.rows,
    turns: p.turns,
    image: p.image.count ? `${p.image.medianWidth}x${p.image.medianHeight}` : '-',
    kinds: top(p.kinds, 2),
    mc: pct(p.multipleChoice, p.turns),
    extracted: `${Math.round(p.extractionRate * 100)}%`,
    rules: top(Object.fromEntries(Object.entries(p.answerRules).filter(([k]) => k !== 'none' && k !== 'missing'))),
    quarantined: sum(p.quarantined) ? `${sum(p.quarantined)} (${top(p.quarantined, 2)})` : 0,
    rejected: sum(p.rejected),
    kept: p.kept,
    calls: sum(p.projection.calls),
    tokens: sum(p.projection.tokensIn) + sum(p.projection.tokensOut),
    cost_usd: sum(p.projection.costUsd).toFixed(2),
  };
}

function human(p: SourceProfile): string {
  const cols = [
    'subset',
    'rows',
    'turns',
    'image',
    'kinds',
    'mc',
    'extracted',
    'rules',
    'quarantined',
    'rejected',
    'kept',
    'calls',
    'tokens',
    'cost_usd',
  ];
  const t = p.total.projection;
  return [
    renderTable(cols, [...p.subsets.map(row), row(p.total)]),
    `projected calls: ${top(t.calls, 5) || 'none'}; formalizations shared by image: ${t.sharedFormalizations}`,
    `projected tokens in/out: ${sum(t.tokensIn)}/${sum(t.tokensOut)}; cost $${sum(t.costUsd).toFixed(2)} (prices from the config's roles; estimates: ${Object.entries(
      p.assumptions,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')})`,
    `profiled in ${p.elapsedSec.toFixed(1)} s`,
  ].join('\n');
}

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description(
      'look at a source before building it: rows, turns, images, routed kinds, gold-answer extraction, quarantines, projected tokens and cost (no endpoint, no Temporal)',
    )
    .requiredOption('--source <src>', 'parquet file, directory (<subset>/train-*.parquet) or glob')
    .option('--subset <names...>', 'only these subsets')
    .option(
      '--config <file>',
      'run config (JSON or YAML): role prices for the cost, pixel bounds, candidates, judge, importTraces',
    )
    .option('--limit <n>', 'profile only the first n rows', positiveInt('--limit'))
    .option('--page-size <n>', 'rows read per page (bounds memory)', positiveInt('--page-size'))
    .action(
      async (
        o: { source: string; subset?: string[]; config?: string; limit?: number; pageSize?: number },
        cmd: Command,
      ) => {
        const { json } = globals(cmd);
        if (parseSyntheticSource(o.source))
          throw new UsageError(
            `--source ${o.source}: profile reads parquet sources; a synthetic source has nothing to discover`,
          );
        const config = loadRunConfig(o.config);
        const p = await profileSource(o.source, config, {
          subsets: o.subset,
          pageSize: o.pageSize ?? config.pageSize * 5,
          limit: o.limit,
        });
        emit(json, SourceProfileSchema, p, () => human(p));
      },
    );
}
