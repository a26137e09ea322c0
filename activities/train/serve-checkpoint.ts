/**
 * GPU activity (queue r1ov-gpu): one training checkpoint behind an OpenAI-compatible endpoint
 * (`python -m r1ov_trainer serve`) for as long as the trainModel workflow evaluates it. It signals the URL to the
 * workflow once the model answers, heartbeats while it serves, and kills the server's process group when cancelled
 * (the workflow waits for that, so the GPU is free before the next epoch trains). It never completes on its own: a
 * server that exits is a failure. Every attempt starts its own server on its own port and kills it on the way out,
 * and the server dies with the worker (it polls its parent), so a retry or a duplicate never finds a stale one; the
 * signal names the try (`serveId`), so the workflow ignores a stale try's URL.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { CheckpointServed, ServeCheckpointInput } from '../../schemas/train.ts';
import { killGroup } from './process-group.ts';
import { fetchCheckpoint, trainerDir, trainerPython } from './run-trainer.ts';
import { storeFor } from '../../core/storage/index.ts';

/** The server's one stdout line once it answers. */
const ServingLineSchema = z.object({
  event: z.literal('serving'),
  url: z.string().url(),
  model: z.string(),
  pid: z.number().int(),
});

export const checkpointServedSignalName = 'checkpointServed';

function serverArgs(input: ServeCheckpointInput): string[] {
  const s = input.serve;
  const args = [
    '-m',
    'r1ov_trainer',
    'serve',
    '--checkpoint',
    input.checkpoint,
    '--model-name',
    input.modelName,
    '--host',
    s.host ?? '127.0.0.1',
    '--port',
    String(s.port ?? 0),
  ];
  if (s.advertise_host) args.push('--advertise-host', s.advertise_host);
  if (s.backend) args.push('--backend', s.backend);
  if (s.dtype) args.push('--dtype', s.dtype);
  if (s.max_batch_size) args.push('--max-batch-size', String(s.max_batch_size));
  if (input.maxTokens) args.push('--max-new-tokens', String(input.maxTokens));
  if (input.minPixels && input.maxPixels)
    args.push('--min-pixels', String(input.minPixels), '--max-pixels', String(input.maxPixels));
  return args;
}

/** Signal the URL to the workflow; a few tries, since a URL nobody hears leaves the evaluation waiting. */
async function tellWorkflow(ctx: Context, workflowId: string, served: CheckpointServed): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      await ctx.client.workflow.getHandle(workflowId).signal(checkpointServedSignalName, served);
      return;
    } catch (err) {
      last = err;
      await ctx.sleep(500 * 2 ** i); // cancellable backoff
    }
  }
  throw ApplicationFailure.retryable(`cannot signal ${workflowId}: ${(last as Error)?.message}`, 'ServeFailed');
}

export async function serveCheckpoint(home: string, input: ServeCheckpointInput): Promise<void> {
  const ctx = Context.current();
  const python = trainerPython();
  if (!existsSync(python)) {
    throw ApplicationFailure.nonRetryable(
      `trainer not installed: ${python} is missing (run \`bash trainer/install.sh\`, or set R1OV_TRAINER_PYTHON)`,
      'TrainerNotInstalled',
    );
  }
  if (isAbsolute(input.checkpoint) && !existsSync(input.checkpoint)) {
    // Written on another host: with an S3 store the trainer uploaded it (node 0's copy holds the whole model).
    const stage = input.label.startsWith('grpo') ? 'grpo' : 'sft';
    const local = await fetchCheckpoint(
      storeFor(home),
      input.name,
      stage,
      input.checkpoint,
      join(home, 'train', input.name, stage),
      1,
    );
    if (local) input = { ...input, checkpoint: local };
  }
  if (isAbsolute(input.checkpoint) && !existsSync(input.checkpoint)) {
    throw ApplicationFailure.nonRetryable(
      `checkpoint ${input.checkpoint} does not exist on this worker`,
      'ServeConfigError',
    );
  }
  const child = spawn(python, serverArgs(input), {
    cwd: trainerDir,
    detached: true, // its own process group: cancel kills the server and anything it started
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('error', () => res({ code: null, signal: null }));
    child.once('close', (code, signal) => res({ code, signal }));
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    if (!l.trim()) return;
    stderrTail.push(l);
    if (stderrTail.length > 40) stderrTail.shift();
  });
  let url: string | null = null;
  let signalFailure: unknown = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let parsed;
    try {
      parsed = ServingLineSchema.safeParse(JSON.parse(line));
    } catch {
      return; // not the serving line
    }
    if (!parsed.success || url) return;
    url = parsed.data.url;
    ctx.heartbeat({ serveId: input.serveId, url });
    tellWorkflow(ctx, input.workflowId, { serveId: input.serveId, url, model: parsed.data.model }).catch(
      (err: unknown) => {
        signalFailure = err;
        killGroup(child, 2_000); // nobody will use this server
      },
    );
  });
  // Loading a 7B model is silent for minutes: beat on a timer, well inside the heartbeat timeout. A beat is also how
  // the cancellation reaches this activity.
  const every = Math.min(5_000, Math.max(250, (ctx.info.heartbeatTimeoutMs ?? 60_000) / 4));
  const beat = setInterval(() => ctx.heartbeat({ serveId: input.serveId, url }), every);
  try {
    const outcome = await Promise.race([
      exited.then((e) => ({ kind: 'exited' as const, ...e })),
      ctx.cancelled.catch((err: unknown) => ({ kind: 'cancelled' as const, err })),
    ]);
    if (outcome.kind === 'cancelled') {
      killGroup(child, 5_000);
      await exited;
      throw outcome.err;
    }
    if (signalFailure) throw signalFailure;
    const last = (stderrTail.at(-1) ?? '').replace(/^r1ov-trainer: error: /, '');
    if (outcome.code === 2)
      throw ApplicationFailure.nonRetryable(last || 'bad checkpoint or serve options', 'ServeConfigError');
    throw ApplicationFailure.retryable(
      `checkpoint server for ${input.label} exited ${outcome.code ?? outcome.signal}${url ? ` while serving ${url}` : ' before it answered'}: ${stderrTail.slice(-3).join(' | ').slice(0, 1500)}`,
      'ServeFailed',
    );
  } finally {
    clearInterval(beat);
    killGroup(child, 2_000);
  }
}
