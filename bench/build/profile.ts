/**
 * Where a sample's orchestration cost goes: one build of N LLaVA-format samples (the bench's source and fake
 * endpoint, bench/build/run.ts) on the embedded dev server with one worker, then
 *
 * - the histories of every workflow of the run (the build's runs and each sample's), read through the client's
 *   history API: events per sample by type, workflow tasks, activity tasks, local-activity markers, search-attribute
 *   upserts, signals, child starts, and history bytes (payloads included) per sample;
 * - CPU of the worker and the Temporal server from /proc (ms per sample);
 * - with --cpu-prof, the worker's V8 CPU profile summarised by where the time is spent (workflow bundle, the SDK's
 *   data conversion and protobufs, activities, DuckDB, blob I/O, GC), self time per bucket and the top functions.
 *
 *   node --import tsx bench/build/profile.ts [--samples 400] [--window 200] [--latency-ms 0] [--cpu-prof] [--perf-server] [--dispatch local|queue] [--out bench/build/out]
 *
 * Output: <out>/profile.json and a Markdown summary on stdout.
 */
import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection, Client } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: named ESM imports are not detected
import { spawn } from 'node:child_process';
import { cpuTicks as ticks, peakRssMb, rssMb, TICKS_PER_SECOND } from '../proc.ts';
import { repoRoot, startCluster, exited, temporalCliForTests } from '../../test/support/cluster.ts';
import { startFakeOpenAI } from '../../test/support/fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from '../../test/support/llava-fixture.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '400' },
    window: { type: 'string', default: '200' },
    'latency-ms': { type: 'string', default: '0' },
    'cpu-prof': { type: 'boolean', default: false },
    'perf-server': { type: 'boolean', default: false },
    dispatch: { type: 'string', default: 'local' },
    out: { type: 'string', default: 'bench/build/out' },
    // Node flags for the worker process only (e.g. "--max-semi-space-size=32 --trace-gc"), space-separated.
    'worker-node-args': { type: 'string', default: '' },
  },
});
const { temporal } = proto;
const N = Number(values.samples);
const WINDOW = Number(values.window);
const LATENCY = Number(values['latency-ms']);
const OUT = resolve(values.out!);
mkdirSync(OUT, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), 'r1ov-profile-'));
const src = join(dir, 'src');
await writeArithmeticSource(src, N, { subsets: ['chartqa', 'geo3k', 'ai2d(gpt4v)', 'figureqa'], idPrefix: 'p' });
const fake = await startFakeOpenAI({ respond: fixtureResponder({ latencyMs: LATENCY || undefined }) });
const config = join(dir, 'config.json');
const roles = Object.fromEntries(
  ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
    r,
    {
      baseUrl: fake.url,
      model: `bench-${r}`,
      concurrency: WINDOW * 2,
      ...(values.dispatch === 'local' ? { local: true } : {}),
    },
  ]),
);
writeFileSync(config, JSON.stringify({ roles, window: WINDOW, pageSize: 200, commitEvery: 500 }));
const profDir = join(OUT, 'cpuprof');
mkdirSync(profDir, { recursive: true });
for (const f of readdirSync(profDir)) if (f.endsWith('.cpuprofile')) writeFileSync(join(profDir, f), ''); // stale profiles read as empty

