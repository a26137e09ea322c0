import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from './errors.ts';
import { sqlString } from './sql.ts';
import { paths } from './home.ts';
import { S3Store, storeFor } from './storage/index.ts';
import { s3CatalogFiles } from './storage/s3-catalog.ts';
import { RECORD_COLUMNS } from '../schemas/sample.ts';
import { LLM_CALL_COLUMNS } from '../schemas/llm-columns.ts';
import { EVAL_ITEM_COLUMNS } from '../schemas/eval.ts';
import { FIDELITY_COLUMNS } from '../schemas/fidelity.ts';

const emptyTable = (cols: Record<string, string>) =>
  `SELECT ${Object.entries(cols)
    .map(([c, t]) => `NULL::${t} AS "${c}"`)
    .join(', ')} WHERE false`;

function anyFile(dir: string, sub: string, suffix: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((run) => {
    const d = join(dir, run, sub);
    return existsSync(d) && readdirSync(d).some((f) => f.endsWith(suffix) && !f.startsWith('.'));
  });
}

/**
 * What the views read: per kind, the Parquet files (or one glob) and the run manifests. Local homes use globs over
 * `runs/`; an S3 home lists its bucket once and names each object (so a temporary key can never be read).
 */
export interface CatalogFiles {
  shards: string[];
  llmCalls: string[];
  fidelity: string[];
  manifests: string[];
  evalItems: string[];
  evalManifests: string[];
}

export function localCatalogFiles(runs: string): CatalogFiles {
  const glob = (sub: string, file: string) => [join(runs, '*', sub, file)];
  return {
    shards: anyFile(runs, 'shards', '.parquet') ? glob('shards', '*.parquet') : [],
    llmCalls: anyFile(runs, 'llm_calls', '.parquet') ? glob('llm_calls', '*.parquet') : [],
    fidelity: anyFile(runs, 'fidelity', '.parquet') ? glob('fidelity', '*.parquet') : [],
    manifests:
      existsSync(runs) && readdirSync(runs).some((r) => existsSync(join(runs, r, 'run.json')))
        ? [join(runs, '*', 'run.json')]
        : [],
    evalItems: anyFile(runs, 'eval', '.parquet') ? glob('eval', '*.parquet') : [],
    evalManifests:
      existsSync(runs) && readdirSync(runs).some((r) => existsSync(join(runs, r, 'eval-run.json')))
        ? [join(runs, '*', 'eval-run.json')]
        : [],
  };
}

const fileList = (files: string[]) => `[${files.map(sqlString).join(', ')}]`;

/** The views every reader sees (docs/DATA.md): one row per (run, sample id) whatever the retries. */
export function catalogViewsSql(home: string, files: CatalogFiles = localCatalogFiles(paths.runs(home))): string[] {
  const cols = Object.keys(RECORD_COLUMNS)
    .map((c) => `"${c}"`)
    .join(', ');
  return [
    `CREATE OR REPLACE VIEW samples AS ${
      files.shards.length
        ? // Shards written before a column existed read it as NULL (the empty typed table names every column).
          `SELECT ${cols} FROM (${emptyTable(RECORD_COLUMNS)} UNION ALL BY NAME SELECT * FROM read_parquet(${fileList(files.shards)}, union_by_name = true))
         QUALIFY row_number() OVER (PARTITION BY run, sample_id ORDER BY finished_at DESC) = 1`
        : emptyTable(RECORD_COLUMNS)
    }`,
    `CREATE OR REPLACE VIEW records AS SELECT * FROM samples WHERE status = 'done'`,
    `CREATE OR REPLACE VIEW quarantine AS SELECT run, sample_id, source, subset, stage, reason_code, reason, workflow_id, finished_at FROM samples WHERE status = 'quarantined'`,
    `CREATE OR REPLACE VIEW rejected AS SELECT run, sample_id, source, subset, stage, reason_code, reason, workflow_id, finished_at FROM samples WHERE status = 'rejected'`,
    `CREATE OR REPLACE VIEW llm_calls AS ${
      files.llmCalls.length
        ? `SELECT * FROM read_parquet(${fileList(files.llmCalls)}, union_by_name = true) QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY created_at DESC) = 1`
        : emptyTable(LLM_CALL_COLUMNS)
    }`,
    `CREATE OR REPLACE VIEW runs AS ${
      files.manifests.length
        ? `SELECT m.run, m.source, m.status, m.started_at, m.updated_at,
           coalesce(c.total, 0) AS samples, coalesce(c.done, 0) AS done, coalesce(c.rejected, 0) AS rejected,
           coalesce(c.quarantined, 0) AS quarantined
         FROM read_json(${fileList(files.manifests)}, columns = {run: 'VARCHAR', source: 'VARCHAR', status: 'VARCHAR', started_at: 'VARCHAR', updated_at: 'VARCHAR'}) m
         LEFT JOIN (SELECT run, count(*) AS total, count(*) FILTER (status = 'done') AS done,
           count(*) FILTER (status = 'rejected') AS rejected, count(*) FILTER (status = 'quarantined') AS quarantined
           FROM samples GROUP BY run) c USING (run)`
        : `SELECT NULL::VARCHAR AS run, NULL::VARCHAR AS source, NULL::VARCHAR AS status, NULL::VARCHAR AS started_at, NULL::VARCHAR AS updated_at, 0::BIGINT AS samples, 0::BIGINT AS done, 0::BIGINT AS rejected, 0::BIGINT AS quarantined WHERE false`
    }`,
    ...evalViewsSql(files.evalItems, files.evalManifests),
    fidelityViewSql(files.fidelity),
  ];
}

