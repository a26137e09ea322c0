import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import OpenAI from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type FakeRequest } from './support/fake-openai.ts';
import { chat, StructuredOutputError, type ChatRequest } from '../activities/llm/gateway.ts';
import { ResolvedEndpointSchema, type ResolvedEndpoint } from '../schemas/config.ts';
import { LlmCallRowSchema, type LlmCallRow } from '../schemas/llm.ts';
import { paths } from '../core/home.ts';

const KEY_ENV = 'R1OV_TEST_GATEWAY_KEY';
const SECRET = 'sk-test-SECRET-0123456789abcdef';

let fake: FakeOpenAI;
let script: (req: FakeRequest, n: number) => FakeReply | Promise<FakeReply> = () => ({ content: 'ok' });
const homes: string[] = [];

before(async () => {
  process.env[KEY_ENV] = SECRET;
  fake = await startFakeOpenAI({ respond: (req, n) => script(req, n) });
});
after(async () => {
  await fake.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'r1ov-gw-'));
  homes.push(h);
  return h;
}

function endpoint(over: Partial<ResolvedEndpoint> = {}): ResolvedEndpoint {
  return ResolvedEndpointSchema.parse({
    role: 'formalizer',
    baseUrl: fake.url,
    model: 'fake-model',
    apiKeyEnv: KEY_ENV,
    timeoutMs: 5000,
    price: { inputPerMTok: 1, outputPerMTok: 2 },
    ...over,
  });
}

let seq = 0;
function request<T>(h: string, over: Partial<ChatRequest<T>> = {}): ChatRequest<T> {
  return {
    endpoint: endpoint(),
    home: h,
    run: 'run1',
    sampleId: 's1',
    prompt: { id: 'test/prompt', hash: 'abcdef012345' },
    messages: [
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: `question ${seq++}` },
    ],
    ...over,
  };
}

