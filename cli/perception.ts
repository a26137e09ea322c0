// `r1ov perception serve --checkpoint DIR`: the detection server (Grounding DINO, OWL-ViT, OWLv2 from a local
// checkpoint; trainer/r1ov_trainer/perception.py) in the foreground. Workers use it through
// R1OV_GROUNDING_DINO_URL (activities/grounding/index.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { startPerceptionServer } from '../activities/grounding/perception-server.ts';

export function registerPerceptionCommands(program: Command): void {
  const perception = program
    .command('perception')
    .description('perception tools: the open-vocabulary detection server');
  perception
    .command('serve')
    .description('serve Grounding DINO (or OWL-ViT / OWLv2) from a local checkpoint directory over HTTP')
    .requiredOption('--checkpoint <dir>', 'a save_pretrained directory of the model and its processor')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: a free one)', '9001')
    .option('--device <device>', 'torch device (cpu, cuda, cuda:1)', 'cpu')
    .action(async (o: { checkpoint: string; host: string; port: string; device: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`perception serve: --port must be 0–65535, got '${o.port}'`);
      if (!existsSync(join(o.checkpoint, 'config.json')))
        throw new UsageError(
          `perception serve: --checkpoint ${o.checkpoint} has no config.json (expected a save_pretrained directory)`,
        );
      const server = await startPerceptionServer({
        checkpoint: o.checkpoint,
        host: o.host,
        port,
        device: o.device,
        inheritStderr: true,
      });
      process.stdout.write(
        `${server.model} listening on ${server.url}\nexport R1OV_GROUNDING_DINO_URL=${server.url}\n`,
      );
      const stop = () => void server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise<void>((r) => server.child.once('exit', () => r()));
    });
}
