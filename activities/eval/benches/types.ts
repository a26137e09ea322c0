/**
 * What one benchmark module provides: how to recognise its files, turn a published row into a BenchItem, put the
 * question as each toolkit does, and which breakdowns (and extra metrics) its report has. Adding a benchmark is
 * one module in this folder plus its entry in index.ts.
 */
import type { BenchItem, BenchKind, BuiltPrompt, ToolkitStyle } from '../../../schemas/eval.ts';
import type { Raw } from '../read.ts';

export interface NormaliseContext {
  /** 0-based data-row number. */
  row: number;
  /** Absolute path of the benchmark file (relative image paths resolve against its folder). */
  file: string;
  /** Every row's raw `image` cell by `index`: VLMEvalKit rows may name another row's index instead of an image. */
  imageByIndex: Map<string, unknown>;
  /** False when scoring a prediction file, which carries no images. */
  requireImages: boolean;
}

/**
 * A report breakdown over one meta key, or two crossed (`level × category`, the paper's Table 3 grid); `order` puts
 * known values first (others follow in order of appearance).
 */
export interface Dimension {
  name: string;
  key: string | readonly [string, string];
  order?: readonly string[];
}

/** The fields of a scored item a benchmark metric needs. */
export interface ScoredItem {
  item_id: string;
  correct: boolean;
  meta: Record<string, string>;
}

/** Extra metrics beyond accuracy (WeMath's four dimensions): named values plus tables laid out like the paper's. */
export interface ExtraMetrics {
  title: string;
  values: Record<string, number | null>;
  tables: Array<{ caption: string; header: string[]; rows: Array<Array<string | number>> }>;
  notes: string[];
}

export interface BenchModule {
  kind: BenchKind;
  /** Display name, e.g. `WeMath`. */
  title: string;
  /** The published files this module reads (README, help texts). */
  files: string;
  /** Whether a file with these columns is this benchmark (modules are asked in index.ts order). */
  detect(columns: string[], file: string): boolean;
  /** A published row → an item, or the reason the row is malformed (reported with its row number, never fatal). */
  normalise(r: Raw, ctx: NormaliseContext): BenchItem | string;
  /** The question exactly as the toolkit sends it for this benchmark. */
  prompt(item: BenchItem, style: ToolkitStyle): BuiltPrompt;
  /** Report breakdowns. */
  dimensions: Dimension[];
  /**
   * The benchmark's own answer rule, tried before the shared verifier (score.ts ruleVerdict); undefined when it
   * does not apply to this response.
   */
  verdict?(response: string, item: BenchItem): { extracted: string; correct: boolean } | undefined;
  /** Benchmark-specific metrics over the scored items. */
  metrics?(items: ScoredItem[]): ExtraMetrics;
}

/** VLMEvalKit's generic multiple-choice prompt (ImageMCQDataset.build_prompt). */
export function vlmevalkitMcqPrompt(
  question: string,
  options: string[] | undefined,
  hint: string | undefined,
  instruction = true,
): string {
  let p = '';
  if (hint !== undefined) p += `Hint: ${hint}\n`;
  p += `Question: ${question}\n`;
  if (options && options.length) {
    p += `Options:\n${options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}\n`).join('')}`;
    if (instruction) p += 'Please select the correct answer from the options above. \n';
  }
  return p;
}
