import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { createViewer } from '../viewer/server.ts';
import { globals, log } from './context.ts';

/** `r1ov view [--port P] [--host H]`: the dataset viewer over the catalog (read-only), on 127.0.0.1 by default. */
export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .description('browse samples, images, formal texts, traces, verdicts and evaluation items in the browser')
    .option('--port <port>', 'port to listen on', '8234')
    .option('--host <host>', 'address to bind (default loopback only)', '127.0.0.1')
    .action(async (o: { port: string; host: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port ${o.port}: expected 0-65535`);
      const viewer = createViewer({ home, host: o.host, port });
      let url: string;
      try {
        url = await viewer.listen();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
          throw new UsageError(`view: cannot listen on ${o.host}:${port} (${code})`);
        throw err;
      }
      const { count, buildMs } = viewer.store.info;
      if (json) process.stdout.write(`${JSON.stringify({ url, samples: count, indexMs: Math.round(buildMs) })}\n`);
      else log(`r1ov viewer: ${url}  (${count} samples indexed in ${(buildMs / 1000).toFixed(1)} s; Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          void viewer.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
