import type { ChildProcess } from 'node:child_process';

/**
 * Kill a child started with `detached: true` together with everything it forked (dataloader workers, torch compile
 * workers, a vLLM engine…): SIGTERM to its process group, then SIGKILL after a grace period.
 */
export function killGroup(child: ChildProcess, graceMs = 10_000): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  kill('SIGTERM');
  const t = setTimeout(() => kill('SIGKILL'), graceMs);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}
