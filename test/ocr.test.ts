// Embedded OCR on rendered text with known content and positions (PaddleOCR ONNX from the npm package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { recognizeText, readingOrder, type OcrLine } from '../activities/ocr/index.ts';
import { at } from '../core/must.ts';

type Rect = [number, number, number, number];

const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];
const SIZES = [18, 24, 32, 48];
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Total revenue rose 12.5% to 4,380 units in 2023.',
  'Resistor R2 is 4.7 kOhm and C1 is 100 nF.',
  'Step 3: compute the area of triangle ABC.',
  'Press Submit to save your profile settings.',
  'Figure 7 shows the voltage across the load.',
  'Mean temperature: 21.4 C at noon, 15 C at night.',
  'Select the correct answer from options A to D.',
  'Each student read 36 pages in 9 days.',
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function svgOf(
  width: number,
  height: number,
  texts: { x: number; y: number; text: string }[],
  font: string,
  size: number,
  background: boolean,
) {
  const body = texts
    .map(
      (t) => `<text x="${t.x}" y="${t.y}" font-family="${font}" font-size="${size}" fill="#111">${esc(t.text)}</text>`,
    )
    .join('');
  const bg = background ? '<rect width="100%" height="100%" fill="white"/>' : '';
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${bg}${body}</svg>`);
}

/** The ink rectangle of one drawn line, found by rendering it alone and scanning its alpha. */
async function inkRect(svg: Buffer): Promise<Rect> {
  const { data, info } = await sharp(svg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++)
      if ((data[(y * info.width + x) * info.channels + 3] ?? 0) > 40) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
  return [x1, y1, x2 + 1, y2 + 1];
}

async function renderPage(font: string, size: number, texts: string[]) {
  const width = Math.ceil(Math.max(...texts.map((t) => t.length)) * size * 0.66) + 60;
  const lineGap = Math.round(size * 1.9);
  const placed = texts.map((text, i) => ({ x: 30, y: 20 + size + i * lineGap, text }));
  const height = 20 + size + (texts.length - 1) * lineGap + Math.round(size * 0.8) + 20;
  const png = await sharp(svgOf(width, height, placed, font, size, true))
    .png()
    .toBuffer();
  const rects = await Promise.all(placed.map((p) => inkRect(svgOf(width, height, [p], font, size, false))));
  return { png, width, height, lines: placed.map((p, i) => ({ text: p.text, rect: at(rects, i) })) };
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = at(prev, 0);
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = at(prev, j);
      prev[j] = Math.min(up + 1, at(prev, j - 1) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return at(prev, b.length);
}

const intersection = (a: Rect, b: Rect) =>
  Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
const area = (r: Rect) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

test(
  'recognizes clean rendered text in several fonts and sizes with >= 95% character accuracy',
  { timeout: 300_000 },
  async () => {
    let errors = 0;
    let chars = 0;
    const report: string[] = [];
    let k = 0;
    for (const font of FONTS) {
      for (const size of SIZES) {
        const texts = [0, 1, 2].map(() => at(SENTENCES, k++ % SENTENCES.length));
        const page = await renderPage(font, size, texts);
        const got = await recognizeText(page.png);
        assert.ok(got.length > 0, `${font} ${size}px: nothing recognised`);
        for (const line of got) {
          assert.ok(line.box[0] < line.box[2] && line.box[1] < line.box[3], `degenerate box ${line.box}`);
          assert.ok(
            line.box[0] >= 0 && line.box[1] >= 0 && line.box[2] <= page.width && line.box[3] <= page.height,
            `box ${line.box} outside the image`,
          );
          assert.ok(line.confidence > 0 && line.confidence <= 1);
          const best = Math.max(...page.lines.map((l) => intersection(line.box, l.rect) / area(line.box)));
          assert.ok(best >= 0.5, `${font} ${size}px: box ${line.box} ('${line.text}') does not overlap any drawn line`);
        }
        for (const drawn of page.lines) {
          // Segments whose vertical centre falls inside the drawn line's ink rectangle belong to it.
          const mine = got.filter((l) => {
            const cy = (l.box[1] + l.box[3]) / 2;
            return cy >= drawn.rect[1] && cy <= drawn.rect[3] && intersection(l.box, drawn.rect) > 0;
          });
          const text = norm(mine.map((l) => l.text).join(' '));
          const d = editDistance(text, drawn.text);
          errors += d;
          chars += drawn.text.length;
          if (d > 0) report.push(`${font} ${size}px: '${text}' vs '${drawn.text}' (${d})`);
        }
      }
    }
    const accuracy = 1 - errors / chars;
    console.log(`OCR character accuracy ${(accuracy * 100).toFixed(2)}% over ${chars} chars`);
    for (const r of report) console.log('  ' + r);
    assert.ok(accuracy >= 0.95, `character accuracy ${accuracy.toFixed(4)} < 0.95`);
  },
);

test('concurrent calls are serialised and give the same answers as sequential ones', { timeout: 120_000 }, async () => {
  const pages = await Promise.all([
    renderPage('DejaVu Sans', 24, SENTENCES.slice(0, 1)),
    renderPage('DejaVu Serif', 32, SENTENCES.slice(1, 3)),
  ]);
  const sequential: OcrLine[][] = [];
  for (const p of pages) sequential.push(await recognizeText(p.png));
  const concurrent = await Promise.all(pages.map((p) => recognizeText(p.png)));
  assert.deepEqual(concurrent, sequential);
});

test(
  'boxes are in input pixels for images that are not multiples of 32, with alpha and EXIF-free PNGs',
  { timeout: 120_000 },
  async () => {
    const width = 517,
      height = 141;
    const placed = [{ x: 200, y: 90, text: 'Offset line 42' }];
    const transparent = await sharp(svgOf(width, height, placed, 'DejaVu Sans', 30, false))
      .png()
      .toBuffer();
    const rect = await inkRect(svgOf(width, height, placed, 'DejaVu Sans', 30, false));
    const got = await recognizeText(transparent);
    assert.equal(got.length, 1);
    const [line] = got;
    assert.ok(line);
    assert.equal(norm(line.text), 'Offset line 42');
    assert.ok(intersection(line.box, rect) / area(rect) > 0.8, `box ${line.box} vs ink ${rect}`);
    for (const [i, v] of line.box.entries())
      assert.ok(Math.abs(v - at(rect, i)) <= 12, `box ${line.box} vs ink ${rect}`);
  },
);

test('a blank image has no lines; a non-image is an error', { timeout: 60_000 }, async () => {
  const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  assert.deepEqual(await recognizeText(blank), []);
  await assert.rejects(recognizeText(Buffer.from('not an image')));
});

test('readingOrder sorts by line band then left to right', () => {
  const l = (text: string, box: Rect): OcrLine => ({ text, box, confidence: 1 });
  const out = readingOrder([l('c', [10, 50, 40, 70]), l('b', [200, 12, 260, 30]), l('a', [10, 10, 60, 32])]);
  assert.deepEqual(
    out.map((x) => x.text),
    ['a', 'b', 'c'],
  );
});
