/**
 * The viewer's read-only snapshot of the catalog. Per generation: `openCatalog(home)` (the views every reader
 * sees), plus two in-memory tables built once from `samples`, sorted by (run, sample_id):
 *   v_list (seq + the narrow columns a list page shows and filters on) and v_text (seq + lowercased question and
 *   trace, the search text).
 * Pages query those tables with LIMIT/OFFSET and one GROUPING SETS scan for the facet counts; a search's hits
 * are kept (per query string, LRU) so paging through them does not rescan text. Shard files are watched by
 * name/size/mtime: when they change a new generation is built in the background and swapped in.
 * Nothing here writes to the home.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { openCatalog } from '../core/catalog.ts';
import { storeFor } from '../core/storage/index.ts';
import { catalogObjects } from '../core/storage/s3-catalog.ts';
import { paths } from '../core/home.ts';
import { TextIndex } from './text-index.ts';

export type Row = Record<string, unknown>;

export const FACETS = ['run', 'status', 'kind', 'source', 'reason_code'] as const;
export type Facet = (typeof FACETS)[number];

export interface ListQuery {
  run?: string;
  status?: string;
  kind?: string;
  source?: string;
  reason_code?: string;
  q?: string;
  page?: number;
  pageSize?: number;
}

export interface ListResult {
  rows: Row[];
  total: number;
  page: number;
  pageSize: number;
  facets: Record<Facet, Array<{ value: string | null; n: number }>>;
  timings: { queryMs: number };
}

const LIST_COLUMNS = [
  'run',
  'sample_id',
  'status',
  'stage',
  'kind',
  'subkind',
  'source',
  'subset',
  'reason_code',
  'reason',
  'formal_format',
  'final_answer',
  'answer',
  'accuracy',
  'workflow_id',
  'finished_at',
  'image_key',
];

interface Generation {
  conn: DuckDBConnection;
  close: () => void;
  signature: string;
  builtAt: number;
  buildMs: number;
  count: number;
  hits: Map<string, string>;
  facets: Map<string, Row[]>;
  text: TextIndex;
  closed: boolean;
}

/** Files that feed the catalog: any change (new shard, compaction) means a new generation. */
export async function catalogSignature(home: string): Promise<string> {
  const runs = paths.runs(home);
  const h = createHash('sha1');
  const store = storeFor(home);
  if (store.kind === 's3') {
    // An S3 home: the bucket's listing (keys and ETags) is the signature.
    for (const o of await catalogObjects(store)) h.update(`${o.key}:${o.etag}\n`);
    return h.digest('hex');
  }
  if (existsSync(runs)) {
    for (const run of readdirSync(runs).sort()) {
      for (const sub of ['shards', 'llm_calls', 'eval']) {
        const d = join(runs, run, sub);
        if (!existsSync(d)) continue;
        for (const f of readdirSync(d).sort()) {
          if (!f.endsWith('.parquet') || f.startsWith('.')) continue;
          try {
            const s = statSync(join(d, f));
            h.update(`${run}/${sub}/${f}:${s.size}:${s.mtimeMs}\n`);
          } catch {
            /* raced with a rename */
          }
        }
      }
      if (existsSync(join(runs, run, 'run.json'))) h.update(`${run}/run.json\n`);
    }
  }
  return h.digest('hex');
}

async function build(home: string): Promise<Generation> {
  const t0 = performance.now();
  const signature = await catalogSignature(home);
  const { conn, close } = await openCatalog(home);
  try {
    await conn.run(`CREATE TABLE v_list AS SELECT (row_number() OVER (ORDER BY run, sample_id))::INTEGER AS seq,
      ${LIST_COLUMNS.map((c) => (c === 'reason' ? `left(reason, 300) AS reason` : `"${c}"`)).join(', ')}, left(question, 240) AS question
      FROM samples ORDER BY run, sample_id`);
    await conn.run(`CREATE TABLE v_text AS SELECT (row_number() OVER (ORDER BY run, sample_id))::INTEGER AS seq,
      lower(question || chr(10) || coalesce(trace, '')) AS s FROM samples ORDER BY run, sample_id`);
    const count = Number((await conn.runAndReadAll('SELECT count(*) FROM v_list')).getRows()[0]![0]);
    const g: Generation = {
      conn,
      close,
      signature,
      builtAt: Date.now(),
      buildMs: performance.now() - t0,
      count,
      hits: new Map(),
      facets: new Map(),
      text: new TextIndex(),
      closed: false,
    };
    // The word index is built in the background; searches scan until it is ready.
    void g.text
      .build(conn, count, () => g.closed)
      .catch(() => {
        /* searches keep scanning */
      });
    return g;
  } catch (err) {
    close();
    throw err;
  }
}

