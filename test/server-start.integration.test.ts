/**
 * The embedded server's start (infra/server.ts) on a port another process holds: the server exits at once, and the
 * start says so with the reason from the server's log instead of polling a dead address until its deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../infra/server.ts';
import { paths } from '../core/home.ts';
import { freePort, temporalCliForTests } from './support/cluster.ts';

test('a taken frontend port fails the start at once, naming the port and the reason', async () => {
  process.env.TEMPORAL_CLI = temporalCliForTests();
  // Accepts and drops what connects, so nothing it accepted outlives the test.
  const busy = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  const home = mkdtempSync(join(tmpdir(), 'r1ov-server-start-'));
  try {
    const t0 = Date.now();
    await assert.rejects(startServer({ home, port, uiPort: await freePort() }), (err: Error) => {
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} exited \\(code \\d+\\) before it was ready`));
      assert.match(err.message, /address already in use/);
      return true;
    });
    // Well inside the 60-s readiness deadline: the exit was heard, not waited out.
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    // The failed start leaves no server state behind, so the next start is not mistaken for a running server.
    assert.equal(existsSync(join(paths.server(home), 'server.json')), false);
  } finally {
    busy.close();
    rmSync(home, { recursive: true, force: true });
  }
});
