/**
 * Build throughput bench: samples/s for N LLaVA-format samples through the full LLM lifecycle (router table,
 * formalizer, reasoner, judge) with the local endpoint answering at once and with a fixed latency, orchestration
 * cost per sample (CPU-seconds per sample of the worker, the Temporal server and, on a cluster, PostgreSQL), and
 * peak worker RSS — on the embedded dev server (SQLite) and/or a Temporal server on PostgreSQL
 * (test/support/temporal-cluster.ts), so a user can size a cluster.
 *
 *   node --import tsx bench/build/run.ts [--engine dev|cluster|dev,cluster] [--samples 2000] [--reps 3] [--latency-ms 1000] [--window 200]
 *                                        [--modes instant,latency] [--dispatch local|queue|local,queue]
 *
 * Each rep builds a fresh run on a fresh engine with one worker process; results are medians over reps, written
 * to bench/out/build.json (bench/out/build-<engines>.json when --engine is not dev).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { peakRssMb, TICKS_PER_SECOND, treeCpuTicks as ticks } from '../proc.ts';
import { ENGINES, startCluster, type Engine } from '../../test/support/cluster.ts';
import { startFakeOpenAI } from '../../test/support/fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from '../../test/support/llava-fixture.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '2000' },
    reps: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '1000' },
    window: { type: 'string', default: '200' },
    modes: { type: 'string', default: 'instant,latency' },
    engine: { type: 'string', default: 'dev' },
    dispatch: { type: 'string', default: 'local' },
  },
});
// How the LLM roles' calls reach a worker: `queue` (each role's task queue, as with an rpm limit) or `local` (local
// activities beside the sample workflow: roles marked `local` in the config, schemas/config.ts). Comma-separated for both.
const dispatches = values.dispatch!.split(',').map((d) => d.trim());
for (const d of dispatches)
  if (d !== 'queue' && d !== 'local')
    throw new Error(`--dispatch ${d}: expected queue, local (comma-separated for both)`);
const engines = values.engine!.split(',').map((e) => e.trim());
for (const e of engines)
  if (!ENGINES.includes(e as Engine))
    throw new Error(`--engine ${e}: expected ${ENGINES.join(', ')} (comma-separated for several)`);
const N = Number(values.samples);
const REPS = Number(values.reps);
const LATENCY = Number(values['latency-ms']);
const WINDOW = Number(values.window);

/** N single-turn samples over four known subsets; images drawn once per subset (the bench measures orchestration). */

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'r1ov-bench-'));
const src = join(dir, 'src');
await writeArithmeticSource(src, N, { subsets: ['chartqa', 'geo3k', 'ai2d(gpt4v)', 'figureqa'], idPrefix: 'b' });
/** Results per `<engine>/<mode>`: engines side by side from the same run. */
interface Rep {
  samples: number;
  done: number;
  seconds: number;
  samplesPerSec: number;
  cpuMsPerSample: number;
  workerCpuMsPerSample: number;
  serverCpuMsPerSample: number;
  postgresCpuMsPerSample: number;
  workerPeakRssMb: number;
}
const results: Record<string, Rep[]> = {};
for (const engine of engines as Engine[])
  for (const dispatch of dispatches)
    for (const mode of values.modes!.split(',')) {
      const key = `${engine}/${mode}/${dispatch}`;
      const latencyMs = mode === 'latency' ? LATENCY : 0;
      const fake = await startFakeOpenAI({ respond: fixtureResponder({ latencyMs: latencyMs || undefined }) });
      const config = join(dir, `${mode}-${dispatch}.json`);
      const roles = Object.fromEntries(
        ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
          r,
          {
            baseUrl: fake.url,
            model: `bench-${r}`,
            concurrency: WINDOW * 2,
            ...(dispatch === 'local' ? { local: true } : {}),
          },
        ]),
      );
      writeFileSync(config, JSON.stringify({ roles, window: WINDOW, pageSize: 200, commitEvery: 500 }));
      results[key] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const cluster = await startCluster({ engine });
        try {
          // The worker reads the same config: its cache and slots follow the window, LLM slots the roles' concurrency.
          const worker = await cluster.startWorker(['--config', config], {});
          const serverPid = cluster.server.pid;
          const pgPid = cluster.temporal?.postgres.pid();
          const t0w = ticks(worker.pid!),
            t0s = ticks(serverPid),
            t0p = pgPid ? ticks(pgPid) : 0;
          console.error(`${key} rep ${rep}: building ${N} samples (waits for the build to finish)`);
          const t0 = performance.now();
          const out = await cluster.cliJson<{
            status: string;
            progress: { finished: number; counts: Record<string, number> };
          }>(['build', '--source', src, '--run', `bench-${mode}-${dispatch}-${rep}`, '--config', config, '--wait']);
          const seconds = (performance.now() - t0) / 1000;
          const hz = TICKS_PER_SECOND;
          const workerCpu = (ticks(worker.pid!) - t0w) / hz;
          const serverCpu = (ticks(serverPid) - t0s) / hz;
          const postgresCpu = pgPid ? (ticks(pgPid) - t0p) / hz : 0;
          const cpu = workerCpu + serverCpu + postgresCpu;
          const r: Rep = {
            samples: out.progress.finished,
            done: out.progress.counts.done!,
            seconds,
            samplesPerSec: out.progress.finished / seconds,
            cpuMsPerSample: (cpu / out.progress.finished) * 1000,
            workerCpuMsPerSample: (workerCpu / out.progress.finished) * 1000,
            serverCpuMsPerSample: (serverCpu / out.progress.finished) * 1000,
            postgresCpuMsPerSample: (postgresCpu / out.progress.finished) * 1000,
            workerPeakRssMb: peakRssMb(worker.pid!),
          };
          const q = await cluster.cliJson<{ rows: unknown[] }>([
            'sql',
            `select stage, reason_code, any_value(reason) as example, count(*) as n from samples where status <> 'done' group by all`,
          ]);
          if (q.rows.length) console.error(`not done: ${JSON.stringify(q.rows)}`);
          if (out.status !== 'COMPLETED' || r.samples !== N)
            throw new Error(`bench build ${key}/${rep}: ${out.status}, ${r.samples} of ${N}`);
          results[key]!.push(r);
          console.error(`${key} rep ${rep}: ${JSON.stringify(r)}`);
        } finally {
          await cluster.stop();
        }
      }
      await fake.close();
    }