/** `fidelity` (`r1ov build --fidelity`): one row per run, sample and metric (the latest), from runs/<run>/fidelity/*.parquet. */
function fidelityViewSql(files: string[]): string {
  return `CREATE OR REPLACE VIEW fidelity AS ${
    files.length
      ? `SELECT ${Object.keys(FIDELITY_COLUMNS)
          .map((c) => `"${c}"`)
          .join(', ')} FROM read_parquet(${fileList(files)}, union_by_name = true)
       QUALIFY row_number() OVER (PARTITION BY run, sample_id, metric ORDER BY created_at DESC) = 1`
      : emptyTable(FIDELITY_COLUMNS)
  }`;
}

/**
 * Evaluation views: `eval_items` (one row per run and item, the latest verdict; benchmark fields in the `meta` map,
 * with `level` and `category` lifted out for grade × category grids) and `eval_runs`.
 */
function evalViewsSql(items: string[], manifests: string[]): string[] {
  const hasItems = items.length > 0;
  const hasRuns = manifests.length > 0;
  const manifestCols = {
    run: 'VARCHAR',
    bench: 'VARCHAR',
    bench_file: 'VARCHAR',
    model: 'VARCHAR',
    prompt_style: 'VARCHAR',
    judge: 'BOOLEAN',
    status: 'VARCHAR',
    started_at: 'VARCHAR',
    updated_at: 'VARCHAR',
  };
  const spec = `{${Object.entries(manifestCols)
    .map(([k, t]) => `${k}: '${t}'`)
    .join(', ')}}`;
  return [
    `CREATE OR REPLACE VIEW eval_items AS ${
      hasItems
        ? `SELECT ${Object.keys(EVAL_ITEM_COLUMNS)
            .map((c) => `"${c}"`)
            .join(', ')}, meta['level'] AS level, meta['category'] AS category
         FROM read_parquet(${fileList(items)}, union_by_name = true)
         QUALIFY row_number() OVER (PARTITION BY run, item_id ORDER BY finished_at DESC) = 1`
        : `SELECT *, NULL::VARCHAR AS level, NULL::VARCHAR AS category FROM (${emptyTable(EVAL_ITEM_COLUMNS)})`
    }`,
    `CREATE OR REPLACE VIEW eval_runs AS SELECT m.*, coalesce(c.items, 0) AS items, coalesce(c.correct, 0) AS correct,
       coalesce(c.errored, 0) AS errored, coalesce(c.malformed, 0) AS malformed, coalesce(c.judged, 0) AS judged,
       CASE WHEN coalesce(c.items, 0) > 0 THEN c.correct / c.items END AS accuracy
     FROM (${hasRuns ? `SELECT * FROM read_json(${fileList(manifests)}, columns = ${spec})` : `${emptyTable(manifestCols)}`}) m
     LEFT JOIN (SELECT run, count(*) FILTER (status <> 'malformed') AS items, count(*) FILTER (correct AND status = 'scored') AS correct,
       count(*) FILTER (status = 'error') AS errored, count(*) FILTER (status = 'malformed') AS malformed,
       count(*) FILTER (decided_by = 'judge') AS judged FROM eval_items GROUP BY run) c USING (run)`,
  ];
}

