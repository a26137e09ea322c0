// `r1ov profile` on a 10,000-row LLaVA-OneVision-layout source: wall time and peak RSS of the CLI process (median of
// --reps runs, /usr/bin/time -f %M). The source is generated once under bench/profile/out/ (ignored by git): eight
// subsets, a distinct 448×336 JPEG per row (~40 KB, ~0.4 GB of parquet), gold turns in the shapes real data uses.
// Usage: node --import tsx bench/profile/run.ts [--rows 10000] [--reps 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import { median } from '../stats.ts';
import { sqlString } from '../../core/sql.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '10000' }, reps: { type: 'string', default: '3' } },
});
const ROWS = Number(values.rows);
const REPS = Number(values.reps);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const out = join(repo, 'bench', 'profile', 'out');
const src = join(out, `source-${ROWS}`);

const SUBSETS = [
  'geo3k',
  'geo170k(qa)',
  'chartqa(cauldron,llava_format)',
  'ai2d(cauldron,llava_format)',
  'textocr(gpt4v)',
  'aokvqa(cauldron,llava_format)',
  'unigeo(mathv360k)',
  'sharegpt4v(coco)',
];

function turns(subset: string, i: number): Array<{ from: string; value: string }> {
  const n = ((i * 7) % 90) + 5;
  switch (subset) {
    case 'geo3k':
      return [
        {
          from: 'human',
          value: `<image>\nBased on the image, directly select the correct answer for the following question:\nQuestion: Find x in figure ${i}.\nChoices:\nA: ${n}\nB: ${n + 1}\nC: ${n + 2}\nD: ${n + 3}`,
        },
        { from: 'gpt', value: `Answer:${'ABCD'[i % 4]}` },
      ];
    case 'geo170k(qa)':
      return [
        {
          from: 'human',
          value: `<image>\nFirst perform reasoning, then finally select the question from the choices in the following format: Answer: xxx.\nQuestion: In triangle ${i}, angle A is ${n}°. What is angle B?\nChoices:\nA: 30°\nB: 45°\nC: 60°\nD: 90°`,
        },
        {
          from: 'gpt',
          value: `Since the angles of a triangle sum to 180°, angle B = 180° - ${n}° - 90°. Therefore the answer is option ${'ABCD'[i % 4]}.\nAnswer: ${'ABCD'[i % 4]}`,
        },
      ];
    case 'chartqa(cauldron,llava_format)':
      return [
        {
          from: 'human',
          value: `<image>\nWhat is the value of bar ${i}?\nAnswer the question using a single word or phrase.`,
        },
        { from: 'gpt', value: String(n) },
        {
          from: 'human',
          value: `What is the total of the first two bars?\nAnswer the question using a single word or phrase.`,
        },
        { from: 'gpt', value: String(2 * n) },
      ];
    case 'ai2d(cauldron,llava_format)':
      return [
        {
          from: 'human',
          value: `<image>\nWhich stage follows stage ${i}?\nA. egg\nB. larva\nC. pupa\nD. adult\nAnswer with the option's letter from the given choices directly.`,
        },
        { from: 'gpt', value: 'ABCD'[i % 4]! },
      ];
    case 'textocr(gpt4v)':
      return i % 3
        ? [
            { from: 'human', value: '<image>\nWhat is written in the image?' },
            { from: 'gpt', value: `Receipt ${i} total ${n}.50` },
          ]
        : [
            { from: 'human', value: '<image>\nWhat is the total cost including tax?' },
            { from: 'gpt', value: `${n}.50` },
          ];
    case 'aokvqa(cauldron,llava_format)':
      return [
        {
          from: 'human',
          value: `<image>\nWhat is object ${i} used for?\nA. eating\nB. sitting\nC. writing\nD. reading\nAnswer with the option's letter from the given choices directly.`,
        },
        { from: 'gpt', value: 'ABCD'[i % 4]! },
      ];
    case 'unigeo(mathv360k)':
      return [
        { from: 'human', value: `<image>\nWhat is the radius of circle ${i}?` },
        { from: 'gpt', value: i % 2 ? `The radius is ${n} cm.` : `$\\frac{${n}\\pi}{2}$` },
      ];
    default:
      return [
        { from: 'human', value: '<image>\nPlease generate detailed descriptions of the given image.' },
        { from: 'gpt', value: `The image shows scene ${i} with several objects arranged on a table. `.repeat(4) },
      ];
  }
}

