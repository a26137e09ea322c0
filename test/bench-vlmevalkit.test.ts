/**
 * VLMEvalKit exchange: a VLMEvalKit TSV is read, evaluated with VLMEvalKit's prompts, and its predictions are written
 * in VLMEvalKit's layout (every column but `image`, plus `prediction`) as .tsv and .xlsx; pandas in the trainer's
 * environment reads both back (`read_csv(sep='\t')`, `read_excel`), and scoring the written file here (as a
 * VLMEvalKit prediction file) gives the run's own verdicts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitEval, describeBench, evalBatch } from '../activities/eval/evaluate.ts';
import { loadBench } from '../activities/eval/loaders.ts';
import { buildRunReport } from '../activities/eval/report.ts';
import { scorePredictions } from '../activities/eval/score-predictions.ts';
import { predictionTable, writePredictionTable } from '../activities/eval/vlmevalkit-files.ts';
import { trainerPython } from '../activities/train/run-trainer.ts';
import { openCatalog } from '../core/catalog.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import {
  benchResponder,
  publishedExpectation,
  publishedFixture,
  writeBenchFixtures,
} from './support/bench-fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

const vk = publishedFixture('vlmevalkit');
const expected = publishedExpectation('vlmevalkit');
let fake: FakeOpenAI;
before(async () => {
  const fx = await writeBenchFixtures(mkdtempSync(join(tmpdir(), 'r1ov-vk-')));
  fake = await startFakeOpenAI({ respond: benchResponder(fx, [vk]) });
});
after(async () => {
  await fake?.close();
});

const python = trainerPython();
const noPandas = existsSync(python)
  ? false
  : `trainer not installed (${python} missing): run \`bash trainer/install.sh\``;

describe('VLMEvalKit TSV round trip', () => {
  const out = mkdtempSync(join(tmpdir(), 'r1ov-vk-out-'));
  const files = { tsv: join(out, 'fake-vlm_MMBench_fixture.tsv'), xlsx: join(out, 'fake-vlm_MMBench_fixture.xlsx') };
  let responses = new Map<number, string | null>();

  test('read, evaluate with VLMEvalKit prompts (recorded per item), write predictions in its layout', async () => {
    const home = mkdtempSync(join(tmpdir(), 'r1ov-vkhome-'));
    const model = ResolvedEndpointSchema.parse({ role: 'model', baseUrl: fake.url, model: 'fake-vlm' });
    const b = await loadBench(vk.file);
    const common = { run: 'vk', bench: b.file, kind: b.kind, promptStyle: 'vlmevalkit' as const };
    await describeBench(home, { ...common, model: 'fake-vlm', judge: false, startedAt: new Date().toISOString() });
    await evalBatch(home, { ...common, offset: 0, limit: 10, model, itemAttempts: 1 });
    await commitEval(home, { run: 'vk' });
    const { conn, close } = await openCatalog(home);
    const rows = (
      await conn.runAndReadAll(
        `SELECT row_index, status, correct, prompt, images, response FROM eval_items WHERE run = 'vk' ORDER BY row_index`,
      )
    ).getRowObjectsJS();
    close();
    assert.equal(rows.filter((r) => r.status === 'scored').length, expected.items);
    assert.equal(rows.filter((r) => r.correct).length, expected.correct);
    assert.equal(rows[2]!.images, 2, 'both images of the list row were sent');
    assert.equal(
      rows[0]!.prompt,
      'Hint: Look at the whole image.\nQuestion: [q:vk-0] Which colour dominates?\nOptions:\nA. red\nB. blue\nC. green\nD. grey\nPlease select the correct answer from the options above. \n',
    );
    responses = new Map(
      rows.filter((r) => r.status === 'scored').map((r) => [Number(r.row_index), r.response as string]),
    );
    for (const f of Object.values(files))
      await writePredictionTable(await predictionTable(vk.file, (row) => responses.get(row) ?? null), f);
    const tsv = readFileSync(files.tsv, 'utf8');
    assert.equal(tsv.split('\n')[0], expected.columns!.map((c) => `"${c}"`).join('\t'));
    assert.ok(!tsv.includes('iVBORw0KGgo'), 'no image in the predictions');
  });

  test('scoring the written prediction files (as VLMEvalKit prediction files) gives the same verdicts', async () => {
    for (const f of Object.values(files)) {
      const rep = buildRunReport(await scorePredictions(f));
      assert.equal(rep.bench, 'vlmevalkit', f);
      // A prediction file carries no images: the row whose image reference dangled is an ordinary row there, with an
      // empty prediction (wrong), as VLMEvalKit would count it.
      assert.equal(rep.items, expected.items + 1, f);
      assert.equal(rep.correct, expected.correct, f);
      assert.deepEqual(
        rep.groups.filter((g) => g.dimension === 'l2-category').map((g) => [g.key, g.correct, g.n]),
        [
          ['perception', 3, 4],
          ['reasoning', 1, 2],
        ],
        f,
      );
    }
  });

  test("pandas reads both files back with VLMEvalKit's columns", { skip: noPandas }, () => {
    const script = [
      'import json, sys, pandas as pd',
      "t = pd.read_csv(sys.argv[1], sep='\\t')",
      'x = pd.read_excel(sys.argv[2])',
      "print(json.dumps({'tsv': list(t.columns), 'xlsx': list(x.columns), 'n': [len(t), len(x)], 'index': [int(v) for v in x['index']],",
      "  'pred': [str(v) for v in t['prediction']], 'predx': [str(v) for v in x['prediction']], 'D3': [str(t['D'][3]), str(x['D'][3])], 'hint1': str(t['hint'][1])}))",
    ].join('\n');
    const r = spawnSync(python, ['-c', script, files.tsv, files.xlsx], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as {
      tsv: string[];
      xlsx: string[];
      n: number[];
      index: number[];
      pred: string[];
      predx: string[];
      D3: string[];
      hint1: string;
    };
    assert.deepEqual(got.tsv, expected.columns);
    assert.deepEqual(got.xlsx, expected.columns);
    assert.deepEqual(got.n, [6, 6]);
    assert.deepEqual(got.index, [0, 1, 2, 3, 4, 5]);
    const want = [0, 1, 2, 3, 4].map((i) => responses.get(i)!);
    assert.deepEqual(got.pred.slice(0, 5), want);
    assert.deepEqual(got.predx.slice(0, 5), want);
    assert.deepEqual(got.D3, ['nan', 'nan'], 'an absent option stays NaN');
    assert.equal(got.hint1, 'nan');
  });
});
