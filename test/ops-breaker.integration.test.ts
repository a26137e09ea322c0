/**
 * The circuit breaker and what users see (one dev server, the fake OpenAI endpoint): a build against a dead
 * endpoint halts with the reason (status, memo, the Web UI page itself), its worker log stays small, and it goes on
 * by itself once a probe finds the endpoint back; an endpoint that dies mid-build halts it without losing a finished
 * sample and `resume` completes it; a build whose every sample is quarantined exits non-zero naming the reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { eventually, freePort, startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from './support/llava-fixture.ts';
import { browserSkip, launchChromium } from './support/browser.ts';
import type { BuildProgress } from '../schemas/workflow.ts';

const SHOTS = join('test-output', 'ops');
let cluster: Cluster;
let client: Client;
let connection: Connection;
let worker: ChildProcess;
let workerLog = '';
let dir: string;
let src: string;
const fakes: FakeOpenAI[] = [];

function configFor(name: string, url: string, extra: Record<string, unknown> = {}): string {
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: url, model: `ops-${r}` }]),
  );
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ roles, ...extra }));
  return file;
}
const progressOf = (run: string) => client.workflow.getHandle(`r1ov/${run}`).query<BuildProgress>('progress');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-breaker-'));
  src = join(dir, 'src');
  await writeArithmeticSource(src, 12, { subsets: ['chartqa'], idPrefix: 'ops', numbered: true });
  cluster = await startCluster();
  connection = await Connection.connect({ address: cluster.server.address });
  client = new Client({ connection, namespace: 'default' });
  worker = await cluster.startWorker();
  worker.stderr!.on('data', (d) => (workerLog += d));
});

after(async () => {
  await connection?.close();
  await cluster?.stop();
  for (const f of fakes) await f.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'dead endpoint: the build halts with the reason (status, memo, Web UI), a small worker log, then goes on when a probe finds it back',
  { timeout: 180_000 },
  async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1`;
    const config = configFor('dead', url);
    const logBefore = workerLog.length;
    const started = await cluster.cli([
      'build',
      '--source',
      src,
      '--run',
      'dead',
      '--config',
      config,
      '--limit',
      '10',
      '--skip-preflight',
    ]);
    assert.equal(started.status, 0, started.stderr);

    const halted = await eventually(
      'the build halts',
      async () => (await progressOf('dead')).halted ?? undefined,
      60_000,
      300,
    );
    assert.match(halted.role, /^(router|formalizer|reasoner|judge)$/);
    assert.equal(halted.host, `127.0.0.1:${port}`);
    assert.equal(halted.error, 'ECONNREFUSED');
    const st = await cluster.cli(['status', 'dead']);
    assert.match(
      st.stdout,
      new RegExp(`HALTED: ${halted.role} endpoint 127\\.0\\.0\\.1:${port} is down \\(ECONNREFUSED\\)`),
    );
    const memo = (await client.workflow.getHandle('r1ov/dead').describe()).memo as {
      state: string;
      halted: { role: string };
    };
    assert.equal(memo.state, 'halted');
    assert.equal(memo.halted.role, halted.role);

    // Every sample in flight tried once, told the build, and waits: no retries burnt, one short line each; no new
    // sample starts meanwhile.
    const w = await eventually(
      'every sample in flight waits',
      async () => {
        const p = await progressOf('dead');
        return p.waiting === p.inFlight && p.inFlight > 0 && p;
      },
      30_000,
      300,
    );
    assert.ok(w.ingested < 10 || w.inFlight === 10, `ingested ${w.ingested}, in flight ${w.inFlight}`);
    assert.equal(w.finished, 0);
    const log = workerLog.slice(logBefore);
    const lines = log.trim().split('\n');
    assert.ok(Buffer.byteLength(log) < 5_000, `worker log ${Buffer.byteLength(log)} bytes:\n${log}`);
    assert.ok(!/\n\s+at /.test(log), 'no stack traces without --verbose');
    const failed = lines.find((l) => l.includes('EndpointDown'));
    assert.ok(failed, log);
    assert.match(
      failed,
      /attempt 1\/10 r1ov\/dead\/ops-\d+#\d: EndpointDown: \w+ endpoint 127\.0\.0\.1:\d+ \(model ops-\w+\): connection failed: ECONNREFUSED/,
    );
    assert.ok(!/No workflows registered/.test(log));
    process.stderr.write(`ops: dead-endpoint worker log ${Buffer.byteLength(log)} bytes, ${lines.length} lines\n`);

    if (!browserSkip) {
      // The Web UI's own page (not the query tab) shows the build's progress and why it halted.
      mkdirSync(SHOTS, { recursive: true });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
        await page.goto(`${cluster.server.uiUrl}/namespaces/default/workflows/${encodeURIComponent('r1ov/dead')}`);
        // The workflow page's "User Metadata" tab shows the build's Current Details; the "Memo" tab its memo.
        await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 60_000 });
        // The UI renders Current Details (Markdown) in a sandboxed frame: read the text of every frame of the page.
        const pageText = async () =>
          (
            await Promise.all(
              page.frames().map((f) =>
                f
                  .locator('body')
                  .innerText()
                  .catch(() => ''),
              ),
            )
          ).join('\n');
        const details = await eventually(
          'the page shows the halt',
          async () => {
            const t = await pageText();
            return t.includes('HALTED') && t;
          },
          60_000,
          500,
        ).catch(async (err: unknown) => {
          await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => undefined);
          process.stderr.write(`Web UI page at ${page.url()}:\n${(await pageText()).slice(0, 4000)}\n`);
          throw err;
        });
        await page.screenshot({ path: join(SHOTS, 'halted-details.png'), fullPage: true });
        assert.match(details, /r1ov build dead/);
        assert.match(details, /0\/10 finished/);
        assert.match(
          details,
          new RegExp(
            `HALTED: ${halted.role} endpoint 127\\.0\\.0\\.1:${port} is down \\(ECONNREFUSED\\); \\d+ samples? waiting`,
          ),
        );
        await page.getByText('Memo', { exact: true }).first().click();
        await eventually(
          'the memo tab shows the halt',
          async () => (await pageText()).includes('"state": "halted"'),
          30_000,
          500,
        );
        await page.screenshot({ path: join(SHOTS, 'halted-memo.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    } else process.stderr.write(`ops: Web UI check skipped: ${browserSkip}\n`);

    // The endpoint comes back: the build's probe notices and the build finishes without anyone resuming it.
    const fake = await startFakeOpenAI({ port, respond: fixtureResponder() });
    fakes.push(fake);
    const done = (await client.workflow.getHandle('r1ov/dead').result()) as BuildProgress;
    assert.equal(done.finished, 10);
    assert.equal(done.counts.done, 10);
    assert.equal(done.halted, null);
  },
);

test(
  'endpoint dies mid-build: halts with the reason, keeps every finished sample, `resume` completes it',
  { timeout: 180_000 },
  async () => {
    const port = await freePort();
    let calls = 0;
    let killed: Promise<void> | null = null;
    const respond = fixtureResponder({ latencyMs: 150 });
    const fake = await startFakeOpenAI({
      port,
      respond: (req, n) => {
        calls++;
        if (calls === 9) killed = fake.close(); // about three samples in: the endpoint goes away
        return respond(req);
      },
    });
    const config = configFor('mid', fake.url, { window: 3, pageSize: 3 });
    const waiting = cluster.cli([
      'build',
      '--source',
      src,
      '--run',
      'mid',
      '--config',
      config,
      '--limit',
      '12',
      '--wait',
    ]);

    const halted = await eventually(
      'the build halts',
      async () => (await progressOf('mid')).halted ?? undefined,
      90_000,
      300,
    );
    await killed;
    assert.equal(halted.error, 'ECONNREFUSED');
    const atHalt = await progressOf('mid');
    assert.ok(atHalt.finished < 12, `finished ${atHalt.finished} before the halt`);

    const back = await startFakeOpenAI({ port, respond: fixtureResponder() });
    fakes.push(back);
    const resumed = await cluster.cli(['resume', 'mid']);
    assert.equal(resumed.status, 0, resumed.stderr);
    const r = await waiting;
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /HALTED: \w+ endpoint 127\.0\.0\.1:\d+ is down \(ECONNREFUSED\)/,
      'the waiting command said so',
    );
    assert.match(r.stdout, /run mid: COMPLETED/);
    const final = (await client.workflow.getHandle('r1ov/mid').result()) as BuildProgress;
    assert.equal(final.finished, 12);
    assert.equal(final.counts.done, 12, JSON.stringify(final));
    assert.ok(final.counts.done >= atHalt.counts.done);
    const rows = await cluster.cliJson<{ rows: Array<{ n: number }> }>([
      'sql',
      `select count(*)::INT as n from samples where run = 'mid'`,
    ]);
    assert.equal(rows.rows[0]!.n, 12);
  },
);

test('every sample quarantined: build --wait exits non-zero naming the top reason', { timeout: 120_000 }, async () => {
  const fake = await startFakeOpenAI({ respond: () => ({ status: 400, error: 'this model does not take images' }) });
  fakes.push(fake);
  const config = configFor('bad', fake.url);
  const r = await cluster.cli([
    'build',
    '--source',
    src,
    '--run',
    'allbad',
    '--config',
    config,
    '--limit',
    '4',
    '--wait',
  ]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /run allbad: COMPLETED/);
  assert.match(r.stdout, /quarantined 4/);
  assert.match(r.stderr, /no sample done \(top reasons: LlmRejected 4\)/);
});