/** 448×336 JPEGs, each row's unique (a noise base from a small pool, stamped with the row index): ~40 KB apiece. */
async function rowImages(): Promise<(i: number) => Promise<Buffer>> {
  const W = 448,
    H = 336;
  const bases: Buffer[] = [];
  for (let k = 0; k < 24; k++) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><filter id="n"><feTurbulence type="fractalNoise" baseFrequency="${0.5 + (k % 7) / 20}" seed="${k}"/></filter><rect width="100%" height="100%" filter="url(#n)"/>${Array.from({ length: 6 }, (_, j) => `<rect x="${30 + j * 65}" y="${300 - ((k * (j + 3)) % 250)}" width="45" height="${(k * (j + 3)) % 250}" fill="hsl(${(k + j * 50) % 360},60%,45%)"/>`).join('')}</svg>`;
    bases.push(await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer());
  }
  return (i) => {
    const px = Buffer.from(bases[i % bases.length]!);
    for (let b = 0; b < 20; b++)
      if ((i >> b) & 1)
        for (let y = 0; y < 8; y++) px.fill(0, ((y + 4) * W + 4 + b * 10) * 3, ((y + 4) * W + 12 + b * 10) * 3);
    return sharp(px, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 80 })
      .toBuffer();
  };
}

async function writeSource(): Promise<void> {
  if (existsSync(join(src, 'done'))) return;
  rmSync(src, { recursive: true, force: true });
  const image = await rowImages();
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const [si, subset] of SUBSETS.entries()) {
    const dir = join(src, subset);
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    for (let i = si; i < ROWS; i += SUBSETS.length)
      lines.push(
        JSON.stringify({
          id: `${si}-${i}`,
          img: (await image(i)).toString('base64'),
          conversations: turns(subset, i),
          data_source: subset,
        }),
      );
    const jsonl = join(dir, 'rows.jsonl');
    writeFileSync(jsonl, lines.join('\n'));
    await conn.run(`COPY (SELECT id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source FROM read_json(${sqlString(jsonl)},
      columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'}, maximum_object_size=1048576))
      TO ${sqlString(join(dir, 'train-00000-of-00001.parquet'))} (FORMAT parquet)`);
    rmSync(jsonl);
  }
  conn.closeSync();
  db.closeSync();
  writeFileSync(join(src, 'done'), '');
}

await writeSource();
const config = join(out, 'prices.json');
writeFileSync(
  config,
  JSON.stringify({
    roles: {
      formalizer: { model: 'gpt-4o', price: { inputPerMTok: 2.5, outputPerMTok: 10 } },
      reasoner: { model: 'deepseek-r1', price: { inputPerMTok: 0.55, outputPerMTok: 2.19 } },
    },
  }),
);
const runs: Array<{ wallSec: number; peakRssMb: number }> = [];
let profile:
  | { total: { rows: number; turns: number; extractionRate: number; projection: { calls: Record<string, number> } } }
  | undefined;
for (let r = 0; r < REPS; r++) {
  const t0 = performance.now();
  const p = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      join(repo, 'bin', 'r1ov.js'),
      'profile',
      '--source',
      src,
      '--config',
      config,
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const wallSec = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`profile failed: ${p.stderr.slice(-2000)}`);
  profile = JSON.parse(p.stdout);
  const kb = Number(p.stderr.trim().split('\n').pop());
  runs.push({ wallSec, peakRssMb: kb / 1024 });
}
const result = {
  rows: profile!.total.rows,
  turns: profile!.total.turns,
  extractionRate: profile!.total.extractionRate,
  calls: profile!.total.projection.calls,
  medianWallSec: median(runs.map((r) => r.wallSec)),
  medianPeakRssMb: median(runs.map((r) => r.peakRssMb)),
  runs,
  // Timings on a shared machine depend on what else runs: the 1-minute load average and the core count say how busy.
  loadAverage1m: loadavg()[0],
  cpus: cpus().length,
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'result.json'), JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
