/**
 * `r1ov export RUN --format trl --split sft=rest,rl=N` — the SFT/RL split of an export: the RL stage trains on a
 * small subset whose answers the GRPO rewards can verify. A row is eligible for RL when the reward code reads its
 * gold answer as a choice letter (multiple-choice), a constant (numeric), or a box (IoU), as `--rl-answers` allows,
 * and its trace is at most `--rl-max-trace-chars` long. The subset is drawn by a seeded hash of the sample id (the
 * same seed gives the same split), balanced across kinds (`--rl-mix balanced`: round-robin over kinds) or
 * proportional to them. SFT gets the rest (`sft=rest`) or everything (`sft=all`). Written as two TRL datasets
 * (`sft.parquet`, `rl.parquet`) and a manifest (`split.json`) that records the rules, the seed and the counts.
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { collectVars } from '../../core/rewards/expr.ts';
import { letterForm, parseAnswer } from '../../core/rewards/equivalence.ts';
import { UsageError } from '../../core/errors.ts';
import { sqlString } from '../../core/sql.ts';
import { type ExportSplit, type RlAnswerType, type SplitManifest } from '../../schemas/export.ts';

/** `sft=rest,rl=2000` | `rl=10%` | `sft=all,rl=0.05` → the split's sizes (the rules come from their own options). */
export function parseSplitSpec(text: string): Pick<ExportSplit, 'sft' | 'rl'> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(sft|rl)=(.+)$/.exec(part);
    if (!m)
      throw new UsageError(
        `export: --split ${JSON.stringify(text)}: expected sft=rest|all and rl=N|P% (e.g. sft=rest,rl=2000), not ${JSON.stringify(part)}`,
      );
    if (m[1]! in out) throw new UsageError(`export: --split: ${m[1]} given twice`);
    out[m[1]!] = m[2]!;
  }
  if (!out.rl) throw new UsageError('export: --split: rl=N (rows) or rl=P% (of the export) is required');
  const sft = out.sft ?? 'rest';
  if (sft !== 'rest' && sft !== 'all')
    throw new UsageError(`export: --split: sft=${sft}: use sft=rest (rows not in RL) or sft=all`);
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(out.rl);
  const frac = /^0?\.\d+$/.exec(out.rl);
  if (pct || frac) {
    const f = pct ? Number(pct[1]) / 100 : Number(out.rl);
    if (!(f > 0 && f <= 1)) throw new UsageError(`export: --split: rl=${out.rl}: a fraction in (0, 100%]`);
    return { sft, rl: { fraction: f } };
  }
  if (!/^\d+$/.test(out.rl) || Number(out.rl) <= 0)
    throw new UsageError(`export: --split: rl=${out.rl}: a positive row count or a percentage`);
  return { sft, rl: { rows: Number(out.rl) } };
}

/** How the GRPO rewards would verify a gold answer (core/rewards), or null when they cannot. */
export function answerType(
  solution: string | null,
  choices: string[] | null,
  box: number[] | null,
): RlAnswerType | null {
  if (box && box.length === 4) return 'box';
  if (!solution) return null;
  const l = letterForm(solution, choices?.length ? choices : undefined, true);
  if (l && 'letter' in l) return 'multiple-choice';
  const a = parseAnswer(solution) as { t: string; n?: Parameters<typeof collectVars>[0] };
  if (a.t === 'expr' && a.n && collectVars(a.n, new Set()).size === 0) return 'numeric';
  return null;
}

interface Row {
  id: string;
  kind: string;
  type: RlAnswerType | null;
  traceChars: number;
  order: string;
}

