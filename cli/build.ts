import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { loadRunConfig, resolveEndpoints } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { RUN_NAME_RE } from '../core/home.ts';
import { connectClient, startOrAttachWorkflow, workflowUrl, type TemporalTarget } from '../core/temporal.ts';
import { listParquetFiles } from '../activities/ingest/source.ts';
import { parseSyntheticSource } from '../activities/synthetic/index.ts';
import { BuildOutput } from '../schemas/cli.ts';
import { CPU_QUEUE, buildWorkflowId } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type { BuildInput, BuildProgress } from '../schemas/workflow.ts';
import type { buildDataset } from '../workflows/build-dataset.ts';
import { emit, globals, log, positiveInt } from './context.ts';

export interface BuildRequest {
  source: string;
  run: string;
  limit?: number;
  subset?: string[];
  config?: string;
  /** Synthetic sources: also score the model formalizer against the exact specs (issue 5). */
  fidelity?: boolean;
}

/** Validate a build request and turn it into the workflow's input (endpoints resolved, no secrets). */
export async function prepareBuild(req: BuildRequest): Promise<BuildInput> {
  if (!RUN_NAME_RE.test(req.run)) throw new UsageError(`--run ${JSON.stringify(req.run)}: use letters, digits, '.', '_' or '-' (≤ 100 characters)`);
  const config = loadRunConfig(req.config);
  const synthetic = parseSyntheticSource(req.source);
  if (req.fidelity) {
    if (!synthetic) throw new UsageError('--fidelity needs a synthetic source (synthetic:N): fidelity is measured against exact specs');
    config.fidelity = true;
  }
  if (!synthetic) await listParquetFiles(req.source, req.subset); // fails fast with a one-line reason
  const endpoints = synthetic ? resolveEndpoints(config, config.fidelity ? ['formalizer'] : [], config.fidelity ? ['router', 'reasoner', 'judge'] : ['router', 'formalizer', 'reasoner', 'judge']) : resolveEndpoints(config, ['formalizer', 'reasoner'], ['router', 'judge']);
  return { run: req.run, source: synthetic ? req.source : (await import('node:path')).resolve(req.source), subsets: req.subset, limit: req.limit, config, endpoints };
}

/** Start the build, or attach to the one already running/finished under this run name (re-running is idempotent). */
export function startOrAttach(client: Client, input: BuildInput): Promise<{ handle: WorkflowHandle<typeof buildDataset>; started: boolean }> {
  return startOrAttachWorkflow<typeof buildDataset>(client, 'buildDataset', {
    workflowId: buildWorkflowId(input.run), taskQueue: CPU_QUEUE, args: [input],
    typedSearchAttributes: [{ key: SA.run, value: input.run }, { key: SA.source, value: input.source.slice(0, 200) }],
    memo: { kind: 'build', source: input.source },
  });
}

export async function queryProgress(handle: WorkflowHandle): Promise<BuildProgress | null> {
  try {
    return (await handle.query('progress')) as BuildProgress;
  } catch {
    return null;
  }
}

/** Wait for the build to close, drawing a live bar on stderr (done / rejected / quarantined / in flight, rate, ETA). */
export async function waitWithProgress(handle: WorkflowHandle, opts: { quiet: boolean; limit?: number }): Promise<{ status: string; progress: BuildProgress | null }> {
  const bar = opts.quiet ? null : new cliProgress.SingleBar({
    format: '{bar} {value}/{total} | done {done} rejected {rejected} quarantined {quarantined} | in flight {inflight} | {rate}/s | ETA {eta_formatted}',
    hideCursor: true, stream: process.stderr, etaBuffer: 50, fps: 5,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  const result = handle.result().then(() => 'COMPLETED', () => 'FAILED');
  let closed: string | null = null;
  void result.then((s) => (closed = s));
  let last: BuildProgress | null = null;
  while (!closed) {
    const p = await queryProgress(handle);
    if (p) {
      last = p;
      const total = Math.max(p.ingested, opts.limit && !p.sourceExhausted ? opts.limit : p.ingested, 1);
      const payload = { done: p.counts.done, rejected: p.counts.rejected, quarantined: p.counts.quarantined, inflight: p.inFlight, rate: p.ratePerSec.toFixed(1) };
      if (bar && !started) { bar.start(total, p.finished, payload); started = true; }
      else if (bar) { bar.setTotal(total); bar.update(p.finished, payload); }
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, 500))]); // poll cadence for the bar, not synchronisation
  }
  const desc = await handle.describe();
  if (desc.status.name === 'COMPLETED') last = (await handle.result()) as BuildProgress;
  if (bar && started && last) bar.update(last.finished, { done: last.counts.done, rejected: last.counts.rejected, quarantined: last.counts.quarantined, inflight: 0, rate: last.ratePerSec.toFixed(1) });
  bar?.stop();
  return { status: desc.status.name, progress: last };
}

export function summaryText(run: string, status: string, p: BuildProgress | null, target: TemporalTarget): string {
  const url = workflowUrl(target, buildWorkflowId(run));
  const lines = [`run ${run}: ${status}`];
  if (p) lines.push(`  samples ${p.finished}: done ${p.counts.done}, rejected ${p.counts.rejected}, quarantined ${p.counts.quarantined}; in flight ${p.inFlight}; ${p.ratePerSec.toFixed(1)} samples/s`);
  if (url) lines.push(`  Web UI: ${url}`);
  return lines.join('\n');
}

export function registerBuildCommand(program: Command): void {
  program.command('build')
    .description('start (or attach to) a dataset build')
    .requiredOption('--source <src>', 'parquet file, directory (<subset>/train-*.parquet), glob, or synthetic:N[:kinds][:seed]')
    .requiredOption('--run <name>', 'run name (the build workflow id is r1ov/<name>)')
    .option('--limit <n>', 'cap on samples', positiveInt('--limit'))
    .option('--subset <names...>', 'only these subsets')
    .option('--config <file>', 'run config (JSON or YAML)')
    .option('--wait', 'wait for the build to finish, with a progress bar')
    .option('--fidelity', 'synthetic sources: also run the model formalizer and score it against the exact specs (view `fidelity`)')
    .action(async (o: { source: string; run: string; limit?: number; subset?: string[]; config?: string; wait?: boolean; fidelity?: boolean }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const input = await prepareBuild({ source: o.source, run: o.run, limit: o.limit, subset: o.subset, config: o.config, fidelity: o.fidelity });
      const { client, target, close } = await connectClient(home);
      try {
        const { handle, started } = await startOrAttach(client, input);
        const uiUrl = workflowUrl(target, handle.workflowId);
        if (!json) log(`${started ? 'started' : 'attached to'} ${handle.workflowId}${uiUrl ? ` — ${uiUrl}` : ''}`);
        let status = 'RUNNING';
        let progress = await queryProgress(handle);
        if (o.wait) ({ status, progress } = await waitWithProgress(handle, { quiet: json, limit: o.limit }));
        emit(json, BuildOutput, { run: o.run, workflowId: handle.workflowId, started, uiUrl, progress, status }, () => summaryText(o.run, status, progress, target));
        if (o.wait && status !== 'COMPLETED') process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
