import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import OpenAI from 'openai';
import { minimalFromSchema, startFakeOpenAI } from './support/fake-openai.ts';

test('fake: chat completion with default usage, recorded call, /v1/models', async () => {
  const fake = await startFakeOpenAI({ respond: () => ({ content: 'hello there' }), models: ['m1', 'm2'] });
  try {
    const client = new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: 'm1',
      messages: [{ role: 'user', content: 'say hello please' }],
      temperature: 0,
    });
    assert.equal(r.choices[0]!.message.content, 'hello there');
    assert.equal(r.usage?.prompt_tokens, 4);
    assert.equal(r.usage?.completion_tokens, 3);
    assert.equal(fake.calls.length, 1);
    assert.equal(fake.calls[0]!.body!.temperature, 0);
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['m1', 'm2'],
    );
  } finally {
    await fake.close();
  }
});

test('fake: OpenAI error bodies, 429 Retry-After header, json reply', async () => {
  const fake = await startFakeOpenAI({
    respond: (_req, n) =>
      n === 0
        ? { status: 429, error: 'too many', headers: { 'retry-after': '3' } }
        : n === 1
          ? { status: 400, error: 'bad' }
          : { json: { a: 1 } },
  });
  try {
    const post = () =>
      fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      });
    const r1 = await post();
    assert.equal(r1.status, 429);
    assert.equal(r1.headers.get('retry-after'), '3');
    assert.deepEqual(((await r1.json()) as any).error.message, 'too many');
    const r2 = await post();
    assert.equal(r2.status, 400);
    assert.equal(((await r2.json()) as any).error.type, 'invalid_request_error');
    const r3 = await post();
    assert.equal(((await r3.json()) as any).choices[0].message.content, '{"a":1}');
  } finally {
    await fake.close();
  }
});

test('fake: close() ends hanging requests', async () => {
  const fake = await startFakeOpenAI({ respond: () => ({ hang: true }) });
  const p = fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', messages: [] }),
  }).then(
    () => 'answered',
    () => 'aborted',
  );
  await new Promise((r) => setTimeout(r, 50));
  await fake.close();
  assert.equal(await p, 'aborted');
});

test('minimalFromSchema satisfies zod-generated JSON schemas', () => {
  const Inner = z.object({ label: z.string().min(3), score: z.number().min(0.5) });
  const S = z.object({
    kind: z.enum(['chart', 'table']),
    rows: z.array(Inner).min(2),
    note: z.string().optional(),
    n: z.number().int().positive(),
    flag: z.boolean(),
    tag: z.literal('x'),
    maybe: z.union([z.null(), z.string()]),
  });
  const value = minimalFromSchema(z.toJSONSchema(S));
  assert.equal(S.safeParse(value).success, true, JSON.stringify(value));
});

test('standalone fake (json mode): prints its URL, answers with schema-shaped JSON, counts calls on /stats', async () => {
  const script = fileURLToPath(new URL('./support/fake-openai.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--port', '0', '--mode', 'json', '--latency-ms', '5'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const S = z.object({ answer: z.string(), confidence: z.number().min(0).max(1) });
    const client = new OpenAI({ baseURL: url, apiKey: 'k', maxRetries: 0 });
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'q' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'out', schema: z.toJSONSchema(S) as Record<string, unknown> },
        },
      });
      assert.equal(S.safeParse(JSON.parse(r.choices[0]!.message.content!)).success, true);
    }
    const stats = (await (await fetch(url.replace(/\/v1$/, '/stats'))).json()) as {
      total: number;
      lastMinute: number;
      windows: unknown[];
    };
    assert.equal(stats.total, 3);
    assert.equal(stats.lastMinute, 3);
    assert.ok(stats.windows.length >= 1);
  } finally {
    child.kill('SIGTERM');
  }
});
