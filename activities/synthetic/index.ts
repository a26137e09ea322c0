/**
 * Synthetic source (`synthetic:N[:kinds][:seed]`): visual reasoning problems generated from formal specs,
 * so the formal description, the answer and the trace are exact by construction: the demo runs without a language model.
 */
import sharp from 'sharp';
import { UsageError } from '../../core/errors.ts';
import { at } from '../../core/must.ts';
import { SYNTHETIC_KINDS, SyntheticKindSchema } from '../../schemas/synthetic.ts';
import type { SyntheticItem, SyntheticKind, SyntheticSourceSpec } from '../../schemas/synthetic.ts';
import { bar, lineChart, pie } from './charts.ts';
import { circuit } from './circuit.ts';
import { flowchart } from './flowchart.ts';
import { geometry } from './geometry.ts';
import { Rng } from './rng.ts';
import { table } from './table.ts';
import type { KindGenerator } from './types.ts';

export type { SyntheticItem, SyntheticKind, SyntheticSourceSpec } from '../../schemas/synthetic.ts';
export { SYNTHETIC_KINDS } from '../../schemas/synthetic.ts';

export const DEFAULT_SYNTHETIC_SEED = 0;
/** Upper bound on N: ids are zero-padded to 6 digits and a typo like 1e12 should fail fast. */
export const MAX_SYNTHETIC_N = 10_000_000;

const GENERATORS: Record<SyntheticKind, KindGenerator> = {
  bar,
  line: lineChart,
  pie,
  table,
  flowchart,
  circuit,
  geometry,
};

/** Template names per kind, for coverage checks and docs. */
export const SYNTHETIC_TEMPLATES: Record<SyntheticKind, readonly string[]> = Object.fromEntries(
  SYNTHETIC_KINDS.map((k) => [k, GENERATORS[k].templates]),
) as Record<SyntheticKind, readonly string[]>;

const ROUTE: Record<SyntheticKind, Pick<SyntheticItem, 'routeKind' | 'subkind'>> = {
  bar: { routeKind: 'chart' },
  line: { routeKind: 'chart' },
  pie: { routeKind: 'chart' },
  table: { routeKind: 'diagram', subkind: 'table' },
  flowchart: { routeKind: 'diagram', subkind: 'flowchart' },
  circuit: { routeKind: 'diagram', subkind: 'circuit' },
  geometry: { routeKind: 'math' },
};

/**
 * 'synthetic:200', 'synthetic:50:bar,circuit', 'synthetic:50:all:7', 'synthetic:50:7' (kinds omitted).
 * Returns null for any other source; throws UsageError naming the source when it is malformed.
 */
export function parseSyntheticSource(src: string): SyntheticSourceSpec | null {
  if (!src.startsWith('synthetic:')) return null;
  const bad = (why: string): never => {
    throw new UsageError(
      `bad source "${src}": ${why} (expected synthetic:N[:kinds][:seed], kinds from ${SYNTHETIC_KINDS.join(',')} or all)`,
    );
  };
  const parts = src.slice('synthetic:'.length).split(':');
  if (parts.length > 3) bad('too many ":" parts');
  const [nText = '', ...rest] = parts;
  if (!/^\d+$/.test(nText)) bad(`N must be a positive integer, got "${nText}"`);
  const n = Number(nText);
  if (n < 1 || n > MAX_SYNTHETIC_N) bad(`N must be between 1 and ${MAX_SYNTHETIC_N}`);
  let kindsText = 'all';
  let seedText: string | undefined;
  const [first, second] = rest;
  if (first !== undefined && second !== undefined) [kindsText, seedText] = [first, second];
  // A lone numeric third part is the seed: kind names are never numbers.
  else if (first !== undefined) /^\d+$/.test(first) ? (seedText = first) : (kindsText = first);
  let seed = DEFAULT_SYNTHETIC_SEED;
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText) || Number(seedText) > 0xffffffff)
      bad(`seed must be an integer in [0, 2^32), got "${seedText}"`);
    seed = Number(seedText);
  }
  const kinds: SyntheticKind[] = [];
  const names =
    kindsText === '' || kindsText === 'all' ? [...SYNTHETIC_KINDS] : kindsText.split(',').map((k) => k.trim());
  for (const name of names) {
    const parsed = SyntheticKindSchema.safeParse(name);
    if (!parsed.success) bad(`unknown kind "${name}"`);
    else if (!kinds.includes(parsed.data)) kinds.push(parsed.data);
  }
  return { n, kinds, seed };
}

/** Item `index` of a synthetic source; depends only on (index, kinds, seed), so items can be made in any order. */
export function generateSyntheticItem(index: number, spec: SyntheticSourceSpec): SyntheticItem {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad synthetic index ${index}`);
  if (spec.kinds.length === 0) throw new RangeError('no synthetic kinds');
  const kind = at(spec.kinds, index % spec.kinds.length, 'synthetic kind');
  const rng = new Rng(spec.seed, index);
  const g = GENERATORS[kind].generate(rng);
  const seedPart = spec.seed === DEFAULT_SYNTHETIC_SEED ? '' : `-s${spec.seed}`;
  return {
    id: `syn-${kind}-${String(index).padStart(6, '0')}${seedPart}`,
    kind,
    ...ROUTE[kind],
    ...g,
  };
}

/** Rasterise the item's SVG (librsvg via sharp) at its declared size. */
export async function renderSyntheticPng(item: SyntheticItem): Promise<Buffer> {
  // density 72 makes one SVG user unit one pixel, so the PNG is exactly width × height.
  return sharp(Buffer.from(item.svg), { density: 72 }).png().toBuffer();
}