function jsonRows(reader: {
  getRowObjectsJson(): unknown;
  columnNames(): string[];
  columnTypes(): Array<{ toString(): string }>;
}): Row[] {
  const rows = reader.getRowObjectsJson() as Row[];
  const names = reader.columnNames();
  const ints = names.filter((_, i) => /^(BIGINT|HUGEINT|UBIGINT|INTEGER)$/.test(reader.columnTypes()[i]!.toString()));
  for (const r of rows) for (const c of ints) if (typeof r[c] === 'string') r[c] = Number(r[c]);
  return rows;
}

export class ViewerStore {
  private gen: Generation | null = null;
  private building: Promise<void> | null = null;
  private lastCheck = 0;
  lastError: string | null = null;

  constructor(
    readonly home: string,
    private readonly opts: { checkEveryMs?: number } = {},
  ) {}

  async open(): Promise<void> {
    this.gen = await build(this.home);
  }

  get info() {
    const g = this.gen;
    return {
      count: g?.count ?? 0,
      buildMs: g?.buildMs ?? 0,
      builtAt: g?.builtAt ?? 0,
      refreshing: this.building !== null,
      textIndexReady: g?.text.ready ?? false,
      textIndexMs: g?.text.buildMs ?? 0,
    };
  }

  /** Resolves once the current generation's word index is built (bench, tests). */
  async textIndexReady(): Promise<void> {
    while (this.gen && !this.gen.text.ready) await new Promise((r) => setTimeout(r, 50));
  }

  /** The current generation; starts a background rebuild when the shard files changed. */
  private async current(): Promise<Generation> {
    if (!this.gen) await this.open();
    const now = Date.now();
    if (!this.building && now - this.lastCheck > (this.opts.checkEveryMs ?? 2000)) {
      this.lastCheck = now;
      if ((await catalogSignature(this.home)) !== this.gen!.signature) {
        this.building = build(this.home)
          .then(
            (g) => {
              const old = this.gen;
              this.gen = g;
              this.lastError = null;
              if (old) {
                old.closed = true;
                setTimeout(() => old.close(), 30_000).unref();
              }
            },
            (err: Error) => {
              this.lastError = err.message;
            },
          )
          .finally(() => {
            this.building = null;
          });
      }
    }
    return this.gen!;
  }

  /** Wait for a rebuild in flight (tests). */
  async settle(): Promise<void> {
    this.lastCheck = 0;
    await this.current();
    await this.building;
  }

  async query(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    const g = await this.current();
    return jsonRows(await g.conn.runAndReadAll(sql, params));
  }

  /** A search's hits as a small table in this generation (LRU of 16 query strings). */
  private async hitsTable(g: Generation, needle: string): Promise<string> {
    const have = g.hits.get(needle);
    if (have) {
      g.hits.delete(needle);
      g.hits.set(needle, have);
      return have;
    }
    const name = `hits_${createHash('sha1').update(needle).digest('hex').slice(0, 16)}`;
    const cand = g.text.candidates(needle);
    if (!cand) {
      await g.conn.run(`CREATE OR REPLACE TABLE ${name} AS SELECT seq FROM v_text WHERE contains(s, $1)`, [needle]);
    } else {
      const target = cand.exact ? name : `${name}_c`;
      await g.conn.run(`CREATE OR REPLACE TABLE ${target} (seq INTEGER)`);
      const app = await g.conn.createAppender(target);
      for (const s of cand.seqs) {
        app.appendInteger(s);
        app.endRow();
      }
      app.closeSync();
      if (!cand.exact) {
        await g.conn.run(
          `CREATE OR REPLACE TABLE ${name} AS SELECT seq FROM v_text WHERE seq IN (SELECT seq FROM ${target}) AND contains(s, $1)`,
          [needle],
        );
        await g.conn.run(`DROP TABLE ${target}`);
      }
    }
    g.hits.set(needle, name);
    if (g.hits.size > 16) {
      const [oldest, table] = g.hits.entries().next().value as [string, string];
      g.hits.delete(oldest);
      await g.conn.run(`DROP TABLE IF EXISTS ${table}`);
    }
    return name;
  }

