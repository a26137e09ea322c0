import type { Command } from 'commander';
import type { z } from 'zod';
import { resolveHome } from '../core/home.ts';
import { UsageError } from '../core/errors.ts';

export interface GlobalOpts {
  home?: string;
  json?: boolean;
}

/** Global options live on the root program; every command reads them through here. */
export function globals(cmd: Command): { home: string; json: boolean } {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<GlobalOpts>();
  return { home: resolveHome(o.home), json: Boolean(o.json) };
}

/** Print a command's result: JSON (validated by its schema) on stdout with --json, else the human text. */
export function emit<S extends z.ZodType>(json: boolean, schema: S, value: z.infer<S>, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(schema.parse(value))}\n`);
  else process.stdout.write(`${human()}\n`);
}

export const log = (m: string) => process.stderr.write(`${m}\n`);

/** A commander parser for a positive-integer option; bad input is a usage error naming the flag. */
export const positiveInt =
  (flag: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} ${v}: expected a positive integer`);
    return n;
  };
