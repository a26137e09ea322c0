// activities/heartbeat.ts: beats inside an activity, silently nothing outside one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeat, heartbeatWhile } from '../activities/heartbeat.ts';

test('outside an activity: heartbeat is a no-op and heartbeatWhile just awaits', async () => {
  assert.doesNotThrow(() => heartbeat({ row: 1 }));
  assert.equal(await heartbeatWhile(Promise.resolve(42), { everyMs: 1 }), 42);
  await assert.rejects(heartbeatWhile(Promise.reject(new Error('boom')), { everyMs: 1 }), /boom/);
});

test('inside an activity: heartbeat sends its details', async () => {
  const env = new MockActivityEnvironment();
  const seen: unknown[] = [];
  env.on('heartbeat', (d: unknown) => seen.push(d));
  await env.run(async () => heartbeat({ index: 7 }));
  assert.deepEqual(seen, [{ index: 7 }]);
});

test('inside an activity: heartbeatWhile beats with its details while the work is pending', async () => {
  const env = new MockActivityEnvironment();
  const seen: unknown[] = [];
  let finish: (v: string) => void = () => {};
  const work = new Promise<string>((resolve) => {
    finish = resolve;
  });
  // The work settles on its third beat: proof that beats arrive while it is pending.
  env.on('heartbeat', (d: unknown) => {
    seen.push(d);
    if (seen.length === 3) finish('done');
  });
  const result = await env.run(() => heartbeatWhile(work, { everyMs: 5, details: { run: 'r' } }));
  assert.equal(result, 'done');
  assert.deepEqual(seen, [{ run: 'r' }, { run: 'r' }, { run: 'r' }]);
});
