import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sha256 } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import { RECORD_COLUMNS } from '../../schemas/sample.ts';
import { LLM_CALL_COLUMNS } from '../../schemas/llm-columns.ts';
import { FIDELITY_COLUMNS } from '../../schemas/fidelity.ts';

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const columnsSpec = (cols: Record<string, string>) =>
  `{${Object.entries(cols).map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`).join(', ')}}`;

export interface CommitResult { rows: number; shard: string | null; llmCalls: number; fidelity?: number }

/**
 * Compact staged JSON rows into one Parquet shard: read with a fixed schema → COPY to a temp name → rename →
 * delete the staged files. The shard name is the hash of the staged file names, so a retry after a crash at
 * any point rewrites the same shard (the catalog keeps one row per key whatever happens).
 */
async function compact(stagingDir: string, shardDir: string, prefix: string, columns: Record<string, string>): Promise<{ rows: number; shard: string | null }> {
  if (!existsSync(stagingDir)) return { rows: 0, shard: null };
  const files = readdirSync(stagingDir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) return { rows: 0, shard: null };
  ensureDir(shardDir);
  const name = `${prefix}-${sha256(files.join('\n')).slice(0, 20)}.parquet`;
  const final = join(shardDir, name);
  const tmp = join(shardDir, `.${name}.tmp`);
  const list = `[${files.map((f) => sqlString(join(stagingDir, f))).join(', ')}]`;
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    const cols = Object.keys(columns).map((c) => `"${c}"`).join(', ');
    await conn.run(`COPY (SELECT ${cols} FROM read_json(${list}, format='newline_delimited', columns=${columnsSpec(columns)}))
      TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  renameSync(tmp, final);
  for (const f of files) rmSync(join(stagingDir, f), { force: true });
  return { rows: files.length, shard: final };
}

export async function commitShard(home: string, input: { run: string }): Promise<CommitResult> {
  const records = await compact(paths.staging(home, input.run), paths.shards(home, input.run), 'records', RECORD_COLUMNS);
  const llm = await compact(paths.llmStaging(home, input.run), join(paths.run(home, input.run), 'llm_calls'), 'llm-calls', LLM_CALL_COLUMNS);
  const fidelity = await compact(join(paths.run(home, input.run), 'staging-fidelity'), join(paths.run(home, input.run), 'fidelity'), 'fidelity', FIDELITY_COLUMNS);
  return { rows: records.rows, shard: records.shard, llmCalls: llm.rows, ...(fidelity.rows ? { fidelity: fidelity.rows } : {}) };
}
