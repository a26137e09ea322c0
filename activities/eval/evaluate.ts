/**
 * Evaluation activities. The workflow carries row offsets into the benchmark file; each batch activity loads the
 * file (cached per worker), asks the model under test through the gateway with the chosen prompt style, scores
 * with the shared verifier and stages one JSON row per item in the object store (`runs/<run>/staging-eval/`);
 * commitEval compacts them into `runs/<run>/eval/items-*.parquet` (the eval_items view) beside
 * `runs/<run>/eval-run.json` (the eval_runs view). With S3-compatible storage every row lives in the bucket, so
 * any host may run any batch, judge or commit.
 */
import sharp from 'sharp';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sha256 } from '../../core/blobs.ts';
import { keys, NotFoundError, storeFor } from '../../core/storage/index.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import {
  EVAL_ITEM_COLUMNS,
  EvalItemRowSchema,
  EvalManifestSchema,
  type BenchItem,
  type BenchKind,
  type DescribeBenchResult,
  type EvalBatchResult,
  type EvalItemRow,
  type EvalManifest,
  type JudgeBatchResult,
  type PromptStyle,
} from '../../schemas/eval.ts';
import { commitShard, compact } from '../shards/commit.ts';
import { chat, type ChatMessage } from '../llm/gateway.ts';
import { llmTask } from '../llm/task.ts';
import { loadBench } from './loaders.ts';
import { itemPrompt } from './prompt.ts';
import { itemVerdict, parseJudgeExtraction, parseYesNo } from './score.ts';

const stagedKey = (run: string, row: number) => `${keys.evalStaging(run)}${String(row).padStart(8, '0')}.json`;

async function stageRow(home: string, row: EvalItemRow): Promise<void> {
  const valid = EvalItemRowSchema.parse(row);
  await storeFor(home).put(stagedKey(row.run, row.row_index), `${JSON.stringify(valid)}\n`);
}

interface Common {
  run: string;
  bench: string;
  kind: BenchKind;
  promptStyle: PromptStyle;
}

