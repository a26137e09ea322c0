import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearPromptCache, loadPrompt, makePrompt, promptsDir, PromptError } from '../core/prompts.ts';

function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'r1ov-prompts-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

test('loadPrompt: id, content hash, render with {{var}}', () => {
  const text = 'Describe the {{ kind }} chart.\nQuestion: {{question}}\nAgain: {{kind}}\n';
  const d = dirWith({ 'formalize/chart.md': text });
  try {
    const p = loadPrompt('formalize', 'chart', { dir: d });
    assert.equal(p.id, 'formalize/chart');
    assert.equal(p.hash, createHash('sha256').update(text).digest('hex').slice(0, 12));
    assert.deepEqual(p.vars, ['kind', 'question']);
    assert.equal(
      p.render({ kind: 'bar', question: 'max? {{kind}}' }),
      'Describe the bar chart.\nQuestion: max? {{kind}}\nAgain: bar\n',
    );
    assert.throws(
      () => p.render({ kind: 'bar' }),
      (e: unknown) => e instanceof PromptError && /formalize\/chart: missing variable question/.test(e.message),
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('loadPrompt: cached, reloaded (new hash) when the file changes', () => {
  const d = dirWith({ 'qa/judge.md': 'v1 {{x}}' });
  try {
    const a = loadPrompt('qa', 'judge', { dir: d });
    assert.equal(loadPrompt('qa', 'judge', { dir: d }), a);
    writeFileSync(join(d, 'qa/judge.md'), 'version two {{x}}');
    const b = loadPrompt('qa', 'judge', { dir: d });
    assert.notEqual(b.hash, a.hash);
    assert.equal(b.render({ x: '1' }), 'version two 1');
    clearPromptCache();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('loadPrompt: bad names and missing files are clear errors', () => {
  assert.throws(() => loadPrompt('../etc', 'passwd'), PromptError);
  assert.throws(() => loadPrompt('formalize', 'a/b'), PromptError);
  assert.throws(() => loadPrompt('nope', 'missing', { dir: tmpdir() }), /no template file/);
  assert.match(promptsDir(), /prompts\/?$/);
});

test('escaped \\{{ stays literal; single braces untouched', () => {
  const p = makePrompt('t/x', 'JSON like {"a": 1}; literal \\{{name}}; value {{name}}');
  assert.deepEqual(p.vars, ['name']);
  assert.equal(p.render({ name: 'N' }), 'JSON like {"a": 1}; literal {{name}}; value N');
});
