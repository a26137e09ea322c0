/**
 * The formatter's check (Prettier, .prettierrc.json; what it skips is in .prettierignore): the tree is as
 * `npm run format` writes it, and the check does refuse a file that is not. Embedded languages are left alone
 * (`embeddedLanguageFormatting: off`): the viewer's HTML templates are output that tests read, not code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { repoRoot } from './support/cluster.ts';

test('every source file is formatted (npm run format writes them)', () => {
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/prettier/bin/prettier.cjs'), '--list-different', '.'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  const unformatted = r.stdout.split('\n').filter(Boolean);
  assert.deepEqual(unformatted, [], `not formatted (run \`npm run format\`): ${unformatted.join(', ')}`);
  assert.equal(r.status, 0, r.stderr);
});

test("the check refuses code that is not in the project's format", async () => {
  const filepath = join(repoRoot, 'core/probe.ts');
  const options = { ...(await prettier.resolveConfig(filepath)), filepath };
  assert.equal(options.singleQuote, true, 'the project config was not found');
  assert.equal(await prettier.check('export const probe = { a:1,b:"two" }\n', options), false);
  assert.equal(
    await prettier.check(await prettier.format('export const probe = { a:1,b:"two" }\n', options), options),
    true,
  );
});
