// `r1ov profile`: what a build of a source would do, without an endpoint, a key or Temporal. It reads the source
// page by page in bounded memory (one page of rows, size histograms, a 48-bit hash per distinct image), splits turns
// and normalises gold answers with the same code as ingest (turn-fields.ts), routes with the same per-sample rules as
// the route stage, and projects calls, tokens and cost from the config's roles and prices.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import sharp from 'sharp';
import { loadPrompt } from '../../core/prompts.ts';
import type { RunConfig } from '../../schemas/config.ts';
import type { Projection, SourceProfile, SubsetProfile } from '../../schemas/profile.ts';
import { FormalKindSchema, formalKindDef, formalKindOf } from '../formalize/kinds.ts';
import { boundedSize } from '../images/normalize.ts';
import { routeByQuestion } from '../../core/routing/per-sample.ts';
import { routeBySource } from '../../core/routing/source-table.ts';
import { listParquetFiles, readParquetPage, type RawRow } from './source.ts';
import { turnFields } from './turn-fields.ts';
import { pairTurns } from './turns.ts';

/** Output tokens assumed per call, and the image patch size (Qwen2.5-VL: 28×28 pixels per visual token). */
export const ASSUMPTIONS = {
  formalizerOutTokens: 400,
  reasonerOutTokens: 800,
  routerOutTokens: 40,
  judgeOutTokens: 150,
  charsPerToken: 4,
  pixelsPerImageToken: 28 * 28,
} as const;

const tokens = (chars: number) => Math.ceil(chars / ASSUMPTIONS.charsPerToken);

/** `hash`: the first 48 bits of the image's sha256, a number (millions of distinct images stay a few dozen MB). */
interface ImageInfo {
  hash: number;
  width: number;
  height: number;
}

/** Header-only look at a row's image, with the ingest's quarantine code when it would fail there. */
async function peekImage(row: RawRow, maxInputPixels: number): Promise<{ info?: ImageInfo; error?: string }> {
  let bytes: Buffer | null = null;
  if (row.image instanceof Uint8Array) bytes = Buffer.from(row.image);
  else if (typeof row.image === 'string' && row.image.length > 0)
    bytes = Buffer.from(row.image.replace(/^data:[^;,]*;base64,/, ''), 'base64');
  if (!bytes) return row.imagePath ? {} : { error: 'no_image' };
  if (bytes.length === 0) return { error: 'image_empty' };
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return { error: 'image_corrupt' };
    if (meta.width * meta.height > maxInputPixels) return { error: 'image_too_large' };
    return {
      info: {
        hash: createHash('sha256').update(bytes).digest().readUIntBE(0, 6),
        width: meta.width,
        height: meta.height,
      },
    };
  } catch {
    return { error: 'image_corrupt' };
  }
}

const inc = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

class SubsetStats {
  rows = 0;
  turns = 0;
  multiTurnRows = 0;
  rowsWithoutImage = 0;
  multipleChoice = 0;
  kept = 0;
  replies = 0;
  extracted = 0;
  /** Image sizes as histograms (one bucket per pixel up to MAX_SIDE): the median without keeping every row. */
  widths = new Uint32Array(MAX_SIDE + 1);
  heights = new Uint32Array(MAX_SIDE + 1);
  imagesRead = 0;
  maxPixels = 0;
  images = new Set<number>();
  kinds: Record<string, number> = {};
  answerRules: Record<string, number> = {};
  quarantined: Record<string, number> = {};
  rejected: Record<string, number> = {};
  calls: Record<string, number> = {};
  tokensIn: Record<string, number> = {};
  tokensOut: Record<string, number> = {};
  shared = 0;
  constructor(readonly subset: string) {}

  call(role: string, inTok: number, outTok: number, n = 1) {
    inc(this.calls, role, n);
    inc(this.tokensIn, role, inTok * n);
    inc(this.tokensOut, role, outTok * n);
  }
}

const MAX_SIDE = 16384;
const median = (hist: Uint32Array, n: number) => {
  if (n === 0) return 0;
  let seen = 0;
  for (let v = 0; v < hist.length; v++) if ((seen += hist[v]!) > Math.floor(n / 2)) return v;
  return MAX_SIDE;
};

