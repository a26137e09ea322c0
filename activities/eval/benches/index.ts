/** The benchmark modules, in detection order (specific layouts before the generic VLMEvalKit TSV). */
import { UsageError } from '../../../core/errors.ts';
import { BENCH_KINDS, type BenchKind } from '../../../schemas/eval.ts';
import { mathverse } from './mathverse.ts';
import { mathvision } from './mathvision.ts';
import { mathvista } from './mathvista.ts';
import { r1ovBench } from './r1ov-bench.ts';
import type { BenchModule } from './types.ts';
import { vlmevalkit } from './vlmevalkit.ts';
import { wemath } from './wemath.ts';

export type { BenchModule } from './types.ts';

export const BENCHES: readonly BenchModule[] = [mathvista, mathverse, wemath, mathvision, r1ovBench, vlmevalkit];

const byKind = new Map(BENCHES.map((b) => [b.kind, b]));

export function benchModule(kind: BenchKind): BenchModule {
  const m = byKind.get(kind);
  if (!m) throw new Error(`no benchmark module for ${kind}`);
  return m;
}

/** Which benchmark a file holds, from its columns. */
export function detectBench(file: string, columns: string[]): BenchModule {
  const m = BENCHES.find((b) => b.detect(columns, file));
  if (m) return m;
  throw new UsageError(
    `--bench ${file}: cannot tell which benchmark this is from its columns (${columns.slice(0, 12).join(', ')}); pass --bench-kind ${BENCH_KINDS.join('|')}`,
  );
}
