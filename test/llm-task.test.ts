// The LLM task helper (activities/llm/task.ts) against the local OpenAI-compatible test endpoint: the messages a
// declaration builds, the structured output it asks for, repair after a parse or check failure, and the error when
// repairs run out. Every call goes through the gateway, so each is also an llm_calls row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { makePrompt } from '../core/prompts.ts';
import { paths } from '../core/home.ts';
import { StructuredOutputError } from '../activities/llm/gateway.ts';
import { llmTask, TaskOutputError, taskMessages, type TaskCall } from '../activities/llm/task.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { LlmCallRowSchema, type LlmCallRow } from '../schemas/llm.ts';
import {
  lastUserText,
  startFakeOpenAI,
  type FakeOpenAI,
  type FakeReply,
  type FakeRequest,
} from './support/fake-openai.ts';

let fake: FakeOpenAI;
let script: (req: FakeRequest, n: number) => FakeReply = () => ({ content: 'ok' });
const homes: string[] = [];

before(async () => {
  fake = await startFakeOpenAI({ respond: (req, n) => script(req, n) });
});
after(async () => {
  await fake.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function call(over: Partial<TaskCall> = {}): TaskCall {
  const home = mkdtempSync(join(tmpdir(), 'r1ov-task-'));
  homes.push(home);
  const endpoint = ResolvedEndpointSchema.parse({
    role: 'judge',
    baseUrl: fake.url,
    model: 'fake-model',
    apiKeyEnv: 'R1OV_TEST_NO_KEY',
    timeoutMs: 5000,
  });
  return { endpoint, home, run: 'run1', sampleId: 's1', noCache: true, ...over };
}

function rows(c: TaskCall): LlmCallRow[] {
  const dir = paths.llmStaging(c.home, c.run);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => LlmCallRowSchema.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
}

const Verdict = z.object({ valid: z.boolean(), reason: z.string() });
const ask = makePrompt('test/ask', 'Is {{claim}} true? Answer as JSON.');
const fix = makePrompt('test/repair', 'That answer is wrong: {{error}}. Answer again.');

test('a declaration renders its template into messages and asks for its schema as response_format', async () => {
  const task = llmTask({
    name: 'verdict',
    template: ask,
    schema: Verdict,
    params: { temperature: 0 },
    vars: (claim: string) => ({ claim }),
  });
  assert.deepEqual(taskMessages(task, '2 + 2 = 4'), [{ role: 'user', content: 'Is 2 + 2 = 4 true? Answer as JSON.' }]);
  script = () => ({ json: { valid: true, reason: 'arithmetic' } });
  const before = fake.calls.length;
  const c = call();
  const out = await task.run('2 + 2 = 4', c);
  assert.deepEqual(out.value, { valid: true, reason: 'arithmetic' });
  assert.equal(out.attempts, 1);
  const sent = fake.calls.slice(before).map((x) => x.body!);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.response_format?.type, 'json_schema');
  assert.equal(sent[0]!.response_format?.json_schema?.name, 'verdict');
  assert.deepEqual(
    Object.keys((sent[0]!.response_format?.json_schema?.schema as { properties: object }).properties).sort(),
    ['reason', 'valid'],
  );
  assert.equal(sent[0]!.temperature, 0);
  assert.equal(lastUserText(sent[0]!), 'Is 2 + 2 = 4 true? Answer as JSON.');
  assert.equal(rows(c).length, 1);
});

test('a text task without a schema sends no response_format and its value is the answer text', async () => {
  const task = llmTask({ name: 'free', template: ask, vars: (claim: string) => ({ claim }) });
  script = () => ({ content: 'It is true.' });
  const before = fake.calls.length;
  const out = await task.run('the sky is blue', call({ params: { temperature: 0.9 } }));
  assert.equal(out.value, 'It is true.');
  assert.equal(fake.calls[before]!.body!.response_format, undefined);
  assert.equal(fake.calls[before]!.body!.temperature, 0.9);
});

test('a parse failure is repaired: the previous answer and the problem go back, and the second answer is the value', async () => {
  const task = llmTask({
    name: 'verdict',
    template: ask,
    schema: Verdict,
    vars: (claim: string) => ({ claim }),
    repair: { turns: 2, template: fix },
  });
  script = (req) =>
    req.messages.length === 1 ? { content: 'Sure! It is true.' } : { json: { valid: true, reason: 'second try' } };
  const before = fake.calls.length;
  const c = call({ callIndex: 1 });
  const out = await task.run('x', c);
  assert.deepEqual(out.value, { valid: true, reason: 'second try' });
  assert.equal(out.attempts, 2);
  const second = fake.calls[before + 1]!.body!;
  assert.equal(second.messages.length, 3);
  assert.equal(second.messages[1]!.role, 'assistant');
  assert.equal(second.messages[1]!.content, 'Sure! It is true.');
  assert.match(
    lastUserText(second),
    /^That answer is wrong: output does not match the schema: structured output invalid: .+\. Answer again\.$/,
  );
  // Both calls are accounted, as distinct rows (each repair turn counts on from the first callIndex).
  const r = rows(c);
  assert.equal(r.length, 2);
  assert.deepEqual(r.map((x) => x.status).sort(), ['error', 'ok']);
});

test("a check failure is repaired with the check's message", async () => {
  const task = llmTask({
    name: 'even',
    template: makePrompt('test/even', 'Give an even number as {"n": …}.'),
    schema: z.object({ n: z.number() }),
    messages: (_: null, p) => [
      { role: 'system', content: 'Numbers only.' },
      { role: 'user', content: p.render({}) },
    ],
    check: (v: { n: number }) => (v.n % 2 === 0 ? { ok: true, value: v.n } : { ok: false, error: `${v.n} is odd` }),
    repair: { turns: 1, template: fix },
  });
  script = (req) => ({ json: { n: req.messages.length === 2 ? 3 : 4 } });
  const before = fake.calls.length;
  const out = await task.run(null, call());
  assert.equal(out.value, 4);
  assert.equal(fake.calls[before]!.body!.messages[0]!.content, 'Numbers only.');
  assert.equal(lastUserText(fake.calls[before + 1]!.body!), 'That answer is wrong: 3 is odd. Answer again.');
});

test('a fixer mends an answer without another call', async () => {
  const task = llmTask({
    name: 'verdict',
    template: ask,
    schema: Verdict,
    vars: (claim: string) => ({ claim }),
    repair: { turns: 0, fix: (text) => text.replace(/^```\w*|```$/g, '').replace(/'/g, '"') },
  });
  script = () => ({ content: "{'valid': false, 'reason': 'single quotes'}" });
  const before = fake.calls.length;
  const out = await task.run('x', call());
  assert.deepEqual(out.value, { valid: false, reason: 'single quotes' });
  assert.equal(fake.calls.length - before, 1);
});

test('repairs exhausted: a TaskOutputError naming the task, the attempts and the last problem', async () => {
  const task = llmTask({
    name: 'verdict',
    template: ask,
    schema: Verdict,
    vars: (claim: string) => ({ claim }),
    repair: { turns: 0, template: fix },
  });
  script = () => ({ content: 'no JSON here' });
  const before = fake.calls.length;
  const c = call({ repairs: 2 });
  const err = await task.run('x', c).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof TaskOutputError, String(err));
  assert.ok(err instanceof StructuredOutputError, 'callers that tolerate unusable structured output tolerate this too');
  assert.equal(err.attempts, 3);
  assert.equal(fake.calls.length - before, 3);
  assert.equal(err.text, 'no JSON here');
  assert.match(err.message, /^llm task verdict: no valid output after 3 attempts: output does not match the schema: /);
  assert.doesNotMatch(err.message, /\n/);
  assert.equal(rows(c).length, 3);
});

test('a task that declares no repair fails as the gateway does (one call, its StructuredOutputError)', async () => {
  const task = llmTask({ name: 'verdict', template: ask, schema: Verdict, vars: (claim: string) => ({ claim }) });
  script = () => ({ json: { valid: 'maybe' } });
  const before = fake.calls.length;
  const err = await task.run('x', call()).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof StructuredOutputError && !(err instanceof TaskOutputError), String(err));
  assert.equal(fake.calls.length - before, 1);
});
