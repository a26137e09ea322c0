/**
 * Integration-test harness: a real Temporal dev server on free ports with a temporary home, worker processes
 * started as children (so tests can SIGKILL them), and the CLI run as a subprocess like a user runs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTemporalCli } from '../../infra/temporal-cli.ts';
import { resolveHome } from '../../core/home.ts';
import { startServer, stopServer, type ServerState } from '../../infra/server.ts';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repoRoot, 'bin', 'r1ov.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

/** The Temporal CLI for tests: found or installed once into the default home, shared by every test home. */
export function temporalCliForTests(): string {
  return process.env.TEMPORAL_CLI ?? findTemporalCli(resolveHome(join(repoRoot, '.r1ov')), { install: true });
}

export interface Cluster {
  home: string;
  server: ServerState;
  env: NodeJS.ProcessEnv;
  workers: ChildProcess[];
  startWorker(args?: string[], extraEnv?: NodeJS.ProcessEnv): Promise<ChildProcess>;
  /** Run the CLI as a subprocess without blocking this process (tests host the fake model server in-process). */
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<{ status: number; stdout: string; stderr: string }>;
  cliJson<T = unknown>(args: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<T>;
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Cluster> {
  const home = mkdtempSync(join(tmpdir(), 'r1ov-test-'));
  const cli = temporalCliForTests();
  const port = await freePort();
  const uiPort = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, R1OV_HOME: home, TEMPORAL_CLI: cli };
  delete env.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_CLI = cli;
  let server = await startServer({ home, port, uiPort });
  const workers: ChildProcess[] = [];
  const c: Cluster = {
    home, env, workers,
    get server() { return server; },
    async startWorker(args = [], extraEnv = {}) {
      const child = spawn(process.execPath, [bin, 'worker', ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
      workers.push(child);
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      // The worker prints this line once every queue polls: a real readiness event, not a sleep.
      await new Promise<void>((res, rej) => {
        const onData = () => { if (err.includes('worker ready')) { child.stderr!.off('data', onData); res(); } };
        child.stderr!.on('data', onData);
        child.once('exit', (code) => rej(new Error(`worker exited with ${code}: ${err.slice(-2000)}`)));
      });
      return child;
    },
    cli(args, o = {}) {
      return new Promise((res, rej) => {
        const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        child.on('error', rej);
        child.on('close', (code) => res({ status: code ?? -1, stdout, stderr }));
        child.stdin!.end(o.input ?? '');
      });
    },
    async cliJson(args, o = {}) {
      const r = await c.cli([...args, '--json'], o);
      if (r.status !== 0) throw new Error(`r1ov ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1500)}`);
      return JSON.parse(r.stdout);
    },
    async restartServer() {
      await stopServer(home);
      server = await startServer({ home, port, uiPort });
    },
    async stop() {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await stopServer(home);
      if (!process.env.R1OV_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
    },
  };
  return c;
}

/** Wait for a child process to exit (after a kill). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Poll a condition with a deadline: for state owned by another process (no event exists to await). */
export async function eventually<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function hasTemporal(): boolean {
  return spawnSync('sh', ['-c', 'command -v python3']).status === 0;
}
