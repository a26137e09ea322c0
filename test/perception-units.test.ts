/**
 * Perception without a server: the detector's boxes reach the captioner's prompt first (natural and mixed), a failing
 * detector leaves an empty hint and a recorded failure, and boxes are stored in both frames (stored image pixels and
 * source image pixels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFirst, detectionVocabulary } from '../activities/grounding/perceive.ts';
import type { Detector } from '../activities/grounding/index.ts';
import { inSourcePixels } from '../activities/record/stage-record.ts';
import { normalizeImage } from '../activities/images/normalize.ts';
import sharp from 'sharp';

const size = { width: 200, height: 100 };
const png = Buffer.from('not decoded');

test('the detector boxes the vocabulary first and the captioner is told the boxes', async () => {
  let asked: string[] = [];
  const det: Detector = {
    name: 'grounding-dino',
    detect: async (_p, labels) => {
      asked = labels;
      return [{ label: 'cat', box: [10.4, 20, 60, 80], confidence: 0.91 }];
    },
  };
  const { hint, record } = await detectFirst(det, png, size);
  assert.ok(asked.includes('cat') && asked.includes('person') && asked.length === 80, 'COCO vocabulary by default');
  assert.match(hint, /A detector .* looked at the image first/);
  assert.match(hint, /in pixels of this 200×100 image/);
  assert.match(hint, /- cat \[10, 20, 60, 80\] \(0\.91\)/);
  assert.deepEqual(record, {
    detector: 'grounding-dino',
    status: 'ok',
    message: null,
    detections: [{ label: 'cat', box: [10.4, 20, 60, 80], confidence: 0.91 }],
  });
  assert.deepEqual(detectionVocabulary({ R1OV_GROUNDING_LABELS: 'resistor, battery ,' }), ['resistor', 'battery']);
});

test('a failing detector: no hint, the failure recorded, nothing thrown', async () => {
  const det: Detector = {
    name: 'grounding-dino',
    detect: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9001\nstack');
    },
  };
  const { hint, record } = await detectFirst(det, png, size);
  assert.equal(hint, '');
  assert.equal(record.status, 'failed');
  assert.equal(record.message, 'grounding-dino failed: connect ECONNREFUSED 127.0.0.1:9001');
});

test('boxes in the source frame: scaled by source size / stored size', async () => {
  // A 4000×2000 source stored at most 1003520 pixels: 1416×708.
  const src = await sharp({ create: { width: 4000, height: 2000, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  const n = await normalizeImage(src, { minPixels: 3136, maxPixels: 1003520, maxInputPixels: 1e9 });
  assert.deepEqual([n.width, n.height, n.sourceWidth, n.sourceHeight], [1416, 708, 4000, 2000]);
  const sample = { width: n.width, height: n.height, sourceWidth: n.sourceWidth, sourceHeight: n.sourceHeight };
  const out = inSourcePixels([{ label: 'cat', box: [354, 177, 708, 354], source: 'model' }], sample) as Array<{
    box: number[];
    source: string;
  }>;
  assert.deepEqual(out[0]!.box, [1000, 500, 2000, 1000]);
  assert.equal(out[0]!.source, 'model');
  assert.deepEqual(inSourcePixels([{ label: 'a', box: [1, 2, 3, 4] }], { width: 10, height: 10 }), [
    { label: 'a', box: [1, 2, 3, 4] },
  ]);
});
