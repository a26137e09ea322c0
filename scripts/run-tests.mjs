#!/usr/bin/env node
// Runs every test/**/*.test.ts, each file in its own Node process through tsx (node:test's spec reporter), several
// files side by side, longest first. Integration files are isolated (each starts its own Temporal engine on free
// ports with a temporary home, test/support/cluster.ts) and spend most of their time waiting on servers, endpoints
// and rate limits, so running them beside each other and beside the CPU-bound unit files fills the machine.
//
// Usage: node scripts/run-tests.mjs [--quick] [--timings[=NAME]] [substring-filter ...]
//        node scripts/run-tests.mjs --compare BEFORE[,MORE] AFTER[,MORE]
// --quick (`npm run test:quick`): unit and workflow tests only, no typecheck. It leaves out `*.integration.test.ts`
// and the files in NOT_QUICK: tests that start a real Temporal server with worker processes, the Python trainer or
// a browser. Workflow tests (test/workflows/, an in-process test server with mocked activities) stay in.
// The whole suite (no filter, not --quick) also typechecks, as one more job of the pool: a type error fails the run.
// Files at once: R1OV_TEST_CONCURRENCY (default 4 for the suite — its integration files mostly wait —, the number of
// cores for --quick, 1 for a filtered run).
// Timings: each file's wall time is printed at the end and kept in test-output/timings/last.json (the next run's
// longest-first order); --timings=NAME also writes test-output/timings/NAME.json and NAME.md (a per-file table with
// the machine's load), and --compare BEFORE AFTER prints and writes the before/after table of two such runs (a
// comma-separated list on either side adds up runs of disjoint files made one after the other).
import { availableParallelism, loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const TIMINGS_DIR = join('test-output', 'timings');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const NOT_QUICK = {
  'test/fidelity.test.ts': 'a Temporal dev server and a worker process',
  'test/formalize.test.ts': 'a Temporal dev server and a worker process',
  'test/perception.test.ts': 'the Python trainer',
  'test/bench-vlmevalkit.test.ts': 'the Python trainer (pandas)',
  'test/viewer-browser.test.ts': 'a headless browser',
};
// Seconds each of the slow jobs took alone on a 2-core machine shared with other jobs (load average about 20): only
// their order matters (longest first), and a local run's own timings (test-output/timings/last.json) take precedence.
const EXPECTED_S = {
  'test/train.integration.test.ts': 480,
  'test/cluster-engines-cluster.integration.test.ts': 450,
  'test/scaleout.integration.test.ts': 300,
  'test/cluster-engines-dev.integration.test.ts': 250,
  'test/build.integration.test.ts': 190,
  'test/conformance.integration.test.ts': 95,
  'test/ops-breaker.integration.test.ts': 80,
  'test/codec.integration.test.ts': 65,
  typecheck: 35,
};
const DEFAULT_INTEGRATION_S = 40;
const DEFAULT_UNIT_S = 5;

const posix = (f) => f.split('\\').join('/');
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const fmtS = (ms) => (ms / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------------------------------
// --compare BEFORE AFTER: a per-file table of two --timings runs.

function compare(beforeName, afterName) {
  const loadOne = (name) => {
    const f = join(TIMINGS_DIR, `${name}.json`);
    if (!existsSync(f)) throw new Error(`--compare: no ${f} (write it with --timings=${name})`);
    return readJson(f);
  };
  // `a,b`: runs of disjoint files one after the other (say the slow files measured alone), taken as one run.
  const load = (names) =>
    names
      .split(',')
      .map(loadOne)
      .reduce((x, y) => ({
        startedAt: `${x.startedAt} + ${y.startedAt}`,
        wallMs: x.wallMs + y.wallMs,
        tests: x.tests + y.tests,
        concurrency: `${x.concurrency}+${y.concurrency}`,
        loadBefore: [...x.loadBefore, '+', ...y.loadBefore],
        loadAfter: [...x.loadAfter, '+', ...y.loadAfter],
        files: { ...x.files, ...y.files },
      }));
  const [b, a] = [load(beforeName), load(afterName)];
  const files = [...new Set([...Object.keys(b.files), ...Object.keys(a.files)])].sort(
    (x, y) => (b.files[y]?.ms ?? a.files[y]?.ms ?? 0) - (b.files[x]?.ms ?? a.files[x]?.ms ?? 0),
  );
  const cell = (r) => (r ? `${fmtS(r.ms)}` : '—');
  const tests = (r) => (r ? `${r.tests}${r.fail ? ` (${r.fail} failed)` : ''}` : '—');
  const lines = [
    `| file | ${beforeName} s | ${afterName} s | tests ${beforeName} | tests ${afterName} |`,
    '| --- | ---: | ---: | ---: | ---: |',
    ...files.map(
      (f) => `| ${f} | ${cell(b.files[f])} | ${cell(a.files[f])} | ${tests(b.files[f])} | ${tests(a.files[f])} |`,
    ),
    `| **wall time of the run** | ${fmtS(b.wallMs)} | ${fmtS(a.wallMs)} | ${b.tests} | ${a.tests} |`,
    '',
    `${beforeName}: ${b.startedAt}, concurrency ${b.concurrency}, load average ${b.loadBefore.join(' ')} before, ${b.loadAfter.join(' ')} after`,
    `${afterName}: ${a.startedAt}, concurrency ${a.concurrency}, load average ${a.loadBefore.join(' ')} before, ${a.loadAfter.join(' ')} after`,
  ];
  const out = join(TIMINGS_DIR, `compare-${beforeName}-${afterName}.md`.replaceAll(',', '+'));
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`${lines.join('\n')}\n\nwritten to ${out}`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--compare') {
  if (argv.length !== 3) {
    console.error('usage: node scripts/run-tests.mjs --compare BEFORE AFTER');
    process.exit(2);
  }
  compare(argv[1], argv[2]);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// The run.

const quick = argv.includes('--quick');
const timingsArg = argv.find((a) => a === '--timings' || a.startsWith('--timings='));
const timingsName = timingsArg ? timingsArg.split('=')[1] || new Date().toISOString().replace(/[:.]/g, '-') : undefined;
const unknown = argv.filter((a) => a.startsWith('--') && a !== '--quick' && a !== timingsArg);
if (unknown.length) {
  console.error(`run-tests: unknown option ${unknown[0]} (known: --quick, --timings[=NAME], --compare BEFORE AFTER)`);
  process.exit(2);
}
const filters = argv.filter((a) => !a.startsWith('--'));
const files = walk('test')
  .map(posix)
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .filter((f) => !quick || (!f.endsWith('.integration.test.ts') && !(f in NOT_QUICK)));
const fullSuite = filters.length === 0 && !quick;
// A filtered run (an engineer's own files on a shared machine) keeps to one file at a time unless asked.
const concurrency = Math.max(
  1,
  Number(process.env.R1OV_TEST_CONCURRENCY ?? (fullSuite ? 4 : quick ? availableParallelism() : 1)) || 1,
);

const lastFile = join(TIMINGS_DIR, 'last.json');
const last = existsSync(lastFile) ? readJson(lastFile) : {};
const expected = (name) =>
  last[name] ??
  (EXPECTED_S[name] !== undefined ? EXPECTED_S[name] * 1000 : undefined) ??
  (name.endsWith('.integration.test.ts') || name in NOT_QUICK ? DEFAULT_INTEGRATION_S : DEFAULT_UNIT_S) * 1000;

/** A job: one test file (or the typecheck) in its own process. */
const jobs = [
  ...(fullSuite ? [{ name: 'typecheck', args: ['node_modules/typescript/bin/tsc', '--noEmit'] }] : []),
  ...files.map((f) => ({ name: f, args: ['--import', 'tsx', '--test-reporter=spec', f] })),
].sort((a, b) => expected(b.name) - expected(a.name) || a.name.localeCompare(b.name));

/** Counts from the spec reporter's closing summary (`ℹ tests 3`, …); absent when the file crashed before it. */
function summary(output) {
  const n = (k) => Number(output.match(new RegExp(`^ℹ ${k} (\\d+)$`, 'm'))?.[1] ?? 0);
  return {
    tests: n('tests'),
    pass: n('pass'),
    fail: n('fail'),
    skipped: n('skipped'),
    cancelled: n('cancelled'),
    todo: n('todo'),
  };
}

function runJob(job) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, job.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => (out += `\n${String(err)}\n`));
    child.on('close', (code, signal) =>
      resolve({ name: job.name, code: code ?? 1, signal, ms: Date.now() - t0, out, ...summary(out) }),
    );
  });
}

