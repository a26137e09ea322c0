// OCR throughput on one core: ~1-megapixel rendered documents, median images/s over repetitions.
// Usage: node --import tsx bench/ocr/run.ts [--docs 10] [--reps 5] [--threads 1] [--out FILE]
// Pinning: onnxruntime gets intraOpNumThreads=threads and interOpNumThreads=1 (sequential execution);
// libvips (sharp) gets concurrency(threads). For a hard pin run it under `taskset -c 0`.
import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import sharp from 'sharp';
import { median } from '../stats.ts';
import { at } from '../../core/must.ts';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '10' },
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const docs = Number(values.docs);
const reps = Number(values.reps);
const threads = Number(values.threads);
process.env.R1OV_OCR_THREADS = String(threads); // read when the engine is created (lazily, below)
delete process.env.R1OV_OCR_URL;
if (threads > 0) sharp.concurrency(threads);
const { recognizeText } = await import('../../activities/ocr/index.ts');

const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an have not which but all were when there can more ' +
  'data model image circuit voltage current resistor flow chart table value figure result sample answer question student ' +
  'area triangle angle length width height total revenue growth percent year month 2019 2020 2021 3.14 42 7.5 100 1,250'
).split(' ');
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** A 1000×1000 page: a title and paragraphs wrapped to the width. */
async function renderDoc(i: number): Promise<Buffer> {
  const r = rng(i + 1);
  const font = at(FONTS, i % FONTS.length);
  const size = 16 + (i % 3) * 2;
  const charW = size * (font.includes('Mono') ? 0.61 : 0.55);
  const maxChars = Math.floor((1000 - 100) / charW);
  const lines: { y: number; text: string; size: number }[] = [
    { y: 70, text: `Report ${i + 1}: summary of results`, size: 30 },
  ];
  let y = 130;
  while (y < 940) {
    const words: string[] = [];
    const n = 30 + Math.floor(r() * 60);
    for (let k = 0; k < n; k++) words.push(at(WORDS, Math.floor(r() * WORDS.length)));
    let line = '';
    for (const w of words) {
      if ((line + ' ' + w).length > maxChars) {
        lines.push({ y, text: line, size });
        y += Math.round(size * 1.5);
        line = w;
        if (y >= 940) break;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line && y < 940) lines.push({ y, text: line, size });
    y += Math.round(size * 2.5);
  }
  const body = lines
    .map((l) => `<text x="50" y="${l.y}" font-family="${font}" font-size="${l.size}" fill="#222">${l.text}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const pages = await Promise.all(Array.from({ length: docs }, (_, i) => renderDoc(i)));
const t0 = performance.now();
const warm = await recognizeText(at(pages, 0, 'page')); // engine creation + first run, not counted
const warmupMs = performance.now() - t0;

// Wall-clock rate, and the rate per CPU-second of this process: on a shared machine the latter is
// what one dedicated core would do (onnxruntime and libvips are held to one thread above).
const rates: number[] = [];
const cpuRates: number[] = [];
let lines = 0;
for (let rep = 0; rep < reps; rep++) {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  lines = 0;
  for (const p of pages) lines += (await recognizeText(p)).length;
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  rates.push(docs / s);
  cpuRates.push(docs / cpuS);
  console.error(
    `rep ${rep + 1}/${reps}: ${(docs / s).toFixed(3)} images/s wall, ${(docs / cpuS).toFixed(3)} images per CPU-second (${lines} lines)`,
  );
}
const sorted = [...rates].sort((a, b) => a - b);
const medianRate = median(rates);
const result = {
  bench: 'ocr',
  engine: 'paddleocr-v4-onnx (@gutenye/ocr-node)',
  imagePixels: 1000 * 1000,
  docs,
  reps,
  threads,
  linesPerRep: lines,
  firstCallMs: Math.round(warmupMs),
  warmupLines: warm.length,
  imagesPerSecond: { median: medianRate, min: sorted[0], max: sorted.at(-1) },
  msPerImage: 1000 / medianRate,
  imagesPerCpuSecond: { median: median(cpuRates), min: Math.min(...cpuRates), max: Math.max(...cpuRates) },
  loadAverage: os.loadavg(),
  cpu: os.cpus()[0]?.model,
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
}
