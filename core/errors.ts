/** Bad usage or input: the CLI prints the one-line message and exits 2 (docs/ARCHITECTURE.md, the command line contract). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A message fit for one line: first line only, bounded length. */
export function oneLine(err: unknown, max = 300): string {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split('\n').find((l) => l.trim().length > 0) ?? msg;
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}
