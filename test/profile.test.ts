/**
 * `r1ov profile` (no endpoint, no Temporal) on the conformance corpus: rows, turns, kinds, multiple-choice share,
 * extraction by rule, would-be quarantines and rejections, projected calls and cost from the config's prices; the
 * result does not depend on the page size (it reads page by page); the CLI prints a table or JSON and refuses
 * synthetic sources and missing paths in one line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunConfigSchema } from '../schemas/config.ts';
import { SourceProfileSchema } from '../schemas/profile.ts';
import { profileSource } from '../activities/ingest/profile.ts';
import { writeConformanceCorpus, type Corpus } from './support/conformance-corpus.ts';
import { repoRoot } from './support/cluster.ts';

let dir: string;
let corpus: Corpus;
const priced = RunConfigSchema.parse({
  roles: {
    formalizer: { model: 'f', price: { inputPerMTok: 2, outputPerMTok: 8 } },
    reasoner: { model: 'r', price: { inputPerMTok: 1, outputPerMTok: 4 } },
  },
});
const cli = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, R1OV_HOME: join(dir, 'home') },
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-profile-'));
  corpus = await writeConformanceCorpus(join(dir, 'corpus'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('profileSource', () => {
  test('counts per subset: turns, kinds, multiple choice, rules, quarantines, rejections, projection', async () => {
    const p = SourceProfileSchema.parse(await profileSource(corpus.ovDir, priced));
    const by = Object.fromEntries(p.subsets.map((s) => [s.subset, s]));
    assert.equal(p.total.turns, corpus.samples.filter((s) => !s.sampleId.startsWith('r1ov-')).length);
    const chart = by['chartqa(cauldron,llava_format)']!;
    assert.equal(chart.rows, 4);
    assert.equal(chart.turns, 6);
    assert.equal(chart.multiTurnRows, 1);
    assert.deepEqual(chart.kinds, { chart: 6 });
    assert.equal(by.geo3k!.multipleChoice, 4);
    assert.deepEqual(by.geo3k!.answerRules, { answer_colon: 4 });
    assert.deepEqual(by['geo170k(qa)']!.quarantined, { no_gold_answer: 2 }); // the long and the short cut-off chain of thought
    assert.deepEqual(by['textocr(gpt4v)']!.rejected, { no_reasoning: 1 });
    assert.equal(by['textocr(gpt4v)']!.kept, 2);
    assert.equal(by.geo3k!.image.medianWidth, 200);
    // One formalization per chart image: six chart samples of chartqa on four images, two more dvqa on a seen one.
    assert.equal(chart.projection.calls.formalizer, 4);
    assert.equal(by['dvqa(cauldron,llava_format)']!.projection.sharedFormalizations, 2);
    assert.equal(chart.projection.calls.reasoner, 6);
    const t = p.total.projection;
    const expected =
      (t.tokensIn.formalizer! * 2 + t.tokensOut.formalizer! * 8 + t.tokensIn.reasoner! + t.tokensOut.reasoner! * 4) /
      1e6;
    assert.ok(Math.abs(t.costUsd.formalizer! + t.costUsd.reasoner! - expected) < 1e-9);
    assert.ok(p.total.extractionRate > 0.9 && p.total.extractionRate < 1);
  });

  test('the result does not depend on the page size', async () => {
    const a = await profileSource(corpus.r1Dir, priced, { pageSize: 1 });
    const b = await profileSource(corpus.r1Dir, priced, { pageSize: 500 });
    assert.deepEqual({ ...a, elapsedSec: 0 }, { ...b, elapsedSec: 0 });
    assert.equal(a.total.rowsWithoutImage, 0);
    assert.equal(
      a.total.quarantined.no_gold_answer,
      corpus.samples.filter((s) => s.sampleId.startsWith('r1ov-') && s.expect === 'no_gold_answer').length,
    );
  });

  test('importTraces: rows with a released trace are kept as imported, with no projected calls', async () => {
    const p = await profileSource(corpus.r1Dir, { ...priced, importTraces: true });
    assert.equal(p.total.kinds.imported, p.total.kept);
    assert.equal(Object.keys(p.total.projection.calls).length, 0);
  });
});

describe('r1ov profile', () => {
  test('--json validates against the schema; the table names every subset and the totals', () => {
    const j = cli(['profile', '--source', corpus.r1Dir, '--json']);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(SourceProfileSchema.parse(JSON.parse(j.stdout)).subsets.length, 5);
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ roles: { formalizer: { price: { inputPerMTok: 2, outputPerMTok: 8 } } } }));
    const t = cli(['profile', '--source', corpus.r1Dir, '--config', config]);
    assert.equal(t.status, 0, t.stderr);
    for (const name of ['ai2d', 'Geometry3K(MathV360K)', 'robut_WTQ', '(all)', 'projected tokens in/out'])
      assert.ok(t.stdout.includes(name), name);
  });

  test('bad sources are one-line usage errors', () => {
    const syn = cli(['profile', '--source', 'synthetic:10']);
    assert.equal(syn.status, 2);
    assert.match(syn.stderr, /^r1ov: --source synthetic:10: profile reads parquet sources/);
    const missing = cli(['profile', '--source', join(dir, 'nope')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file or directory/);
  });
});
