// CLI start-up: what a scripted `r1ov sql` pays per call, against loading every command module (`r1ov help sql`,
// which is what every call cost before commands were loaded on demand) and the floor (node + tsx, nothing loaded).
// Usage: node --import tsx bench/cli/startup.ts [--reps 7]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../stats.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' } } });
const REPS = Number(values.reps);
const home = mkdtempSync(join(tmpdir(), 'r1ov-cli-bench-'));
const cases: Array<[string, string[]]> = [
  ['floor: node + tsx, empty script', ['--import', 'tsx', '-e', '0']],
  ['r1ov help sql (every command module)', ['bin/r1ov.js', 'help', 'sql']],
  ['r1ov sql "select 1" (on demand)', ['bin/r1ov.js', 'sql', 'select 1 as x']],
  ['r1ov status RUN (on demand)', ['bin/r1ov.js', 'status', 'none']],
];
const results: Array<{ name: string; medianMs: number; runsMs: number[] }> = [];
try {
  for (const [name, args] of cases) {
    spawnSync(process.execPath, args, { env: { ...process.env, R1OV_HOME: home } }); // warm the tsx transform cache
    const runs: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      spawnSync(process.execPath, args, { env: { ...process.env, R1OV_HOME: home } });
      runs.push(performance.now() - t0);
    }
    results.push({ name, medianMs: median(runs), runsMs: runs.map(Math.round) });
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
const all = results[1]!.medianMs;
console.log(`| case | median ms (of ${REPS}) | vs every module |\n| --- | --- | --- |`);
for (const r of results) console.log(`| ${r.name} | ${Math.round(r.medianMs)} | ${(r.medianMs / all).toFixed(2)}× |`);
