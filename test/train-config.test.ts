/** `r1ov train` config validation (zod, schemas/train.ts) and the documented examples. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareTrain, resolveTrainEval } from '../cli/train.ts';
import { UsageError } from '../core/errors.ts';
import { repoRoot } from './support/cluster.ts';
import { writeBenchFixtures } from './support/bench-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'r1ov-train-config-'));
writeFileSync(join(dir, 'data.parquet'), '');
const file = (name: string, body: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
};
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);

describe('r1ov train config', () => {
  test('a single-stage file: paths resolve against the file, the name defaults to the file name', () => {
    const input = prepareTrain(
      'sft',
      file('my-sft.json', {
        model: 'Qwen/Qwen2.5-VL-7B-Instruct',
        data: 'data.parquet',
        output_dir: 'out',
        learning_rate: 1e-5,
      }),
    );
    assert.equal(input.name, 'my-sft');
    assert.equal(input.sft!.data, join(dir, 'data.parquet'));
    assert.equal(input.sft!.output_dir, join(dir, 'out'));
    assert.equal(input.sft!.model, 'Qwen/Qwen2.5-VL-7B-Instruct');
    assert.equal(input.grpo, undefined);
  });

  test('a pipeline file: sft then grpo from the SFT checkpoint; YAML accepted', () => {
    const f = file(
      'pipe.yaml',
      'name: pipe1\nsft:\n  model: ./m\n  data: data.parquet\ngrpo:\n  model: sft\n  data: data.parquet\n  num_generations: 4\n  per_device_batch_size: 4\n  epochs: 2\n',
    );
    const input = prepareTrain('sft', f);
    assert.equal(input.name, 'pipe1');
    assert.equal(input.sft!.model, join(dir, 'm'));
    assert.equal(input.grpo!.model, 'sft');
    assert.throws(() => prepareTrain('grpo', f), usage(/needs `r1ov train sft`/));
  });

  test('bad configs are one-line usage errors', () => {
    const base = { model: 'm', data: 'data.parquet' };
    assert.throws(() => prepareTrain('sft', file('a.json', { ...base, learning_rat: 1 })), usage(/learning_rat/));
    assert.throws(() => prepareTrain('sft', file('b.json', { ...base, learning_rate: -1 })), usage(/learning_rate/));
    assert.throws(
      () => prepareTrain('grpo', file('c.json', { ...base, num_generations: 1 })),
      usage(/num_generations/),
    );
    assert.throws(() => prepareTrain('grpo', file('d.json', { ...base, loss_type: 'ppo' })), usage(/loss_type/));
    assert.throws(
      () => prepareTrain('sft', file('e.json', { ...base, min_pixels: 10, max_pixels: 5 })),
      usage(/min_pixels/),
    );
    assert.throws(
      () => prepareTrain('sft', file('f.json', { ...base, data: 'missing.parquet' })),
      usage(/no such file/),
    );
    assert.throws(() => prepareTrain('sft', file('g.json', '{not json')), usage(/not valid JSON/));
    assert.throws(() => prepareTrain('sft', join(dir, 'none.json')), usage(/no such config file/));
    assert.throws(
      () => prepareTrain('grpo', file('h.json', { ...base, reward_weights: { accuracy: 0, format: 0 } })),
      usage(/every weight is 0/),
    );
    assert.throws(() => prepareTrain('grpo', file('i.json', { ...base, stage: 'sft' })), usage(/stage/));
    // The traps of a real run (trainer/tests/test_config_agreement.py checks the trainer agrees on each).
    assert.throws(
      () => prepareTrain('grpo', file('j.json', { ...base, num_generations: 8, per_device_batch_size: 2 })),
      usage(/num_generations .*must divide/),
    );
    assert.throws(
      () => prepareTrain('sft', file('k.json', { ...base, max_pixels: 12845056, per_device_batch_size: 8 })),
      usage(/max_pixels/),
    );
    assert.throws(() => prepareTrain('sft', file('l.json', { ...base, nodes: 2 })), usage(/rdzv_endpoint/));
    assert.throws(() => prepareTrain('grpo', file('m.json', { ...base, use_vllm: true })), usage(/use_vllm/));
    assert.throws(
      () =>
        prepareTrain(
          'sft',
          file('n.json', {
            name: 'p',
            sft: { ...base, max_length: 8192 },
            grpo: { ...base, model: 'sft', num_generations: 2, per_device_batch_size: 2 },
          }),
        ),
      usage(/max_completion_length .*format reward collapses/),
    );
  });

  test('an eval section: bench paths resolve against the file, kinds are detected, names and run names checked', async () => {
    const fx = await writeBenchFixtures(join(dir, 'benches'));
    const pipe = (name: string, evalSection: unknown, extra: Record<string, unknown> = {}) =>
      file(name, {
        name: 'ev',
        sft: { model: 'm', data: 'data.parquet' },
        grpo: { model: 'sft', data: 'data.parquet', epochs: 2, num_generations: 2, per_device_batch_size: 2 },
        eval: evalSection,
        ...extra,
      });
    const one = prepareTrain(
      'sft',
      pipe('ev1.json', { benches: [{ file: 'benches/R1-OneVision-Bench.tsv' }], max_tokens: 64, prompt_style: 'rl' }),
    );
    assert.equal(one.eval!.benches[0]!.file, fx.r1ov.file);
    assert.equal(one.eval!.benches[0]!.kind, undefined);
    const resolved = await resolveTrainEval(one);
    assert.deepEqual(resolved.eval!.benches, [{ file: fx.r1ov.file, kind: 'r1ov-bench' }]); // one bench: no name suffix
    assert.equal(resolved.eval!.max_tokens, 64);
    // Several benches get names (the suffix of their eval runs): the kind, or bench<i> when kinds repeat.
    const two = await resolveTrainEval(
      prepareTrain(
        'sft',
        pipe('ev2.json', {
          benches: [
            { file: fx.r1ov.file },
            { file: fx.mathvista.file, limit: 5 },
            { file: fx.r1ov.file, name: 'again' },
          ],
        }),
      ),
    );
    assert.deepEqual(
      two.eval!.benches.map((b) => [b.kind, b.name]),
      [
        ['r1ov-bench', 'bench1'],
        ['mathvista', 'mathvista'],
        ['r1ov-bench', 'again'],
      ],
    );
    // Old configs stay valid: no eval section, no evaluation.
    assert.equal((await resolveTrainEval(prepareTrain('sft', pipe('ev3.json', undefined)))).eval, undefined);
    assert.throws(() => prepareTrain('sft', pipe('ev4.json', { benches: [] })), usage(/eval\.benches/));
    assert.throws(
      () => prepareTrain('sft', pipe('ev5.json', { benches: [{ file: 'x.tsv' }], serve: { port: 99999 } })),
      usage(/eval\.serve\.port/),
    );
    assert.throws(
      () => prepareTrain('sft', pipe('ev6.json', { benches: [{ file: 'x.tsv', kind: 'mmlu' }] })),
      usage(/eval\.benches\.0\.kind/),
    );
    assert.throws(
      () => prepareTrain('sft', pipe('ev7.json', { benches: [{ file: 'x.tsv' }], max_token: 5 })),
      usage(/max_token/),
    );
    assert.throws(
      () =>
        prepareTrain(
          'sft',
          file('ev8.json', { model: 'm', data: 'data.parquet', eval: { benches: [{ file: 'x.tsv' }] } }),
        ),
      usage(/eval/),
    );
    await assert.rejects(
      resolveTrainEval(prepareTrain('sft', pipe('ev9.json', { benches: [{ file: 'missing.tsv' }] }))),
      usage(/eval\.benches: .*missing\.tsv: no such file/),
    );
    const long = prepareTrain(
      'sft',
      pipe('ev10.json', { benches: [{ file: fx.r1ov.file }] }, { name: 'n'.repeat(95) }),
    );
    await assert.rejects(resolveTrainEval(long), usage(/eval run name .* too long/));
  });

  test('the documented examples validate', () => {
    const examples = join(repoRoot, 'trainer', 'examples');
    const files = readdirSync(examples).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('ds_'));
    assert.ok(files.length >= 2);
    for (const f of files) {
      const text = readFileSync(join(examples, f), 'utf8');
      // Examples point at an export the user writes; validate them against a stand-in data file.
      const local = file(f, text.replaceAll(/data: .*/g, `data: ${join(dir, 'data.parquet')}`));
      const stage = /grpo/.test(f) && !/pipeline/.test(f) ? 'grpo' : 'sft';
      assert.doesNotThrow(() => prepareTrain(stage, local), f);
    }
  });
});
