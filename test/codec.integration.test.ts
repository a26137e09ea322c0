/**
 * Payload encryption end to end: with R1OV_CODEC_KEYS set on the worker and the CLI, a parquet
 * build with LLM roles leaves no plaintext payload in history (every payload outside search attributes is
 * `binary/encrypted`, failures included; `temporal workflow show` shows no sample JSON), the CLI still reads its
 * progress, `r1ov codec-server` decodes the payloads the Web UI would send it, and a key rotation keeps old runs
 * readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { repoRoot, startCluster, temporalCliForTests, exited, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture } from './support/llava-fixture.ts';
import { dataConverterFromEnv, ENCODING, newCodecKey } from '../core/codec.ts';

const K1 = newCodecKey('k1');
const K2 = newCodecKey('k2');
const ENV1 = { R1OV_CODEC_KEYS: K1, R1OV_CODEC_KEY_ID: 'k1' };
const ENV2 = { R1OV_CODEC_KEYS: `${K1},${K2}`, R1OV_CODEC_KEY_ID: 'k2' };

let cluster: Cluster;
let fake: FakeOpenAI;
let dir: string;
let src: string;
let configFile: string;
let codecServer: ChildProcess | undefined;
let sampleWf = '';

type P = { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null };

/** Every payload in a history, with where it sits (search attributes are indexed by the server: never encoded). */
function payloads(v: unknown, path = '', out: Array<{ path: string; p: P }> = []): Array<{ path: string; p: P }> {
  if (!v || typeof v !== 'object') return out;
  if ('metadata' in v && 'data' in v && (v as P).data instanceof Uint8Array) {
    out.push({ path, p: v as P });
    return out;
  }
  for (const [k, x] of Object.entries(v)) payloads(x, `${path}.${k}`, out);
  return out;
}
const enc = (p: P) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString();
const keyId = (p: P) => Buffer.from(p.metadata?.['encryption-key-id'] ?? new Uint8Array()).toString();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-codec-'));
  src = join(dir, 'llava');
  await writeLlavaFixture(src);
  fake = await startFakeOpenAI({
    respond: (req, n) => (n === 2 ? { status: 500, error: 'transient' } : fixtureResponder()(req)),
  });
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: fake.url, model: `codec-${r}` }]),
  );
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ roles, window: 50, pageSize: 20, commitEvery: 30 }));
  cluster = await startCluster();
});