const llmCallsPerSample = 3; // formalizer, reasoner, judge: sequential within a sample
const summary = Object.fromEntries(
  Object.entries(results).map(([key, rs]) => [
    key,
    {
      reps: rs.length,
      samplesPerSec: median(rs.map((r) => r.samplesPerSec)),
      secondsPerBuild: median(rs.map((r) => r.seconds)),
      cpuMsPerSample: median(rs.map((r) => r.cpuMsPerSample)),
      workerCpuMsPerSample: median(rs.map((r) => r.workerCpuMsPerSample)),
      serverCpuMsPerSample: median(rs.map((r) => r.serverCpuMsPerSample)),
      postgresCpuMsPerSample: median(rs.map((r) => r.postgresCpuMsPerSample)),
      workerPeakRssMb: Math.max(...rs.map((r) => r.workerPeakRssMb)),
      ...(key.includes('/latency/')
        ? {
            idealSamplesPerSec: WINDOW / ((LATENCY / 1000) * llmCallsPerSample),
            fractionOfBound: median(rs.map((r) => r.samplesPerSec)) / (WINDOW / ((LATENCY / 1000) * llmCallsPerSample)),
          }
        : {}),
    },
  ]),
);
mkdirSync('bench/out', { recursive: true });
const outFile = engines.join(',') === 'dev' ? 'bench/out/build.json' : `bench/out/build-${engines.join('-')}.json`;
writeFileSync(
  outFile,
  JSON.stringify({ samples: N, window: WINDOW, latencyMs: LATENCY, engines, summary, results }, null, 2),
);
console.log(JSON.stringify(summary, null, 2));
