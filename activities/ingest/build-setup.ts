/**
 * What a build needs to know before its first page, decided on a worker: the source's row count (the progress
 * bar's total; parquet footers only, so it is cheap) and, when the caller sent none, the endpoints each role
 * resolves to from the worker's environment. The CLI resolves endpoints the same way (`buildRoles`), so a build
 * started from a script behaves like one started with `r1ov build`.
 */
import { resolveEndpoints } from '../../core/config.ts';
import { sqlString } from '../../core/sql.ts';
import type { Role, RunConfig } from '../../schemas/config.ts';
import type { Endpoints } from '../../schemas/workflow.ts';
import { parseSyntheticSource } from '../synthetic/index.ts';
import { listParquetFiles, sourceDb } from './source.ts';

/** Roles a build needs (required) and uses when configured (optional). Synthetic samples are exact: no model. */
export function buildRoles(synthetic: boolean, fidelity: boolean): { required: Role[]; optional: Role[] } {
  if (synthetic)
    return fidelity
      ? { required: ['formalizer'], optional: ['router', 'reasoner', 'judge'] }
      : { required: [], optional: [] };
  return { required: ['formalizer', 'reasoner'], optional: ['router', 'judge'] };
}

export interface DescribeBuildInput {
  source: string;
  subsets?: string[];
  limit?: number;
  config: RunConfig;
  endpoints?: Endpoints;
}

export interface DescribeBuildResult {
  /** Rows in the source (capped by the limit); null when not known cheaply. */
  total: number | null;
  endpoints: Endpoints;
}

/** Rows of a parquet source, summed from the files' footers (no data pages read). */
export async function sourceRowCount(source: string, subsets?: string[]): Promise<number> {
  const files = await listParquetFiles(source, subsets);
  const db = await sourceDb();
  const r = await db.runAndReadAll(
    `SELECT coalesce(sum(num_rows), 0)::BIGINT AS n FROM parquet_file_metadata([${files.map((f) => sqlString(f.path)).join(', ')}])`,
  );
  return Number(r.getRowObjects()[0]!.n);
}

export async function describeBuild(_home: string, input: DescribeBuildInput): Promise<DescribeBuildResult> {
  const synthetic = parseSyntheticSource(input.source);
  const rows = synthetic ? synthetic.n : await sourceRowCount(input.source, input.subsets);
  const total = input.limit !== undefined ? Math.min(rows, input.limit) : rows;
  const { required, optional } = buildRoles(Boolean(synthetic), input.config.fidelity);
  const endpoints = input.endpoints ?? resolveEndpoints(input.config, required, optional);
  return { total, endpoints };
}
