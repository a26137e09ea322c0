/**
 * Soak bench: a long build under worker churn.
 *
 *   node --import tsx bench/soak/run.ts [--samples 10000] [--latency-ms 2000] [--workers 3] [--kill-every-s 30]
 *                                       [--window 200] [--dispatch local|queue] [--out bench/soak/out]
 *
 * - Source: N LLaVA-format parquet samples over four known subsets (the `synthetic:N` source takes the exact path and
 *   makes no LLM calls, so it would not exercise the endpoint): each sample makes three sequential LLM calls
 *   (formalizer, reasoner, judge) to the in-process fake OpenAI endpoint, which answers after `--latency-ms`.
 * - `--workers` `r1ov worker` processes, each serving every queue; every `--kill-every-s` one of them (round robin)
 *   is SIGKILLed and a replacement started at once.
 * - Checks: the build COMPLETES, the catalog holds exactly N samples, all `done`, no duplicate sample ids.
 * - Measures: samples/s against the ideal bound window ÷ (latency × 3 calls), worker RSS over time (every 2 s, by
 *   worker slot; plotted to rss.svg/rss.png with sharp), Temporal server RSS, kills and restarts.
 * Output: <out>/soak.json, rss.svg, rss.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import sharp from 'sharp';
import { startCluster, exited } from '../../test/support/cluster.ts';
import { startFakeOpenAI } from '../../test/support/fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from '../../test/support/llava-fixture.ts';
import { sqlString } from '../../core/sql.ts';
import { rssMb } from '../proc.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '2000' },
    workers: { type: 'string', default: '3' },
    'kill-every-s': { type: 'string', default: '30' },
    window: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/soak/out' },
    replot: { type: 'string' },
    dispatch: { type: 'string', default: 'local' },
  },
});
// --replot SOAK.json: redraw the plot of a recorded soak (its series) without running one.
const recorded = values.replot
  ? (JSON.parse(readFileSync(values.replot, 'utf8')) as {
      samples: number;
      latencyMs: number;
      workers: number;
      killEverySec: number;
      series: {
        rss: RssPoint[];
        serverRss: Array<{ t: number; rssMb: number }>;
        kills: Array<{ t: number; slot: number }>;
        progress: Array<{ t: number; finished: number }>;
      };
    })
  : null;
const N = recorded ? recorded.samples : Number(values.samples);
const LATENCY = Number(values['latency-ms']);
const WORKERS = Number(values.workers);
const KILL_EVERY = Number(values['kill-every-s']) * 1000;
const WINDOW = Number(values.window);
const OUT = values.out!;
const CALLS_PER_SAMPLE = 3;

const rssOrNull = (pid: number): number | null => {
  try {
    return rssMb(pid);
  } catch {
    return null;
  }
};

interface RssPoint {
  t: number;
  slot: number;
  pid: number;
  rssMb: number;
}

function plotSvg(
  points: RssPoint[],
  server: Array<{ t: number; rssMb: number }>,
  kills: Array<{ t: number; slot: number }>,
  progress: Array<{ t: number; finished: number }>,
  title: string,
): string {
  const W = 1000,
    H = 520,
    L = 70,
    R = 70,
    T = 50,
    B = 60;
  const tMax = Math.max(1, ...points.map((p) => p.t), ...progress.map((p) => p.t));
  const yMax = Math.ceil(Math.max(100, ...points.map((p) => p.rssMb), ...server.map((p) => p.rssMb)) / 100) * 100;
  const x = (t: number) => L + (t / tMax) * (W - L - R);
  const y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const yP = (v: number) => H - B - (v / Math.max(1, N)) * (H - T - B);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-family="DejaVu Sans" font-size="15">${title}</text>`);
  for (let v = 0; v <= yMax; v += yMax / 5) {
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-family="DejaVu Sans" font-size="11">${v.toFixed(0)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const t = (tMax * i) / 5;
    parts.push(
      `<text x="${x(t)}" y="${H - B + 18}" text-anchor="middle" font-family="DejaVu Sans" font-size="11">${(t / 1000).toFixed(0)}</text>`,
    );
  }
  parts.push(
    `<text x="${W / 2}" y="${H - 15}" text-anchor="middle" font-family="DejaVu Sans" font-size="12">seconds since build start</text>`,
  );
  parts.push(
    `<text x="18" y="${H / 2}" transform="rotate(-90 18 ${H / 2})" text-anchor="middle" font-family="DejaVu Sans" font-size="12">RSS (MB)</text>`,
  );
  parts.push(
    `<text x="${W - 18}" y="${H / 2}" transform="rotate(90 ${W - 18} ${H / 2})" text-anchor="middle" font-family="DejaVu Sans" font-size="12" fill="#777">samples finished (dashed)</text>`,
  );
  for (const k of kills)
    parts.push(
      `<line x1="${x(k.t)}" x2="${x(k.t)}" y1="${T}" y2="${H - B}" stroke="${colors[k.slot % colors.length]}" stroke-opacity="0.25" stroke-dasharray="2,3"/>`,
    );
  // One polyline per process (a slot's line breaks at each kill).
  const byPid = new Map<number, RssPoint[]>();
  for (const p of points) byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), p]);
  for (const ps of byPid.values()) {
    parts.push(
      `<polyline fill="none" stroke="${colors[ps[0]!.slot % colors.length]}" stroke-width="1.6" points="${ps.map((p) => `${x(p.t).toFixed(1)},${y(p.rssMb).toFixed(1)}`).join(' ')}"/>`,
    );
  }
  if (server.length)
    parts.push(
      `<polyline fill="none" stroke="#333" stroke-width="1.2" stroke-dasharray="6,3" points="${server.map((p) => `${x(p.t).toFixed(1)},${y(p.rssMb).toFixed(1)}`).join(' ')}"/>`,
    );
  if (progress.length)
    parts.push(
      `<polyline fill="none" stroke="#999" stroke-width="1.5" stroke-dasharray="3,3" points="${progress.map((p) => `${x(p.t).toFixed(1)},${yP(p.finished).toFixed(1)}`).join(' ')}"/>`,
    );
  const slots = [...new Set(points.map((p) => p.slot))].sort();
  slots.forEach((s, i) =>
    parts.push(
      `<rect x="${L + 10 + i * 110}" y="${T - 14}" width="12" height="3" fill="${colors[s % colors.length]}"/><text x="${L + 26 + i * 110}" y="${T - 9}" font-family="DejaVu Sans" font-size="11">worker ${s + 1}</text>`,
    ),
  );
  parts.push(
    `<text x="${L + 10 + slots.length * 110}" y="${T - 9}" font-family="DejaVu Sans" font-size="11">- - temporal server; faint verticals: kills</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

const plotTitle = (n: number, latency: number, workers: number, killEverySec: number) =>
  `r1ov soak: ${n} samples, ${latency} ms endpoint, ${workers} workers, one killed every ${killEverySec} s`;
if (recorded) {
  const { rss: r, serverRss: sr, kills: k, progress: p } = recorded.series;
  // Older records hold 0 for polls whose status had no progress yet (or failed): not a real drop.
  const svg = plotSvg(
    r,
    sr,
    k,
    p.filter((x, i) => x.finished > 0 || i === 0),
    plotTitle(recorded.samples, recorded.latencyMs, recorded.workers, recorded.killEverySec),
  );
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'rss.svg'), svg);
  await sharp(Buffer.from(svg)).png().toFile(join(OUT, 'rss.png'));
  console.error(`soak: replotted ${values.replot} into ${OUT}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'r1ov-soak-'));
const src = join(dir, 'src');
console.error(`soak: writing ${N} samples`);
// Subsets whose kinds the fixture responder formalizes validly (a table subset would be quarantined by design).
await writeArithmeticSource(src, N, {
  subsets: ['chartqa', 'geo3k', 'ai2d(gpt4v)', 'geoqa+(mathv360k)'],
  idPrefix: 'soak',
  numbered: true,
});
const fake = await startFakeOpenAI({ respond: fixtureResponder(), latencyMs: LATENCY });
const config = join(dir, 'config.json');
// `--dispatch local` (the default, as bench/build/run.ts) runs the LLM calls as local activities beside the sample
// workflows (roles marked `local`, schemas/config.ts); `queue` sends them through each role's task queue.
if (values.dispatch !== 'local' && values.dispatch !== 'queue')
  throw new Error(`--dispatch ${values.dispatch}: expected local or queue`);
const roles = Object.fromEntries(
  ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
    r,
    {
      baseUrl: fake.url,
      model: `soak-${r}`,
      concurrency: WINDOW * 2,
      ...(values.dispatch === 'local' ? { local: true } : {}),
    },
  ]),
);
writeFileSync(config, JSON.stringify({ roles, window: WINDOW, pageSize: 200, commitEvery: 500 }));
const cluster = await startCluster();
const run = `soak-${N}`;
const slots: ChildProcess[] = [];
const rss: RssPoint[] = [];
const serverRss: Array<{ t: number; rssMb: number }> = [];
const kills: Array<{ t: number; slot: number; downMs: number }> = [];
const progress: Array<{ t: number; finished: number }> = [];
let result: Record<string, unknown> = {};
try {
  for (let s = 0; s < WORKERS; s++) slots[s] = await cluster.startWorker(['--config', config]);
  const t0 = Date.now();
  const started = await cluster.cli(['build', '--source', src, '--run', run, '--config', config]);
  if (started.status !== 0) throw new Error(`build start: ${started.stderr}`);
  let stop = false;
  const sampler = setInterval(() => {
    const t = Date.now() - t0;
    slots.forEach((w, slot) => {
      const m = w?.pid ? rssOrNull(w.pid) : null;
      if (m !== null && w.exitCode === null) rss.push({ t, slot, pid: w.pid!, rssMb: m });
    });
    const m = rssOrNull(cluster.server.pid);
    if (m !== null) serverRss.push({ t, rssMb: m });
  }, 2000);
  // Churn: every KILL_EVERY ms, SIGKILL one worker (round robin) and start its replacement at once.
  const churn = (async () => {
    let next = 0;
    while (!stop) {
      await new Promise((r) => setTimeout(r, KILL_EVERY));
      if (stop) break;
      const slot = next++ % WORKERS;
      const tk = Date.now();
      slots[slot]!.kill('SIGKILL');
      await exited(slots[slot]!);
      slots[slot] = await cluster.startWorker(['--config', config]);
      kills.push({ t: tk - t0, slot, downMs: Date.now() - tk });
      console.error(
        `soak: t=${((tk - t0) / 1000).toFixed(0)} s killed worker ${slot + 1}, replacement ready in ${Date.now() - tk} ms`,
      );
    }
  })();
  let status = 'RUNNING';
  while (status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 10_000));
    const st = await cluster
      .cliJson<{ status: string; progress: { finished: number; counts: Record<string, number> } | null }>([
        'status',
        run,
      ])
      .catch(() => null);
    if (!st) continue;
    status = st.status;
    if (st.progress) progress.push({ t: Date.now() - t0, finished: st.progress.finished });
    console.error(
      `soak: t=${((Date.now() - t0) / 1000).toFixed(0)} s ${status} finished ${st.progress?.finished ?? 0}/${N}`,
    );
    // A partial record on every poll, so an interrupted soak still leaves its series behind.
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      join(OUT, 'soak.partial.json'),
      JSON.stringify({
        samples: N,
        latencyMs: LATENCY,
        workers: WORKERS,
        status,
        seconds: (Date.now() - t0) / 1000,
        finished: st.progress?.finished ?? 0,
        kills: kills.length,
        series: { rss, serverRss, kills, progress },
      }),
    );
  }
  const seconds = (Date.now() - t0) / 1000;
  stop = true;
  clearInterval(sampler);
  await churn;
  const rows = (
    await cluster.cliJson<{ rows: Array<{ status: string; n: number }> }>([
      'sql',
      `select status, count(*) as n from samples where run = ${sqlString(run)} group by 1`,
    ])
  ).rows;
  const counts = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const dup = (
    await cluster.cliJson<{ rows: Array<{ d: number; n: number }> }>([
      'sql',
      `select count(*) - count(distinct sample_id) as d, count(distinct sample_id) as n from samples where run = ${sqlString(run)}`,
    ])
  ).rows[0]!;
  const exact =
    status === 'COMPLETED' && counts.done === N && Object.keys(counts).length === 1 && dup.d === 0 && dup.n === N;
  const ideal = WINDOW / ((LATENCY / 1000) * CALLS_PER_SAMPLE);
  const perSlotPeak = Array.from({ length: WORKERS }, (_, s) =>
    Math.max(0, ...rss.filter((p) => p.slot === s).map((p) => p.rssMb)),
  );
  result = {
    samples: N,
    latencyMs: LATENCY,
    workers: WORKERS,
    killEverySec: KILL_EVERY / 1000,
    window: WINDOW,
    status,
    seconds,
    counts,
    duplicates: dup.d,
    exact,
    samplesPerSec: N / seconds,
    idealSamplesPerSec: ideal,
    fractionOfIdeal: N / seconds / ideal,
    endpointCalls: fake.calls.length,
    endpointCallsPerSample: fake.calls.length / N,
    kills: kills.length,
    meanReplacementReadyMs: kills.length ? kills.reduce((a, k) => a + k.downMs, 0) / kills.length : null,
    workerPeakRssMb: perSlotPeak,
    workerFinalRssMb: Array.from({ length: WORKERS }, (_, s) => rss.filter((p) => p.slot === s).at(-1)?.rssMb ?? null),
    serverPeakRssMb: Math.max(0, ...serverRss.map((p) => p.rssMb)),
    cores: (await import('node:os')).cpus().length,
  };
  mkdirSync(OUT, { recursive: true });
  const svg = plotSvg(rss, serverRss, kills, progress, plotTitle(N, LATENCY, WORKERS, KILL_EVERY / 1000));
  writeFileSync(join(OUT, 'rss.svg'), svg);
  await sharp(Buffer.from(svg)).png().toFile(join(OUT, 'rss.png'));
  writeFileSync(
    join(OUT, 'soak.json'),
    JSON.stringify({ ...result, series: { rss, serverRss, kills, progress } }, null, 2),
  );
  console.log(JSON.stringify(result, null, 2));
  if (!exact) process.exitCode = 1;
} finally {
  await cluster.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
