/** Literals for SQL text built in code (DuckDB dialect): the one place quoting lives, so every caller escapes alike. */

/** `s` as a SQL string literal: wrapped in single quotes, each single quote inside doubled ("it's" → 'it''s'). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
