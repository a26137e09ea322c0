// The embedded OCR engine's life in a worker: it loads only for images with ink, on a thread of its own that ends
// when idle, and samples that share an image share one reading of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { ocrThread, recognizeText } from '../activities/ocr/index.ts';
import { ocrLinesFor } from '../activities/ocr/cache.ts';

const SENTENCES = [
  'Invoice 2291 is due on 14 March.',
  'Pump P3 delivers 42 litres per minute.',
  'The median of the sample is 7.5 cm.',
  'Turn left after the second bridge.',
  'Battery voltage dropped to 11.8 V.',
  'Chapter 4 covers linear equations.',
];

function page(lines: string[], fill = '#111'): Promise<Buffer> {
  const body = lines
    .map(
      (t, i) => `<text x="30" y="${60 + i * 70}" font-family="DejaVu Sans" font-size="32" fill="${fill}">${t}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1400" height="${80 + lines.length * 70}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const flat = (background: { r: number; g: number; b: number; alpha?: number }, channels: 3 | 4 = 3) =>
  sharp({ create: { width: 320, height: 240, channels, background } })
    .png()
    .toBuffer();

test(
  'an image of one flat colour has no lines and loads no engine; faint ink still goes to the engine',
  { timeout: 120_000 },
  async () => {
    assert.equal(ocrThread(), undefined, 'no engine before the first image');
    for (const png of [
      await flat({ r: 255, g: 255, b: 255 }),
      await flat({ r: 230, g: 215, b: 245 }),
      await flat({ r: 0, g: 0, b: 0, alpha: 0 }, 4),
      // JPEG's block noise on a flat field stays within the spread.
      await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 90, b: 40 } } })
        .jpeg({ quality: 60 })
        .toBuffer(),
    ])
      assert.deepEqual(await recognizeText(png), []);
    assert.equal(ocrThread(), undefined, 'flat images never start the engine');
    await assert.rejects(recognizeText(Buffer.from('not an image')), /OCR input is not a readable image/);
    const faint = await recognizeText(await page(['Faint grey text 42'], '#c8c8c8'));
    assert.ok(ocrThread(), 'an image with ink starts the engine');
    assert.match(faint.map((l) => l.text).join(' '), /42/);
  },
);

test(
  'OCR runs on its own thread, which ends when idle and starts again for the next image',
  { timeout: 120_000 },
  async () => {
    const image = await page(SENTENCES);
    const saved = process.env.R1OV_OCR_IDLE_S;
    process.env.R1OV_OCR_IDLE_S = '0.2';
    try {
      // The main thread's event loop keeps turning while a page is read (the Temporal worker's activations and
      // heartbeats live there). Read on the main thread, such a page stalled it ~200 ms of ~1 s; here ~16 ms.
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const started = performance.now();
      const first = await recognizeText(image);
      const took = performance.now() - started;
      delay.disable();
      assert.equal(first.length, SENTENCES.length);
      const maxStallMs = delay.max / 1e6;
      assert.ok(
        maxStallMs < took / 8,
        `main thread stalled ${maxStallMs.toFixed(0)} ms in a ${took.toFixed(0)} ms OCR`,
      );
      const thread = ocrThread();
      assert.ok(thread, 'a thread is up right after an image');
      thread.ref(); // an idle thread keeps no process alive; this test waits for it to end
      await once(thread, 'exit');
      assert.equal(ocrThread(), undefined, 'the idle thread was ended');
      const again = await recognizeText(image);
      assert.deepEqual(again, first, 'a new thread reads the same lines');
      assert.ok(ocrThread() && ocrThread() !== thread);
    } finally {
      if (saved === undefined) delete process.env.R1OV_OCR_IDLE_S;
      else process.env.R1OV_OCR_IDLE_S = saved;
    }
  },
);

test('samples asking for one image at once share one reading; later ones read the cache', async () => {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    // Answers only after every caller has asked (they all ask in the same turn of the event loop).
    setImmediate(() =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ lines: [{ text: 'shared', box: [1, 2, 30, 12], confidence: 0.9 }] })),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const saved = process.env.R1OV_OCR_URL;
  process.env.R1OV_OCR_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocr`;
  const home = mkdtempSync(join(tmpdir(), 'r1ov-ocr-cache-'));
  try {
    const png = await page(['one image']);
    const all = await Promise.all(Array.from({ length: 8 }, () => ocrLinesFor(home, 'img-1', png)));
    assert.equal(requests, 1, 'eight samples, one reading');
    for (const lines of all) assert.deepEqual(lines, [{ text: 'shared', box: [1, 2, 30, 12], confidence: 0.9 }]);
    all[0]![0]!.text = 'changed by one caller';
    assert.equal(all[1]![0]!.text, 'shared', 'each caller has its own copy');
    assert.ok(existsSync(join(home, 'cache', 'ocr', 'img-1.json')));
    assert.deepEqual(await ocrLinesFor(home, 'img-1', png), all[1]);
    assert.equal(requests, 1, 'the cache answers later samples');
    await ocrLinesFor(home, 'img-2', png);
    assert.equal(requests, 2, 'another image is another reading');
  } finally {
    if (saved === undefined) delete process.env.R1OV_OCR_URL;
    else process.env.R1OV_OCR_URL = saved;
    server.close();
  }
});
