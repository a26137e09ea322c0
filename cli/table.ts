/** A plain aligned text table for terminals. */
export function renderTable(columns: string[], rows: Array<Record<string, unknown>>): string {
  const cell = (v: unknown) =>
    (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/\s+/g, ' ');
  const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
  const body = rows.map((r) => columns.map((c) => clip(cell(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}
