/**
 * Evaluation activities. The workflow carries row offsets into the benchmark file; each batch activity loads the
 * file (cached per worker), asks the model under test through the gateway, scores with the shared verifier and
 * stages one JSON row per item under `runs/<run>/staging-eval/`; commitEval compacts them into
 * `runs/<run>/eval/items-*.parquet` (the eval_items view) beside `runs/<run>/eval-run.json` (the eval_runs view).
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sha256, writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import { loadPrompt } from '../../core/prompts.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import {
  EVAL_ITEM_COLUMNS, EvalItemRowSchema, EvalManifestSchema, type BenchItem, type BenchKind, type DescribeBenchResult,
  type EvalBatchResult, type EvalItemRow, type EvalManifest, type JudgeBatchResult, type PromptStyle,
} from '../../schemas/eval.ts';
import { commitShard } from '../shards/commit.ts';
import { chat } from '../llm/gateway.ts';
import { loadBench } from './loaders.ts';
import { parseJudgeExtraction, parseYesNo, ruleVerdict } from './score.ts';

export const evalPaths = {
  staging: (home: string, run: string) => join(paths.run(home, run), 'staging-eval'),
  items: (home: string, run: string) => join(paths.run(home, run), 'eval'),
  manifest: (home: string, run: string) => join(paths.run(home, run), 'eval-run.json'),
};

const stagedFile = (home: string, run: string, row: number) => join(evalPaths.staging(home, run), `${String(row).padStart(8, '0')}.json`);

function stageRow(home: string, row: EvalItemRow): void {
  const valid = EvalItemRowSchema.parse(row);
  ensureDir(evalPaths.staging(home, row.run));
  writeFileAtomic(stagedFile(home, row.run, row.row_index), `${JSON.stringify(valid)}\n`);
}

interface Common { run: string; bench: string; kind: BenchKind; promptStyle: PromptStyle }

function baseRow(input: Common & { model: string }, item: Pick<BenchItem, 'row' | 'id'> & Partial<BenchItem>): EvalItemRow {
  const m = item.meta ?? {};
  return {
    run: input.run, bench: input.kind, bench_file: input.bench, item_id: item.id, row_index: item.row,
    status: 'scored', correct: false, decided_by: 'none', extracted: null, judge_extracted: null, judge_verdict: null,
    gold: item.answer ?? null, choices: item.choices ? JSON.stringify(item.choices) : null, question: item.question ?? null,
    response: null, reasoning: null, error: null, model: input.model, prompt_style: input.promptStyle,
    level: m.level ?? null, category: m.category ?? null, subject: m.subject ?? null, problem_version: m.problem_version ?? null,
    question_type: m.question_type ?? null, answer_type: m.answer_type ?? null, wemath_id: m.wemath_id ?? null, wemath_key: m.wemath_key ?? null,
    tokens_in: 0, tokens_out: 0, finished_at: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** Load the benchmark, stage its malformed rows (reported, skipped), write the run manifest. */
export async function describeBench(
  home: string, input: Common & { model: string; judge: boolean; startedAt: string },
): Promise<DescribeBenchResult> {
  const b = await loadBench(input.bench, input.kind);
  for (const m of b.malformed) {
    stageRow(home, { ...baseRow(input, { row: m.row, id: `row-${m.row}` }), status: 'malformed', decided_by: 'none', error: m.reason });
  }
  await writeEvalManifest(home, {
    run: input.run, bench: input.kind, bench_file: input.bench, model: input.model, prompt_style: input.promptStyle,
    judge: input.judge, status: 'running', started_at: input.startedAt, updated_at: new Date().toISOString(),
  });
  return { kind: b.kind, rows: b.rows, malformed: b.malformed.length };
}

export async function writeEvalManifest(home: string, m: EvalManifest): Promise<void> {
  ensureDir(paths.run(home, m.run));
  writeFileAtomic(evalPaths.manifest(home, m.run), `${JSON.stringify(EvalManifestSchema.parse({ ...m, updated_at: new Date().toISOString() }))}\n`);
}

const pngCache = new Map<string, { hash: string; png: Buffer }>();
async function asPng(image: Buffer): Promise<{ hash: string; png: Buffer }> {
  const key = sha256(image);
  const hit = pngCache.get(key);
  if (hit) return hit;
  const isPng = image.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  const png = isPng ? image : await sharp(image, { failOn: 'error' }).png().toBuffer();
  const v = { hash: isPng ? key : sha256(png), png };
  if (pngCache.size > 256) pngCache.clear();
  pngCache.set(key, v);
  return v;
}