// Tools that test files install on first use into the repository's .r1ov/tools (the Temporal CLI, moto for the S3
// tests): installed here once, before files run side by side and would each start the same install.
const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
function prepare(envVar, present, what, args) {
  if (process.env[envVar] || present()) return;
  console.log(`run-tests: installing ${what} once for all files …`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !path) {
    console.error(`run-tests: could not install ${what} (exit ${r.status})`);
    process.exit(1);
  }
  process.env[envVar] = path;
}
if (concurrency > 1 && jobs.length > 1) {
  prepare(
    'TEMPORAL_CLI',
    () => existsSync(join('.r1ov', 'tools', 'temporal', 'bin', 'temporal')) || onPath('temporal'),
    'the Temporal CLI',
    ['bin/r1ov.js', '--home', '.r1ov', 'server', 'install'],
  );
  if (files.some((f) => /s3|train-checkpoints/.test(f))) {
    prepare(
      'R1OV_MOTO_SERVER',
      () => existsSync(join('.r1ov', 'tools', 'moto', 'bin', 'moto_server')) || onPath('moto_server'),
      'moto (S3 tests)',
      ['--import', 'tsx', 'test/support/s3-server.ts', 'install'],
    );
  }
}

const startedAt = new Date().toISOString();
const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
const t0 = Date.now();
console.log(
  `run-tests: ${jobs.length} jobs, ${concurrency} at a time, longest first (load average ${loadBefore.join(' ')})`,
);
const results = [];
const queue = [...jobs];
async function lane() {
  for (let job = queue.shift(); job; job = queue.shift()) {
    console.log(`run-tests: start ${job.name} (${results.length} of ${jobs.length} done, ${fmtS(Date.now() - t0)} s)`);
    const r = await runJob(job);
    results.push(r);
    const ok = r.code === 0;
    // One file's output at a time, whole, when it ends: side-by-side files never interleave.
    process.stdout.write(
      `\n── ${ok ? 'ok' : 'FAILED'} ${r.name} (${fmtS(r.ms)} s${r.signal ? `, ${r.signal}` : ''}) ${'─'.repeat(20)}\n${r.out}`,
    );
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
const wallMs = Date.now() - t0;
const loadAfter = loadavg().map((x) => Number(x.toFixed(2)));

const failed = results.filter((r) => r.code !== 0);
const total = (k) => results.reduce((s, r) => s + r[k], 0);
const byTime = [...results].sort((a, b) => b.ms - a.ms);
console.log(`\nrun-tests: per-job wall time (s), longest first`);
for (const r of byTime)
  console.log(
    `${fmtS(r.ms).padStart(8)}  ${r.code === 0 ? '  ' : '✖ '}${r.name}${r.name === 'typecheck' ? '' : `  (${r.tests} tests)`}`,
  );
console.log(
  `\nrun-tests: ${results.length} jobs in ${fmtS(wallMs)} s wall (${concurrency} at a time; load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}); ` +
    `tests ${total('tests')}, pass ${total('pass')}, fail ${total('fail')}, skipped ${total('skipped')}, cancelled ${total('cancelled')}, todo ${total('todo')}`,
);
if (failed.length) {
  // A CI log is often read from its tail only: repeat what each failed file said last, so the reason is there too.
  for (const r of failed) {
    const tail = r.out
      .split('\n')
      .filter((l) => !/^\s*✔/.test(l))
      .slice(-80)
      .join('\n');
    console.log(`\nrun-tests: the end of what ${r.name} printed (passing lines left out):\n${tail}`);
  }
  console.log(`run-tests: FAILED: ${failed.map((r) => r.name).join(', ')}`);
}

mkdirSync(TIMINGS_DIR, { recursive: true });
writeFileSync(
  lastFile,
  `${JSON.stringify({ ...last, ...Object.fromEntries(results.map((r) => [r.name, r.ms])) }, null, 1)}\n`,
);
if (timingsName) {
  const record = {
    startedAt,
    wallMs,
    concurrency,
    loadBefore,
    loadAfter,
    tests: total('tests'),
    files: Object.fromEntries(
      byTime.map((r) => [
        r.name,
        { ms: r.ms, code: r.code, tests: r.tests, pass: r.pass, fail: r.fail, skipped: r.skipped },
      ]),
    ),
  };
  writeFileSync(join(TIMINGS_DIR, `${timingsName}.json`), `${JSON.stringify(record, null, 1)}\n`);
  const md = [
    `# ${timingsName}: ${startedAt}, ${fmtS(wallMs)} s wall, ${concurrency} at a time, load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}`,
    '',
    '| job | s | tests | fail | skipped |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...byTime.map(
      (r) =>
        `| ${r.name} | ${fmtS(r.ms)} | ${r.tests} | ${r.fail || (r.code !== 0 ? 'exit ' + r.code : 0)} | ${r.skipped} |`,
    ),
  ];
  writeFileSync(join(TIMINGS_DIR, `${timingsName}.md`), `${md.join('\n')}\n`);
  console.log(`run-tests: timings in ${join(TIMINGS_DIR, `${timingsName}.md`)}`);
}
process.exit(failed.length ? 1 : 0);
