import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { extractJson, parseStructured, splitThink, StructuredOutputError } from '../activities/llm/parse-json.ts';

const cases: Array<[string, string, unknown]> = [
  ['plain object', '{"a": 1}', { a: 1 }],
  ['plain array', '[1, 2]', [1, 2]],
  ['fenced json', 'Here:\n```json\n{"a": 2}\n```', { a: 2 }],
  ['fenced json + trailing prose with braces', '```json\n{"a": 3}\n```\nNote: {not json} and [x].', { a: 3 }],
  ['fence without language', '```\n{"a": 4}\n```', { a: 4 }],
  ['unterminated fence', 'Result:\n```json\n{"a": 5}', { a: 5 }],
  ['leading prose', 'The answer is {"a": 6} as requested.', { a: 6 }],
  ['prose with a bad bracket first', 'Consider {x} then {"a": 7}', { a: 7 }],
  ['braces inside strings', 'x {"s": "a } b { c", "t": "[" } y', { s: 'a } b { c', t: '[' }],
  ['escaped quotes', '{"s": "say \\"hi\\" }"}', { s: 'say "hi" }' }],
  ['trailing commas', '{"a": [1, 2,], "b": 1,}', { a: [1, 2], b: 1 }],
  ['think block ignored', '<think>{"wrong": true}</think>{"a": 8}', { a: 8 }],
  ['fence preferred over earlier array', 'See [1, 2].\n```json\n{"a": 9}\n```', { a: 9 }],
  ['nested', 'ok: {"a": {"b": [{"c": 1}]}} done', { a: { b: [{ c: 1 }] } }],
];

for (const [name, input, want] of cases) {
  test(`extractJson: ${name}`, () => assert.deepEqual(extractJson(input), want));
}

test('extractJson: no JSON → StructuredOutputError', () => {
  assert.throws(() => extractJson('I cannot answer that.'), StructuredOutputError);
  assert.throws(() => extractJson('{"a": '), StructuredOutputError);
});

test('parseStructured: validation failure carries the zod issues on one line and the raw text', () => {
  const S = z.object({ kind: z.enum(['chart', 'table']), rows: z.array(z.object({ x: z.number() })).min(1) });
  try {
    parseStructured('```json\n{"kind": "photo", "rows": [{"x": "1"}]}\n```', S, 'cid');
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof StructuredOutputError);
    assert.ok(!err.issues.includes('\n'));
    assert.match(err.issues, /^kind: /);
    assert.match(err.issues, /rows\.0\.x: /);
    assert.equal(err.callId, 'cid');
    assert.match(err.text, /photo/);
    assert.match(err.message, /^structured output invalid: /);
  }
  assert.deepEqual(parseStructured('{"kind":"chart","rows":[{"x":1}]}', S), { kind: 'chart', rows: [{ x: 1 }] });
});

test('splitThink', () => {
  assert.deepEqual(splitThink('no thinking'), { text: 'no thinking' });
  assert.deepEqual(splitThink('<think> a </think> b'), { text: 'b', reasoning: 'a' });
  assert.deepEqual(splitThink('opened by template </think>\nanswer'), {
    text: 'answer',
    reasoning: 'opened by template',
  });
  assert.deepEqual(splitThink('<think>cut off mid-thought'), { text: '', reasoning: 'cut off mid-thought' });
});
