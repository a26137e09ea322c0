/**
 * The production engine for tests and benches: a real Temporal server (built from its Go module at the version
 * pinned in infra/cluster/version.ts, once per machine, cached outside the clone) on a real PostgreSQL (initdb in a
 * temporary directory, schema through the server's sql tool), every port chosen free, one server process running all
 * four services. Both can be stopped and started again on the same ports (restart tests), and stop with the test.
 *
 *   node --import tsx test/support/temporal-cluster.ts build   # build (or find) the server; prints its directory
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { initCluster } from '../../infra/cluster/init.ts';
import { renderServerConfig, SERVER_PORT_NAMES, type ServerPorts } from '../../infra/cluster/server-config.ts';
import { TEMPORAL_SERVER_VERSION } from '../../infra/cluster/version.ts';

const log = (m: string) => process.stderr.write(`temporal-cluster: ${m}\n`);

/** A free TCP port on the loopback address. */
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

/**
 * A free port below 32768: the server stores membership ports in a PostgreSQL smallint (cluster_membership), so the
 * kernel's ephemeral range (32768 and up) is refused at start. Random tries in 20000–32767, bound to check.
 */
async function freeLowPort(exclude: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 12768);
    if (exclude.has(p)) continue;
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return p;
  }
  throw new Error('no free port in 20000–32767 for the Temporal server');
}

// ---------------------------------------------------------------------------------------------------------------
// The server build: `go install` of the server and its sql tool into a per-version cache directory.

export interface ServerBuild {
  version: string;
  dir: string;
  server: string;
  sqlTool: string;
}

/** `$R1OV_TEMPORAL_SERVER_CACHE/v<version>`, default `${XDG_CACHE_HOME:-~/.cache}/r1ov/temporal-server/v<version>`. */
export function serverBuildDir(version = TEMPORAL_SERVER_VERSION): string {
  const root =
    process.env.R1OV_TEMPORAL_SERVER_CACHE ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'r1ov', 'temporal-server');
  return join(root, `v${version}`);
}

