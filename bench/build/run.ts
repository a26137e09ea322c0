/**
 * Build throughput bench (issue 2): samples/s for N LLaVA-format samples through the full LLM lifecycle
 * (router table, formalizer, reasoner, judge) with the local endpoint answering at once and with a fixed latency,
 * orchestration cost per sample (CPU-seconds of worker + Temporal server per sample), and peak worker RSS.
 *
 *   node --import tsx bench/build/run.ts [--samples 2000] [--reps 3] [--latency-ms 1000] [--window 200]
 *
 * Each rep builds a fresh run on one dev server with one worker process; results are medians over reps, written
 * to bench/out/build.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../../test/support/cluster.ts';
import { startFakeOpenAI } from '../../test/support/fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from '../../test/support/llava-fixture.ts';

const { values } = parseArgs({ options: {
  samples: { type: 'string', default: '2000' }, reps: { type: 'string', default: '3' },
  'latency-ms': { type: 'string', default: '1000' }, window: { type: 'string', default: '200' },
  modes: { type: 'string', default: 'instant,latency' },
} });
const N = Number(values.samples);
const REPS = Number(values.reps);
const LATENCY = Number(values['latency-ms']);
const WINDOW = Number(values.window);

/** N single-turn samples over four known subsets; images drawn once per subset (the bench measures orchestration). */

const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (clock ticks) of the process
};
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'r1ov-bench-'));
const src = join(dir, 'src');
await writeArithmeticSource(src, N, { subsets: ['chartqa', 'geo3k', 'ai2d(gpt4v)', 'figureqa'], idPrefix: 'b' });
const results: Record<string, Array<Record<string, number>>> = {};
for (const mode of values.modes!.split(',')) {
  const latencyMs = mode === 'latency' ? LATENCY : 0;
  const fake = await startFakeOpenAI({ respond: fixtureResponder({ latencyMs: latencyMs || undefined }) });
  const config = join(dir, `${mode}.json`);
  const roles = Object.fromEntries(['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: fake.url, model: `bench-${r}`, concurrency: WINDOW * 2 }]));
  writeFileSync(config, JSON.stringify({ roles, window: WINDOW, pageSize: 200, commitEvery: 500 }));
  results[mode] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const cluster = await startCluster();
    try {
      const worker = await cluster.startWorker([], {});
      const serverPid = cluster.server.pid;
      const t0w = ticks(worker.pid!), t0s = ticks(serverPid);
      const t0 = performance.now();
      const out = await cluster.cliJson<{ status: string; progress: { finished: number; counts: Record<string, number> } }>(['build', '--source', src, '--run', `bench-${mode}-${rep}`, '--config', config, '--wait']);
      const seconds = (performance.now() - t0) / 1000;
      const hz = 100;
      const workerCpu = (ticks(worker.pid!) - t0w) / hz;
      const serverCpu = (ticks(serverPid) - t0s) / hz;
      const cpu = workerCpu + serverCpu;
      const r = {
        samples: out.progress.finished, done: out.progress.counts.done!, seconds, samplesPerSec: out.progress.finished / seconds,
        cpuMsPerSample: (cpu / out.progress.finished) * 1000, workerCpuMsPerSample: (workerCpu / out.progress.finished) * 1000,
        serverCpuMsPerSample: (serverCpu / out.progress.finished) * 1000, workerPeakRssMb: peakRssMb(worker.pid!),
      };
      const q = await cluster.cliJson<{ rows: unknown[] }>(['sql', `select stage, reason_code, any_value(reason) as example, count(*) as n from samples where status <> 'done' group by all`]);
      if (q.rows.length) console.error(`not done: ${JSON.stringify(q.rows)}`);
      if (out.status !== 'COMPLETED' || r.samples !== N) throw new Error(`bench build ${mode}/${rep}: ${out.status}, ${r.samples} of ${N}`);
      results[mode]!.push(r);
      console.error(`${mode} rep ${rep}: ${JSON.stringify(r)}`);
    } finally {
      await cluster.stop();
    }
  }
  await fake.close();
}

const llmCallsPerSample = 3; // formalizer, reasoner, judge: sequential within a sample
const summary = Object.fromEntries(Object.entries(results).map(([mode, rs]) => [mode, {
  reps: rs.length,
  samplesPerSec: median(rs.map((r) => r.samplesPerSec)),
  secondsPerBuild: median(rs.map((r) => r.seconds)),
  cpuMsPerSample: median(rs.map((r) => r.cpuMsPerSample)),
  workerCpuMsPerSample: median(rs.map((r) => r.workerCpuMsPerSample)),
  serverCpuMsPerSample: median(rs.map((r) => r.serverCpuMsPerSample)),
  workerPeakRssMb: Math.max(...rs.map((r) => r.workerPeakRssMb)),
  ...(mode === 'latency' ? { idealSamplesPerSec: WINDOW / ((LATENCY / 1000) * llmCallsPerSample) } : {}),
}]));
mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/build.json', JSON.stringify({ samples: N, window: WINDOW, latencyMs: LATENCY, summary, results }, null, 2));
console.log(JSON.stringify(summary, null, 2));