function rows(h: string, run = 'run1'): LlmCallRow[] {
  const dir = paths.llmStaging(h, run);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => LlmCallRowSchema.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

const Answer = z.object({ answer: z.number(), steps: z.array(z.string()) });

test('structured output: response_format json_schema sent, answer parsed and validated', async () => {
  const h = home();
  script = () => ({ json: { answer: 42, steps: ['a', 'b'] } });
  const before = fake.calls.length;
  const r = await chat(request(h, { schema: Answer, schemaName: 'answer' }));
  assert.deepEqual(r.parsed, { answer: 42, steps: ['a', 'b'] });
  assert.equal(r.cacheHit, false);
  const sent = fake.calls[before]!.body!;
  assert.equal(sent.response_format?.type, 'json_schema');
  assert.equal(sent.response_format?.json_schema?.name, 'answer');
  const schema = sent.response_format?.json_schema?.schema as {
    properties: Record<string, unknown>;
    required: string[];
  };
  assert.deepEqual(Object.keys(schema.properties).sort(), ['answer', 'steps']);
  assert.equal(fake.calls[before]!.headers.authorization, `Bearer ${SECRET}`);
});

test('fenced JSON with prose around it is parsed', async () => {
  const h = home();
  script = () => ({
    content: 'Sure! Here it is:\n```json\n{"answer": 7, "steps": ["x"]}\n```\nLet me know if you need more {details}.',
  });
  const r = await chat(request(h, { schema: Answer }));
  assert.deepEqual(r.parsed, { answer: 7, steps: ['x'] });
});

test('invalid structured output → StructuredOutputError with one-line issues, recorded, not cached', async () => {
  const h = home();
  script = () => ({ json: { answer: 'seven' } });
  const req = request(h, { schema: Answer });
  const before = fake.calls.length;
  await assert.rejects(chat(req), (err: unknown) => {
    assert.ok(err instanceof StructuredOutputError);
    assert.match(err.issues, /answer/);
    assert.match(err.issues, /steps/);
    assert.ok(!err.issues.includes('\n'));
    assert.equal(err.text, '{"answer":"seven"}');
    assert.equal(err.raw, err.text);
    return true;
  });
  await assert.rejects(chat(req), StructuredOutputError);
  assert.equal(fake.calls.length - before, 2, 'an invalid answer is not served from the cache');
  const rs = rows(h);
  assert.equal(rs.length, 1, 'same attempt, same call → one row');
  assert.equal(rs[0]!.status, 'error');
  assert.match(rs[0]!.error!, /StructuredOutputError/);
});

test('reasoning_content is kept apart from the answer', async () => {
  const h = home();
  script = () => ({ reasoning_content: 'Let me think about 6*7.', content: 'The answer is \\boxed{42}.' });
  const r = await chat(request(h, { endpoint: endpoint({ role: 'reasoner' }) }));
  assert.equal(r.reasoning, 'Let me think about 6*7.');
  assert.equal(r.text, 'The answer is \\boxed{42}.');
});

test('inline <think> is split out of the content (with or without the opening tag)', async () => {
  const h = home();
  script = () => ({ content: '<think>\nhmm, 6*7=42\n</think>\n\nIt is 42.' });
  const r = await chat(request(h));
  assert.equal(r.reasoning, 'hmm, 6*7=42');
  assert.equal(r.text, 'It is 42.');
  script = () => ({ content: 'template opened the tag\n</think>\n{"answer": 1, "steps": []}' });
  const r2 = await chat(request(h, { schema: Answer }));
  assert.equal(r2.reasoning, 'template opened the tag');
  assert.deepEqual(r2.parsed, { answer: 1, steps: [] });
});

test('429 with Retry-After: 2 → LlmRateLimited with nextRetryDelay 2 s (retryable)', async () => {
  const h = home();
  script = () => ({ status: 429, error: 'Rate limit reached for requests', headers: { 'retry-after': '2' } });
  const f = await failureOf(chat(request(h)));
  assert.equal(f.type, 'LlmRateLimited');
  assert.equal(f.nonRetryable, false);
  assert.equal(f.nextRetryDelay, 2000);
  script = () => ({ status: 429, error: 'slow down' });
  const f2 = await failureOf(chat(request(h)));
  assert.equal(f2.nextRetryDelay, 10_000, 'no Retry-After → 10 s');
  const date = new Date(Date.now() + 5000).toUTCString();
  script = () => ({ status: 429, error: 'slow down', headers: { 'retry-after': date } });
  const f3 = await failureOf(chat(request(h)));
  assert.ok(
    typeof f3.nextRetryDelay === 'number' && f3.nextRetryDelay > 2000 && f3.nextRetryDelay <= 5000,
    String(f3.nextRetryDelay),
  );
  const rs = rows(h);
  assert.equal(rs.length, 3);
  assert.ok(rs.every((r) => r.status === 'error' && /LlmRateLimited/.test(r.error!)));
});

test('401 → non-retryable EndpointDown (the key is refused for the whole role), one line naming role, host and status, without the key', async () => {
  const h = home();
  script = () => ({
    status: 401,
    error: `Incorrect API key provided: ${SECRET}. You can find your API key at https://example.invalid.`,
  });
  const f = await failureOf(chat(request(h)));
  assert.equal(f.type, 'EndpointDown');
  assert.equal(f.nonRetryable, true);
  assert.deepEqual(f.details, [{ role: 'formalizer', host: new URL(fake.url).host, error: 'HTTP 401' }]);
  assert.ok(!f.message.includes('\n'));
  assert.match(f.message, /formalizer/);
  assert.ok(f.message.includes(new URL(fake.url).host), f.message);
  assert.match(f.message, /401/);
  assert.match(f.message, /Incorrect API key provided/);
  assert.ok(!f.message.includes(SECRET), f.message);
  assert.ok(!JSON.stringify(rows(h)).includes(SECRET));
  // Other rejections.
  for (const status of [400, 403, 404, 422]) {
    script = () => ({ status, error: `bad ${status}` });
    const g = await failureOf(chat(request(h)));
    assert.equal(g.type, status === 403 ? 'EndpointDown' : 'LlmRejected');
    assert.equal(g.nonRetryable, true);
  }
});

test('5xx → retryable LlmUnavailable; a refused connection → retryable EndpointDown with role and host', async () => {
  const h = home();
  script = () => ({ status: 503, error: 'overloaded' });
  const f = await failureOf(chat(request(h)));
  assert.equal(f.type, 'LlmUnavailable');
  assert.equal(f.nonRetryable, false);
  assert.match(f.message, /503/);
  const down = await startFakeOpenAI();
  const url = down.url;
  await down.close();
  const g = await failureOf(chat(request(h, { endpoint: endpoint({ baseUrl: url }) })));
  assert.equal(g.type, 'EndpointDown');
  assert.equal(g.nonRetryable, false);
  assert.match(g.message, /connection failed: ECONNREFUSED/);
  assert.deepEqual(g.details, [{ role: 'formalizer', host: new URL(url).host, error: 'ECONNREFUSED' }]);
});

test('a hung request times out (endpoint timeoutMs) → retryable LlmUnavailable', async () => {
  const h = home();
  script = () => ({ hang: true });
  const t0 = Date.now();
  const f = await failureOf(chat(request(h, { endpoint: endpoint({ timeoutMs: 300 }) })));
  const took = Date.now() - t0;
  assert.equal(f.type, 'LlmUnavailable');
  assert.equal(f.nonRetryable, false);
  assert.match(f.message, /timed out after 300 ms/);
  assert.ok(took >= 250 && took < 3000, `took ${took} ms`);
});

test('an identical second call is a cache hit: no HTTP call, still recorded', async () => {
  const h = home();
  script = () => ({ json: { answer: 1, steps: ['s'] }, usage: { prompt_tokens: 10, completion_tokens: 5 } });
  const req = request(h, { schema: Answer });
  const before = fake.calls.length;
  const a = await chat(req);
  const b = await chat(req);
  assert.equal(fake.calls.length - before, 1);
  assert.equal(a.cacheHit, false);
  assert.equal(b.cacheHit, true);
  assert.deepEqual(b.parsed, a.parsed);
  assert.notEqual(a.callId, b.callId);
  const rs = rows(h);
  assert.equal(rs.length, 2);
  const hit = rs.find((r) => r.cache_hit)!;
  assert.equal(hit.cost_usd, 0);
  assert.ok(hit.latency_ms < 200);
  const miss = rs.find((r) => !r.cache_hit)!;
  assert.equal(miss.cost_usd, (10 * 1 + 5 * 2) / 1e6);
  // Different params, prompt hash or images → a miss.
  await chat({ ...req, params: { temperature: 0.5 } });
  await chat({ ...req, prompt: { id: 'test/prompt', hash: 'ffffff000000' } });
  await chat({ ...req, images: [{ hash: 'img1', png: Buffer.from('png-bytes') }] });
  assert.equal(fake.calls.length - before, 4);
  // noCache skips the cache.
  await chat({ ...req, noCache: true });
  assert.equal(fake.calls.length - before, 5);
  const files = readdirSync(join(paths.cache(h), 'llm'), { recursive: true }).filter((f) =>
    String(f).endsWith('.json'),
  );
  assert.equal(files.length, 4);
});

test('images are appended to the last user message as PNG data URLs', async () => {
  const h = home();
  script = () => ({ content: 'ok' });
  const before = fake.calls.length;
  await chat(
    request(h, {
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'sure' },
        { role: 'user', content: 'describe' },
      ],
      images: [{ hash: 'h1', png: Buffer.from([1, 2, 3]) }],
    }),
  );
  const msgs = fake.calls[before]!.body!.messages;
  assert.equal(msgs[0]!.content, 'first');
  assert.deepEqual(msgs[2]!.content, [
    { type: 'text', text: 'describe' },
    { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from([1, 2, 3]).toString('base64')}` } },
  ]);
});

test('staged llm_calls rows match the calls the server saw (count, tokens)', async () => {
  const h = home();
  const served = { in: 0, out: 0 };
  let base = -1;
  script = (_req, n) => {
    if (base < 0) base = n;
    if ((n - base) % 4 === 3) return { status: 500, error: 'boom' };
    const usage = { prompt_tokens: 100 + n, completion_tokens: 10 + (n % 7) };
    served.in += usage.prompt_tokens;
    served.out += usage.completion_tokens;
    return { content: `answer ${n}`, usage };
  };
  const before = fake.calls.length;
  const reqs = Array.from({ length: 12 }, (_, i) => request<unknown>(h, { sampleId: `s${i}`, run: 'acct' }));
  for (const r of reqs) await chat(r).catch(() => undefined);
  for (const r of reqs.slice(0, 3)) await chat(r); // cache hits
  const seen = fake.calls.length - before;
  assert.equal(seen, 12);
  const rs = rows(h, 'acct');
  const real = rs.filter((r) => !r.cache_hit);
  assert.equal(real.length, seen);
  assert.equal(real.filter((r) => r.status === 'error').length, 3);
  assert.equal(rs.filter((r) => r.cache_hit).length, 3);
  assert.equal(
    real.reduce((s, r) => s + r.tokens_in, 0),
    served.in,
  );
  assert.equal(
    real.reduce((s, r) => s + r.tokens_out, 0),
    served.out,
  );
  assert.ok(
    rs.every(
      (r) =>
        r.run === 'acct' &&
        r.role === 'formalizer' &&
        r.base_url_host === new URL(fake.url).host &&
        r.prompt_hash === 'abcdef012345',
    ),
  );
});

test('staged rows: one per distinct call when every call succeeds', async () => {
  const h = home();
  script = (_req, n) => ({ content: `a${n}`, usage: { prompt_tokens: 3, completion_tokens: 4 } });
  const before = fake.calls.length;
  for (let i = 0; i < 5; i++) await chat(request(h, { sampleId: `x${i}`, run: 'acct2' }));
  const rs = rows(h, 'acct2');
  assert.equal(rs.length, fake.calls.length - before);
  assert.equal(
    rs.reduce((s, r) => s + r.tokens_in, 0),
    15,
  );
  assert.equal(
    rs.reduce((s, r) => s + r.tokens_out, 0),
    20,
  );
  assert.ok(
    rs.every((r) => r.status === 'ok' && r.error === null && r.attempt === 1 && /^[0-9a-f]{32}$/.test(r.call_id)),
  );
});

test('per-role concurrency caps in-flight calls in the process', async () => {
  const h = home();
  let active = 0;
  let peak = 0;
  script = async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 100));
    active--;
    return { content: 'ok' };
  };
  const ep = endpoint({ role: 'judge', concurrency: 2 });
  await Promise.all(Array.from({ length: 6 }, () => chat(request(h, { endpoint: ep, noCache: true }))));
  assert.equal(peak, 2);
});

test('n > 1 returns every choice', async () => {
  const h = home();
  script = () => ({ content: 'same' });
  const r = await chat(request(h, { params: { n: 3 } }));
  assert.equal(r.choices?.length, 3);
  assert.equal(r.text, 'same');
});

test('inside an activity: heartbeats while a slow call is in flight; attempt recorded', async () => {
  const h = home();
  script = () => ({ content: 'slow answer', delayMs: 700 });
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 300, attempt: 3 });
  let beats = 0;
  env.on('heartbeat', () => beats++);
  const r = (await env.run(() => chat(request(h, { run: 'hb' })))) as Awaited<ReturnType<typeof chat>>;
  assert.equal(r.text, 'slow answer');
  assert.ok(beats >= 4, `heartbeats: ${beats}`);
  const rs = rows(h, 'hb');
  assert.equal(rs.length, 1);
  assert.equal(rs[0]!.attempt, 3);
});

test('inside an activity: cancellation aborts the call', async () => {
  const h = home();
  script = () => ({ hang: true });
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1000 });
  const p = env.run(() => chat(request(h, { run: 'cancel' })));
  setTimeout(() => env.cancel(), 100);
  await assert.rejects(p, (err: unknown) => (err as Error).name === 'CancelledFailure');
});

test('the fake streams SSE chunks that the openai client reads (stream: true)', async () => {
  script = () => ({
    reasoning_content: 'think think',
    content: 'streamed answer text',
    usage: { prompt_tokens: 9, completion_tokens: 8 },
  });
  const client = new OpenAI({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'fake-model',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let reasoning = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
    text += d?.content ?? '';
    reasoning += d?.reasoning_content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'streamed answer text');
  assert.equal(reasoning, 'think think');
  assert.equal(finish, 'stop');
  assert.equal(usage?.prompt_tokens, 9);
  assert.equal(usage?.completion_tokens, 8);
});
