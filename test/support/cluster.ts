/**
 * Integration-test harness: a real Temporal engine on free ports with a temporary home, worker processes
 * started as children (so tests can SIGKILL them), and the CLI run as a subprocess like a user runs it.
 * The engine is the embedded dev server (SQLite; `engine: 'dev'`, the default) or a Temporal server on
 * PostgreSQL (`engine: 'cluster'`, test/support/temporal-cluster.ts) reached through TEMPORAL_ADDRESS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTemporalCli } from '../../infra/temporal-cli.ts';
import { Client, Connection } from '@temporalio/client';
import { paths, resolveHome } from '../../core/home.ts';
import { startServer, stopServer, type ServerState } from '../../infra/server.ts';
import { workflowSourceHash } from '../../infra/workflow-source-hash.ts';
import { buildWorkflowId } from '../../schemas/queues.ts';
import { BuildProgressSchema, type BuildProgress } from '../../schemas/workflow.ts';
import { memoProgress, queryProgress } from '../../cli/build-progress.ts';
import { freePort, startTemporalCluster, type TemporalCluster } from './temporal-cluster.ts';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repoRoot, 'bin', 'r1ov.js');

export { freePort };

/** The Temporal CLI for tests: found or installed once into the default home, shared by every test home. */
export function temporalCliForTests(): string {
  return process.env.TEMPORAL_CLI ?? findTemporalCli(resolveHome(join(repoRoot, '.r1ov')), { install: true });
}

/**
 * Put the workers' workflow bundle into a new home's cache, where infra/worker.ts looks before bundling: webpack takes
 * seconds of CPU, and every test file starts a fresh home. The bundle is made once per workflow source hash into a
 * shared home in the temp dir (written atomically by infra/worker.ts, so files bundling at once do not clash).
 */
async function seedWorkflowBundle(home: string): Promise<void> {
  const name = `${workflowSourceHash()}.js`;
  const shared = join(tmpdir(), 'r1ov-test-bundle-home');
  const from = join(paths.cache(shared), 'workflow-bundles', name);
  if (!existsSync(from)) await (await import('../../infra/worker.ts')).workflowBundle(shared);
  const to = join(paths.cache(home), 'workflow-bundles');
  mkdirSync(to, { recursive: true });
  copyFileSync(from, join(to, name));
}

export type Engine = 'dev' | 'cluster';
export const ENGINES: readonly Engine[] = ['dev', 'cluster'];

/** Engines the parametrised suites run on: `R1OV_TEST_ENGINES` (comma-separated), default both. */
export function testEngines(): Engine[] {
  const raw = process.env.R1OV_TEST_ENGINES ?? ENGINES.join(',');
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!ENGINES.includes(n as Engine))
      throw new Error(`R1OV_TEST_ENGINES: unknown engine ${n} (expected ${ENGINES.join(', ')})`);
  return names as Engine[];
}

