import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { repoRoot } from './support/cluster.ts';

const eslint = new ESLint({ cwd: repoRoot });

/** The messages eslint.config.js gives `code` as if it were the file at `path` (relative to the repository). */
async function lint(path: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: `${repoRoot}/${path}` });
  return r!.messages.map((m) => `${m.line}: ${m.message}`);
}

test('the whole tree passes the lint (import rules and workflow determinism)', async () => {
  const results = await eslint.lintFiles(['.']);
  const errors = results.flatMap((r) =>
    r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.message}`),
  );
  assert.deepEqual(errors, []);
  const linted = results.map((r) => r.filePath.slice(repoRoot.length + 1));
  for (const folder of ['schemas/', 'core/', 'activities/', 'workflows/', 'infra/', 'cli/', 'test/']) {
    assert.ok(
      linted.some((f) => f.startsWith(folder)),
      `no file linted under ${folder}`,
    );
  }
  assert.ok(
    !linted.some((f) => f.startsWith('node_modules/') || f.startsWith('.r1ov/')),
    'dependencies or the home were linted',
  );
});

test('the lint rule refuses Node built-ins in workflows/', async () => {
  const [r] = await eslint.lintText(
    "import { readFileSync } from 'node:fs';\nimport crypto from 'crypto';\nexport const x = [readFileSync, crypto];\n",
    { filePath: `${repoRoot}/workflows/probe.ts` },
  );
  assert.deepEqual([...new Set(r!.messages.map((m) => m.line))], [1, 2]);
  for (const m of r!.messages) assert.match(m.message, /no Node built-ins/);
});

test('an activities stage may not import another stage, only the shared modules', async () => {
  const sideways = await lint(
    'activities/route/probe.ts',
    "import { formalize } from '../formalize/formalize.ts';\nexport const f = formalize;\n",
  );
  assert.equal(sideways.length, 1);
  assert.match(
    sideways[0]!,
    /^1: activities\/route\/ may not import another stage's module \(activities\/formalize\/formalize\.ts\)/,
  );
  // Deeper files and re-exports are caught too.
  assert.match(
    (
      await lint('activities/formalize/validators/probe.ts', "export { checkJudgeEdit } from '../../qa/edits.ts';\n")
    )[0]!,
    /another stage's module \(activities\/qa\/edits\.ts\)/,
  );
  assert.deepEqual(
    await lint(
      'activities/route/probe.ts',
      [
        "import { chat } from '../llm/gateway.ts';",
        "import { ocrLinesFor } from '../ocr/cache.ts';",
        "import { loadSample } from '../sample-io.ts';",
        "import { readFormalDoc } from '../stage-io.ts';",
        "import { formalSpecFor } from '../formalize/kinds.ts';",
        "import { circuit } from '../formalize/kinds/circuit.ts';",
        "import { cellAccuracy } from '../fidelity/score.ts';",
        "import { routeBySource } from './route.ts';",
        "import { routeByQuestion } from '../../core/routing/per-sample.ts';",
        'export const all = [chat, ocrLinesFor, loadSample, readFormalDoc, formalSpecFor, circuit, cellAccuracy, routeBySource, routeByQuestion];',
      ].join('\n'),
    ),
    [],
  );
  // Only fidelity's metrics are shared (the formal kinds name them), not its activity.
  assert.match(
    (await lint('activities/route/probe.ts', "export { scoreFidelity } from '../fidelity/index.ts';\n"))[0]!,
    /another stage's module \(activities\/fidelity\/index\.ts\)/,
  );
});

test('schemas/ imports only zod, @temporalio/common and schemas/', async () => {
  const messages = await lint(
    'schemas/probe.ts',
    [
      "import { RUN_NAME_RE } from '../core/home.ts';",
      "import sharp from 'sharp';",
      "import { z } from 'zod';",
      "import { KindSchema } from './sample.ts';",
      'export const all = [RUN_NAME_RE, sharp, z, KindSchema];',
    ].join('\n'),
  );
  assert.equal(messages.length, 2);
  assert.match(messages[0]!, /^1: schemas\/ may not import core\//);
  assert.match(messages[1]!, /^2: schemas\/ may import only zod, @temporalio\/common from npm, not sharp/);
});

test('workflows/ import activities/ type-only', async () => {
  const value = await lint(
    'workflows/probe.ts',
    "import { createActivities } from '../activities/index.ts';\nexport const a = createActivities;\n",
  );
  assert.equal(value.length, 1);
  assert.match(value[0]!, /^1: workflows\/ may not import activities\/ except type-only/);
  assert.deepEqual(
    await lint(
      'workflows/probe.ts',
      "import type { Activities } from '../activities/index.ts';\nimport { type FormalDoc } from '../activities/formalize/kinds.ts';\nexport type A = [Activities, FormalDoc];\n",
    ),
    [],
  );
  assert.equal(
    (await lint('workflows/probe.ts', "import { paths } from '../core/home.ts';\nexport const l = paths;\n")).length,
    1,
  );
});

test('core/, activities/ and infra/ stay below the layers that use them', async () => {
  assert.match(
    (await lint('core/probe.ts', "import { chat } from '../activities/llm/gateway.ts';\nexport const c = chat;\n"))[0]!,
    /core\/ may not import activities\//,
  );
  assert.match(
    (
      await lint('core/storage/probe.ts', "import type { X } from '../../workflows/index.ts';\nexport type Y = X;\n")
    )[0]!,
    /core\/ may not import workflows\//,
  );
  assert.deepEqual(
    await lint(
      'core/probe.ts',
      "import { readServerState } from '../infra/server.ts';\nexport const r = readServerState;\n",
    ),
    [],
  );
  assert.match(
    (
      await lint('core/probe.ts', "import { startWorker } from '../infra/worker.ts';\nexport const w = startWorker;\n")
    )[0]!,
    /core\/ may not import infra\//,
  );
  assert.match(
    (await lint('activities/eval/probe.ts', "import { x } from '../../infra/server.ts';\nexport const y = x;\n"))[0]!,
    /activities\/ may not import infra\//,
  );
  assert.match(
    (await lint('activities/probe.ts', "const m = await import('../cli/main.ts');\nexport const y = m;\n"))[0]!,
    /activities\/ may not import cli\//,
  );
  assert.match(
    (await lint('infra/probe.ts', "import { main } from '../cli/main.ts';\nexport const m = main;\n"))[0]!,
    /infra\/ may not import cli\//,
  );
  assert.deepEqual(
    await lint(
      'cli/probe.ts',
      "import { startWorker } from '../infra/worker.ts';\nimport { chat } from '../activities/llm/gateway.ts';\nexport const all = [startWorker, chat];\n",
    ),
    [],
  );
});