const tally = (xs: string[]) =>
  Object.fromEntries([...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort());

/** Choose the RL rows (pure: the unit under test). */
export function chooseRl(rows: Row[], split: ExportSplit): { rl: Row[]; eligible: Row[] } {
  const eligible = rows.filter(
    (r) =>
      r.type &&
      split.rlAnswers.includes(r.type) &&
      (split.rlMaxTraceChars === undefined || r.traceChars <= split.rlMaxTraceChars),
  );
  const want = 'rows' in split.rl ? split.rl.rows : Math.max(1, Math.round(split.rl.fraction * rows.length));
  const byOrder = [...eligible].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  if (split.rlMix === 'proportional') return { rl: byOrder.slice(0, want), eligible };
  // Balanced: the i-th row of every kind before the (i+1)-th of any, so a small subset still covers every kind.
  const rank = new Map<string, number>();
  const ranked = byOrder.map((r) => {
    const k = rank.get(r.kind) ?? 0;
    rank.set(r.kind, k + 1);
    return { r, k };
  });
  ranked.sort((a, b) => a.k - b.k || (a.r.order < b.r.order ? -1 : a.r.order > b.r.order ? 1 : 0));
  return { rl: ranked.slice(0, want).map((x) => x.r), eligible };
}

/** Split the full TRL export `allFile` into `dir/sft.parquet` and `dir/rl.parquet`; returns the manifest. */
export async function writeSplit(
  conn: DuckDBConnection,
  allFile: string,
  files: { sft: string; rl: string },
  split: ExportSplit,
  meta: { run: string },
): Promise<SplitManifest> {
  const raw = await (
    await conn.runAndReadAll(`SELECT id, kind, solution, choices, box, coalesce(length(completion[1].content[1].text), 0) AS trace_chars
    FROM read_parquet(${sqlString(allFile)}) ORDER BY id`)
  ).getRowObjectsJS();
  const rows: Row[] = raw.map((r) => ({
    id: String(r.id),
    kind: String(r.kind ?? 'unknown'),
    traceChars: Number(r.trace_chars),
    type: answerType(
      r.solution == null ? null : String(r.solution),
      (r.choices as string[] | null) ?? null,
      (r.box as number[] | null)?.map(Number) ?? null,
    ),
    order: createHash('sha256')
      .update(`${split.seed}:${String(r.id)}`)
      .digest('hex'),
  }));
  const { rl, eligible } = chooseRl(rows, split);
  const rlIds = new Set(rl.map((r) => r.id));
  await conn.run('CREATE OR REPLACE TEMP TABLE _rl_ids (id VARCHAR)');
  for (let i = 0; i < rl.length; i += 500) {
    await conn.run(
      `INSERT INTO _rl_ids VALUES ${rl
        .slice(i, i + 500)
        .map((r) => `(${sqlString(r.id)})`)
        .join(', ')}`,
    );
  }
  const hf = await hfMeta(conn, allFile);
  const copy = (where: string, file: string) =>
    conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(allFile)}) WHERE ${where} ORDER BY id)
    TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1024, KV_METADATA {huggingface: ${sqlString(hf)}})`);
  await copy('id IN (SELECT id FROM _rl_ids)', files.rl);
  await copy(split.sft === 'all' ? 'true' : 'id NOT IN (SELECT id FROM _rl_ids)', files.sft);
  const sftRows = split.sft === 'all' ? rows : rows.filter((r) => !rlIds.has(r.id));
  return {
    run: meta.run,
    format: 'trl',
    seed: split.seed,
    rules: {
      sft: split.sft,
      rl: split.rl,
      rlAnswers: split.rlAnswers,
      rlMaxTraceChars: split.rlMaxTraceChars ?? null,
      rlMix: split.rlMix,
    },
    rows: { total: rows.length, eligible: eligible.length, rl: rl.length, sft: sftRows.length },
    rl: {
      kinds: tally(rl.map((r) => r.kind)),
      answers: tally(rl.map((r) => r.type!)),
      ids: rl.map((r) => r.id).sort(),
    },
    sft: { kinds: tally(sftRows.map((r) => r.kind)) },
    files,
  };
}

/** The `huggingface` metadata of the full export, carried onto both halves (datasets decodes images by it). */
async function hfMeta(conn: DuckDBConnection, file: string): Promise<string> {
  const r = await (
    await conn.runAndReadAll(
      `SELECT decode(value) AS v FROM parquet_kv_metadata(${sqlString(file)}) WHERE decode(key) = 'huggingface'`,
    )
  ).getRowObjectsJS();
  return r.length ? String(r[0]!.v) : '{}';
}
