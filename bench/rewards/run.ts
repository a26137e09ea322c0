// Reward benchmark: ours vs HF math-verify on generated pairs (agreement, disagreements, throughput
// steady in one process and with process start included), and both on the Math-Verify conformance
// fixture (test/fixtures/math-verify). run.sh pins everything to one core.
// Usage: node --import tsx bench/rewards/run.ts [--pairs N] [--reps R] [--mv-reps R] [--starts S] [--python PATH]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clearAnswerCache } from '../../core/rewards/equivalence.ts';
import { scoreCompletion } from '../../core/rewards/index.ts';
import { boxedReading, goldAnswer, writtenReading } from '../../test/fixtures/math-verify/readings.ts';
import { generatePairs } from './gen.ts';
import { median } from '../stats.ts';
import { at } from '../../core/must.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '..', 'out');
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '4000' },
    reps: { type: 'string', default: '7' },
    'mv-reps': { type: 'string', default: '3' },
    starts: { type: 'string', default: '3' },
    python: { type: 'string', default: join(outDir, 'venv', 'bin', 'python') },
  },
});
const STARTS = Number(values.starts);
const N = Number(values.pairs);
const REPS = Number(values.reps);
mkdirSync(outDir, { recursive: true });

const pairs = generatePairs(N);
const pairsPath = join(outDir, 'rewards-pairs.jsonl');
writeFileSync(pairsPath, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');

// Ours: the full reward path (extraction + equivalence + format), cold parse cache each repetition.
const ours = pairs.map((p) => scoreCompletion({ completion: p.completion, groundTruth: p.gold }).accuracy);
const oursSeconds: number[] = [];
for (let r = 0; r < REPS; r++) {
  clearAnswerCache();
  const t0 = performance.now();
  for (const p of pairs) scoreCompletion({ completion: p.completion, groundTruth: p.gold });
  oursSeconds.push((performance.now() - t0) / 1000);
}

const mvPath = join(outDir, 'rewards-mv.json');
const mvT0 = performance.now();
execFileSync(values.python!, [join(here, 'mv_score.py'), pairsPath, mvPath, values['mv-reps']!], { stdio: 'inherit' });
const mvWall = (performance.now() - mvT0) / 1000;
const mv = JSON.parse(readFileSync(mvPath, 'utf8')) as {
  verdicts: Array<0 | 1 | null>;
  latexVerdicts: Array<0 | 1 | null>;
  seconds: number[];
};
if (mv.verdicts.length !== N || mv.latexVerdicts.length !== N)
  throw new Error(
    `${mvPath}: expected ${N} verdicts of each kind, got ${mv.verdicts.length} and ${mv.latexVerdicts.length}`,
  );

// Process start included: a fresh process scores every pair once, timed from here (median of STARTS).
const wallOf = (cmd: string, args: string[]): number => {
  const t0 = performance.now();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
};
const oursStartSeconds: number[] = [];
const mvStartSeconds: number[] = [];
for (let r = 0; r < STARTS; r++) {
  oursStartSeconds.push(wallOf(process.execPath, ['--import', 'tsx', join(here, 'score-once.ts'), pairsPath]));
  mvStartSeconds.push(wallOf(values.python!, [join(here, 'mv_score.py'), '--once', pairsPath]));
}

// Both verifiers on the conformance fixture, in the test's two readings (labels: upstream's, with our overrides).
const fixtureDir = resolve(here, '..', '..', 'test', 'fixtures', 'math-verify');
const fixture = JSON.parse(readFileSync(join(fixtureDir, 'cases.json'), 'utf8')) as {
  cases: Array<{ id: string; gold: string; pred: string; expected: 0 | 1 }>;
};
const overrides = (
  JSON.parse(readFileSync(join(fixtureDir, 'labels.json'), 'utf8')) as {
    overrides: Record<string, { expected: 0 | 1 }>;
  }
).overrides;
const readings = fixture.cases.map((c) => ({
  id: c.id,
  gold: c.gold,
  boxed: boxedReading(c.pred),
  written: writtenReading(c.pred),
  expected: overrides[c.id]?.expected ?? c.expected,
  upstream: c.expected,
}));
const readingsPath = join(outDir, 'conformance-readings.jsonl');
writeFileSync(readingsPath, readings.map((r) => JSON.stringify(r)).join('\n') + '\n');
const mvConfPath = join(outDir, 'conformance-mv.json');
execFileSync(values.python!, [join(here, 'mv_score.py'), '--conformance', readingsPath, mvConfPath], {
  stdio: 'inherit',
});
const mvConf = JSON.parse(readFileSync(mvConfPath, 'utf8')) as Array<{ id: string; boxed: 0 | 1; written: 0 | 1 }>;
if (mvConf.length !== readings.length)
  throw new Error(`${mvConfPath}: expected ${readings.length} readings, got ${mvConf.length}`);
const conformance = {
  cases: readings.length,
  ours: { boxed: 0, written: 0 },
  mathVerify: { boxed: 0, written: 0 },
  mathVerifyUpstreamLabels: { boxed: 0, written: 0 },
};
readings.forEach((r, i) => {
  for (const k of ['boxed', 'written'] as const) {
    if (scoreCompletion({ completion: r[k], groundTruth: goldAnswer(r.gold) }).accuracy === r.expected)
      conformance.ours[k]++;
    const theirs = at(mvConf, i)[k];
    if (theirs === r.expected) conformance.mathVerify[k]++;
    if (theirs === r.upstream) conformance.mathVerifyUpstreamLabels[k]++;
  }
});

let judged = 0;
let agree = 0;
const disagreements: Array<{
  id: number;
  category: string;
  kind: string;
  gold: string;
  answer: string;
  ours: number;
  mathVerify: number;
}> = [];
const perCategory: Record<string, { judged: number; agree: number }> = {};
pairs.forEach((p, i) => {
  const v = at(mv.verdicts, i);
  if (v === null) return;
  judged++;
  const c = (perCategory[p.category] ??= { judged: 0, agree: 0 });
  c.judged++;
  const mine = at(ours, i);
  if (v === mine) {
    agree++;
    c.agree++;
    return;
  }
  const answer = /\\boxed\{(.*)\}<\/answer>|\\boxed\{(.*)\}\$\.|<answer>\$(.*)\$<\/answer>|answer is \$(.*)\$\./.exec(
    p.completion,
  );
  disagreements.push({
    id: p.id,
    category: p.category,
    kind: mine ? 'ours accepts, math-verify rejects' : 'ours rejects, math-verify accepts',
    gold: p.gold,
    answer: answer ? (answer.slice(1).find((x) => x !== undefined) ?? '') : p.completion,
    ours: mine,
    mathVerify: v,
  });
});

// The stricter reading, for the record: math-verify's LaTeX extraction on every pair, option letters included.
let latexJudged = 0;
let latexAgree = 0;
const latexDisagreementsByCategory: Record<string, number> = {};
pairs.forEach((p, i) => {
  const v = at(mv.latexVerdicts, i);
  if (v === null) return;
  latexJudged++;
  if (v === ours[i]) latexAgree++;
  else latexDisagreementsByCategory[p.category] = (latexDisagreementsByCategory[p.category] ?? 0) + 1;
});

const oursMed = median(oursSeconds);
const mvMed = median(mv.seconds);
const report = {
  pairs: N,
  judgedByMathVerify: judged,
  agreement: judged ? agree / judged : 0,
  latexModeOnLetters: {
    judged: latexJudged,
    agreement: latexJudged ? latexAgree / latexJudged : 0,
    disagreementsByCategory: latexDisagreementsByCategory,
  },
  perCategory,
  throughput: {
    oursPairsPerSec: N / oursMed,
    mathVerifyPairsPerSec: N / mvMed,
    speedup: mvMed / oursMed,
    oursSeconds,
    mathVerifySeconds: mv.seconds,
    mathVerifyWallSeconds: mvWall,
    processStartIncluded: {
      oursPairsPerSec: N / median(oursStartSeconds),
      mathVerifyPairsPerSec: N / median(mvStartSeconds),
      speedup: median(mvStartSeconds) / median(oursStartSeconds),
      oursSeconds: oursStartSeconds,
      mathVerifySeconds: mvStartSeconds,
    },
  },
  conformance,
  disagreements,
};
writeFileSync(join(outDir, 'rewards-bench.json'), JSON.stringify(report, null, 2));

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
console.log('\nreward verifier benchmark');
console.log(`| metric | value |\n| --- | --- |`);
console.log(`| pairs | ${N} |`);
console.log(`| math-verify verdicts | ${judged} |`);
console.log(`| agreement (math-verify in its documented mode per gold type) | ${pct(report.agreement)} |`);
console.log(
  `| agreement (math-verify LaTeX mode on option letters too; ${latexJudged} verdicts) | ${pct(report.latexModeOnLetters.agreement)} |`,
);
console.log(`| ours pairs/s (median of ${REPS}, 1 core) | ${Math.round(report.throughput.oursPairsPerSec)} |`);
console.log(
  `| math-verify pairs/s (median of ${mv.seconds.length}) | ${Math.round(report.throughput.mathVerifyPairsPerSec)} |`,
);
console.log(`| speed-up, steady | ${report.throughput.speedup.toFixed(1)}x |`);
const ps = report.throughput.processStartIncluded;
console.log(
  `| ours pairs/s, process start included (median of ${STARTS} fresh processes) | ${Math.round(ps.oursPairsPerSec)} |`,
);
console.log(
  `| math-verify pairs/s, process start included (median of ${STARTS}) | ${Math.round(ps.mathVerifyPairsPerSec)} |`,
);
console.log(`| speed-up, process start included | ${ps.speedup.toFixed(1)}x |`);
const cp = (n: number): string => pct(n / conformance.cases);
console.log(
  `| conformance (${conformance.cases} Math-Verify cases), ours boxed / as written | ${cp(conformance.ours.boxed)} / ${cp(conformance.ours.written)} |`,
);
console.log(
  `| conformance, math-verify boxed / as written (our labels) | ${cp(conformance.mathVerify.boxed)} / ${cp(conformance.mathVerify.written)} |`,
);
console.log(
  `| conformance, math-verify boxed / as written (upstream labels) | ${cp(conformance.mathVerifyUpstreamLabels.boxed)} / ${cp(conformance.mathVerifyUpstreamLabels.written)} |`,
);
console.log('\nper category (agree / judged):');
for (const [k, v] of Object.entries(perCategory)) console.log(`  ${k.padEnd(12)} ${v.agree}/${v.judged}`);
const groups = new Map<string, typeof disagreements>();
for (const d of disagreements) {
  const key = `${d.category}: ${d.kind}`;
  groups.set(key, [...(groups.get(key) ?? []), d]);
}
console.log(`\ndisagreements (${disagreements.length}):`);
for (const [k, ds] of groups) {
  console.log(`  ${k} (${ds.length}), e.g.`);
  for (const d of ds.slice(0, 4)) console.log(`    gold ${JSON.stringify(d.gold)}  answer ${JSON.stringify(d.answer)}`);
}
console.log(`\nwritten: ${join(outDir, 'rewards-bench.json')}`);