// The server's Prometheus metrics (persistence calls and latency by operation, tasks by type) come from a wrapper
// of the Temporal CLI that adds --metrics-port: infra/server.ts starts it through TEMPORAL_CLI.
const metricsPort = 19000 + Math.floor(Math.random() * 1000);
const realCli = temporalCliForTests();
const wrapper = join(dir, 'temporal-with-metrics');
writeFileSync(
  wrapper,
  `#!/bin/sh\nif [ "$1 $2" = "server start-dev" ]; then exec ${JSON.stringify(realCli)} "$@" --metrics-port ${metricsPort}; fi\nexec ${JSON.stringify(realCli)} "$@"\n`,
);
chmodSync(wrapper, 0o755);
process.env.TEMPORAL_CLI = wrapper;
const scrape = async (): Promise<Map<string, number>> => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r =
      /^(persistence_requests|persistence_latency_sum|task_requests|task_latency_processing_sum|service_requests|service_latency_sum)\{([^}]*)\} ([0-9.e+-]+)$/.exec(
        line,
      );
    if (!r) continue;
    const labels = Object.fromEntries([...r[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const key = `${r[1]} ${labels.operation ?? ''}${labels.task_type ? ` ${labels.task_type}` : ''}`;
    m.set(key, (m.get(key) ?? 0) + Number(r[3]));
  }
  return m;
};
const cluster = await startCluster();
const run = 'profile';
const summary: Record<string, unknown> = { samples: N, window: WINDOW, latencyMs: LATENCY };
try {
  // Started here rather than by cluster.startWorker: --cpu-prof is refused in NODE_OPTIONS.
  const nodeArgs = [
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    ...values['worker-node-args']!.split(' ').filter(Boolean),
  ];
  const worker = spawn(
    process.execPath,
    [...nodeArgs, join(repoRoot, 'bin', 'r1ov.js'), 'worker', '--config', config],
    { env: cluster.env, stdio: ['ignore', process.env.BENCH_WORKER_STDOUT ? 'inherit' : 'ignore', 'pipe'] },
  );
  cluster.workers.push(worker);
  console.error('profile: waiting for the worker to be ready');
  await new Promise<void>((res, rej) => {
    let err = '';
    worker.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('worker ready')) res();
    });
    worker.once('exit', (code) => rej(new Error(`worker exited with ${code}: ${err.slice(-2000)}`)));
  });
  // The worker's log (failed workflow tasks, retries) beside the profile.
  worker.stderr!.pipe(createWriteStream(join(OUT, 'worker.log')));
  const t0w = ticks(worker.pid!),
    t0s = ticks(cluster.server.pid);
  // perf (linux-tools) samples the Temporal server's stacks while the build runs: `perf report -i <out>/server.perf.data`.
  const perf = values['perf-server']
    ? spawn(
        'perf',
        ['record', '-F', '299', '-g', '-p', String(cluster.server.pid), '-o', join(OUT, 'server.perf.data')],
        { stdio: 'ignore' },
      )
    : null;
  // The worker's RSS every second of the build: when the peak comes (start, commits, steady state) says what it is.
  const rssSeries: number[] = [];
  const rssTimer = setInterval(() => rssSeries.push(Math.round(rssMb(worker.pid!))), 1000);
  const m0 = await scrape();
  console.error(`profile: building ${N} samples (waits for the build to finish)`);
  const t0 = performance.now();
  const out = await cluster.cliJson<{ status: string; progress: { finished: number } }>([
    'build',
    '--source',
    src,
    '--run',
    run,
    '--config',
    config,
    '--wait',
  ]);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(rssTimer);
  summary.workerRssMbPerSecond = rssSeries;
  const workerMs = ((ticks(worker.pid!) - t0w) * (1000 / TICKS_PER_SECOND)) / N,
    serverMs = ((ticks(cluster.server.pid) - t0s) * (1000 / TICKS_PER_SECOND)) / N;
  if (perf) {
    perf.kill('SIGINT');
    await exited(perf);
  }
  const m1 = await scrape();
  const delta = [...m1].map(([k, v]) => [k, v - (m0.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  const perSample = (prefix: string, scale = 1) =>
    Object.fromEntries(
      delta
        .filter(([k]) => k.startsWith(prefix))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => [k.slice(prefix.length), Math.round(((v * scale) / N) * 100) / 100]),
    );
  summary.server = {
    persistenceCallsPerSample: perSample('persistence_requests '),
    persistenceMsPerSample: perSample('persistence_latency_sum ', 1000),
    serviceCallsPerSample: perSample('service_requests '),
    serviceMsPerSample: perSample('service_latency_sum ', 1000),
    tasksPerSample: perSample('task_requests '),
    taskProcessingMsPerSample: perSample('task_latency_processing_sum ', 1000),
  };
  Object.assign(summary, {
    status: out.status,
    finished: out.progress.finished,
    seconds,
    samplesPerSec: N / seconds,
    workerCpuMsPerSample: workerMs,
    serverCpuMsPerSample: serverMs,
  });
  summary.workerPeakRssMb = peakRssMb(worker.pid!);
  // A graceful stop, so that --cpu-prof writes its profile.
  worker.kill('SIGTERM');
  await exited(worker);

  const client = new Client({
    connection: await Connection.connect({ address: cluster.server.address }),
    namespace: cluster.server.namespace,
  });
  const perType = { sample: new Map<string, number>(), build: new Map<string, number>() };
  const bytes = { sample: 0, build: 0 };
  const payloadBytes = { sample: new Map<string, number>(), build: new Map<string, number>() };
  let samples = 0,
    builds = 0;
  // Where a sample's time in the window goes (seconds, means over samples): the build initiating the child → the
  // child's start → its first workflow task → its completion → the build hearing of it. Timestamps are the server's.
  const at = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
    Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
  const initiated = new Map<string, number>(),
    childStarted = new Map<string, number>(),
    heard = new Map<string, number>();
  const buildMoments: Array<{ type: string; at: number }> = [];
  const buildActivity = new Map<string, number[]>(),
    scheduledAt = new Map<string, { name: string; t: number }>();
  const ownStart = new Map<string, number>(),
    firstTask = new Map<string, number>(),
    ownEnd = new Map<string, number>();
  for await (const wf of client.workflow.list({ query: `R1ovRun = '${run}'` })) {
    const kind = wf.type === 'buildDataset' ? 'build' : 'sample';
    kind === 'build' ? builds++ : samples++;
    const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    bytes[kind] += temporal.api.history.v1.History.encode(h).finish().length;
    for (const e of h.events ?? []) {
      const type = temporal.api.enums.v1.EventType[e.eventType!]!.replace(/^EVENT_TYPE_/, '');
      if (kind === 'build') {
        const child = (
          e.startChildWorkflowExecutionInitiatedEventAttributes ??
          e.childWorkflowExecutionStartedEventAttributes?.workflowExecution ??
          e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution
        )?.workflowId;
        if (type === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED' && child) initiated.set(child, at(e));
        if (type === 'CHILD_WORKFLOW_EXECUTION_STARTED' && child) childStarted.set(child, at(e));
        if (type === 'CHILD_WORKFLOW_EXECUTION_COMPLETED' && child) heard.set(child, at(e));
        if (/^(WORKFLOW_TASK_(FAILED|TIMED_OUT)|WORKFLOW_EXECUTION_(CONTINUED_AS_NEW|STARTED))$/.test(type))
          buildMoments.push({
            type: e.workflowTaskFailedEventAttributes
              ? `${type} (${temporal.api.enums.v1.WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes.cause ?? 0]}: ${e.workflowTaskFailedEventAttributes.failure?.message?.split('\n')[0] ?? ''})`
              : type,
            at: at(e),
          });
        if (type === 'ACTIVITY_TASK_SCHEDULED') {
          const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
          buildMoments.push({ type: `${name} scheduled`, at: at(e) });
          scheduledAt.set(`${wf.runId}/${String(e.eventId)}`, { name, t: at(e) });
        }
        const done = e.activityTaskCompletedEventAttributes;
        const from = done && scheduledAt.get(`${wf.runId}/${String(done.scheduledEventId)}`);
        if (from) buildActivity.set(from.name, [...(buildActivity.get(from.name) ?? []), at(e) - from.t]);
      } else {
        if (type === 'WORKFLOW_EXECUTION_STARTED') ownStart.set(wf.workflowId, at(e));
        if (type === 'WORKFLOW_TASK_STARTED' && !firstTask.has(wf.workflowId)) firstTask.set(wf.workflowId, at(e));
        if (type === 'WORKFLOW_EXECUTION_COMPLETED') ownEnd.set(wf.workflowId, at(e));
      }
      const attrs = Object.entries(e).find(([k]) => k.endsWith('Attributes'));
      const marker = type === 'MARKER_RECORDED' ? `:${e.markerRecordedEventAttributes?.markerName}` : '';
      const activity =
        type === 'ACTIVITY_TASK_SCHEDULED' ? `:${e.activityTaskScheduledEventAttributes?.activityType?.name}` : '';
      const key = `${type}${marker}${activity}`;
      perType[kind].set(key, (perType[kind].get(key) ?? 0) + 1);
      if (attrs) {
        const n = temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
        payloadBytes[kind].set(type, (payloadBytes[kind].get(type) ?? 0) + n);
      }
    }
  }
  const meanGap = (from: Map<string, number>, to: Map<string, number>) => {
    const gaps = [...from].filter(([id]) => to.has(id)).map(([id, t]) => to.get(id)! - t);
    return gaps.length ? Math.round((gaps.reduce((a, b) => a + b, 0) / gaps.length) * 1000) / 1000 : null;
  };
  summary.sampleSecondsInWindow = {
    initiatedToStarted: meanGap(initiated, ownStart),
    startedToFirstTask: meanGap(ownStart, firstTask),
    firstTaskToCompleted: meanGap(firstTask, ownEnd),
    completedToBuildHeard: meanGap(ownEnd, heard),
    initiatedToBuildHeard: meanGap(initiated, heard),
    // Samples running on average and at each whole second, from each sample workflow's own start and close (a
    // sample carried over a continue-as-new is heard by no build event, but it runs all the same): well below the
    // window, the build starves it.
    ...(() => {
      const spans = [...ownStart].filter(([id]) => ownEnd.has(id)).map(([id, t]) => [t, ownEnd.get(id)!] as const);
      if (!spans.length) return { meanInFlight: null, inFlightPerSecond: [] };
      const t0 = Math.min(...spans.map(([a]) => a)),
        t1 = Math.max(...spans.map(([, b]) => b));
      const busy = spans.reduce((acc, [a, b]) => acc + (b - a), 0);
      const perSecond: number[] = [];
      for (let t = t0; t <= t1; t += 1) perSecond.push(spans.filter(([a, b]) => a <= t && b > t).length);
      return { meanInFlight: Math.round((busy / (t1 - t0)) * 10) / 10, inFlightPerSecond: perSecond };
    })(),
    // The build's own turning points (its runs' starts, continue-as-new, failed or timed-out workflow tasks), in
    // seconds from its first child start: a stall in inFlightPerSecond next to one says what it was.
    buildMoments: (() => {
      const t0 = Math.min(...initiated.values());
      return buildMoments.sort((a, b) => a.at - b.at).map((m) => `${m.type} at ${Math.round((m.at - t0) * 10) / 10} s`);
    })(),
    buildActivitySeconds: Object.fromEntries(
      [...buildActivity].map(([name, xs]) => [
        name,
        { n: xs.length, mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 },
      ]),
    ),
  };
  const per = (m: Map<string, number>, d: number) =>
    Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / d) * 100) / 100]));
  Object.assign(summary, {
    sampleWorkflows: samples,
    buildRuns: builds,
    sampleEventsPerSample: per(perType.sample, samples),
    buildEventsPerSample: per(perType.build, N),
    sampleHistoryBytesPerSample: Math.round(bytes.sample / samples),
    buildHistoryBytesPerSample: Math.round(bytes.build / N),
    sampleEventBytesPerSample: per(payloadBytes.sample, samples),
    buildEventBytesPerSample: per(payloadBytes.build, N),
  });
  await client.connection.close();
} finally {
  await cluster.stop();
  await fake.close();
}