function finish(s: SubsetStats, config: RunConfig): SubsetProfile {
  const costUsd: Record<string, number> = {};
  for (const role of Object.keys(s.calls)) {
    const price = config.roles[role as keyof RunConfig['roles']]?.price;
    costUsd[role] = price
      ? ((s.tokensIn[role] ?? 0) * price.inputPerMTok + (s.tokensOut[role] ?? 0) * price.outputPerMTok) / 1e6
      : 0;
  }
  const projection: Projection = {
    calls: s.calls,
    tokensIn: s.tokensIn,
    tokensOut: s.tokensOut,
    costUsd,
    sharedFormalizations: s.shared,
  };
  return {
    subset: s.subset,
    rows: s.rows,
    turns: s.turns,
    multiTurnRows: s.multiTurnRows,
    rowsWithoutImage: s.rowsWithoutImage,
    image: {
      count: s.imagesRead,
      medianWidth: median(s.widths, s.imagesRead),
      medianHeight: median(s.heights, s.imagesRead),
      maxPixels: s.maxPixels,
      distinct: s.images.size,
    },
    kinds: s.kinds,
    multipleChoice: s.multipleChoice,
    answerRules: s.answerRules,
    extractionRate: s.replies ? s.extracted / s.replies : 0,
    quarantined: s.quarantined,
    rejected: s.rejected,
    kept: s.kept,
    projection,
  };
}

function sumProfiles(subsets: SubsetProfile[]): SubsetProfile {
  const add = (ms: Array<Record<string, number>>) => {
    const o: Record<string, number> = {};
    for (const m of ms) for (const [k, v] of Object.entries(m)) inc(o, k, v);
    return o;
  };
  const replies = subsets.reduce((a, s) => a + s.turns - (s.answerRules.missing ?? 0), 0);
  const extracted = subsets.reduce(
    (a, s) =>
      a +
      Object.entries(s.answerRules)
        .filter(([k]) => k !== 'none' && k !== 'missing')
        .reduce((b, [, v]) => b + v, 0),
    0,
  );
  const n = (f: (s: SubsetProfile) => number) => subsets.reduce((a, s) => a + f(s), 0);
  const weighted = (f: (s: SubsetProfile) => number) =>
    n((s) => s.image.count) ? n((s) => f(s) * s.image.count) / n((s) => s.image.count) : 0;
  return {
    subset: '(all)',
    rows: n((s) => s.rows),
    turns: n((s) => s.turns),
    multiTurnRows: n((s) => s.multiTurnRows),
    rowsWithoutImage: n((s) => s.rowsWithoutImage),
    image: {
      count: n((s) => s.image.count),
      medianWidth: Math.round(weighted((s) => s.image.medianWidth)),
      medianHeight: Math.round(weighted((s) => s.image.medianHeight)),
      maxPixels: Math.max(0, ...subsets.map((s) => s.image.maxPixels)),
      distinct: n((s) => s.image.distinct),
    },
    kinds: add(subsets.map((s) => s.kinds)),
    multipleChoice: n((s) => s.multipleChoice),
    answerRules: add(subsets.map((s) => s.answerRules)),
    extractionRate: replies ? extracted / replies : 0,
    quarantined: add(subsets.map((s) => s.quarantined)),
    rejected: add(subsets.map((s) => s.rejected)),
    kept: n((s) => s.kept),
    projection: {
      calls: add(subsets.map((s) => s.projection.calls)),
      tokensIn: add(subsets.map((s) => s.projection.tokensIn)),
      tokensOut: add(subsets.map((s) => s.projection.tokensOut)),
      costUsd: add(subsets.map((s) => s.projection.costUsd)),
      sharedFormalizations: n((s) => s.projection.sharedFormalizations),
    },
  };
}

