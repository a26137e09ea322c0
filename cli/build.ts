import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { loadRunConfig, resolveEndpoints } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { RUN_NAME_RE } from '../core/home.ts';
import { connectClient, startOrAttachWorkflow, workflowUrl } from '../core/temporal.ts';
import { buildRoles } from '../activities/ingest/build-setup.ts';
import { listParquetFiles } from '../activities/ingest/source.ts';
import { parseSyntheticSource } from '../activities/synthetic/index.ts';
import { BuildOutput } from '../schemas/cli.ts';
import { CPU_QUEUE, buildWorkflowId } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import { BuildProgressSchema, type BuildInput, type BuildProgress } from '../schemas/workflow.ts';
import type { buildDataset } from '../workflows/build-dataset.ts';
import { progressLine, stateWord } from '../workflows/progress-view.ts';
import { memoProgress, queryProgress, summaryText, topReasons } from './build-progress.ts';
import { emit, globals, log, positiveInt } from './context.ts';
import { neededQueues, preflightEndpoints, watchQueues } from './watch.ts';

/** Without a TTY, `--wait` prints a progress line this often (a bar needs a terminal). */
const LINE_EVERY_MS = 10_000;

export interface BuildRequest {
  source: string;
  run: string;
  limit?: number;
  subset?: string[];
  config?: string;
  /** Synthetic sources: also score the model formalizer against the exact specs. */
  fidelity?: boolean;
  /** Rows with a released <think> trace: QA that trace instead of generating one (config `importTraces`). */
  importTraces?: boolean;
}

/** Validate a build request and turn it into the workflow's input (endpoints resolved, no secrets). */
export async function prepareBuild(req: BuildRequest): Promise<BuildInput> {
  if (!RUN_NAME_RE.test(req.run))
    throw new UsageError(`--run ${JSON.stringify(req.run)}: use letters, digits, '.', '_' or '-' (≤ 100 characters)`);
  const config = loadRunConfig(req.config);
  const synthetic = parseSyntheticSource(req.source);
  if (req.fidelity) {
    if (!synthetic)
      throw new UsageError(
        '--fidelity needs a synthetic source (synthetic:N): fidelity is measured against exact specs',
      );
    config.fidelity = true;
  }
  if (req.importTraces) config.importTraces = true;
  if (!synthetic) await listParquetFiles(req.source, req.subset); // fails fast with a one-line reason
  const { required, optional } = buildRoles(Boolean(synthetic), config.fidelity);
  const endpoints = resolveEndpoints(config, required, optional);
  return {
    run: req.run,
    source: synthetic ? req.source : (await import('node:path')).resolve(req.source),
    subsets: req.subset,
    limit: req.limit,
    config,
    endpoints,
  };
}

/** Start the build, or attach to the one already running/finished under this run name (re-running is idempotent). */
export function startOrAttach(
  client: Client,
  input: BuildInput,
): Promise<{ handle: WorkflowHandle<typeof buildDataset>; started: boolean }> {
  return startOrAttachWorkflow<typeof buildDataset>(client, 'buildDataset', {
    workflowId: buildWorkflowId(input.run),
    taskQueue: CPU_QUEUE,
    args: [input],
    typedSearchAttributes: [
      { key: SA.run, value: input.run },
      { key: SA.kind, value: 'build' },
      { key: SA.source, value: input.source.slice(0, 200) },
    ],
    memo: { kind: 'build', source: input.source },
  });
}

/** Total for the bar: the source's row count when known, else what has been ingested (or the limit while ingesting). */
function barTotal(p: BuildProgress, limit?: number): number {
  if (p.total !== null) return Math.max(p.total, 1);
  return Math.max(p.ingested, limit && !p.sourceExhausted ? limit : p.ingested, 1);
}

/**
 * Wait for the build to close. On a terminal: a live bar on stderr (done / rejected / quarantined / in flight, rate,
 * ETA). Otherwise: a progress line every few seconds, and at once when the build halts or resumes.
 */
