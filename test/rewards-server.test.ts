import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRewardServer } from '../core/rewards/server.ts';
import { RewardBatchResponseSchema, RewardHealthSchema } from '../schemas/rewards.ts';

test('reward server: health, a 1,000-item batch in order, errors', async () => {
  const server = await startRewardServer({ port: 0, maxBodyBytes: 1024 * 1024 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    RewardHealthSchema.parse(await health.json());

    const items = Array.from({ length: 1000 }, (_, i) => ({
      id: i,
      completion: `<think>compute</think><answer>\\boxed{${i % 3 === 0 ? i : i + 1}}</answer>`,
      ground_truth: String(i),
      ...(i % 10 === 0 ? { box: [0, 0, 10, 10] as [number, number, number, number] } : {}),
    }));
    const res = await fetch(`${server.url}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    assert.equal(res.status, 200);
    const body = RewardBatchResponseSchema.parse(await res.json());
    assert.equal(body.results.length, 1000);
    body.results.forEach((r, i) => {
      assert.equal(r.id, i);
      assert.equal(r.accuracy, i % 3 === 0 ? 1 : 0);
      assert.equal(r.format, 1);
      assert.equal(r.iou, i % 10 === 0 ? 0 : undefined);
    });

    const bad = await fetch(`${server.url}/score`, { method: 'POST', body: '{"items": [{"completion": 1}]}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /items\.0/);
    const notJson = await fetch(`${server.url}/score`, { method: 'POST', body: 'nope' });
    assert.equal(notJson.status, 400);
    await notJson.arrayBuffer();
    const big = await fetch(`${server.url}/score`, {
      method: 'POST',
      body: JSON.stringify({ items: [{ completion: 'x'.repeat(2 * 1024 * 1024), ground_truth: '1' }] }),
    });
    assert.equal(big.status, 413);
    await big.arrayBuffer();
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const wrongMethod = await fetch(`${server.url}/score`);
    assert.equal(wrongMethod.status, 405);
    await wrongMethod.arrayBuffer();
  } finally {
    await server.close();
  }
});