export interface Cluster {
  engine: Engine;
  home: string;
  /** The engine's frontend (for the cluster: pid of the Temporal server process, no Web UI). */
  server: ServerState;
  /** The PostgreSQL under a cluster engine (absent on the dev server). */
  temporal?: TemporalCluster;
  env: NodeJS.ProcessEnv;
  workers: ChildProcess[];
  startWorker(args?: string[], extraEnv?: NodeJS.ProcessEnv): Promise<ChildProcess>;
  /** Run the CLI as a subprocess without blocking this process (tests host the fake model server in-process). */
  cli(
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; input?: string },
  ): Promise<{ status: number; stdout: string; stderr: string }>;
  cliJson<T = unknown>(args: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<T>;
  /**
   * A build's status and progress read from this process, the way `r1ov status` reads them (cli/build-progress.ts):
   * for polling a condition, where a CLI subprocess per poll would cost a Node start each time.
   */
  buildStatus(run: string): Promise<{ status: string; progress: BuildProgress | null }>;
  restartServer(): Promise<void>;
  /** Cluster engine only: stop PostgreSQL, keep it down for `downMs`, start it again on the same port. */
  restartDatabase(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** The dev server's state shape for a cluster engine, so tests read `cluster.server.address` / `.pid` either way. */
function clusterServerState(t: TemporalCluster): ServerState {
  return {
    pid: t.serverPid(),
    address: t.address,
    port: Number(t.address.split(':').at(-1)),
    uiPort: 0,
    uiUrl: '',
    namespace: t.namespace,
    dbFile: `postgresql://127.0.0.1:${t.postgres.port}/temporal`,
    log: t.serverLog,
    startedAt: '',
  };
}

/**
 * The dev server on ports picked free a moment before. Side-by-side test files do the same (and start-dev picks its
 * own HTTP, metrics and membership ports), so a port can be taken in between: a server that exits before it is ready
 * is started again on fresh ports, twice at most, saying so.
 */
async function startDevServer(home: string): Promise<{ server: ServerState; port: number; uiPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const uiPort = await freePort();
    try {
      return { server: await startServer({ home, port, uiPort }), port, uiPort };
    } catch (err) {
      const message = (err as Error).message;
      if (attempt === 3 || !/ before it was ready/.test(message)) throw err;
      console.error(`test harness: ${message}; starting it again on fresh ports`);
    }
  }
}

export async function startCluster(
  opts: { env?: NodeJS.ProcessEnv; engine?: Engine; init?: boolean } = {},
): Promise<Cluster> {
  const engine = opts.engine ?? 'dev';
  const home = mkdtempSync(join(tmpdir(), 'r1ov-test-'));
  const cli = temporalCliForTests();
  await seedWorkflowBundle(home);
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, R1OV_HOME: home, TEMPORAL_CLI: cli };
  delete env.TEMPORAL_ADDRESS;
  delete env.TEMPORAL_NAMESPACE;
  process.env.TEMPORAL_CLI = cli;
  let temporal: TemporalCluster | undefined;
  let port = 0,
    uiPort = 0;
  let server: ServerState;
  if (engine === 'cluster') {
    try {
      temporal = await startTemporalCluster({ init: opts.init });
    } catch (err) {
      rmSync(home, { recursive: true, force: true });
      throw err;
    }
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_NAMESPACE = temporal.namespace;
    server = clusterServerState(temporal);
  } else {
    ({ server, port, uiPort } = await startDevServer(home));
  }
  const workers: ChildProcess[] = [];
  let client: Promise<Client> | undefined;
  const c: Cluster = {
    engine,
    home,
    env,
    workers,
    temporal,
    get server() {
      return temporal ? clusterServerState(temporal) : server;
    },
    async startWorker(args = [], extraEnv = {}) {
      const child = spawn(process.execPath, [bin, 'worker', ...args], {
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      workers.push(child);
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      // The worker prints this line once every queue polls: a real readiness event, not a sleep.
      await new Promise<void>((res, rej) => {
        const onData = () => {
          if (err.includes('worker ready')) {
            child.stderr!.off('data', onData);
            res();
          }
        };
        child.stderr!.on('data', onData);
        child.once('exit', (code) => rej(new Error(`worker exited with ${code}: ${err.slice(-2000)}`)));
      });
      return child;
    },
    cli(args, o = {}) {
      return new Promise((res, rej) => {
        const child = spawn(process.execPath, [bin, ...args], {
          env: { ...env, ...o.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
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
    async buildStatus(run) {
      client ??= Connection.connect({ address: c.server.address }).then(
        (connection) => new Client({ connection, namespace: c.server.namespace }),
      );
      const cl = await client;
      const h = cl.workflow.getHandle(buildWorkflowId(run));
      const d = await h.describe();
      const status = d.status.name;
      if (status === 'COMPLETED') return { status, progress: BuildProgressSchema.parse(await h.result()) };
      return { status, progress: status === 'RUNNING' ? await queryProgress(cl, h) : await memoProgress(h, d) };
    },
    async restartServer() {
      if (temporal) return temporal.restartServer();
      await stopServer(home);
      server = await startServer({ home, port, uiPort });
    },
    async restartDatabase(downMs) {
      if (!temporal) throw new Error('restartDatabase: the dev server has no separate database');
      await temporal.postgres.stop();
      await new Promise((r) => setTimeout(r, downMs)); // the outage itself, not a wait for an event
      await temporal.postgres.start();
    },
    async stop() {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      if (client) await (await client.catch(() => undefined))?.connection.close();
      if (temporal) await temporal.stop();
      else await stopServer(home);
      if (!process.env.R1OV_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
    },
  };
  return c;
}

/** Wait for a child process to exit (after a kill). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** Poll a condition with a deadline: for state owned by another process (no event exists to await). */
export async function eventually<T>(
  what: string,
  f: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> {
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
