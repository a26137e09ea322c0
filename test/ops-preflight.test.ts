/**
 * The endpoint probe behind the CLI's preflight and the build's circuit breaker: up when the server answers (even a
 * 404), down when nobody listens, nothing answers in time, or the key is refused; the CLI's preflight names the
 * role, host and error, and does not hold a refused key against an endpoint whose key only the workers have.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeEndpoint } from '../activities/llm/probe.ts';
import { preflightEndpoints } from '../cli/watch.ts';
import { UsageError } from '../core/errors.ts';
import { freePort } from './support/cluster.ts';
import type { ResolvedEndpoint } from '../schemas/config.ts';

let server: Server;
let base: string;
const seen: Array<{ url: string; auth: string | undefined }> = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.url?.startsWith('/hang/')) return; // never answers
    if (req.url?.startsWith('/nomodels/')) {
      res.writeHead(404).end('not here');
      return;
    }
    if (req.headers.authorization !== 'Bearer right-key') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

const ep = (path: string, apiKeyEnv?: string): ResolvedEndpoint => ({
  role: 'reasoner',
  baseUrl: `${base}${path}`,
  model: 'm',
  apiKeyEnv,
  concurrency: 1,
  timeoutMs: 1000,
});

test('up: the models list answers with the key; a server without a models list is still up', async () => {
  assert.deepEqual(await probeEndpoint(ep('/v1', 'OPS_KEY'), 2000, { OPS_KEY: 'right-key' }), {
    role: 'reasoner',
    host: new URL(base).host,
    ok: true,
    error: null,
  });
  assert.equal(seen.at(-1)!.url, '/v1/models');
  assert.equal(seen.at(-1)!.auth, 'Bearer right-key');
  assert.equal((await probeEndpoint(ep('/nomodels/v1'), 2000, {})).ok, true);
});

test('down: refused key, nobody listening, no answer in time', async () => {
  const refused = await probeEndpoint(ep('/v1', 'OPS_KEY'), 2000, { OPS_KEY: 'wrong' });
  assert.deepEqual([refused.ok, refused.error], [false, 'HTTP 401: key refused (OPS_KEY)']);
  const port = await freePort();
  const closed = await probeEndpoint({ ...ep('/v1'), baseUrl: `http://127.0.0.1:${port}/v1` }, 2000, {});
  assert.deepEqual([closed.ok, closed.error, closed.host], [false, 'ECONNREFUSED', `127.0.0.1:${port}`]);
  const t0 = Date.now();
  const hung = await probeEndpoint(ep('/hang/v1'), 1000, {});
  assert.deepEqual([hung.ok, hung.error], [false, 'no answer in 1 s']);
  assert.ok(Date.now() - t0 < 3000);
});

test('preflight: a usage error naming role, host and error; a key only the workers hold is not checked here', async () => {
  const port = await freePort();
  await assert.rejects(
    preflightEndpoints([{ ...ep('/v1'), role: 'formalizer', baseUrl: `http://127.0.0.1:${port}/v1` }, undefined]),
    (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(
        err.message,
        new RegExp(`^preflight: the formalizer endpoint at 127\\.0\\.0\\.1:${port} is not usable: ECONNREFUSED;`),
      );
      return true;
    },
  );
  delete process.env.OPS_PREFLIGHT_KEY;
  await preflightEndpoints([ep('/v1', 'OPS_PREFLIGHT_KEY')]); // 401, but this process has no such key: reachable is enough
  process.env.OPS_PREFLIGHT_KEY = 'wrong';
  try {
    await assert.rejects(
      preflightEndpoints([ep('/v1', 'OPS_PREFLIGHT_KEY')]),
      /reasoner endpoint at .* is not usable: HTTP 401: key refused \(OPS_PREFLIGHT_KEY\)/,
    );
  } finally {
    delete process.env.OPS_PREFLIGHT_KEY;
  }
});
