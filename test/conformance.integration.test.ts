/**
 * Real sources, real answers: the conformance corpus (test/support/conformance-corpus.ts — rows written the way
 * LLaVA-OneVision-Data and the released R1-Onevision data write them) built on a real Temporal dev server against a
 * local endpoint that answers every question correctly. Every answerable sample ends done with its gold answer,
 * unanswerable ones are quarantined `no_gold_answer`, one chart image with three questions is formalized once,
 * per-sample routing keeps the reasoning question of a transcription subset, released traces import and verify, and
 * `r1ov profile` predicts the build's extraction.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { corpusResponder, writeConformanceCorpus, type Corpus } from './support/conformance-corpus.ts';
import type { SourceProfile } from '../schemas/profile.ts';

let cluster: Cluster;
let fake: FakeOpenAI;
let corpus: Corpus;
let config: string;
let importConfig: string;

type Row = Record<string, unknown>;
const sql = async (q: string) => (await cluster.cliJson<{ rows: Row[] }>(['sql', q])).rows;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-conformance-'));
  corpus = await writeConformanceCorpus(dir);
  fake = await startFakeOpenAI({ respond: corpusResponder(corpus) });
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner'].map((r) => [r, { baseUrl: fake.url, model: `conf-${r}` }]),
  );
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ roles, window: 100, pageSize: 20, commitEvery: 200 }));
  importConfig = join(dir, 'import.json');
  writeFileSync(
    importConfig,
    JSON.stringify({ roles, window: 100, pageSize: 20, commitEvery: 200, importTraces: true }),
  );
  cluster = await startCluster();
  await cluster.startWorker();
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
});

describe('conformance corpus against an endpoint that answers every question correctly', () => {
  let byId: Map<string, Row>;

  test('both layouts build; every answerable sample done, every unanswerable one quarantined no_gold_answer', async () => {
    for (const [run, src] of [
      ['conf-ov', corpus.ovDir],
      ['conf-r1', corpus.r1Dir],
    ] as const) {
      const out = await cluster.cliJson<{ status: string }>([
        'build',
        '--source',
        src,
        '--run',
        run,
        '--config',
        config,
        '--wait',
      ]);
      assert.equal(out.status, 'COMPLETED', run);
    }
    const rows = await sql(
      `select sample_id, status, reason_code, reason, answer, answer_raw, answer_source, question, question_raw, choices, route_by, route_reason, formal_shared, final_answer from samples where run in ('conf-ov', 'conf-r1')`,
    );
    byId = new Map(rows.map((r) => [String(r.sample_id), r]));
    assert.equal(rows.length, corpus.samples.length, 'one sample per exchange');
    const answerable = corpus.samples.filter((s) => s.expect === 'done');
    const done = answerable.filter((s) => byId.get(s.sampleId)?.status === 'done');
    const missed = answerable
      .filter((s) => byId.get(s.sampleId)?.status !== 'done')
      .map((s) => `${s.sampleId}: ${byId.get(s.sampleId)?.reason_code} ${byId.get(s.sampleId)?.reason}`);
    assert.ok(answerable.length >= 30, `${answerable.length} answerable samples`);
    assert.deepEqual(missed, [], `done ${done.length}/${answerable.length}`);
    for (const s of corpus.samples.filter((x) => x.expect === 'no_gold_answer')) {
      const r = byId.get(s.sampleId)!;
      assert.equal(r.status, 'quarantined', s.sampleId);
      assert.equal(r.reason_code, 'no_gold_answer', s.sampleId);
    }
    for (const s of corpus.samples.filter((x) => x.expect === 'not_done'))
      assert.notEqual(byId.get(s.sampleId)!.status, 'done', s.sampleId);
    // Every family is represented and reaches done.
    for (const family of ['math', 'chart_doc', 'ocr', 'general', 'r1_onevision']) {
      assert.ok(
        done.some((s) => s.family === family),
        `no ${family} sample done`,
      );
    }
  });

  test('samples keep answer_raw and question_raw; answer is the final answer alone; choices are parsed', () => {
    const wrongGold: string[] = [];
    for (const s of corpus.samples.filter((x) => x.expect === 'done')) {
      const r = byId.get(s.sampleId)!;
      assert.ok(
        String(r.answer_raw).length > 0 && String(r.question_raw).length >= String(r.question).length,
        s.sampleId,
      );
      assert.ok(
        !String(r.question).includes('<image>') && !/Answer with the option's letter|^Hint:/m.test(String(r.question)),
        `${s.sampleId}: ${r.question}`,
      );
      if (r.answer !== s.answer)
        wrongGold.push(`${s.sampleId}: ${JSON.stringify(r.answer)} (${r.answer_source}) ≠ ${JSON.stringify(s.answer)}`);
    }
    assert.deepEqual(wrongGold, [], 'gold answers normalised wrongly');
    const geo3k = byId.get('geo3k-0#0')!;
    assert.deepEqual(JSON.parse(String(geo3k.choices)), ['70', '90', '110', '180']);
    assert.equal(geo3k.answer, 'A');
    assert.equal(geo3k.answer_raw, 'Answer:A');
    // A model that answers with the option text is scored right: geo3k-1 replies "3" for option B.
    assert.equal(byId.get('geo3k-1#0')!.status, 'done');
  });

  test('per-sample routing: a reasoning question in a transcription subset is kept, the transcription request rejected, with reasons', () => {
    const kept = byId.get('textocr-1#0')!;
    assert.equal(kept.status, 'done');
    assert.equal(kept.route_by, 'question');
    assert.match(String(kept.route_reason), /needs reasoning \(.*arithmetic/);
    const rejected = byId.get('textocr-0#0')!;
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.reason_code, 'no_reasoning');
    assert.match(String(rejected.route_reason), /description or transcription/);
    assert.match(String(byId.get('geo3k-0#0')!.route_reason), /source table: geo3k → math/);
  });

  test('a multi-turn row with three questions on one chart image makes one formalizer call, not three', async () => {
    const calls = await sql(
      `select count(*) as n from llm_calls where run = 'conf-ov' and role = 'formalizer' and not cache_hit and sample_id like '${corpus.multiTurnRow}#%'`,
    );
    assert.equal(calls[0]!.n, 1);
    const shared = [0, 1, 2].map((t) => byId.get(`${corpus.multiTurnRow}#${t}`)!.formal_shared);
    assert.equal(shared.filter(Boolean).length, 2);
    // The same image in two rows of another subset shares it too; math stays per question.
    assert.equal(byId.get('dvqa-0#0')!.formal_shared, true);
    const perQuestion = await sql(
      `select count(*) as n from samples where run = 'conf-ov' and kind = 'math' and formal_shared`,
    );
    assert.equal(perQuestion[0]!.n, 0);
    // The saving, measured: formalizer calls made vs. samples formalized.
    const [m] = await sql(
      `select count(*) filter (formal_key is not null) as formalized, count(*) filter (formal_shared) as shared from samples where run = 'conf-ov'`,
    );
    const [c] = await sql(
      `select count(*) as n from llm_calls where run = 'conf-ov' and role = 'formalizer' and not cache_hit`,
    );
    assert.equal(Number(c!.n), Number(m!.formalized) - Number(m!.shared));
    assert.ok(Number(m!.shared) >= 4, `shared ${m!.shared}`);
  });

  test('released R1-Onevision traces import as ready-made traces and are verified, with no model calls', async () => {
    const out = await cluster.cliJson<{ status: string }>([
      'build',
      '--source',
      corpus.r1Dir,
      '--run',
      'conf-import',
      '--config',
      importConfig,
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    const rows = await sql(
      `select sample_id, status, reason_code, generator, trace, route_by from samples where run = 'conf-import'`,
    );
    const withAnswer = corpus.samples.filter((s) => s.family === 'r1_onevision' && s.expect === 'done');
    const imported = rows.filter((r) => r.route_by === 'imported');
    assert.ok(imported.length >= withAnswer.length - 1, `${imported.length} imported of ${withAnswer.length}`);
    for (const r of imported) {
      assert.match(String(r.generator), /^import:/);
      assert.match(String(r.trace), /^<think>\n[\s\S]+\n<\/think>\n<answer>\n[\s\S]*\\boxed\{/);
    }
    assert.ok(imported.filter((r) => r.status === 'done').length >= withAnswer.length - 1);
    for (const s of corpus.samples.filter((x) => x.family === 'r1_onevision' && x.expect === 'no_gold_answer')) {
      assert.equal(rows.find((r) => r.sample_id === s.sampleId)!.reason_code, 'no_gold_answer');
    }
    const calls = await sql(
      `select count(*) as n from llm_calls where run = 'conf-import' and role in ('formalizer', 'reasoner')`,
    );
    assert.equal(calls[0]!.n, 0);
  });

  test('r1ov profile predicts the build: same extraction rate, same quarantines, same rejections', async () => {
    for (const [run, src] of [
      ['conf-ov', corpus.ovDir],
      ['conf-r1', corpus.r1Dir],
    ] as const) {
      const p = await cluster.cliJson<SourceProfile>(['profile', '--source', src, '--config', config]);
      const [b] =
        await sql(`select count(*) filter (answer_source not in ('none', 'missing')) as extracted, count(*) filter (answer_source <> 'missing') as replies,
        count(*) filter (status = 'quarantined' and reason_code = 'no_gold_answer') as no_gold, count(*) filter (status = 'rejected' and reason_code = 'no_reasoning') as no_reasoning,
        count(*) as n from samples where run = '${run}'`);
      assert.equal(p.total.turns, Number(b!.n), run);
      assert.equal(p.total.extractionRate, Number(b!.extracted) / Number(b!.replies), run);
      assert.equal(p.total.quarantined.no_gold_answer ?? 0, Number(b!.no_gold), run);
      assert.equal(p.total.rejected.no_reasoning ?? 0, Number(b!.no_reasoning), run);
      const rules = await sql(`select answer_source, count(*) as n from samples where run = '${run}' group by 1`);
      assert.deepEqual(Object.fromEntries(rules.map((r) => [r.answer_source, Number(r.n)])), p.total.answerRules, run);
    }
  });
});
