/**
 * One formalization per image (activities/formalize/formal-share.ts, through `formalize` against the local protocol
 * server): concurrent samples of one chart image make one formalizer call and the others say `shared`; a later sample
 * reads the cache; a different prompt/model/kind key formalizes again; math stays per question; the owner's own retry
 * is not counted as shared.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { putBlob, putJsonBlob } from '../core/blobs.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import type { Sample } from '../schemas/sample.ts';
import type { RouteResult } from '../schemas/workflow.ts';
import { formalize } from '../activities/formalize/formalize.ts';
import { formalShareKey, shareFormalization } from '../activities/formalize/formal-share.ts';
import { startFakeOpenAI, lastUserText, type FakeOpenAI } from './support/fake-openai.ts';

let home: string;
let fake: FakeOpenAI;
let imageKey: string;

const endpoint = (model = 'share-test') =>
  ResolvedEndpointSchema.parse({ role: 'formalizer', baseUrl: fake.url, model });
const route = (kind: string): RouteResult => ({
  kind,
  subkind: null,
  routeBy: 'table',
  exact: false,
  needsClassifier: false,
  reject: null,
  quarantine: null,
});

async function ref(id: string, question: string) {
  const s: Sample = {
    sampleId: id,
    rowId: id.split('#')[0]!,
    turn: Number(id.split('#')[1]),
    source: 'chartqa',
    subset: 'chartqa',
    sourceFile: 'x.parquet',
    question,
    answer: '1',
    imageKey,
    width: 120,
    height: 80,
  };
  return { sampleId: id, sampleKey: await putJsonBlob(home, s), source: 'chartqa' };
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'r1ov-share-'));
  imageKey = await putBlob(
    home,
    await sharp({ create: { width: 120, height: 80, channels: 3, background: '#abc' } })
      .png()
      .toBuffer(),
  );
  fake = await startFakeOpenAI({
    latencyMs: 150, // long enough that the three samples are in flight together
    respond: (req) =>
      req.response_format?.json_schema?.name === 'formal_math'
        ? { json: { figure: 'A triangle.', givens: [], strategies: ['Add the angles.'] } }
        : { json: { chartType: 'bar', csv: 'Bar,Value\na,1\nb,2' } },
  });
});
after(async () => {
  await fake?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('formalization shared by image', () => {
  test('three questions on one chart image in flight together: one call, two shared', async () => {
    const refs = await Promise.all(
      ['What is the highest bar?', 'How many bars are there?', 'What is the total?'].map((q, t) => ref(`row#${t}`, q)),
    );
    const results = await Promise.all(
      refs.map((r) =>
        formalize(home, { run: 'r', ref: r, route: route('chart'), endpoint: endpoint(), maxRepairs: 0 }),
      ),
    );
    assert.equal(fake.calls.length, 1);
    assert.ok(results.every((r) => r.valid && r.formalKey === results[0]!.formalKey));
    assert.deepEqual(
      results.map((r) => r.shared),
      [false, true, true],
    );
    // The shared prompt names no single question.
    assert.ok(!/highest bar|How many bars|total/.test(lastUserText(fake.calls[0]!.body!)));
  });

  test('a later sample of the same image reads the cache; the owner retrying is not shared', async () => {
    const later = await formalize(home, {
      run: 'r',
      ref: await ref('other#0', 'Which bar is lowest?'),
      route: route('chart'),
      endpoint: endpoint(),
      maxRepairs: 0,
    });
    assert.equal(later.shared, true);
    const retry = await formalize(home, {
      run: 'r',
      ref: await ref('row#0', 'What is the highest bar?'),
      route: route('chart'),
      endpoint: endpoint(),
      maxRepairs: 0,
    });
    assert.equal(retry.shared, false);
    assert.equal(fake.calls.length, 1);
  });

  test('another model formalizes again; math stays per question', async () => {
    const n = fake.calls.length;
    await formalize(home, {
      run: 'r',
      ref: await ref('other#1', 'Which bar is lowest?'),
      route: route('chart'),
      endpoint: endpoint('another-model'),
      maxRepairs: 0,
    });
    assert.equal(fake.calls.length, n + 1);
    const math = await Promise.all(
      ['Find angle A.', 'Find angle B.'].map(async (q, t) =>
        formalize(home, {
          run: 'r',
          ref: await ref(`geo#${t}`, q),
          route: route('math'),
          endpoint: endpoint(),
          maxRepairs: 0,
        }),
      ),
    );
    assert.equal(fake.calls.length, n + 3);
    assert.deepEqual(
      math.map((m) => m.shared),
      [undefined, undefined],
    );
    assert.match(lastUserText(fake.calls.at(-1)!.body!), /Find angle/);
  });

  test('the key changes with each part; a failed make is not cached', async () => {
    const parts = {
      imageKey,
      kind: 'chart',
      subkind: null,
      formalKind: 'chart',
      prompt: 'p1',
      repair: 'r1',
      model: 'm',
      baseUrl: 'u',
      maxRepairs: 2,
      grounded: false,
    };
    const k = formalShareKey(parts);
    for (const [field, v] of Object.entries({
      imageKey: 'b'.repeat(64),
      kind: 'natural',
      prompt: 'p2',
      model: 'm2',
      grounded: true,
    })) {
      assert.notEqual(formalShareKey({ ...parts, [field]: v }), k, field);
    }
    const invalid = { formalKey: null, format: 'csv', valid: false, error: 'bad', attempts: 1 };
    let made = 0;
    for (let i = 0; i < 2; i++)
      await shareFormalization(home, 'f'.repeat(64), `s#${i}`, async () => {
        made++;
        return invalid;
      });
    assert.equal(made, 2);
  });
});
