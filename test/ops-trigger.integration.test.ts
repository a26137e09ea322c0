/**
 * Operations a user can trust, without language models (one dev server): a build with no worker says so within
 * 10 s naming the queue and `status` answers fast; an endpoint on a closed port exits 2 within 10 s naming the
 * role; the README's `temporal workflow start` and Python examples build synthetic:20 to completion and the builds
 * appear under R1ovRun with R1ovKind = 'build'; a malformed input fails the workflow within one task, naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: named ESM imports are not detected
import { freePort, repoRoot, startCluster, type Cluster } from './support/cluster.ts';

let cluster: Cluster;
let client: Client;
let connection: Connection;
let dir: string;
const PYTHON = join(repoRoot, 'trainer', '.venv', 'bin', 'python');

/** The README's fenced block of `lang` that contains `marker`. */
function readmeBlock(lang: string, marker: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
  const b = blocks.find((x) => x.includes(marker));
  assert.ok(b, `README has a ${lang} block with ${marker}`);
  return b;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('error', rej);
    c.on('close', (code) => res({ status: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-ops-'));
  cluster = await startCluster();
  connection = await Connection.connect({ address: cluster.server.address });
  client = new Client({ connection, namespace: 'default' });
});

after(async () => {
  await connection?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Wall time of `r1ov <command> --help`: Node's and the command's start-up, which a loaded machine stretches (the suite
 * runs files side by side). The time budgets below are for what a command does after it.
 */
async function startupMs(command: string): Promise<number> {
  const t0 = Date.now();
  const r = await cluster.cli([command, '--help']);
  assert.equal(r.status, 0, r.stderr);
  return Date.now() - t0;
}

test('no worker: build says which queue has none within 10 s; status answers fast from the memo', async () => {
  const buildStartup = await startupMs('build');
  const t0 = Date.now();
  const r = await cluster.cli(['build', '--source', 'synthetic:6', '--run', 'noworker']);
  const took = Date.now() - t0;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no worker polls r1ov-cpu \(workflows\)/);
  assert.match(r.stderr, /r1ov worker --queues r1ov-cpu/);
  assert.ok(took - buildStartup < 10_000, `warning after ${took} ms (start-up ${buildStartup} ms)`);
  const statusStartup = await startupMs('status');
  const t1 = Date.now();
  const s = await cluster.cli(['status', 'noworker']);
  const statusMs = Date.now() - t1;
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /run noworker: RUNNING/);
  assert.match(s.stderr, /no worker polls r1ov-cpu/);
  // Beyond start-up, 3 s: the query that used to wait ~30 s for a worker is gone.
  assert.ok(statusMs - statusStartup < 3_000, `status took ${statusMs} ms (start-up ${statusStartup} ms)`);
  process.stderr.write(
    `ops: no-worker warning after ${took} ms; status in ${statusMs} ms; start-up ${buildStartup} / ${statusStartup} ms\n`,
  );
});

test('an endpoint on a closed port: exit 2 within 10 s naming the role and host', async () => {
  const port = await freePort();
  const config = join(dir, 'closed.json');
  writeFileSync(
    config,
    JSON.stringify({ roles: { formalizer: { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' } } }),
  );
  const startup = await startupMs('build');
  const t0 = Date.now();
  const r = await cluster.cli([
    'build',
    '--source',
    'synthetic:4',
    '--fidelity',
    '--run',
    'closed',
    '--config',
    config,
  ]);
  const took = Date.now() - t0;
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`formalizer endpoint at 127\\.0\\.0\\.1:${port} is not usable: ECONNREFUSED`));
  assert.ok(took - startup < 10_000, `took ${took} ms (start-up ${startup} ms)`);
  await assert.rejects(client.workflow.getHandle('r1ov/closed').describe(), 'no build was started');
});

test("scripts: README's temporal CLI and Python examples build synthetic:20; the build sets R1ovRun and R1ovKind", async () => {
  await cluster.startWorker();
  // The build started without a worker goes on once one runs.
  const waited = (await client.workflow.getHandle('r1ov/noworker').result()) as { counts: { done: number } };
  assert.equal(waited.counts.done, 6);

  const env = { ...cluster.env, TEMPORAL_ADDRESS: cluster.server.address };
  const bash = readmeBlock('bash', 'temporal workflow start');
  const cli = await run('bash', ['-c', bash.replace(/^temporal /m, `'${process.env.TEMPORAL_CLI}' `)], env);
  assert.equal(cli.status, 0, cli.stderr);
  const result = (await client.workflow.getHandle('r1ov/scripted').result()) as {
    counts: { done: number; rejected: number; quarantined: number };
    finished: number;
    total: number;
  };
  assert.equal(result.finished, 20);
  assert.equal(result.total, 20);
  assert.equal(result.counts.done + result.counts.rejected + result.counts.quarantined, 20);

  const listed: string[] = [];
  for await (const w of client.workflow.list({ query: `R1ovRun = 'scripted' AND R1ovKind = 'build'` }))
    listed.push(w.workflowId);
  assert.deepEqual(listed, ['r1ov/scripted']);
  let samples = 0;
  for await (const _ of client.workflow.list({ query: `R1ovRun = 'scripted' AND R1ovKind = 'sample'` })) samples++;
  assert.equal(samples, 20);
  // The Web UI's memo carries the progress.
  const memo = (await client.workflow.getHandle('r1ov/scripted').describe()).memo as {
    kind: string;
    state: string;
    finished: number;
    total: number;
  };
  assert.equal(memo.kind, 'build');
  assert.equal(memo.state, 'finished');
  assert.equal(memo.finished, 20);
  assert.equal(memo.total, 20);

  assert.ok(existsSync(PYTHON), `the trainer venv (${PYTHON}) is installed by trainer/install.sh`);
  const py = await run(PYTHON, ['-c', readmeBlock('python', 'temporalio')], env);
  assert.equal(py.status, 0, py.stderr);
  assert.match(py.stdout, /'done': \d+/);
  const pyResult = (await client.workflow.getHandle('r1ov/scripted-py').result()) as { finished: number };
  assert.equal(pyResult.finished, 20);
  const pyListed: string[] = [];
  for await (const w of client.workflow.list({ query: `R1ovRun = 'scripted-py' AND R1ovKind = 'build'` }))
    pyListed.push(w.workflowId);
  assert.deepEqual(pyListed, ['r1ov/scripted-py']);
});

test('a malformed input fails the workflow within one task, naming the field', async () => {
  const t0 = Date.now();
  const h = await client.workflow.start('buildDataset', {
    taskQueue: 'r1ov-cpu',
    workflowId: 'r1ov/malformed',
    args: [{ run: 'malformed', source: 'synthetic:5', limit: -3 }],
  });
  await assert.rejects(h.result(), (err: Error & { cause?: { message?: string } }) => {
    assert.match(err.cause?.message ?? '', /^buildDataset input: limit: /);
    return true;
  });
  const took = Date.now() - t0;
  const history = await h.fetchHistory();
  const E = proto.temporal.api.enums.v1.EventType;
  const types = (history.events ?? []).map((e) => e.eventType);
  assert.equal(
    types.filter((t) => t === E.EVENT_TYPE_WORKFLOW_TASK_FAILED).length,
    0,
    `workflow task failures: ${types.join(',')}`,
  );
  assert.equal(types.filter((t) => t === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length, 1, 'one workflow task');
  assert.equal(types.at(-1), E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
  assert.ok(took < 10_000, `took ${took} ms`);
});
