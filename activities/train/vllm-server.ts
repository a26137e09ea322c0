/**
 * The policy's vLLM server for GRPO's server mode (`trl vllm-serve`), started by the trainer activity before the
 * trainer and stopped with it: its own process group (killed whole on the way out), dies with the worker like the
 * trainer does, and is ready when its health endpoint answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { VllmServerLaunch } from './launch-plan.ts';
import { killGroup } from './process-group.ts';

export interface RunningVllm {
  child: ChildProcess;
  stop(): void;
}

export class VllmStartError extends Error {
  override name = 'VllmStartError';
}

/** A free TCP port on loopback for the server. */
export function freeLocalPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * Start the server and resolve once `healthUrl` answers 200; reject when it exits first, or after `timeoutMs`
 * (the stderr tail in the message). `signal` aborts the wait (activity cancelled) and kills the server.
 */
export async function startVllmServer(
  plan: VllmServerLaunch,
  opts: { cwd: string; timeoutMs: number; signal?: AbortSignal; pollMs?: number },
): Promise<RunningVllm> {
  const child = spawn(plan.command, plan.args, {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...plan.env, PYTHONUNBUFFERED: '1' },
  });
  const tail: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    tail.push(...d.split('\n').filter((l) => l.trim()));
    tail.splice(0, Math.max(0, tail.length - 20));
  });
  const running: RunningVllm = { child, stop: () => killGroup(child, 5_000) };
  let exited: string | null = null;
  child.once('exit', (code, sig) => {
    exited = `exited ${code ?? sig}`;
  });
  child.once('error', (e) => {
    exited = `failed to start: ${e.message}`;
  });
  const deadline = Date.now() + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 1_000;
  try {
    for (;;) {
      if (exited)
        throw new VllmStartError(
          `vLLM server ${exited} before answering: ${tail.slice(-3).join(' | ').slice(0, 1200)}`,
        );
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      try {
        const r = await fetch(plan.healthUrl, { signal: AbortSignal.timeout(5_000) });
        if (r.ok) return running;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline)
        throw new VllmStartError(
          `vLLM server did not answer ${plan.healthUrl} within ${Math.round(opts.timeoutMs / 1000)} s: ${tail.slice(-3).join(' | ').slice(0, 1200)}`,
        );
      await new Promise((r) => setTimeout(r, pollMs)); // a server loading a model: nothing to wait on but its port
    }
  } catch (err) {
    running.stop();
    throw err;
  }
}