function attemptNow(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Ask the model under test about the items in rows [offset, offset+limit), score them, stage a row per item.
 * A retryable failure (5xx, timeout, 429) fails the batch so Temporal retries it (items already answered come
 * from the response cache); on attempt `itemAttempts` the items still failing are staged as errored instead:
 * they count as wrong and are listed, never dropped.
 */
export async function evalBatch(
  home: string, input: Common & { offset: number; limit: number; model: ResolvedEndpoint; itemAttempts: number },
): Promise<EvalBatchResult> {
  const b = await loadBench(input.bench, input.kind);
  const items = b.items.filter((it) => it.row >= input.offset && it.row < input.offset + input.limit);
  const prompt = loadPrompt('eval', input.promptStyle);
  const attempt = attemptNow();
  const finalAttempt = attempt >= input.itemAttempts;
  const common = { ...input, model: input.model.model };
  const res: EvalBatchResult = { done: 0, correct: 0, errored: 0, undecided: [] };
  let retry: unknown;

  await Promise.all(items.map(async (item) => {
    const row = baseRow(common, item);
    try {
      let images: Array<{ hash: string; png: Buffer }> | undefined;
      if (item.image) {
        try {
          images = [await asPng(item.image)];
        } catch (err) {
          throw ApplicationFailure.nonRetryable(`image does not decode: ${(err as Error).message.split('\n')[0]}`, 'BadImage');
        }
      }
      const r = await chat({
        endpoint: input.model, home, run: input.run, sampleId: item.id, prompt,
        messages: [{ role: 'user', content: prompt.render({ question: item.question }) }],
        images, params: { temperature: input.model.temperature ?? 0 },
      });
      const v = ruleVerdict(r.text, item);
      Object.assign(row, {
        response: r.text, reasoning: r.reasoning ?? null, extracted: v.extracted, tokens_in: r.tokensIn, tokens_out: r.tokensOut,
        correct: v.decision === 'correct', decided_by: v.decision === 'undecided' ? 'none' : 'rules',
      });
      if (v.decision === 'undecided') res.undecided.push(item.row);
    } catch (err) {
      const retryable = !(err instanceof ApplicationFailure && err.nonRetryable);
      if (retryable && !finalAttempt) { retry ??= err; return; }
      Object.assign(row, { status: 'error', decided_by: 'error', correct: false, error: `${err instanceof ApplicationFailure ? `${err.type}: ` : ''}${(err as Error).message}`.slice(0, 1000) });
    }
    row.finished_at = new Date().toISOString();
    stageRow(home, row);
    res.done++;
    if (row.correct) res.correct++;
    if (row.status === 'error') res.errored++;
  }));
  if (retry) {
    if (retry instanceof ApplicationFailure && retry.type === 'LlmRateLimited') throw retry;
    throw ApplicationFailure.retryable(`batch at row ${input.offset}: ${(retry as Error).message}`.slice(0, 1000), 'LlmUnavailable');
  }
  return res;
}

/**
 * The judge, only for items the verifier could not decide: extract the final answer (or NONE), then YES/NO
 * against the ground truth (the R1-OneVision-Bench protocol). Rewrites their staged rows.
 */
export async function judgeBatch(home: string, input: { run: string; rows: number[]; judge: ResolvedEndpoint }): Promise<JudgeBatchResult> {
  const extractP = loadPrompt('eval', 'judge-extract');
  const compareP = loadPrompt('eval', 'judge-compare');
  const out: JudgeBatchResult = { judged: 0, correct: 0 };
  await Promise.all(input.rows.map(async (rowIndex) => {
    const file = stagedFile(home, input.run, rowIndex);
    if (!existsSync(file)) return;
    const row = EvalItemRowSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    if (row.status !== 'scored' || row.decided_by === 'judge') { if (row.decided_by === 'judge') { out.judged++; if (row.correct) out.correct++; } return; }
    const q = row.question ?? '';
    const ex = await chat({
      endpoint: input.judge, home, run: input.run, sampleId: `${row.item_id}#judge-extract`, prompt: extractP,
      messages: [{ role: 'user', content: extractP.render({ question: q, response: row.response ?? '' }) }], params: { temperature: 0 },
    });
    const extracted = parseJudgeExtraction(ex.text);
    let verdict = 'NONE';
    let correct = false;
    if (extracted !== null) {
      const cmp = await chat({
        endpoint: input.judge, home, run: input.run, sampleId: `${row.item_id}#judge-compare`, prompt: compareP,
        messages: [{ role: 'user', content: compareP.render({ question: q, gold: row.gold ?? '', extracted }) }], params: { temperature: 0 },
      });
      const yn = parseYesNo(cmp.text);
      verdict = yn === null ? `UNPARSABLE: ${cmp.text.slice(0, 80)}` : yn ? 'YES' : 'NO';
      correct = yn === true;
    }
    stageRow(home, { ...row, judge_extracted: extracted, judge_verdict: verdict, correct, decided_by: 'judge', finished_at: new Date().toISOString() });
    out.judged++;
    if (correct) out.correct++;
  }));
  return out;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const columnsSpec = (cols: Record<string, string>) => `{${Object.entries(cols).map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`).join(', ')}}`;

/** Compact staged item rows into one Parquet shard (temp name + rename; named by the staged files, so a retry rewrites the same shard), and the run's llm_calls. */
export async function commitEval(home: string, input: { run: string }): Promise<{ rows: number; shard: string | null; llmCalls: number }> {
  const staging = evalPaths.staging(home, input.run);
  const files = existsSync(staging) ? readdirSync(staging).filter((f) => f.endsWith('.json')).sort() : [];
  let shard: string | null = null;
  if (files.length > 0) {
    const dir = ensureDir(evalPaths.items(home, input.run));
    // Name from the files' contents: a later re-judged row gets a new shard, a retry of the same commit the same one.
    const h = sha256(files.map((f) => `${f}:${sha256(readFileSync(join(staging, f)))}`).join('\n')).slice(0, 20);
    const name = `items-${h}.parquet`;
    const tmp = join(dir, `.${name}.tmp`);
    const cols = Object.keys(EVAL_ITEM_COLUMNS).map((c) => `"${c}"`).join(', ');
    const list = `[${files.map((f) => sqlString(join(staging, f))).join(', ')}]`;
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await db.connect();
    try {
      await conn.run(`COPY (SELECT ${cols} FROM read_json(${list}, format='newline_delimited', columns=${columnsSpec(EVAL_ITEM_COLUMNS)}))
        TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    renameSync(tmp, join(dir, name));
    shard = join(dir, name);
    for (const f of files) rmSync(join(staging, f), { force: true });
  }
  const llm = await commitShard(home, { run: input.run });
  return { rows: files.length, shard, llmCalls: llm.llmCalls };
}
