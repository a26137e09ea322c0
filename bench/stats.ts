/** Summary statistics the benchmark scripts report. */

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no measurements');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  // 0 ≤ m - 1 < m < s.length whenever the branch reads them.
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