export function findServerBuild(version = TEMPORAL_SERVER_VERSION): ServerBuild | undefined {
  const dir = serverBuildDir(version);
  const b = { version, dir, server: join(dir, 'bin', 'server'), sqlTool: join(dir, 'bin', 'sql') };
  return existsSync(b.server) && existsSync(b.sqlTool) ? b : undefined;
}

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The cached build, or build it now (minutes: `go install` at low priority). Concurrent callers wait for one build
 * (a lock directory holding the builder's pid); the binaries appear by rename, so a killed build leaves none.
 */
export async function ensureServerBuild(version = TEMPORAL_SERVER_VERSION): Promise<ServerBuild> {
  const found = findServerBuild(version);
  if (found) return found;
  const dir = serverBuildDir(version);
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
      if (Number.isInteger(holder) && !alive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      const b = findServerBuild(version);
      if (b) return b;
      await sleep(2_000); // another process is building; its result appears as files, no event to await
    }
  }
  try {
    const again = findServerBuild(version);
    if (again) return again;
    const go =
      process.env.R1OV_GO ?? which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
    if (!go)
      throw new Error(`no Go toolchain (go on PATH or R1OV_GO) to build Temporal server v${version} into ${dir}`);
    const partial = join(dir, `bin.partial-${process.pid}`);
    rmSync(partial, { recursive: true, force: true });
    const pkgs = ['cmd/server', 'cmd/tools/sql'].map((p) => `go.temporal.io/server/${p}@v${version}`);
    const nice = which('nice');
    const t0 = Date.now();
    log(`building Temporal server v${version} with ${go} into ${dir} (once per machine; minutes)`);
    const r = await new Promise<{ code: number | null; err: string }>((res) => {
      const child = spawn(nice ?? go, [...(nice ? ['-n', '10', go] : []), 'install', ...pkgs], {
        env: { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (d) => {
        err = (err + d).slice(-4000);
      });
      child.on('error', (e) => res({ code: -1, err: String(e) }));
      child.on('close', (code) => res({ code, err }));
    });
    if (r.code !== 0)
      throw new Error(
        `go install of Temporal server v${version} failed (exit ${r.code}): ${r.err.trim().split('\n').slice(-5).join(' | ')}`,
      );
    renameSync(partial, join(dir, 'bin'));
    log(`built Temporal server v${version} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return findServerBuild(version)!;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL in a temporary directory.

/** Directory of initdb / pg_ctl: `R1OV_PG_BIN`, else PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
function pgBinDir(): string {
  if (process.env.R1OV_PG_BIN) return process.env.R1OV_PG_BIN;
  const onPath = which('pg_ctl');
  if (onPath && which('initdb')) return join(onPath, '..');
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const v = readdirSync(debian)
      .sort((a, b) => Number(b) - Number(a))
      .find((d) => existsSync(join(debian, d, 'bin', 'initdb')));
    if (v) return join(debian, v, 'bin');
  }
  throw new Error('no PostgreSQL (initdb and pg_ctl on PATH, or R1OV_PG_BIN) for the Temporal cluster');
}

/** PostgreSQL refuses to run as root: as root, run it as `nobody` (uid/gid looked up, not assumed). */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u'),
    gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('running as root and there is no `nobody` user to run PostgreSQL as');
  return { uid, gid };
}

export interface Postgres {
  port: number;
  user: string;
  password: string;
  /** The postmaster's pid (its backends are its children). */
  pid(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
  log: string;
}

function createPostgres(dir: string, port: number): Postgres {
  const bin = pgBinDir();
  const as = pgUser();
  const base = join(dir, 'pg');
  mkdirSync(base, { recursive: true });
  chmodSync(dir, 0o755); // the unprivileged postgres user must reach its directory
  if (as) chownSync(base, as.uid, as.gid);
  const data = join(base, 'data');
  const logFile = join(base, 'postgres.log');
  const run = (cmd: string, args: string[], o: SpawnSyncOptions = {}) => {
    const r = spawnSync(join(bin, cmd), args, {
      cwd: base,
      encoding: 'utf8',
      ...(as ?? {}),
      ...o,
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (r.status !== 0)
      throw new Error(
        `${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr ?? '')
          .trim()
          .split('\n')
          .slice(-3)
          .join(' | ')}`,
      );
    return r;
  };
  run('initdb', ['-D', data, '-U', 'temporal', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const pg: Postgres = {
    port,
    user: 'temporal',
    password: 'temporal',
    log: logFile,
    pid() {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    },
    async start() {
      // Sockets in the data directory (owned by the postgres user); clients connect over TCP.
      run(
        'pg_ctl',
        [
          '-D',
          data,
          '-l',
          logFile,
          '-w',
          '-t',
          '60',
          '-o',
          `-p ${port} -h 127.0.0.1 -k ${data} -c max_connections=200`,
          'start',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    },
    async stop() {
      if (!existsSync(join(data, 'postmaster.pid'))) return;
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], { stdio: ['ignore', 'ignore', 'pipe'] });
    },
  };
  return pg;
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster: PostgreSQL + one Temporal server process.

export interface TemporalCluster {
  address: string;
  namespace: string;
  version: string;
  dir: string;
  postgres: Postgres;
  serverPid(): number;
  serverLog: string;
  /** SIGTERM the server (SIGKILL after 30 s), start it again on the same ports, wait until it serves the namespace (initialised before). */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface TemporalClusterOptions {
  /** Register the namespace and search attributes (infra/cluster/init.ts) before returning; default true. */
  init?: boolean;
  namespace?: string;
}

const live = new Set<TemporalCluster>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that dies must not leave a server and a database running on a shared machine.
  process.on('exit', () => {
    for (const c of live) {
      try {
        process.kill(c.serverPid(), 'SIGKILL');
      } catch {
        /* gone */
      }
      try {
        spawnSync(join(pgBinDir(), 'pg_ctl'), ['-D', join(c.dir, 'pg', 'data'), '-m', 'immediate', 'stop'], {
          stdio: 'ignore',
          ...(pgUser() ?? {}),
        });
      } catch {
        /* gone */
      }
    }
  });
}

/** Wait until the frontend answers (and, when given, serves `namespace`): polled, the server emits no event we can await. */
async function waitForFrontend(
  address: string,
  namespace: string | undefined,
  child: ChildProcess,
  logFile: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        if (namespace) await conn.workflowService.countWorkflowExecutions({ namespace, query: '' });
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = err;
    }
    await sleep(300);
  }
  const tail = existsSync(logFile)
    ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-4).join(' | ').slice(0, 1200)
    : '';
  const how =
    child.exitCode !== null || child.signalCode !== null
      ? `exited (${child.exitCode ?? child.signalCode})`
      : `not ready after ${timeoutMs} ms`;
  throw new Error(`Temporal server at ${address} ${how}: ${String(last ?? '')}; log: ${tail}`);
}

export async function startTemporalCluster(opts: TemporalClusterOptions = {}): Promise<TemporalCluster> {
  const build = await ensureServerBuild();
  const namespace = opts.namespace ?? 'default';
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-cluster-'));
  const pgPort = await freePort();
  const postgres = createPostgres(dir, pgPort);
  await postgres.start();
  try {
    const sql = (db: string, args: string[]) => {
      const r = spawnSync(
        build.sqlTool,
        [
          '--plugin',
          'postgres12',
          '--ep',
          '127.0.0.1',
          '-p',
          String(pgPort),
          '-u',
          postgres.user,
          '--pw',
          postgres.password,
          '--db',
          db,
          ...args,
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0)
        throw new Error(
          `temporal sql tool ${args[0]} on ${db} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`,
        );
    };
    for (const [db, schema] of [
      ['temporal', 'postgresql/v12/temporal'],
      ['temporal_visibility', 'postgresql/v12/visibility'],
    ] as const) {
      sql(db, ['create-database']);
      sql(db, ['setup-schema', '-v', '0.0']);
      sql(db, ['update-schema', '--schema-name', schema]);
    }
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  const taken = new Set<number>();
  const ports = {} as ServerPorts;
  for (const n of SERVER_PORT_NAMES) {
    ports[n] = await freeLowPort(taken);
    taken.add(ports[n]);
  }
  const configFile = join(dir, 'temporal.yaml');
  writeFileSync(
    configFile,
    renderServerConfig({
      ports,
      postgres: { host: '127.0.0.1', port: pgPort, user: postgres.user, password: postgres.password },
    }),
  );
  const serverLog = join(dir, 'temporal.log');
  const address = `127.0.0.1:${ports.frontend}`;
  let child: ChildProcess;
  const startServerProcess = () => {
    const fd = openSync(serverLog, 'a');
    child = spawn(build.server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
      cwd: dir,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    return child;
  };
  const cluster: TemporalCluster = {
    address,
    namespace,
    version: build.version,
    dir,
    postgres,
    serverLog,
    serverPid: () => child.pid!,
    async restartServer() {
      const c = child;
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(t);
      }
      await waitForFrontend(address, namespace, startServerProcess(), serverLog);
    },
    async stop() {
      live.delete(cluster);
      const c = child;
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(t);
      }
      await postgres.stop();
      if (!process.env.R1OV_KEEP_TEST_HOME) rmSync(dir, { recursive: true, force: true });
    },
  };
  installExitHook();
  live.add(cluster);
  try {
    await waitForFrontend(address, undefined, startServerProcess(), serverLog);
    if (opts.init ?? true) {
      const connection = await Connection.connect({ address });
      try {
        await initCluster({ connection, address, namespace, retentionDays: 1 });
      } finally {
        await connection.close();
      }
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'build') {
  const t0 = Date.now();
  const b = await ensureServerBuild();
  log(`Temporal server v${b.version} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(`${b.dir}\n`);
}
