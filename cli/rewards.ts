// `r1ov rewards score|serve` (docs/ARCHITECTURE.md, the command line contract). Bad input → UsageError (exit 2, one line).
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { scoreCompletion } from '../core/rewards/index.ts';
import { startRewardServer } from '../core/rewards/server.ts';
import { RewardInputLineSchema, type RewardOutputLine } from '../schemas/rewards.ts';

export interface ScoreFileSummary {
  in: string;
  out: string | null;
  scored: number;
  accuracy: number;
  format: number;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Streams a JSONL file through the verifier. A malformed line stops the run with
 * `FILE:LINE: reason` (no partial --out file is left: it is written to a temp name and renamed).
 */
export async function scoreJsonlFile(
  inPath: string,
  outPath?: string,
  stdout: Writable = process.stdout,
): Promise<ScoreFileSummary> {
  if (!existsSync(inPath) || !statSync(inPath).isFile()) throw new UsageError(`rewards score: no such file: ${inPath}`);
  const tmp = outPath ? `${outPath}.tmp-${process.pid}` : null;
  const out: Writable = tmp ? createWriteStream(tmp) : stdout;
  const rl = createInterface({ input: createReadStream(inPath), crlfDelay: Infinity });
  let lineNo = 0;
  let scored = 0;
  let acc = 0;
  let fmt = 0;
  let buf = '';
  try {
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new UsageError(`${inPath}:${lineNo}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const parsed = RewardInputLineSchema.safeParse(obj);
      if (!parsed.success) {
        const [issue] = parsed.error.issues;
        throw new UsageError(
          `${inPath}:${lineNo}: ${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'not a reward input line'}`,
        );
      }
      const it = parsed.data;
      const r = scoreCompletion({
        completion: it.completion,
        groundTruth: it.ground_truth,
        choices: it.choices,
        box: it.box,
      });
      const o: RewardOutputLine = { id: it.id, accuracy: r.accuracy, format: r.format, extracted: r.extracted };
      if (r.iou !== undefined) o.iou = r.iou;
      buf += JSON.stringify(o) + '\n';
      scored++;
      acc += r.accuracy;
      fmt += r.format;
      // Batched writes: one syscall per few hundred lines, with backpressure.
      if (buf.length > 64 * 1024) {
        await write(out, buf);
        buf = '';
      }
    }
    if (buf) await write(out, buf);
    if (tmp) {
      out.end();
      await once(out, 'finish');
      renameSync(tmp, outPath!);
    }
  } catch (e) {
    rl.close();
    if (tmp) {
      out.destroy();
      rmSync(tmp, { force: true });
    }
    throw e;
  }
  return {
    in: inPath,
    out: outPath ?? null,
    scored,
    accuracy: scored ? acc / scored : 0,
    format: scored ? fmt / scored : 0,
  };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`rewards serve: --port must be an integer 0-65535, got ${JSON.stringify(v)}`);
  return n;
}

function wantsJson(cmd: Command): boolean {
  return Boolean((cmd.optsWithGlobals() as { json?: boolean }).json);
}

export function registerRewardsCommands(program: Command): void {
  const rewards = program.command('rewards').description('score completions with the shared reward verifier');

  rewards
    .command('score')
    .description(
      'score {id, completion, ground_truth, choices?, box?} JSONL lines → {id, accuracy, format, extracted, iou?}',
    )
    .requiredOption('--in <file>', 'input JSONL file')
    .option('--out <file>', 'output JSONL file (default: stdout)')
    .action(async (opts: { in: string; out?: string }, cmd: Command) => {
      const summary = await scoreJsonlFile(opts.in, opts.out);
      const line = `scored ${summary.scored} lines: accuracy ${summary.accuracy.toFixed(4)}, format ${summary.format.toFixed(4)}${summary.out ? ` → ${summary.out}` : ''}`;
      process.stderr.write(line + '\n');
      // Results own stdout when no --out is given; the JSON summary only goes there otherwise.
      if (wantsJson(cmd) && summary.out) process.stdout.write(JSON.stringify(summary) + '\n');
    });

  rewards
    .command('serve')
    .description('reward HTTP service: POST /score {items:[...]} → {results:[...]}, GET /health')
    .requiredOption('--port <port>', 'port to listen on (0 = any free port)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port: string; host: string }, cmd: Command) => {
      const port = parsePort(opts.port);
      let server;
      try {
        server = await startRewardServer({ port, host: opts.host });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
          throw new UsageError(`rewards serve: cannot listen on ${opts.host}:${port} (${code})`);
        throw e;
      }
      process.stderr.write(`reward server listening on ${server.url} (POST /score, GET /health)\n`);
      if (wantsJson(cmd)) process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
    });
}
