#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner through tsx (Node 20 has no --test globs).
// Usage: node scripts/run-tests.mjs [--quick] [substring-filter ...]
// --quick (`npm run test:quick`): unit and workflow tests only, no typecheck. It leaves out `*.integration.test.ts`
// and the files in NOT_QUICK: tests that start a real Temporal server with worker processes, the Python trainer or
// a browser. Workflow tests (test/workflows/, an in-process test server with mocked activities) stay in.
import { availableParallelism } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const quick = process.argv.includes('--quick');
const filters = process.argv.slice(2).filter((a) => a !== '--quick');
const files = walk('test').sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .filter((f) => !quick || (!f.endsWith('.integration.test.ts') && !(f.split('\\').join('/') in NOT_QUICK)));
// The quick set is independent files (each workflow test file has its own server): run them side by side.
const concurrency = process.env.R1OV_TEST_CONCURRENCY ?? (quick ? String(availableParallelism()) : '1');
// The whole suite also typechecks: a type error fails the run like a failing test.
if (filters.length === 0 && !quick) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('typecheck failed');
    process.exit(tsc.status ?? 1);
  }
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
