/** `r1ov demo` from the CLI, as README's main command runs it: summary counts match SQL; re-running is idempotent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { stopServer } from '../infra/server.ts';
import { freePort, repoRoot, temporalCliForTests } from './support/cluster.ts';

function r1ov(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ status: code ?? -1, stdout, stderr }));
  });
}

test(
  'demo builds the synthetic source, prints counts that match r1ov sql, and is idempotent',
  { timeout: 600_000 },
  async () => {
    const home = mkdtempSync(join(tmpdir(), 'r1ov-demo-'));
    const env = {
      ...process.env,
      R1OV_HOME: home,
      TEMPORAL_CLI: temporalCliForTests(),
      R1OV_TEMPORAL_PORT: String(await freePort()),
      R1OV_TEMPORAL_UI_PORT: String(await freePort()),
    };
    try {
      const first = await r1ov(['demo', '--samples', '48', '--json'], env);
      assert.equal(first.status, 0, first.stderr.slice(-2000));
      type Demo = {
        status: string;
        totals: Record<string, number>;
        byKind: Array<Record<string, unknown>>;
        contactSheet: string;
        shards: string;
        webUi: string;
      };
      const d = JSON.parse(first.stdout) as Demo;
      assert.equal(d.status, 'COMPLETED');
      assert.equal(d.totals.total, 48);
      const sql = await r1ov(
        ['sql', "select status, count(*) as n from samples where run = 'demo' group by 1", '--json'],
        env,
      );
      const counts = Object.fromEntries(
        (JSON.parse(sql.stdout) as { rows: Array<{ status: string; n: number }> }).rows.map((r) => [r.status, r.n]),
      );
      assert.equal(counts.done ?? 0, d.totals.done);
      assert.equal(counts.rejected ?? 0, d.totals.rejected);
      assert.equal(counts.quarantined ?? 0, d.totals.quarantined);
      assert.equal(d.totals.done, 48, 'synthetic samples are exact: every one is done');
      const meta = await sharp(d.contactSheet).metadata();
      assert.equal(meta.format, 'png');
      assert.ok(meta.width! > 600 && meta.height! > 300);
      assert.ok(existsSync(d.shards));
      assert.equal((await fetch(d.webUi)).status, 200);

      const again = await r1ov(['demo', '--samples', '48', '--json'], env);
      assert.equal(again.status, 0, again.stderr.slice(-2000));
      const d2 = JSON.parse(again.stdout) as Demo;
      assert.deepEqual(d2.totals, d.totals);
      assert.match(again.stderr, /attached to r1ov\/demo/);
    } finally {
      await stopServer(home);
      rmSync(home, { recursive: true, force: true });
    }
  },
);
