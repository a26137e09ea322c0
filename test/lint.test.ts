import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { repoRoot } from './support/cluster.ts';

test('workflow code passes the determinism lint', async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const results = await eslint.lintFiles(['workflows/**/*.ts']);
  const errors = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.message}`));
  assert.deepEqual(errors, []);
  assert.ok(results.length >= 3);
});

test('the lint rule refuses Node built-ins in workflows/', async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const [r] = await eslint.lintText("import { readFileSync } from 'node:fs';\nimport crypto from 'crypto';\nexport const x = [readFileSync, crypto];\n", { filePath: `${repoRoot}/workflows/probe.ts` });
  assert.deepEqual([...new Set(r!.messages.map((m) => m.line))], [1, 2]);
  for (const m of r!.messages) assert.match(m.message, /no Node built-ins/);
});
