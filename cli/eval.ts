import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { openCatalog } from '../core/catalog.ts';
import { loadRunConfig, resolveEndpoints } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { RUN_NAME_RE } from '../core/home.ts';
import { connectClient, startOrAttachWorkflow, workflowUrl } from '../core/temporal.ts';
import { neededQueues, preflightEndpoints, watchQueues } from './watch.ts';
import { loadBench } from '../activities/eval/loaders.ts';
import { buildRunReport, flips, writeReportFiles, type ItemRow, type RunReport } from '../activities/eval/report.ts';
import { scorePredictions } from '../activities/eval/score-predictions.ts';
import { predictionTable, writePredictionTable } from '../activities/eval/vlmevalkit-files.ts';
import {
  BenchKindSchema,
  EvalInputSchema,
  EvalOutput,
  PromptStyleSchema,
  evalWorkflowId,
  type EvalInputParsed,
  type EvalProgress,
} from '../schemas/eval.ts';
import { CPU_QUEUE } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type { evaluate } from '../workflows/evaluate.ts';
import { emit, globals, log, positiveInt } from './context.ts';

interface EvalOpts {
  bench?: string;
  benchKind?: string;
  modelEndpoint?: string;
  model?: string;
  run?: string;
  promptStyle: string;
  judge?: boolean;
  config?: string;
  batchSize?: number;
  parallel?: number;
  attempts?: number;
  limit?: number;
  wait?: boolean;
}

/** Validate an eval request into the workflow input: endpoints resolved (no keys), the benchmark loaded once to fail fast. */
export async function prepareEval(o: EvalOpts): Promise<{ input: EvalInputParsed; items: number; malformed: number }> {
  if (!o.bench) throw new UsageError('eval: --bench FILE is required');
  if (!o.run) throw new UsageError('eval: --run NAME is required');
  if (!RUN_NAME_RE.test(o.run))
    throw new UsageError(`--run ${JSON.stringify(o.run)}: use letters, digits, '.', '_' or '-' (≤ 100 characters)`);
  const style = PromptStyleSchema.safeParse(o.promptStyle);
  if (!style.success)
    throw new UsageError(`--prompt-style ${o.promptStyle}: expected ${PromptStyleSchema.options.join(', ')}`);
  let kind;
  if (o.benchKind) {
    const k = BenchKindSchema.safeParse(o.benchKind);
    if (!k.success) throw new UsageError(`--bench-kind ${o.benchKind}: expected ${BenchKindSchema.options.join(', ')}`);
    kind = k.data;
  }
  const config = loadRunConfig(o.config);
  if (o.modelEndpoint || o.model) {
    if (o.modelEndpoint && !/^https?:\/\//.test(o.modelEndpoint))
      throw new UsageError(`--model-endpoint ${o.modelEndpoint}: expected an http(s) URL`);
    config.roles.model = {
      ...config.roles.model,
      ...(o.modelEndpoint ? { baseUrl: o.modelEndpoint } : {}),
      ...(o.model ? { model: o.model } : {}),
    };
  }
  const endpoints = resolveEndpoints(config, o.judge ? ['model', 'judge'] : ['model'], []);
  const bench = await loadBench(resolve(o.bench), kind);
  const input = EvalInputSchema.parse({
    run: o.run,
    bench: bench.file,
    kind: bench.kind,
    promptStyle: style.data,
    model: endpoints.model,
    judge: o.judge ? endpoints.judge : undefined,
    batchSize: o.batchSize,
    parallel: o.parallel,
    itemAttempts: o.attempts,
    limit: o.limit,
  });
  return { input, items: bench.items.length, malformed: bench.malformed.length };
}

function startOrAttach(
  client: Client,
  input: EvalInputParsed,
): Promise<{ handle: WorkflowHandle<typeof evaluate>; started: boolean }> {
  return startOrAttachWorkflow<typeof evaluate>(client, 'evaluate', {
    workflowId: evalWorkflowId(input.run),
    taskQueue: CPU_QUEUE,
    args: [input],
    typedSearchAttributes: [
      { key: SA.run, value: input.run },
      { key: SA.source, value: input.bench.slice(0, 200) },
    ],
    memo: { kind: 'eval', bench: input.bench, model: input.model.model },
  });
}

async function waitFor(
  handle: WorkflowHandle<typeof evaluate>,
  quiet: boolean,
): Promise<{ status: string; progress: EvalProgress | null }> {
  let closed = false;
  const result = handle.result().then(
    (p) => {
      closed = true;
      return p;
    },
    () => {
      closed = true;
      return null;
    },
  );
  let last = '';
  while (!closed) {
    if (!quiet) {
      try {
        const p = (await handle.query('progress')) as EvalProgress;
        const line = `${p.done}/${Math.max(p.total, 0)} rows, correct ${p.counts.correct}, errored ${p.counts.errored}, malformed ${p.counts.malformed}`;
        if (line !== last) log(line);
        last = line;
      } catch {
        /* not started yet */
      }
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, 1000))]); // progress cadence, not synchronisation
  }
  const progress = await result;
  const desc = await handle.describe();
  return { status: desc.status.name, progress };
}

