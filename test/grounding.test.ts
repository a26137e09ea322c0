/**
 * Grounding: VLM grounding through the gateway (Qwen2.5-VL-style JSON boxes, pixel or 0–1000 grid)
 * and the Grounding DINO HTTP adapter (Roboflow Inference style); boxes in pixels of the stored image, clipped and
 * validated; a detector refining the formalizer's objects before the formal text is written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import {
  boxSource,
  cleanDetections,
  detectorFromEnv,
  groundingDinoDetector,
  refineObjects,
  vlmDetector,
  type Detector,
} from '../activities/grounding/index.ts';
import { parseDinoResponse } from '../activities/grounding/dino.ts';
import { formalSpecFor } from '../activities/formalize/kinds.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

const size = { width: 200, height: 100 };
const png = Buffer.from('not decoded by the detectors');

describe('box hygiene', () => {
  test('boxes are clipped to the image; inverted, non-finite and outside boxes are dropped', () => {
    const d = cleanDetections(
      [
        { label: 'cat', box: [-5, 10, 50, 120], confidence: 0.9 },
        { label: 'dog', box: [60, 10, 40, 50] },
        { label: 'bird', box: [300, 300, 400, 400] },
        { label: 'cup', box: [1, 2, Number.NaN, 4] },
        { label: ' ', box: [1, 2, 3, 4] },
      ],
      size,
    );
    assert.deepEqual(d, [{ label: 'cat', box: [0, 10, 50, 100], confidence: 0.9 }]);
  });
});

describe('Grounding DINO adapter', () => {
  let server: Server;
  let url: string;
  const seen: any[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ path: req.url, body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            image: { width: 200, height: 100 },
            predictions: [
              { x: 50, y: 50, width: 40, height: 20, confidence: 0.8, class: 'cat', class_id: 0 },
              { x: 190, y: 90, width: 40, height: 40, confidence: 0.6, class: 'dog', class_id: 1 },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('posts the image and labels, and turns centre boxes into clipped corner boxes', async () => {
    process.env.TEST_DINO_KEY = 'k-123';
    const det = groundingDinoDetector({ url, apiKeyEnv: 'TEST_DINO_KEY' });
    const out = await det.detect(png, ['cat', 'dog'], size);
    assert.deepEqual(out, [
      { label: 'cat', box: [30, 40, 70, 60], confidence: 0.8 },
      { label: 'dog', box: [170, 70, 200, 100], confidence: 0.6 },
    ]);
    assert.equal(seen[0].path, '/grounding_dino/infer');
    assert.deepEqual(seen[0].body.text, ['cat', 'dog']);
    assert.deepEqual(seen[0].body.image, { type: 'base64', value: png.toString('base64') });
    assert.equal(seen[0].body.api_key, 'k-123');
    assert.ok(seen[0].body.box_threshold > 0);
  });

  test('detectorFromEnv picks it up from R1OV_GROUNDING_DINO_URL; a bad reply is an error', () => {
    assert.equal(detectorFromEnv({}), null);
    assert.equal(detectorFromEnv({ R1OV_GROUNDING_DINO_URL: url })?.name, 'grounding-dino');
    assert.throws(() => parseDinoResponse({ detections: [] }, size));
  });
});

describe('VLM grounding through the gateway', () => {
  let fake: FakeOpenAI;
  let home: string;
  let reply: unknown;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'r1ov-grounding-'));
    fake = await startFakeOpenAI({ respond: () => ({ content: '```json\n' + JSON.stringify(reply) + '\n```' }) });
  });
  after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });
  const endpoint = () => ResolvedEndpointSchema.parse({ role: 'formalizer', baseUrl: fake.url, model: 'qwen-vl-test' });

  test('Qwen2.5-VL pixel boxes, clipped; the request carries the labels, the size and the image', async () => {
    reply = {
      objects: [
        { label: 'cat', bbox_2d: [10, 20, 60, 140] },
        { label: 'dog', bbox_2d: [90, 10, 80, 30] },
      ],
    };
    const det = vlmDetector({ endpoint: endpoint(), home, run: 'g', sampleId: 's1', imageHash: 'h1' });
    assert.deepEqual(await det.detect(png, ['cat', 'dog'], size), [{ label: 'cat', box: [10, 20, 60, 100] }]);
    const req = fake.calls.at(-1)!.body!;
    assert.equal(req.response_format?.json_schema?.name, 'grounding');
    assert.match(JSON.stringify(req.messages), /\\"cat\\", \\"dog\\"/);
    assert.match(JSON.stringify(req.messages), /200×100/);
    assert.match(JSON.stringify(req.messages), /data:image\/png;base64,/);
  });

  test('Qwen2-VL 0–1000 grid boxes are scaled to pixels', async () => {
    reply = { objects: [{ label: 'cat', bbox_2d: [100, 200, 500, 1000] }] };
    const det = vlmDetector({
      endpoint: endpoint(),
      home,
      run: 'g',
      sampleId: 's2',
      imageHash: 'h2',
      coords: 'norm1000',
    });
    assert.deepEqual(await det.detect(png, ['cat'], size), [{ label: 'cat', box: [20, 20, 100, 100] }]);
  });
});

describe('grounding in formalization', () => {
  const fixed: Detector = {
    name: 'fixed',
    detect: async () => [{ label: 'Red cube', box: [12, 12, 48, 48], confidence: 0.9 }],
  };

  test('refineObjects takes the detector box for labels it finds and keeps the rest', async () => {
    const out = await refineObjects(
      [
        { label: 'red cube', box: [10, 10, 50, 50] },
        { label: 'lamp', box: [60, 0, 90, 40] },
      ],
      png,
      size,
      fixed,
    );
    assert.deepEqual(out, [
      { label: 'red cube', box: [12, 12, 48, 48], source: 'fixed', confidence: 0.9 },
      { label: 'lamp', box: [60, 0, 90, 40], source: 'model' },
    ]);
  });

  test('a detector that fails falls back to the model boxes and says why, instead of failing the sample', async () => {
    const down: Detector = {
      name: 'grounding-dino',
      detect: async () => {
        throw new Error('grounding DINO 127.0.0.1:9: fetch failed');
      },
    };
    const out = await refineObjects([{ label: 'lamp', box: [60, 0, 90, 40] }], png, size, down);
    assert.deepEqual(out, [
      {
        label: 'lamp',
        box: [60, 0, 90, 40],
        source: 'model',
        fallback: 'grounding-dino failed: grounding DINO 127.0.0.1:9: fetch failed',
      },
    ]);
    assert.equal(boxSource(out), 'model_fallback');
    assert.equal(boxSource([{ label: 'a', box: [0, 0, 1, 1], source: 'grounding-dino' }]), 'detector');
  });

  test('natural formalization: validated, clipped, grounded boxes go into the text and the data', async () => {
    const spec = formalSpecFor('natural', null);
    const r = await spec.validate(
      {
        caption: 'A red cube next to a lamp.',
        objects: [
          { label: 'red cube', box: [10, 10, 50, 50] },
          { label: 'lamp', box: [150, 20, 260, 90] },
        ],
      },
      { ...size, ground: (objects) => refineObjects(objects, png, size, fixed) },
    );
    assert.ok(r.ok);
    assert.deepEqual((r.doc.data as { objects: unknown }).objects, [
      { label: 'red cube', box: [12, 12, 48, 48], source: 'fixed', confidence: 0.9 },
      { label: 'lamp', box: [150, 20, 200, 90], source: 'model' },
    ]);
    assert.match(r.doc.text, /- red cube \[12, 12, 48, 48\]\n- lamp \[150, 20, 200, 90\]/);
  });
});
