/**
 * Loading a benchmark file: read its rows as published (read.ts), tell which benchmark it is from its columns and
 * let that benchmark's module (benches/) normalise every row into a BenchItem with its 0-based row number. A
 * malformed row is reported with its row number and reason and skipped, never fatal.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import type { BenchItem, BenchKind, MalformedRow } from '../../schemas/eval.ts';
import { benchModule, detectBench } from './benches/index.ts';
import type { BenchModule } from './benches/types.ts';
import { present, readRaw, type RawFile } from './read.ts';

export { parseDelimited, parseInlineChoices, parseList } from './read.ts';

export interface LoadedBench {
  kind: BenchKind;
  file: string;
  rows: number;
  columns: string[];
  items: BenchItem[];
  malformed: MalformedRow[];
}

/** Which benchmark a file holds, from its columns. */
export function detectKind(file: string, columns: string[]): BenchKind {
  return detectBench(file, columns).kind;
}

/** Every row of a read file through a benchmark module: items, and malformed rows with their reasons. */
export function normaliseRows(
  file: string,
  raw: RawFile,
  mod: BenchModule,
  requireImages: boolean,
): { items: BenchItem[]; malformed: MalformedRow[] } {
  const errs = new Map(raw.errors.map((e) => [e.row, e.reason]));
  const imageByIndex = new Map<string, unknown>();
  for (const r of raw.rows)
    if (r && present(r.index) !== undefined) imageByIndex.set(present(r.index)!.trim(), r.image);
  const items: BenchItem[] = [];
  const malformed: MalformedRow[] = [];
  const seen = new Set<string>();
  raw.rows.forEach((r, row) => {
    if (r === null) {
      malformed.push({ row, reason: errs.get(row) ?? 'unreadable row' });
      return;
    }
    let it: BenchItem | string;
    try {
      it = mod.normalise(r, { row, file, imageByIndex, requireImages });
    } catch (err) {
      it = `cannot read row: ${(err as Error).message.split('\n')[0]}`;
    }
    if (typeof it === 'string') {
      malformed.push({ row, reason: it });
      return;
    }
    if (seen.has(it.id)) {
      malformed.push({ row, reason: `duplicate id ${it.id}` });
      return;
    }
    seen.add(it.id);
    items.push(it);
  });
  return { items, malformed };
}

const loaded = new Map<string, { mtimeMs: number; size: number; kind: BenchKind; bench: LoadedBench }>();

/** Load and normalise a benchmark file (cached per process while the file is unchanged). */
export async function loadBench(file: string, kind?: BenchKind): Promise<LoadedBench> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new UsageError(`--bench ${file}: no such file`);
  const st = statSync(abs);
  const hit = loaded.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size && (!kind || hit.kind === kind)) return hit.bench;
  const raw = await readRaw(abs);
  const mod = kind ? benchModule(kind) : detectBench(abs, raw.columns);
  const { items, malformed } = normaliseRows(abs, raw, mod, true);
  const bench: LoadedBench = {
    kind: mod.kind,
    file: abs,
    rows: raw.rows.length,
    columns: raw.columns,
    items,
    malformed,
  };
  loaded.set(abs, { mtimeMs: st.mtimeMs, size: st.size, kind: mod.kind, bench });
  return bench;
}
