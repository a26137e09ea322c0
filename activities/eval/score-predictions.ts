/**
 * Scoring a VLMEvalKit prediction file (`{model}_{dataset}.xlsx` / `.tsv`: the benchmark's columns plus
 * `prediction`) with this project's verifier and the benchmark module's metrics, so a number VLMEvalKit produced
 * can be checked here item by item.
 */
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import type { BenchKind } from '../../schemas/eval.ts';
import { benchModule, detectBench } from './benches/index.ts';
import { normaliseRows } from './loaders.ts';
import { readRaw, str } from './read.ts';
import type { ItemRow } from './report.ts';
import { itemVerdict } from './score.ts';

export async function scorePredictions(
  file: string,
  opts: { kind?: BenchKind; run?: string } = {},
): Promise<ItemRow[]> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new UsageError(`--predictions ${file}: no such file`);
  const raw = await readRaw(abs);
  if (!raw.columns.includes('prediction'))
    throw new UsageError(
      `--predictions ${file}: no prediction column (columns: ${raw.columns.slice(0, 12).join(', ')})`,
    );
  const mod = opts.kind
    ? benchModule(opts.kind)
    : detectBench(
        abs,
        raw.columns.filter((c) => c !== 'prediction'),
      );
  const { items, malformed } = normaliseRows(abs, raw, mod, false);
  const run = opts.run ?? basename(abs, extname(abs));
  const base = { run, bench: mod.kind, model: run, prompt_style: 'vlmevalkit', judge_extracted: null } as const;
  const rows: ItemRow[] = items.map((it) => {
    const prediction = str(raw.rows[it.row]?.prediction) ?? '';
    const v = itemVerdict(mod.kind, prediction, it);
    return {
      ...base,
      item_id: it.id,
      row_index: it.row,
      status: 'scored',
      correct: v.decision === 'correct',
      decided_by: v.decision === 'undecided' ? 'none' : 'rules',
      extracted: v.extracted,
      gold: it.answer,
      error: null,
      meta: it.meta,
    };
  });
  for (const m of malformed)
    rows.push({
      ...base,
      item_id: `row-${m.row}`,
      row_index: m.row,
      status: 'malformed',
      correct: false,
      decided_by: 'none',
      extracted: null,
      gold: null,
      error: m.reason,
      meta: {},
    });
  return rows.sort((a, b) => a.row_index - b.row_index);
}