const ITEM_COLS =
  'run, bench, bench_file, item_id, row_index, status, correct, decided_by, extracted, judge_extracted, gold, error, model, prompt_style, response, CAST(to_json(meta) AS VARCHAR) AS meta';

type StoredItem = ItemRow & { bench_file: string; response: string | null };

async function itemRows(home: string, run: string): Promise<StoredItem[]> {
  const { conn, close } = await openCatalog(home);
  try {
    const prepared = await conn.prepare(`SELECT ${ITEM_COLS} FROM eval_items WHERE run = $1 ORDER BY row_index`);
    prepared.bindVarchar(1, run);
    const r = await prepared.runAndReadAll();
    return (r.getRowObjectsJS() as Array<Record<string, unknown>>).map(
      (x) =>
        ({
          ...x,
          row_index: Number(x.row_index),
          meta: x.meta ? (JSON.parse(String(x.meta)) as Record<string, string>) : {},
        }) as unknown as StoredItem,
    );
  } finally {
    close();
  }
}

function summary(r: RunReport): string {
  const lines = [
    `${r.run} (${r.bench}, ${r.model}): accuracy ${r.accuracy === null ? '–' : (100 * r.accuracy).toFixed(1)}% (${r.correct}/${r.items}); errored ${r.errored}, malformed ${r.malformed}, judged ${r.judged}`,
  ];
  const v = r.metrics?.values;
  if (v && typeof v.score_strict === 'number' && typeof v.score_loose === 'number') {
    lines.push(
      `  ${r.metrics!.title}: score strict ${(100 * v.score_strict).toFixed(2)}%, loose ${(100 * v.score_loose).toFixed(2)}% over ${v.problems} problems`,
    );
  }
  return lines.join('\n');
}