after(async () => {
  codecServer?.kill('SIGTERM');
  await cluster?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'an encrypted build: every history payload is ciphertext, the CLI still reads progress',
  { timeout: 10 * 60_000 },
  async () => {
    await cluster.startWorker(['--config', configFile], ENV1);
    const out = await cluster.cliJson<{ status: string; progress: { counts: Record<string, number> } }>(
      ['build', '--source', src, '--run', 'enc', '--config', configFile, '--limit', '40', '--wait'],
      { env: ENV1 },
    );
    assert.equal(out.status, 'COMPLETED');
    assert.equal(
      Object.values(out.progress.counts).reduce((a, b) => a + b, 0),
      40,
      'the client decoded the final progress',
    );

    // Raw client: no codec, so we see what the server stores (listing decodes memos, so it needs the codec client).
    const conn = await Connection.connect({ address: cluster.server.address });
    const raw = new Client({ connection: conn });
    const withCodec = new Client({ connection: conn, dataConverter: dataConverterFromEnv(ENV1) });
    const ids = ['r1ov/enc'];
    for await (const wf of withCodec.workflow.list({ query: `R1ovRun = 'enc'` })) ids.push(wf.workflowId);
    assert.ok(ids.length > 40);
    // Without the key, even listing fails: the memo is ciphertext.
    await assert.rejects(async () => {
      for await (const _ of raw.workflow.list({ query: `R1ovRun = 'enc'` })) break;
    }, /binary\/encrypted/);
    sampleWf = ids.find((id) => id !== 'r1ov/enc')!;
    let n = 0;
    const kinds = new Set<string>();
    for (const id of ids) {
      const { events } = await raw.workflow.getHandle(id).fetchHistory();
      for (const { path, p } of payloads(events)) {
        if (path.includes('searchAttributes')) continue;
        if (/markerRecordedEventAttributes\.details\.data\./.test(path)) {
          // The local-activity marker's own header, written by the SDK core outside the data converter: bookkeeping
          // only (sequence, attempt, activity type, times). Its result payload is encrypted like every other.
          const header = JSON.parse(Buffer.from(p.data!).toString()) as Record<string, unknown>;
          const extra = Object.keys(header).filter(
            (k) =>
              ![
                'seq',
                'attempt',
                'activity_id',
                'activity_type',
                'complete_time',
                'backoff',
                'original_schedule_time',
              ].includes(k),
          );
          assert.deepEqual(extra, [], `unexpected fields in a local-activity marker header: ${extra.join(', ')}`);
          continue;
        }
        if (/markerRecordedEventAttributes\.details\.patch-data\./.test(path)) {
          // A `patched()` marker, also written by the SDK core: the patch's id from the workflow code, nothing else.
          const marker = JSON.parse(Buffer.from(p.data!).toString()) as Record<string, unknown>;
          assert.deepEqual(Object.keys(marker).sort(), ['deprecated', 'id'], 'a patch marker holds its id only');
          assert.equal(marker.id, 'build-read-ahead', 'the read-ahead patch every new build records');
          continue;
        }
        n++;
        kinds.add(path.replace(/^\.\d+/, '').replace(/\.\d+/g, '[]'));
        assert.equal(
          enc(p),
          ENCODING,
          `plaintext payload at ${id}${path}: ${Buffer.from(p.data!).toString().slice(0, 80)}`,
        );
        assert.equal(keyId(p), 'k1');
      }
      // Failure messages are encoded too (encodeCommonAttributes): no readable message besides the placeholder.
      for (const e of events ?? []) {
        const f =
          (e as any).activityTaskFailedEventAttributes?.failure ??
          (e as any).workflowExecutionFailedEventAttributes?.failure;
        if (f) assert.equal(f.message, 'Encoded failure', `clear failure message in ${id}`);
      }
    }
    assert.ok(n > 200, `only ${n} payloads`);
    process.stderr.write(
      `codec: ${n} payloads in ${ids.length} workflows, all ${ENCODING}; kinds: ${[...kinds].slice(0, 12).join(', ')}\n`,
    );
    await conn.close();
  },
);

test('`temporal workflow show` shows no sample JSON', () => {
  const cli = temporalCliForTests();
  for (const id of ['r1ov/enc', sampleWf]) {
    const r = spawnSync(
      cli,
      [
        'workflow',
        'show',
        '--workflow-id',
        id,
        '--address',
        cluster.server.address,
        '--namespace',
        'default',
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length > 1000);
    for (const needle of [
      'parentId',
      'routeBy',
      'formalKey',
      'labelled',
      'pageSize',
      'codec-formalizer',
      'sampleKey',
    ]) {
      const where = r.stdout.indexOf(needle);
      // The workflow id itself (r1ov/enc/chartqa-1#0) is not a payload: skip occurrences inside workflowId fields.
      const ok =
        where < 0 ||
        [...r.stdout.matchAll(new RegExp(needle.replace(/[-]/g, '\\-'), 'g'))].every((m) =>
          /"(workflowId|parentWorkflowId|id)":\s*"[^"]*$/.test(r.stdout.slice(Math.max(0, m.index! - 200), m.index)),
        );
      assert.ok(
        ok,
        `${needle} visible in temporal workflow show ${id}: …${r.stdout.slice(Math.max(0, where - 80), where + 40)}…`,
      );
    }
  }
});

test('r1ov codec-server decodes what the UI sends; CORS for the UI origin', async () => {
  const port = await (await import('./support/cluster.ts')).freePort();
  codecServer = spawn(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), 'codec-server', '--port', String(port)], {
    env: { ...cluster.env, ...ENV2 },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    codecServer!.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) res(m[0]);
    });
    codecServer!.once('exit', (c) => rej(new Error(`codec-server exited ${c}`)));
  });
  const conn = await Connection.connect({ address: cluster.server.address });
  const raw = new Client({ connection: conn });
  const { events } = await raw.workflow.getHandle(sampleWf).fetchHistory();
  const ps = payloads(events)
    .filter((x) => !x.path.includes('searchAttributes'))
    .map(({ p }) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
      ),
      data: Buffer.from(p.data!).toString('base64'),
    }));
  const res = await fetch(`${url}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: cluster.server.uiUrl },
    body: JSON.stringify({ payloads: ps }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), cluster.server.uiUrl);
  const decoded = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> })
    .payloads;
  assert.equal(decoded.length, ps.length);
  const texts = decoded.map((p) => Buffer.from(p.data, 'base64').toString());
  assert.ok(
    decoded.every((p) => Buffer.from(p.metadata.encoding!, 'base64').toString().startsWith('json/')),
    'decoded payloads are JSON',
  );
  const sampleId = sampleWf.split('/').slice(2).join('/');
  assert.ok(
    texts.some((t) => t.includes('"parentId"') && t.includes(JSON.stringify(sampleId))),
    'the workflow input decodes to the sample',
  );
  assert.ok(
    texts.some((t) => t.includes('formalKey')),
    'activity results decode',
  );
  await conn.close();
});

test(
  'rotation: a new current key encrypts new runs, old runs stay readable; without the old key they are not',
  { timeout: 10 * 60_000 },
  async () => {
    for (const w of cluster.workers) w.kill('SIGKILL');
    await Promise.all(cluster.workers.map(exited));
    await cluster.startWorker(['--config', configFile], ENV2);
    const out = await cluster.cliJson<{ status: string }>(
      ['build', '--source', src, '--run', 'enc2', '--config', configFile, '--limit', '5', '--wait'],
      { env: ENV2 },
    );
    assert.equal(out.status, 'COMPLETED');
    const conn = await Connection.connect({ address: cluster.server.address });
    const raw = new Client({ connection: conn });
    const first = payloads((await raw.workflow.getHandle('r1ov/enc2').fetchHistory()).events).find(
      (x) => !x.path.includes('searchAttributes'),
    )!;
    assert.equal(keyId(first.p), 'k2');
    await conn.close();
    // The old run, read with the rotated key set.
    const old = await cluster.cliJson<{ status: string; progress: { finished: number } }>(['status', 'enc'], {
      env: ENV2,
    });
    assert.equal(old.status, 'COMPLETED');
    assert.equal(old.progress.finished, 40);
    // With only the new key, the old run's payloads cannot be read: the CLI fails with a reason naming the key id.
    const r = await cluster.cli(['status', 'enc', '--json'], { env: { R1OV_CODEC_KEYS: K2, R1OV_CODEC_KEY_ID: 'k2' } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown key id "k1"/);
  },
);
