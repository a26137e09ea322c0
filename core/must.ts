/**
 * Checked reads for values the code knows are there (an index proved in range, a key just set). With
 * `noUncheckedIndexedAccess` every `xs[i]` may be undefined; these say so once, and if the proof is ever wrong they
 * fail at once with a message naming what was missing instead of letting `undefined` travel on.
 */

/** `value`, or an error naming `what` when it is undefined. */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal error: ${what} is missing`);
  return value;
}

/** `xs[i]` for 0 ≤ i < xs.length (no negative indices, unlike Array.prototype.at); a RangeError naming `what` otherwise. */
export function at<T>(xs: readonly T[], i: number, what = 'element'): T {
  if (!Number.isInteger(i) || i < 0 || i >= xs.length)
    throw new RangeError(`internal error: ${what} index ${i} is outside [0, ${xs.length})`);
  return xs[i] as T;
}