  async list(q: ListQuery): Promise<ListResult> {
    const t0 = performance.now();
    const g = await this.current();
    const pageSize = Math.min(Math.max(1, q.pageSize ?? 50), 500);
    const page = Math.max(1, Math.floor(q.page ?? 1));
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    for (const f of FACETS) {
      const v = q[f];
      if (v === undefined || v === '') continue;
      if (v === '(none)') where.push(`"${f}" IS NULL`);
      else {
        params.push(v);
        where.push(`"${f}" = $${params.length}`);
      }
    }
    const needle = q.q?.trim().toLowerCase();
    if (needle) where.push(`seq IN (SELECT seq FROM ${await this.hitsTable(g, needle)})`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // Late materialisation: the top-N runs over seq alone; only the page's rows are then read in full.
    const pageSql = `SELECT * EXCLUDE (seq) FROM v_list WHERE seq IN (SELECT seq FROM v_list ${w} ORDER BY seq LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}) ORDER BY seq`;
    const facetSql = `SELECT ${FACETS.map((f) => `"${f}"`).join(', ')}, GROUPING(${FACETS.map((f) => `"${f}"`).join(', ')}) AS g, count(*) AS n
      FROM v_list ${w} GROUP BY GROUPING SETS (${FACETS.map((f) => `("${f}")`).join(', ')}, ()) ORDER BY n DESC`;
    const rows = jsonRows(await g.conn.runAndReadAll(pageSql, params));
    // Facet counts do not depend on the page: computed once per filter set and generation.
    const fkey = JSON.stringify([where, params]);
    let facetRows = g.facets.get(fkey);
    if (!facetRows) {
      facetRows = jsonRows(await g.conn.runAndReadAll(facetSql, params));
      g.facets.set(fkey, facetRows);
      if (g.facets.size > 64) g.facets.delete(g.facets.keys().next().value!);
    }
    const facets = Object.fromEntries(
      FACETS.map((f) => [f, [] as Array<{ value: string | null; n: number }>]),
    ) as ListResult['facets'];
    let total = 0;
    const all = (1 << FACETS.length) - 1;
    for (const r of facetRows) {
      const gbits = Number(r.g);
      if (gbits === all) {
        total = Number(r.n);
        continue;
      }
      FACETS.forEach((f, i) => {
        if ((gbits & (1 << (FACETS.length - 1 - i))) === 0)
          facets[f].push({ value: (r[f] as string | null) ?? null, n: Number(r.n) });
      });
    }
    return { rows, total, page, pageSize, facets, timings: { queryMs: performance.now() - t0 } };
  }

  async sample(run: string, sampleId: string): Promise<Row | null> {
    const r = await this.query('SELECT * FROM samples WHERE run = $1 AND sample_id = $2', [run, sampleId]);
    return r[0] ?? null;
  }

  async llmCalls(run: string, sampleId: string): Promise<Row[]> {
    return this.query(
      `SELECT role, model, prompt_id, tokens_in, tokens_out, latency_ms, cost_usd, cache_hit, status, attempt, error, created_at
      FROM llm_calls WHERE run = $1 AND sample_id = $2 ORDER BY created_at, call_id`,
      [run, sampleId],
    );
  }

  async runs(): Promise<Row[]> {
    return this.query(`SELECT run, count(*) AS samples, count(*) FILTER (status = 'done') AS done,
      count(*) FILTER (status = 'rejected') AS rejected, count(*) FILTER (status = 'quarantined') AS quarantined
      FROM v_list GROUP BY run ORDER BY run`);
  }

  /** Columns of a catalog view or table, or null when it does not exist (evaluation views are optional). */
  async columns(name: string): Promise<string[] | null> {
    const r = await this.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [name],
    );
    return r.length ? r.map((x) => String(x.column_name)) : null;
  }

  close(): void {
    this.gen?.close();
    this.gen = null;
  }

  /** The live connection of the current generation (tests add tables to it, e.g. evaluation fixtures). */
  async connection(): Promise<DuckDBConnection> {
    return (await this.current()).conn;
  }
}