export function registerEvalCommands(program: Command): void {
  const ev = program
    .command('eval')
    .description(
      'evaluate a model behind an OpenAI-compatible endpoint on a benchmark file (R1-OneVision-Bench, MathVista, MathVerse, MathVision, WeMath, any VLMEvalKit TSV)',
    )
    .option('--bench <file>', 'benchmark file (.tsv, .parquet, .json, .jsonl) in its published format')
    .option('--bench-kind <kind>', `${BenchKindSchema.options.join(' | ')} (default: detected from the columns)`)
    .option(
      '--model-endpoint <url>',
      'base URL of the model under test (the `model` role); key from R1OV_MODEL_API_KEY or OPENAI_API_KEY',
    )
    .option('--model <name>', 'model name at that endpoint')
    .option('--run <name>', 'run name (workflow id r1ov-eval/<name>)')
    .option(
      '--prompt-style <style>',
      'sft ("Hint: … final answer at the end"), rl (<think>/<answer>), or as a toolkit sends it: vlmevalkit | lmms-eval',
      'sft',
    )
    .option('--judge', 'ask the judge role about items the rule-based verifier cannot decide')
    .option('--config <file>', 'run config (JSON or YAML) for the model/judge roles (rpm, concurrency, …)')
    .option('--batch-size <n>', 'items per batch activity (default 16)', positiveInt('--batch-size'))
    .option('--parallel <n>', 'batches in flight (default 4)', positiveInt('--parallel'))
    .option(
      '--attempts <n>',
      'attempts before a failing item is recorded as errored (default 3)',
      positiveInt('--attempts'),
    )
    .option('--limit <n>', 'only the first N rows', positiveInt('--limit'))
    .option('--wait', 'wait for the evaluation to finish and print its accuracy')
    .option('--skip-preflight', 'start without first checking that the model (and judge) endpoints answer')
    .action(async (o: EvalOpts & { skipPreflight?: boolean }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const { input, items, malformed } = await prepareEval(o);
      if (!json)
        log(
          `${input.kind}: ${items} items, ${malformed} malformed row${malformed === 1 ? '' : 's'} (reported and skipped)`,
        );
      if (!o.skipPreflight) await preflightEndpoints([input.model, input.judge]);
      const { client, target, close } = await connectClient(home);
      const stopWatching = new AbortController();
      try {
        const { handle, started } = await startOrAttach(client, input);
        const uiUrl = workflowUrl(target, handle.workflowId);
        if (!json) log(`${started ? 'started' : 'attached to'} ${handle.workflowId}${uiUrl ? ` — ${uiUrl}` : ''}`);
        // No silent waits: say which queue the evaluation needs has no worker (cli/watch.ts).
        if ((await handle.describe()).status.name === 'RUNNING')
          await watchQueues(
            client,
            target,
            neededQueues(input.judge ? ['model', 'judge'] : ['model']),
            log,
            stopWatching.signal,
          );
        let status = 'RUNNING';
        let progress: EvalProgress | null = null;
        if (o.wait) ({ status, progress } = await waitFor(handle, json));
        stopWatching.abort();
        let report: RunReport | null = null;
        if (status === 'COMPLETED') {
          const rows = await itemRows(home, input.run);
          if (rows.length) report = buildRunReport(rows);
        }
        emit(
          json,
          EvalOutput,
          { run: input.run, workflowId: handle.workflowId, started, status, uiUrl, progress: report ?? progress },
          () => (report ? summary(report) : `run ${input.run}: ${status}`),
        );
        if (o.wait && status !== 'COMPLETED') process.exitCode = 1;
      } finally {
        stopWatching.abort();
        await close();
      }
    });

  ev.command('report')
    .description(
      'accuracy tables (Markdown, CSV) and a chart (SVG, PNG) for an eval run, optionally side by side with another',
    )
    .argument('<run>', 'eval run name')
    .option('--vs <run2>', 'a second run to compare with, item by item')
    .option('--out <dir>', 'output folder (default $R1OV_HOME/reports/<run>[-vs-<run2>])')
    .action(async (run: string, o: { vs?: string; out?: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const a = await itemRows(home, run);
      if (a.length === 0) throw new UsageError(`eval report: no eval items for run ${run}`);
      const reports = [buildRunReport(a)];
      let fl;
      if (o.vs) {
        const b = await itemRows(home, o.vs);
        if (b.length === 0) throw new UsageError(`eval report: no eval items for run ${o.vs}`);
        reports.push(buildRunReport(b));
        fl = flips(a, b);
      }
      const dir = resolve(o.out ?? `${home}/reports/${run}${o.vs ? `-vs-${o.vs}` : ''}`);
      const files = await writeReportFiles(dir, reports, fl);
      if (json) process.stdout.write(`${JSON.stringify({ runs: reports, flips: fl ?? null, files })}\n`);
      else
        process.stdout.write(
          `${reports.map(summary).join('\n')}${fl ? `\nflips ${fl.a} → ${fl.b}: fixed ${fl.fixed.length}, broken ${fl.broken.length}` : ''}\nwrote ${Object.values(files).join(', ')}\n`,
        );
    });

  ev.command('export')
    .description(
      "an eval run's predictions in VLMEvalKit's layout (the benchmark's columns but image, plus prediction), to score with VLMEvalKit",
    )
    .argument('<run>', 'eval run name')
    .requiredOption('--out <file>', "output file: .xlsx (VLMEvalKit's default) or .tsv")
    .action(async (run: string, o: { out: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const rows = await itemRows(home, run);
      if (rows.length === 0) throw new UsageError(`eval export: no eval items for run ${run}`);
      const benchFile = rows[0]!.bench_file;
      if (!existsSync(benchFile))
        throw new UsageError(`eval export: the benchmark file of run ${run} is not on this host (${benchFile})`);
      const byRow = new Map(rows.filter((r) => r.status === 'scored').map((r) => [r.row_index, r.response]));
      const table = await predictionTable(benchFile, (row) => byRow.get(row) ?? null);
      const out = resolve(o.out);
      await writePredictionTable(table, out);
      if (json)
        process.stdout.write(
          `${JSON.stringify({ run, file: out, rows: table.rows.length, columns: table.columns })}\n`,
        );
      else process.stdout.write(`wrote ${table.rows.length} predictions (${table.columns.length} columns) to ${out}\n`);
    });

  ev.command('score')
    .description(
      "score a VLMEvalKit prediction file ({model}_{dataset}.xlsx or .tsv) with this project's verifier and the benchmark's metrics",
    )
    .argument('<predictions>', 'prediction file (.xlsx or .tsv) with a prediction column')
    .option('--bench-kind <kind>', `${BenchKindSchema.options.join(' | ')} (default: detected from the columns)`)
    .option('--out <dir>', 'also write report.md, report.csv and the chart here')
    .action(async (file: string, o: { benchKind?: string; out?: string }, cmd: Command) => {
      const { json } = globals(cmd);
      let kind;
      if (o.benchKind) {
        const k = BenchKindSchema.safeParse(o.benchKind);
        if (!k.success)
          throw new UsageError(`--bench-kind ${o.benchKind}: expected ${BenchKindSchema.options.join(', ')}`);
        kind = k.data;
      }
      const rows = await scorePredictions(file, { kind });
      const report = buildRunReport(rows);
      const files = o.out ? await writeReportFiles(resolve(o.out), [report]) : null;
      if (json) process.stdout.write(`${JSON.stringify({ report, files })}\n`);
      else process.stdout.write(`${summary(report)}${files ? `\nwrote ${Object.values(files).join(', ')}` : ''}\n`);
    });
}