/** Profile a parquet source (file, `<subset>/train-*.parquet` directory or glob) for a build with `config`. */
export async function profileSource(
  source: string,
  config: RunConfig,
  opts: { subsets?: string[]; pageSize?: number; limit?: number } = {},
): Promise<SourceProfile> {
  const t0 = performance.now();
  const files = await listParquetFiles(source, opts.subsets);
  const pageSize = opts.pageSize ?? 500;
  const stats = new Map<string, SubsetStats>();
  const promptSizes = new Map<string, number>();
  const promptTokens = (stage: string, name: string) => {
    const id = `${stage}/${name}`;
    if (!promptSizes.has(id)) promptSizes.set(id, tokens(loadPrompt(stage, name).text.length));
    return promptSizes.get(id)!;
  };
  const reasonerIn = promptTokens('reason', 'roleplay') + ASSUMPTIONS.formalizerOutTokens;
  const routerIn = promptTokens('route', 'classify');
  const judgeIn = promptTokens('qa', 'judge') + ASSUMPTIONS.formalizerOutTokens + ASSUMPTIONS.reasonerOutTokens;
  const useJudge = config.judge && !!config.roles.judge;
  // Formalizations already counted, by image hash and formal kind, across subsets (as the build shares them).
  const formalized = new Set<number>();
  let seen = 0;
  for (const file of files) {
    for (let offset = 0; ; offset += pageSize) {
      const rows = await readParquetPage(file.path, offset, pageSize);
      for (const row of rows) {
        if (opts.limit !== undefined && seen >= opts.limit) break;
        seen++;
        const subset = file.subset || basename(file.path, '.parquet');
        const source = row.dataSource ?? subset;
        let s = stats.get(subset);
        if (!s) stats.set(subset, (s = new SubsetStats(subset)));
        s.rows++;
        if (!row.conversations) {
          s.turns++;
          inc(s.quarantined, 'bad_conversations');
          continue;
        }
        const pairs = pairTurns(row.conversations);
        if (pairs.length === 0) {
          s.turns++;
          inc(s.quarantined, 'missing_question');
          continue;
        }
        if (pairs.length > 1) s.multiTurnRows++;
        const img = await peekImage(row, config.maxInputPixels);
        if (img.error === 'no_image') s.rowsWithoutImage++;
        if (img.info) {
          s.widths[Math.min(MAX_SIDE, img.info.width)]!++;
          s.heights[Math.min(MAX_SIDE, img.info.height)]!++;
          s.imagesRead++;
          s.maxPixels = Math.max(s.maxPixels, img.info.width * img.info.height);
          s.images.add(img.info.hash);
        }
        const bounded = img.info
          ? boundedSize(img.info.width, img.info.height, config.minPixels, config.maxPixels)
          : null;
        const imageTokens = bounded ? Math.ceil((bounded.width * bounded.height) / ASSUMPTIONS.pixelsPerImageToken) : 0;
        const hit = routeBySource(source, subset);
        for (const p of pairs) {
          s.turns++;
          const f = turnFields(p);
          inc(s.answerRules, f.answerSource);
          if (f.answerSource !== 'missing') s.replies++;
          if (f.answerSource !== 'missing' && f.answerSource !== 'none') s.extracted++;
          if (f.choices) s.multipleChoice++;
          // The order of ingest: the gold answer first, then the image.
          if (f.error) {
            inc(s.quarantined, f.error.code);
            continue;
          }
          if (img.error) {
            inc(s.quarantined, img.error);
            continue;
          }
          if (config.importTraces && f.think) {
            s.kept++;
            inc(s.kinds, 'imported');
            continue;
          }
          const decision = routeByQuestion(f.question, f.choices, source, hit);
          const kind = hit ? `${hit.kind}${hit.subkind ? `/${hit.subkind}` : ''}` : 'classifier';
          inc(s.kinds, kind);
          if (decision.reject) {
            inc(s.rejected, decision.reject.code);
            continue;
          }
          s.kept++;
          const qTokens = tokens(f.question.length + (f.choices ?? []).join(' ').length + 4 * (f.choices?.length ?? 0));
          if (!hit) s.call('router', routerIn + imageTokens, ASSUMPTIONS.routerOutTokens);
          const formalKind = formalKindOf(hit?.kind ?? 'mixed', hit?.subkind ?? null);
          const formalIn = promptTokens('formalize', formalKindDef(formalKind).prompt) + imageTokens;
          if (formalKindDef(formalKind).perQuestion || !img.info)
            s.call('formalizer', formalIn + qTokens, ASSUMPTIONS.formalizerOutTokens);
          else {
            const key = img.info.hash * 32 + FormalKindSchema.options.indexOf(formalKind); // 48 + 5 bits: exact in a double
            if (formalized.has(key)) s.shared++;
            else {
              formalized.add(key);
              s.call('formalizer', formalIn, ASSUMPTIONS.formalizerOutTokens);
            }
          }
          s.call('reasoner', reasonerIn + qTokens, ASSUMPTIONS.reasonerOutTokens, config.candidates);
          if (useJudge) s.call('judge', judgeIn + qTokens, ASSUMPTIONS.judgeOutTokens);
        }
      }
      if (rows.length < pageSize || (opts.limit !== undefined && seen >= opts.limit)) break;
    }
    if (opts.limit !== undefined && seen >= opts.limit) break;
  }
  const subsets = [...stats.values()].map((s) => finish(s, config));
  return {
    source,
    subsets,
    total: sumProfiles(subsets),
    assumptions: { ...ASSUMPTIONS },
    elapsedSec: (performance.now() - t0) / 1000,
  };
}