export async function waitWithProgress(
  client: Client,
  handle: WorkflowHandle,
  opts: { quiet: boolean; limit?: number; tty?: boolean },
): Promise<{ status: string; progress: BuildProgress | null }> {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const bar =
    opts.quiet || !tty
      ? null
      : new cliProgress.SingleBar(
          {
            format:
              '{bar} {value}/{total} | done {done} rejected {rejected} quarantined {quarantined} | in flight {inflight} | {rate}/s | ETA {eta} | {state}',
            hideCursor: true,
            stream: process.stderr,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
  let started = false;
  const result = handle.result().then(
    () => 'COMPLETED',
    () => 'FAILED',
  );
  // A closed build is not queried: a query of a closed workflow replays its whole history on a worker.
  let closed: string | null = (await handle.describe()).status.name === 'RUNNING' ? null : 'closed';
  void result.then((s) => (closed = s));
  let last: BuildProgress | null = null;
  let lineAt = 0;
  let lastState = '';
  const payload = (p: BuildProgress) => ({
    done: p.counts.done,
    rejected: p.counts.rejected,
    quarantined: p.counts.quarantined,
    inflight: p.inFlight,
    rate: p.ratePerSec.toFixed(1),
    eta: p.etaSec === null ? '—' : `${Math.round(p.etaSec)} s`,
    state: p.halted ? `HALTED (${p.halted.role} ${p.halted.host}: ${p.halted.error})` : p.paused ? 'paused' : p.phase,
  });
  while (!closed) {
    const p = await queryProgress(client, handle);
    if (p) {
      last = p;
      if (bar && !started) {
        bar.start(barTotal(p, opts.limit), p.finished, payload(p));
        started = true;
      } else if (bar) {
        bar.setTotal(barTotal(p, opts.limit));
        bar.update(p.finished, payload(p));
      }
      const state = stateWord(p);
      if (!bar && !opts.quiet && (Date.now() - lineAt >= LINE_EVERY_MS || state !== lastState)) {
        log(progressLine(p));
        lineAt = Date.now();
      }
      lastState = state;
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, 500))]); // poll cadence for the display, not synchronisation
  }
  const desc = await handle.describe();
  if (desc.status.name === 'COMPLETED') last = BuildProgressSchema.parse(await handle.result());
  if (bar && started && last) bar.update(last.finished, { ...payload(last), inflight: 0 });
  bar?.stop();
  return { status: desc.status.name, progress: last };
}

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('start (or attach to) a dataset build')
    .requiredOption(
      '--source <src>',
      'parquet file, directory (<subset>/train-*.parquet), glob, or synthetic:N[:kinds][:seed]',
    )
    .requiredOption('--run <name>', 'run name (the build workflow id is r1ov/<name>)')
    .option('--limit <n>', 'cap on samples', positiveInt('--limit'))
    .option('--subset <names...>', 'only these subsets')
    .option('--config <file>', 'run config (JSON or YAML)')
    .option('--wait', 'wait for the build to finish, with a progress bar (a progress line without a terminal)')
    .option(
      '--fidelity',
      'synthetic sources: also run the model formalizer and score it against the exact specs (view `fidelity`)',
    )
    .option(
      '--import-traces',
      'rows with a released <think> trace (R1-Onevision layout): verify that trace with the QA rules instead of generating one',
    )
    .option('--skip-preflight', 'start without first checking that every endpoint answers')
    .action(
      async (
        o: {
          source: string;
          run: string;
          limit?: number;
          subset?: string[];
          config?: string;
          wait?: boolean;
          fidelity?: boolean;
          importTraces?: boolean;
          skipPreflight?: boolean;
        },
        cmd: Command,
      ) => {
        const { home, json } = globals(cmd);
        const input = await prepareBuild({
          source: o.source,
          run: o.run,
          limit: o.limit,
          subset: o.subset,
          config: o.config,
          fidelity: o.fidelity,
          importTraces: o.importTraces,
        });
        const endpoints = Object.values(input.endpoints ?? {});
        const { client, target, close } = await connectClient(home);
        const stopWatching = new AbortController();
        try {
          // Before a new build starts, every endpoint it needs must answer (re-running to attach needs no check).
          const exists = await client.workflow
            .getHandle(buildWorkflowId(input.run))
            .describe()
            .then(
              () => true,
              () => false,
            );
          if (!exists && !o.skipPreflight) await preflightEndpoints(endpoints);
          const { handle, started } = await startOrAttach(client, input);
          const uiUrl = workflowUrl(target, handle.workflowId);
          if (!json) log(`${started ? 'started' : 'attached to'} ${handle.workflowId}${uiUrl ? ` — ${uiUrl}` : ''}`);
          const closedAs = (await handle.describe()).status.name;
          if (closedAs === 'RUNNING')
            await watchQueues(client, target, neededQueues(endpoints.map((e) => e.role)), log, stopWatching.signal);
          let status: string = closedAs;
          let progress =
            closedAs === 'COMPLETED'
              ? BuildProgressSchema.parse(await handle.result())
              : closedAs === 'RUNNING'
                ? await queryProgress(client, handle)
                : await memoProgress(handle);
          if (o.wait) ({ status, progress } = await waitWithProgress(client, handle, { quiet: json, limit: o.limit }));
          stopWatching.abort();
          emit(json, BuildOutput, { run: o.run, workflowId: handle.workflowId, started, uiUrl, progress, status }, () =>
            summaryText(o.run, status, progress, target),
          );
          if (o.wait && status !== 'COMPLETED') process.exitCode = 1;
          else if (o.wait && progress && progress.counts.done === 0) {
            log(`run ${o.run}: no sample done${topReasons(progress) ? ` (top reasons: ${topReasons(progress)})` : ''}`);
            process.exitCode = 1;
          }
        } finally {
          stopWatching.abort();
          await close();
        }
      },
    );
}
