import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pLimit from 'p-limit';
import { sha256 } from '../../core/blobs.ts';
import { sqlString } from '../../core/sql.ts';
import { keys, storeFor, type ObjectInfo, type ObjectStore } from '../../core/storage/index.ts';
import { RECORD_COLUMNS } from '../../schemas/sample.ts';
import { LLM_CALL_COLUMNS } from '../../schemas/llm-columns.ts';
import { FIDELITY_COLUMNS } from '../../schemas/fidelity.ts';
import { heartbeat, heartbeatWhile } from '../heartbeat.ts';

const columnsSpec = (cols: Record<string, string>) =>
  `{${Object.entries(cols)
    .map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`)
    .join(', ')}}`;

export interface CommitResult {
  rows: number;
  shard: string | null;
  llmCalls: number;
  fidelity?: number;
}

/**
 * Test hook (documented in ENVIRONMENT.md, never set in production): `R1OV_TEST_CRASH_COMMIT=after-upload` kills
 * this process hard once a shard is uploaded under its temporary key and before it is copied into place — the
 * worst moment for a crash, which the S3 integration test uses to prove no partial shard ever becomes visible.
 */
function crashHook(): (() => void) | undefined {
  if (process.env.R1OV_TEST_CRASH_COMMIT !== 'after-upload') return undefined;
  return () => {
    process.stderr.write('r1ov: R1OV_TEST_CRASH_COMMIT: killing this worker between shard upload and copy\n');
    process.kill(process.pid, 'SIGKILL');
  };
}

/** The staged rows as local files DuckDB can read: the files themselves (local store) or downloaded copies (S3). */
async function localCopies(store: ObjectStore, staged: ObjectInfo[], scratch: () => string): Promise<string[]> {
  const direct = staged.map((o) => store.localPath(o.key));
  if (direct.every((p) => p !== null)) return direct as string[];
  const dir = scratch();
  const limit = pLimit(16);
  let done = 0;
  return Promise.all(
    staged.map((o, i) =>
      limit(async () => {
        const file = join(dir, `${i}.json`);
        await store.download(o.key, file);
        if (++done % 100 === 0) heartbeat({ downloaded: done });
        return file;
      }),
    ),
  );
}

/**
 * Compact staged JSON rows into one Parquet shard: read with a fixed schema → COPY to a scratch file → publish
 * (local: rename; S3: temporary key, then copy into place) → delete the staged objects. The shard name is the hash
 * of the staged names, so a retry after a crash at any point rewrites the same shard (and the catalog keeps one
 * row per key whatever happens).
 */
export async function compact(
  store: ObjectStore,
  stagingPrefix: string,
  shardPrefix: string,
  prefix: string,
  columns: Record<string, string>,
): Promise<{ rows: number; shard: string | null }> {
  const staged = (await store.list(stagingPrefix))
    .filter((o) => o.key.endsWith('.json') && !o.key.slice(stagingPrefix.length).includes('/'))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (staged.length === 0) return { rows: 0, shard: null };
  const names = staged.map((o) => o.key.slice(stagingPrefix.length));
  const key = `${shardPrefix}${prefix}-${sha256(names.join('\n')).slice(0, 20)}.parquet`;
  let scratchDir: string | null = null;
  const tmp = store.scratchFor(key);
  try {
    const files = await localCopies(store, staged, () => (scratchDir = mkdtempSync(join(tmpdir(), 'r1ov-commit-'))));
    heartbeat({ staged: files.length });
    const list = `[${files.map(sqlString).join(', ')}]`;
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await db.connect();
    try {
      const cols = Object.keys(columns)
        .map((c) => `"${c}"`)
        .join(', ');
      await conn.run(`COPY (SELECT ${cols} FROM read_json(${list}, format='newline_delimited', columns=${columnsSpec(columns)}))
        TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    heartbeat({ written: key });
    await store.publish(tmp, key, { beforeCopy: crashHook() });
    await store.delete(staged.map((o) => o.key));
  } finally {
    rmSync(tmp, { force: true });
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  }
  return { rows: staged.length, shard: store.localPath(key) ?? key };
}

export async function commitShard(home: string, input: { run: string }): Promise<CommitResult> {
  const store = storeFor(home);
  // A heartbeat every few seconds while the process lives (DuckDB and S3 calls leave the event loop free): a dead
  // committer is noticed within the workflow's short heartbeat timeout, a slow one is not mistaken for dead.
  return heartbeatWhile(commitAll(store, input.run), { everyMs: 5_000, details: { run: input.run } });
}

async function commitAll(store: ObjectStore, run: string): Promise<CommitResult> {
  const records = await compact(store, keys.staging(run), keys.shards(run), 'records', RECORD_COLUMNS);
  const llm = await compact(store, keys.llmStaging(run), keys.llmShards(run), 'llm-calls', LLM_CALL_COLUMNS);
  const fidelity = await compact(
    store,
    keys.fidelityStaging(run),
    keys.fidelityShards(run),
    'fidelity',
    FIDELITY_COLUMNS,
  );
  return {
    rows: records.rows,
    shard: records.shard,
    llmCalls: llm.rows,
    ...(fidelity.rows ? { fidelity: fidelity.rows } : {}),
  };
}