if (values['cpu-prof']) {
  // One profile per thread: the main thread (activities, the SDK's worker) and each workflow thread (the sandbox).
  const files = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(profDir, f))
    .filter((f) => readFileSync(f, 'utf8').length > 0);
  /** Where a function lives, in the buckets the issue names. */
  const bucket = (url: string, fn: string): string => {
    if (!url) return fn.startsWith('(') ? fn : `(native) ${fn}`;
    if (url.includes('workflow-bundle')) return 'workflow bundle (sandbox: workflow code, zod, SDK workflow lib)';
    if (url.startsWith('evalmachine')) return 'sandbox glue (evalmachine)';
    if (url.includes('@temporalio/worker/lib/workflow')) return 'SDK: workflow runtime (vm, activation)';
    if (
      url.includes('@temporalio/common') ||
      url.includes('@temporalio/proto') ||
      url.includes('protobufjs') ||
      url.includes('long/')
    )
      return 'SDK: payload conversion / protobuf';
    if (url.includes('@temporalio/')) return 'SDK: worker, activities, bridge';
    if (url.includes('@duckdb')) return 'DuckDB';
    if (url.includes('/core/blobs') || url.includes('/core/storage')) return 'blob store';
    if (url.includes('/activities/')) return 'activities';
    if (url.includes('/core/')) return 'core';
    if (url.includes('zod')) return 'zod';
    if (url.includes('node_modules'))
      return `lib: ${url
        .split('node_modules/')[1]!
        .split('/')
        .slice(0, url.includes('node_modules/@') ? 2 : 1)
        .join('/')}`;
    if (url.startsWith('node:')) return 'node internals';
    return url.replace(/^file:\/\/.*?\/(activities|core|infra|schemas|cli)\//, '$1/');
  };
  const buckets = new Map<string, number>(),
    fns = new Map<string, number>(),
    threads: Record<string, number> = {};
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, 'utf8')) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
    const thread = `thread ${file.split('.').at(-3)}`;
    for (const [id, us] of selfUs) {
      const n = byId.get(id)!;
      const b = bucket(n.callFrame.url, n.callFrame.functionName);
      if (b === '(idle)') continue;
      threads[thread] = (threads[thread] ?? 0) + us;
      buckets.set(b, (buckets.get(b) ?? 0) + us);
      const f = `${thread}: ${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(?=[a-z]+\/)/, '')}:${n.callFrame.lineNumber + 1}`;
      fns.set(f, (fns.get(f) ?? 0) + us);
    }
  }
  const total = [...buckets].reduce((a, [, v]) => a + v, 0);
  const ms = (us: number) => Math.round((us / 1000 / N) * 100) / 100;
  summary.cpuProfile = {
    files,
    busyMsPerSample: ms(total),
    threadsMsPerSample: Object.fromEntries(Object.entries(threads).map(([k, v]) => [k, ms(v)])),
    bucketsMsPerSample: Object.fromEntries([...buckets].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, ms(v)])),
    topFunctionsMsPerSample: Object.fromEntries(
      [...fns]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 40)
        .map(([k, v]) => [k, ms(v)]),
    ),
  };
}
writeFileSync(join(OUT, 'profile.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary, null, 2));
