// The perception server (trainer/r1ov_trainer/perception.py) as a child process: Grounding DINO or OWL-ViT from a
// local checkpoint behind the HTTP contract activities/grounding/dino.ts speaks. Started by `r1ov perception serve`
// and by tests; it prints one JSON line with its URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { z } from 'zod';
import { trainerDir, trainerPython } from '../../core/trainer.ts';

const ListeningSchema = z.object({ listening: z.string().url(), model: z.string() });

export interface PerceptionServer {
  url: string;
  model: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface PerceptionOptions {
  checkpoint: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  device?: string;
  /** Passed through to the child's stderr (false: collected for the error message only). */
  inheritStderr?: boolean;
  startTimeoutMs?: number;
}

/** Start the server and resolve once it listens; a child that exits first rejects with its stderr's last line. */
export async function startPerceptionServer(opts: PerceptionOptions): Promise<PerceptionServer> {
  const python = trainerPython();
  if (!existsSync(python))
    throw new Error(
      `perception server: no Python at ${python}; run 'bash trainer/install.sh' or set R1OV_TRAINER_PYTHON`,
    );
  if (!existsSync(opts.checkpoint))
    throw new Error(`perception server: --checkpoint ${opts.checkpoint} does not exist`);
  const args = [
    '-m',
    'r1ov_trainer',
    'perception',
    'serve',
    '--checkpoint',
    resolve(opts.checkpoint),
    '--host',
    opts.host ?? '127.0.0.1',
    '--port',
    String(opts.port ?? 9001),
    '--device',
    opts.device ?? 'cpu',
  ];
  const child = spawn(python, args, {
    cwd: trainerDir,
    stdio: ['ignore', 'pipe', opts.inheritStderr ? 'inherit' : 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await gone;
  };
  return new Promise<PerceptionServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`perception server: not listening after ${opts.startTimeoutMs ?? 300_000} ms`));
    }, opts.startTimeoutMs ?? 300_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const l = ListeningSchema.parse(JSON.parse(line));
        resolve({ url: l.listening, model: l.model, child, stop });
      } catch {
        void stop();
        reject(new Error(`perception server: unexpected first line ${JSON.stringify(line.slice(0, 200))}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stderr.trim().split('\n').pop() ?? '';
      reject(new Error(`perception server exited (${signal ?? code}) before listening${last ? `: ${last}` : ''}`));
    });
  });
}