/** An in-memory DuckDB with the catalog views over the home's shards (local files, or the S3 bucket: s3-catalog.ts). */
export async function openCatalog(home: string): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const store = storeFor(home);
    const files = store instanceof S3Store ? await s3CatalogFiles(conn, store, paths.cache(home)) : undefined;
    for (const sql of catalogViewsSql(home, files)) await conn.run(sql);
  } catch (err) {
    conn.closeSync();
    db.closeSync();
    throw err;
  }
  return {
    conn,
    close: () => {
      conn.closeSync();
      db.closeSync();
    },
  };
}

const READ_ONLY = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);
const READ_ONLY_KEYWORDS = new Set([
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'EXPLAIN',
  'DESCRIBE',
  'SHOW',
  'SUMMARIZE',
  'PIVOT',
  'UNPIVOT',
]);

/** Statement texts split on top-level semicolons (quotes respected), to name the statement a refusal is about. */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let comment: '--' | '/*' | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    // Comments may hold semicolons: skip them (they carry no statement).
    if (comment === '--') {
      if (ch === '\n') comment = null;
      continue;
    }
    if (comment === '/*') {
      if (ch === '*' && sql[i + 1] === '/') {
        comment = null;
        i++;
      }
      continue;
    }
    if (!quote && ch === '-' && sql[i + 1] === '-') {
      comment = '--';
      i++;
      continue;
    }
    if (!quote && ch === '/' && sql[i + 1] === '*') {
      comment = '/*';
      i++;
      continue;
    }
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') {
      if (cur.trim()) out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** The leading keywords of a statement, comments and opening parentheses skipped. */
function leadingKeywords(text: string, n: number): string[] {
  const stripped = text.replace(/--[^\n]*\n?/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  return [...stripped.matchAll(/[A-Za-z_]+|\(/g)]
    .map((m) => m[0]!.toUpperCase())
    .filter((w) => w !== '(')
    .slice(0, n);
}

/** Refuse by text before DuckDB sees a statement: even preparing some statements has effects (EXPORT DATABASE). */
function refuseByText(text: string, i: number): void {
  const [first, second, third] = leadingKeywords(text, 3);
  if (!first) return;
  const refuse = (what: string) => {
    throw new UsageError(`sql: statement ${i + 1} is ${what}; r1ov sql is read-only (SELECT only)`);
  };
  if (!READ_ONLY_KEYWORDS.has(first)) refuse(first);
  if (first === 'EXPLAIN') {
    // EXPLAIN ANALYZE runs its statement: allow it only around a query.
    const inner = second === 'ANALYZE' ? third : second;
    if (inner && !READ_ONLY_KEYWORDS.has(inner)) refuse(`EXPLAIN ${second === 'ANALYZE' ? 'ANALYZE ' : ''}${inner}`);
  }
}

/** Run user SQL read-only: every statement must be a query; COPY, CREATE, INSERT, ATTACH… are refused. */
export async function queryReadOnly(conn: DuckDBConnection, sql: string) {
  const texts = splitStatements(sql);
  texts.forEach(refuseByText);
  const extracted = await conn.extractStatements(sql);
  if (extracted.count === 0) throw new UsageError('sql: empty query');
  let last;
  for (let i = 0; i < extracted.count; i++) {
    const prepared = await extracted.prepare(i);
    if (!READ_ONLY.has(prepared.statementType)) {
      throw new UsageError(
        `sql: statement ${i + 1} is ${StatementType[prepared.statementType]}; r1ov sql is read-only (SELECT only)`,
      );
    }
    last = prepared;
  }
  // Only the last statement's rows are returned (like a notebook cell).
  return await last!.runAndReadAll();
}
