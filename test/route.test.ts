/**
 * Modality routing: every data_source in the table maps to a kind with a formalizer (schema, prompt
 * file, validator); cheap image features route text-heavy documents; the vision-LLM classifier is exercised against
 * the local protocol server (kinds, diagram sub-kinds, no-reasoning rejections, fallback without an endpoint).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { putBlob, putJsonBlob } from '../core/blobs.ts';
import { promptsDir } from '../core/prompts.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { KindSchema, SubkindSchema, type Sample } from '../schemas/sample.ts';
import type { RouteResult } from '../schemas/workflow.ts';
import { classifyModality, routeSample } from '../activities/route/route.ts';
import { imageFeatures, routeByFeatures } from '../activities/route/features.ts';
import { SOURCE_TABLE, routeBySource, normalizeSourceName } from '../core/routing/source-table.ts';
import { FORMAL_SCHEMAS, formalKindOf } from '../activities/formalize/kinds.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

let home: string;
let fake: FakeOpenAI;
let verdict: Record<string, unknown> = {};

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'r1ov-route-'));
  fake = await startFakeOpenAI({ respond: () => ({ json: verdict }) });
});
after(async () => {
  await fake?.close();
  rmSync(home, { recursive: true, force: true });
});

async function sampleWith(svg: string, over: Partial<Sample> = {}) {
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  const meta = await sharp(png).metadata();
  const imageKey = await putBlob(home, png);
  const sample: Sample = {
    sampleId: `s-${imageKey.slice(0, 8)}#0`,
    rowId: 's',
    turn: 0,
    source: 'unknown_set',
    subset: 'unknown_set',
    sourceFile: 'x.parquet',
    question: 'How many red shapes are there?',
    answer: '2',
    imageKey,
    width: meta.width,
    height: meta.height,
    ...over,
  };
  return {
    run: 'r',
    ref: { sampleId: sample.sampleId, sampleKey: await putJsonBlob(home, sample), source: sample.source },
  };
}
const scene =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="90"><rect width="100%" height="100%" fill="#3a7"/><circle cx="40" cy="45" r="20" fill="#d22"/><rect x="70" y="30" width="30" height="30" fill="#d22"/></svg>';
const docLines = [
  'Invoice number 2041 for March',
  'Paper and ink supplies 120',
  'Printer service visit 80',
  'Delivery to the office 15',
  'Total due by April 30: 215',
];
const documentSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="220"><rect width="100%" height="100%" fill="#fff"/>${docLines.map((l, i) => `<text x="14" y="${34 + i * 38}" font-family="DejaVu Sans" font-size="18" fill="#000">${l}</text>`).join('')}</svg>`;

describe('the data_source table', () => {
  test('every entry maps to a valid kind that has a formalizer (schema and prompt file)', () => {
    const names = Object.keys(SOURCE_TABLE);
    assert.ok(names.length > 100, `${names.length} entries`);
    for (const [name, r] of Object.entries(SOURCE_TABLE)) {
      assert.ok(KindSchema.safeParse(r.kind).success, `${name}: kind ${r.kind}`);
      if (r.subkind !== undefined)
        assert.ok(SubkindSchema.safeParse(r.subkind).success && r.kind === 'diagram', `${name}: subkind ${r.subkind}`);
      const fk = formalKindOf(r.kind, r.subkind ?? null);
      assert.ok(fk in FORMAL_SCHEMAS, `${name}: formal kind ${fk}`);
      assert.ok(existsSync(join(promptsDir(), 'formalize', `${fk}.md`)), `${name}: prompts/formalize/${fk}.md`);
      assert.deepEqual(routeBySource(name), r, `${name} routes to its own entry`);
      assert.equal(normalizeSourceName(name), name, `${name} is stored normalised`);
    }
  });

  test('the LLaVA-OneVision families are covered, with names as the data spells them', () => {
    assert.equal(routeBySource('ChartQA')?.kind, 'chart');
    assert.equal(routeBySource('GeoQA+ (MathV360K)')?.kind, 'math');
    assert.deepEqual(routeBySource('robut_wtq(cauldron,llava_format)'), { kind: 'diagram', subkind: 'table' });
    assert.equal(routeBySource('nope', 'ai2d(gpt4v)')?.subkind, 'scientific');
    assert.equal(routeBySource('textcaps')?.noReasoning, true);
    assert.equal(routeBySource('no_such_set'), undefined);
  });
});

describe('cheap image features', () => {
  test('a text-heavy document routes to text_only by features; a coloured scene does not', async () => {
    const docPng = await sharp(Buffer.from(documentSvg)).png().toBuffer();
    const { recognizeText } = await import('../activities/ocr/index.ts');
    const doc = await imageFeatures(docPng, { ocr: recognizeText });
    assert.ok(doc.whiteFraction > 0.8 && doc.colourfulness < 5, JSON.stringify(doc));
    assert.ok(doc.ocr && doc.ocr.lines >= 4, JSON.stringify(doc.ocr));
    assert.deepEqual(routeByFeatures(doc), { kind: 'text_only' });
    let ocrCalled = false;
    const sc = await imageFeatures(await sharp(Buffer.from(scene)).png().toBuffer(), {
      ocr: async () => ((ocrCalled = true), []),
    });
    assert.equal(ocrCalled, false, 'no OCR on a colourful scene');
    assert.ok(sc.colourfulness > 20);
    assert.equal(routeByFeatures(sc), null);
  });

  test('routeSample: table first, then features, else the classifier', async () => {
    const known = await routeSample(home, await sampleWith(scene, { source: 'chartqa' }));
    assert.equal(known.kind, 'chart');
    assert.equal(known.routeBy, 'table');
    const doc = await routeSample(home, await sampleWith(documentSvg, { question: 'What is the total due?' }));
    assert.deepEqual([doc.kind, doc.routeBy, doc.needsClassifier], ['text_only', 'features', false]);
    const unknown = await routeSample(home, await sampleWith(scene));
    assert.deepEqual([unknown.kind, unknown.routeBy, unknown.needsClassifier], [null, 'classifier', true]);
    const caption = await routeSample(home, await sampleWith(scene, { question: 'Describe this image.' }));
    assert.equal(caption.reject?.code, 'no_reasoning');
  });
});

describe('the vision-LLM classifier', () => {
  const endpoint = () => ResolvedEndpointSchema.parse({ role: 'router', baseUrl: fake.url, model: 'router-test' });
  const pending: RouteResult = {
    kind: null,
    subkind: null,
    routeBy: 'classifier',
    exact: false,
    needsClassifier: true,
    reject: null,
    quarantine: null,
  };

  test('asks with the image and structured output, and routes by its verdict', async () => {
    const input = await sampleWith(scene);
    verdict = { kind: 'diagram', subkind: 'circuit', needs_reasoning: true, rationale: 'a schematic' };
    const before = fake.calls.length;
    const r = await classifyModality(home, { ...input, endpoint: endpoint(), route: pending });
    assert.deepEqual(
      [r.kind, r.subkind, r.routeBy, r.needsClassifier, r.reject],
      ['diagram', 'circuit', 'classifier', false, null],
    );
    const call = fake.calls[before]!.body!;
    assert.equal(call.response_format?.json_schema?.name, 'modality');
    assert.match(JSON.stringify(call.messages), /data:image\/png;base64,/);
    assert.match(JSON.stringify(call.messages), /How many red shapes/);
  });

  test('a diagram without sub-kind is scientific; other kinds carry none; no reasoning → rejected with reason', async () => {
    verdict = { kind: 'diagram', subkind: null, needs_reasoning: true };
    assert.equal(
      (
        await classifyModality(home, {
          ...(await sampleWith(scene, { question: 'q1?' })),
          endpoint: endpoint(),
          route: pending,
        })
      ).subkind,
      'scientific',
    );
    verdict = { kind: 'natural', subkind: 'table', needs_reasoning: false, rationale: 'plain caption request' };
    const r = await classifyModality(home, {
      ...(await sampleWith(scene, { question: 'q2?' })),
      endpoint: endpoint(),
      route: pending,
    });
    assert.equal(r.subkind, null);
    assert.deepEqual(r.reject, { code: 'no_reasoning', message: 'classifier: plain caption request' });
  });

  test('without a router endpoint the sample falls back to mixed', async () => {
    const r = await classifyModality(home, { ...(await sampleWith(scene)), endpoint: null, route: pending });
    assert.deepEqual([r.kind, r.routeBy, r.needsClassifier], ['mixed', 'default', false]);
  });
});
