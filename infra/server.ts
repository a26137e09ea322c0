import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { ensureDir, paths } from '../core/home.ts';
import { findTemporalCli } from './temporal-cli.ts';
import { SEARCH_ATTRIBUTE_NAMES } from '../schemas/search-attributes.ts';

export const ServerStateSchema = z.object({
  pid: z.number().int(),
  address: z.string(),
  port: z.number().int(),
  uiPort: z.number().int(),
  uiUrl: z.string(),
  namespace: z.string(),
  dbFile: z.string(),
  log: z.string(),
  startedAt: z.string(),
});
export type ServerState = z.infer<typeof ServerStateSchema>;

export interface ServerOptions {
  home: string;
  port?: number;
  uiPort?: number;
  ip?: string;
  namespace?: string;
  uiCodecEndpoint?: string;
  log?: (m: string) => void;
}

const stateFile = (home: string) => join(paths.server(home), 'server.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readServerState(home: string): ServerState | undefined {
  const f = stateFile(home);
  if (!existsSync(f)) return undefined;
  const s = ServerStateSchema.safeParse(JSON.parse(readFileSync(f, 'utf8')));
  return s.success && alive(s.data.pid) ? s.data : undefined;
}

/**
 * Wait until the frontend answers and our search attributes are registered (start-dev adds them as it boots).
 * Once the server's process (when given) has exited, waiting longer cannot help (a port taken, a bad flag).
 */
export async function waitForServer(
  address: string,
  namespace: string,
  timeoutMs = 60_000,
  server?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (server && (server.exitCode !== null || server.signalCode !== null))
      throw new Error(
        `Temporal server for ${address} exited (${server.signalCode ?? `code ${server.exitCode}`}) before it was ready`,
      );
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const r = await conn.operatorService.listSearchAttributes({ namespace });
        const names = Object.keys(r.customAttributes ?? {});
        if (SEARCH_ATTRIBUTE_NAMES.every((n) => names.includes(n))) return;
        last = new Error(`search attributes not yet registered (${names.join(',')})`);
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = err;
    }
    await sleep(250); // polling a process we do not control; there is no event to await
  }
  throw new Error(`Temporal server at ${address} not ready after ${timeoutMs} ms: ${String(last)}`);
}

/** Start the embedded dev server (SQLite in the home) detached from this process; idempotent. */
export async function startServer(opts: ServerOptions): Promise<ServerState> {
  const running = readServerState(opts.home);
  if (running) return running;
  const cli = findTemporalCli(opts.home, { install: true, log: opts.log });
  const dir = ensureDir(paths.server(opts.home));
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? Number(process.env.R1OV_TEMPORAL_PORT ?? 7233);
  const uiPort = opts.uiPort ?? Number(process.env.R1OV_TEMPORAL_UI_PORT ?? 8233);
  const namespace = opts.namespace ?? 'default';
  const dbFile = join(dir, 'temporal.sqlite');
  const log = join(dir, 'temporal.log');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTE_NAMES.flatMap((n) => ['--search-attribute', `${n}=Keyword`]),
    // Many short sample workflows: WAL journaling keeps SQLite writes from serialising on fsync.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--dynamic-config-value',
    'frontend.namespaceRPS=100000',
    // A build hears its samples' starts and ends as events; while one of its workflow tasks runs they are buffered,
    // and past 100 (the default) the server fails the task (FORCE_CLOSE_COMMAND), which costs a full replay.
    '--dynamic-config-value',
    'history.maximumBufferedEventsBatch=1000',
  ];
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  const fd = openSync(log, 'a');
  const child = spawn(cli, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const address = `${ip}:${port}`;
  const state: ServerState = {
    pid: child.pid!,
    address,
    port,
    uiPort,
    uiUrl: `http://${ip}:${uiPort}`,
    namespace,
    dbFile,
    log,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(stateFile(opts.home), JSON.stringify(state, null, 2));
  try {
    await waitForServer(address, namespace, 60_000, child);
  } catch (err) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
    await stopServer(opts.home);
    throw new Error(`${(err as Error).message}${tail ? `; log: ${tail.slice(0, 400)}` : ''}`);
  }
  return state;
}

/** Stop the embedded server (SIGTERM, then SIGKILL); returns whether one was running. */
export async function stopServer(home: string): Promise<boolean> {
  const f = stateFile(home);
  if (!existsSync(f)) return false;
  const s = ServerStateSchema.safeParse(JSON.parse(readFileSync(f, 'utf8')));
  rmSync(f, { force: true });
  if (!s.success || !alive(s.data.pid)) return false;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-s.data.pid, sig); // its process group: start-dev may spawn helpers
    } catch {
      try {
        process.kill(s.data.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill('SIGTERM');
  for (let i = 0; i < 100 && alive(s.data.pid); i++) await sleep(100);
  if (alive(s.data.pid)) kill('SIGKILL');
  return true;
}