function baseRow(
  input: Common & { model: string },
  item: Pick<BenchItem, 'row' | 'id'> & Partial<BenchItem>,
): EvalItemRow {
  return {
    run: input.run,
    bench: input.kind,
    bench_file: input.bench,
    item_id: item.id,
    row_index: item.row,
    status: 'scored',
    correct: false,
    decided_by: 'none',
    extracted: null,
    judge_extracted: null,
    judge_verdict: null,
    gold: item.answer ?? null,
    choices: item.choices ? JSON.stringify(item.choices) : null,
    question: item.question ?? null,
    response: null,
    reasoning: null,
    error: null,
    model: input.model,
    prompt_style: input.promptStyle,
    system_prompt: null,
    prompt: null,
    images: item.images?.length ?? 0,
    meta: item.meta ?? {},
    tokens_in: 0,
    tokens_out: 0,
    finished_at: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** Load the benchmark, stage its malformed rows (reported, skipped), write the run manifest. */
export async function describeBench(
  home: string,
  input: Common & { model: string; judge: boolean; startedAt: string },
): Promise<DescribeBenchResult> {
  const b = await loadBench(input.bench, input.kind);
  for (const m of b.malformed) {
    await stageRow(home, {
      ...baseRow(input, { row: m.row, id: `row-${m.row}` }),
      status: 'malformed',
      decided_by: 'none',
      error: m.reason,
    });
  }
  await writeEvalManifest(home, {
    run: input.run,
    bench: input.kind,
    bench_file: input.bench,
    model: input.model,
    prompt_style: input.promptStyle,
    judge: input.judge,
    status: 'running',
    started_at: input.startedAt,
    updated_at: new Date().toISOString(),
  });
  return { kind: b.kind, rows: b.rows, malformed: b.malformed.length };
}

export async function writeEvalManifest(home: string, m: EvalManifest): Promise<void> {
  const valid = EvalManifestSchema.parse({ ...m, updated_at: new Date().toISOString() });
  await storeFor(home).put(keys.evalManifest(m.run), `${JSON.stringify(valid)}\n`);
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
  home: string,
  input: Common & { offset: number; limit: number; model: ResolvedEndpoint; itemAttempts: number },
): Promise<EvalBatchResult> {
  const b = await loadBench(input.bench, input.kind);
  const items = b.items.filter((it) => it.row >= input.offset && it.row < input.offset + input.limit);
  const attempt = attemptNow();
  const finalAttempt = attempt >= input.itemAttempts;
  const common = { ...input, model: input.model.model };
  const res: EvalBatchResult = { done: 0, correct: 0, errored: 0, undecided: [] };
  let retry: unknown;

  await Promise.all(
    items.map(async (item) => {
      const row = baseRow(common, item);
      try {
        const images: Array<{ hash: string; png: Buffer }> = [];
        for (const im of item.images) {
          try {
            images.push(await asPng(im));
          } catch (err) {
            throw ApplicationFailure.nonRetryable(
              `image does not decode: ${(err as Error).message.split('\n')[0]}`,
              'BadImage',
            );
          }
        }
        const p = itemPrompt(input.kind, item, input.promptStyle);
        row.system_prompt = p.system ?? null;
        row.prompt = p.user;
        const messages: ChatMessage[] = [
          ...(p.system ? [{ role: 'system' as const, content: p.system }] : []),
          { role: 'user', content: p.user },
        ];
        const r = await chat({
          endpoint: input.model,
          home,
          run: input.run,
          sampleId: item.id,
          prompt: p.template,
          messages,
          images: images.length ? images : undefined,
          params: { temperature: input.model.temperature ?? 0 },
        });
        const v = itemVerdict(input.kind, r.text, item);
        Object.assign(row, {
          response: r.text,
          reasoning: r.reasoning ?? null,
          extracted: v.extracted,
          tokens_in: r.tokensIn,
          tokens_out: r.tokensOut,
          correct: v.decision === 'correct',
          decided_by: v.decision === 'undecided' ? 'none' : 'rules',
        });
        if (v.decision === 'undecided') res.undecided.push(item.row);
      } catch (err) {
        const retryable = !(err instanceof ApplicationFailure && err.nonRetryable);
        if (retryable && !finalAttempt) {
          retry ??= err;
          return;
        }
        Object.assign(row, {
          status: 'error',
          decided_by: 'error',
          correct: false,
          error: `${err instanceof ApplicationFailure ? `${err.type}: ` : ''}${(err as Error).message}`.slice(0, 1000),
        });
      }
      row.finished_at = new Date().toISOString();
      await stageRow(home, row);
      res.done++;
      if (row.correct) res.correct++;
      if (row.status === 'error') res.errored++;
    }),
  );
  if (retry) {
    if (retry instanceof ApplicationFailure && retry.type === 'LlmRateLimited') throw retry;
    throw ApplicationFailure.retryable(
      `batch at row ${input.offset}: ${(retry as Error).message}`.slice(0, 1000),
      'LlmUnavailable',
    );
  }
  return res;
}

/** The judge's two questions (the R1-OneVision-Bench protocol): the response's final answer, then does it match the gold. */
const judgeExtractTask = llmTask({
  name: 'judge_extract',
  template: 'eval/judge-extract',
  params: { temperature: 0 },
  vars: (i: { question: string; response: string }) => i,
});
const judgeCompareTask = llmTask({
  name: 'judge_compare',
  template: 'eval/judge-compare',
  params: { temperature: 0 },
  vars: (i: { question: string; gold: string; extracted: string }) => i,
});

/**
 * The judge, only for items the verifier could not decide: extract the final answer (or NONE), then YES/NO
 * against the ground truth (the R1-OneVision-Bench protocol). Rewrites their staged rows.
 */
export async function judgeBatch(
  home: string,
  input: { run: string; rows: number[]; judge: ResolvedEndpoint },
): Promise<JudgeBatchResult> {
  const store = storeFor(home);
  const out: JudgeBatchResult = { judged: 0, correct: 0 };
  await Promise.all(
    input.rows.map(async (rowIndex) => {
      let staged: Buffer;
      try {
        staged = await store.get(stagedKey(input.run, rowIndex));
      } catch (err) {
        if (err instanceof NotFoundError) return;
        throw err;
      }
      const row = EvalItemRowSchema.parse(JSON.parse(staged.toString('utf8')));
      if (row.status !== 'scored' || row.decided_by === 'judge') {
        if (row.decided_by === 'judge') {
          out.judged++;
          if (row.correct) out.correct++;
        }
        return;
      }
      const q = row.question ?? '';
      const { value: said } = await judgeExtractTask.run(
        { question: q, response: row.response ?? '' },
        {
          endpoint: input.judge,
          home,
          run: input.run,
          sampleId: `${row.item_id}#judge-extract`,
        },
      );
      const extracted = parseJudgeExtraction(said);
      let verdict = 'NONE';
      let correct = false;
      if (extracted !== null) {
        const { value: cmp } = await judgeCompareTask.run(
          { question: q, gold: row.gold ?? '', extracted },
          {
            endpoint: input.judge,
            home,
            run: input.run,
            sampleId: `${row.item_id}#judge-compare`,
          },
        );
        const yn = parseYesNo(cmp);
        verdict = yn === null ? `UNPARSABLE: ${cmp.slice(0, 80)}` : yn ? 'YES' : 'NO';
        correct = yn === true;
      }
      await stageRow(home, {
        ...row,
        judge_extracted: extracted,
        judge_verdict: verdict,
        correct,
        decided_by: 'judge',
        finished_at: new Date().toISOString(),
      });
      out.judged++;
      if (correct) out.correct++;
    }),
  );
  return out;
}

/**
 * Compact staged item rows into one Parquet shard through the shared shard writer (scratch file, then published
 * under a name derived from the staged rows, so a retry rewrites the same shard), and the run's llm_calls.
 */
export async function commitEval(
  home: string,
  input: { run: string },
): Promise<{ rows: number; shard: string | null; llmCalls: number }> {
  const items = await compact(
    storeFor(home),
    keys.evalStaging(input.run),
    keys.evalItems(input.run),
    'items',
    EVAL_ITEM_COLUMNS,
  );
  const llm = await commitShard(home, { run: input.run });
  return { rows: items.rows, shard: items.shard, llmCalls: llm.llmCalls };
}
