/**
 * The perception server (trainer/r1ov_trainer/perception.py) with a tiny randomly initialised Grounding DINO built
 * here (`perception make-tiny`, no download), reached through the client the formalizer uses
 * (activities/grounding/dino.ts). Then the server is killed between two formalizations: the second sample keeps the
 * model's boxes, records the fallback, and is not quarantined. Needs the trainer venv (bash trainer/install.sh).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { groundingDinoDetector } from '../activities/grounding/index.ts';
import { startPerceptionServer, type PerceptionServer } from '../activities/grounding/perception-server.ts';
import { trainerDir, trainerPython } from '../activities/train/run-trainer.ts';
import { formalize } from '../activities/formalize/formalize.ts';
import { getJsonBlob, putBlob, putJsonBlob } from '../core/blobs.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

let dir: string;
let server: PerceptionServer;
let fake: FakeOpenAI;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-perception-'));
  execFileSync(trainerPython(), ['-m', 'r1ov_trainer', 'perception', 'make-tiny', '--out', join(dir, 'tiny-dino')], {
    cwd: trainerDir,
    stdio: 'pipe',
  });
  server = await startPerceptionServer({ checkpoint: join(dir, 'tiny-dino'), port: 0 });
  fake = await startFakeOpenAI({
    respond: () => ({
      json: {
        caption: 'A cat beside a dog on a red mat.',
        objects: [
          { label: 'cat', box: [4, 4, 30, 30] },
          { label: 'dog', box: [40, 10, 76, 50] },
        ],
      },
    }),
  });
});
after(async () => {
  await server?.stop();
  await fake?.close();
  delete process.env.R1OV_GROUNDING_DINO_URL;
  rmSync(dir, { recursive: true, force: true });
});

test('the server answers the client contract with boxes in pixels of the posted image', async () => {
  assert.equal(server.model, 'grounding-dino');
  const png = await sharp({ create: { width: 80, height: 60, channels: 3, background: '#c02020' } })
    .png()
    .toBuffer();
  const found = await groundingDinoDetector({ url: server.url, boxThreshold: 0, textThreshold: 0 }).detect(
    png,
    ['cat', 'dog'],
    { width: 80, height: 60 },
  );
  assert.ok(found.length > 0, "threshold 0 keeps the random model's boxes");
  for (const d of found) {
    assert.ok(['cat', 'dog'].includes(d.label));
    assert.ok(
      d.box[0] >= 0 && d.box[1] >= 0 && d.box[2] <= 80 && d.box[3] <= 60 && d.box[0] < d.box[2] && d.box[1] < d.box[3],
    );
  }
});

test('a detector killed between two samples: the second keeps the model boxes and records the fallback', async () => {
  process.env.R1OV_GROUNDING_DINO_URL = server.url;
  const home = join(dir, 'home');
  const endpoint = ResolvedEndpointSchema.parse({ role: 'formalizer', baseUrl: fake.url, model: 'vl' });
  const route = {
    kind: 'natural',
    subkind: null,
    routeBy: 'test',
    exact: false,
    needsClassifier: false,
    reject: null,
    quarantine: null,
  };
  const one = async (id: string, colour: string) => {
    const png = await sharp({ create: { width: 80, height: 60, channels: 3, background: colour } })
      .png()
      .toBuffer();
    const imageKey = await putBlob(home, png);
    const sampleKey = await putJsonBlob(home, {
      sampleId: id,
      rowId: id,
      turn: 0,
      source: 't',
      subset: 't',
      sourceFile: 'f',
      question: `What animals are there (${id})?`,
      answer: 'cat',
      imageKey,
      width: 80,
      height: 60,
    });
    const r = await formalize(home, {
      run: 'p',
      ref: { sampleId: id, sampleKey, source: 't' },
      route,
      endpoint,
      maxRepairs: 0,
    });
    assert.equal(r.valid, true, r.error ?? '');
    return (
      (await getJsonBlob(home, r.formalKey!)) as {
        data: {
          objects: Array<{ source: string; fallback?: string }>;
          perception: { detector: { status: string; message: string | null } };
        };
      }
    ).data;
  };
  const first = await one('p-1', '#203040');
  assert.equal(first.perception.detector.status, 'ok', first.perception.detector.message ?? '');
  assert.ok(
    first.objects.every((o) => !o.fallback),
    'the server answered',
  );
  server.child.kill('SIGKILL');
  await new Promise<void>((r) =>
    server.child.exitCode !== null || server.child.signalCode !== null ? r() : server.child.once('exit', () => r()),
  );
  const second = await one('p-2', '#405060');
  assert.equal(second.perception.detector.status, 'failed');
  assert.match(second.perception.detector.message ?? '', /^grounding-dino failed: /);
  assert.equal(second.objects.length, 2);
  for (const o of second.objects) {
    assert.equal(o.source, 'model');
    assert.match(o.fallback ?? '', /^grounding-dino failed: /);
  }
});
