// The EasyOCR HTTP adapter, against a local stub service (no model needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEasyOcrResponse } from '../activities/ocr/easyocr.ts';
import { recognizeText } from '../activities/ocr/index.ts';

test('parses EasyOCR readtext tuples and {lines} objects', () => {
  assert.deepEqual(
    parseEasyOcrResponse([
      [
        [
          [10, 5],
          [90, 6],
          [90, 30],
          [10, 29],
        ],
        'Hello',
        0.93,
      ],
    ]),
    [{ text: 'Hello', box: [10, 5, 90, 30], confidence: 0.93 }],
  );
  assert.deepEqual(
    parseEasyOcrResponse({
      lines: [
        { text: 'a', box: [1, 2, 3, 4] },
        { text: ' ', box: [1, 2, 3, 4] },
      ],
    }),
    [{ text: 'a', box: [1, 2, 3, 4], confidence: 1 }],
  );
  assert.throws(() => parseEasyOcrResponse({ nope: true }));
});

test('recognizeText posts the image to R1OV_OCR_URL when set', async () => {
  let received: { type?: string; bytes: number } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received = { type: req.headers['content-type'], bytes: Buffer.concat(chunks).length };
      if (req.url === '/fail') {
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify([
          [
            [
              [0, 0],
              [10, 0],
              [10, 8],
              [0, 8],
            ],
            'stub',
            0.5,
          ],
        ]),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const saved = process.env.R1OV_OCR_URL;
  try {
    process.env.R1OV_OCR_URL = `${base}/ocr`;
    const lines = await recognizeText(Buffer.from('fake-png-bytes'));
    assert.deepEqual(lines, [{ text: 'stub', box: [0, 0, 10, 8], confidence: 0.5 }]);
    assert.deepEqual(received, { type: 'image/png', bytes: 14 });
    process.env.R1OV_OCR_URL = `${base}/fail`;
    await assert.rejects(recognizeText(Buffer.from('x')), /answered 503: busy/);
  } finally {
    if (saved === undefined) delete process.env.R1OV_OCR_URL;
    else process.env.R1OV_OCR_URL = saved;
    server.close();
  }
});
