/**
 * The Temporal Web UI in a real browser: Debian's chromium driven by playwright-core opens the dev
 * server's UI, filters workflows by `R1ovRun`, sees that run's workflows (and not another run's), opens one sample's
 * workflow and sees its activities (a parquet build with LLM roles, so sample workflows have real activities:
 * formalize, reason, qaJudge). Screenshots: test-output/webui/. Skips with a message only when /usr/bin/chromium is
 * absent (CI installs it: `apt-get install -y chromium`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture } from './support/llava-fixture.ts';
import { browserSkip, launchChromium } from './support/browser.ts';

const SHOTS = join('test-output', 'webui');
const skip = browserSkip;
if (skip) process.stderr.write(`Web UI browser test skipped: ${skip}\n`);

type PW = typeof import('playwright-core');
let browser: Awaited<ReturnType<PW['chromium']['launch']>>;
let cluster: Cluster;
let fake: FakeOpenAI;
let dir: string;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'r1ov-webui-'));
  const src = join(dir, 'llava');
  await writeLlavaFixture(src);
  fake = await startFakeOpenAI({ respond: fixtureResponder() });
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: fake.url, model: `ui-${r}` }]),
  );
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ roles, window: 20, pageSize: 10, commitEvery: 20 }));
  cluster = await startCluster();
  await cluster.startWorker(['--config', config]);
  const a = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    src,
    '--run',
    'webui',
    '--config',
    config,
    '--subset',
    'chartqa',
    '--limit',
    '6',
    '--wait',
  ]);
  assert.equal(a.status, 'COMPLETED');
  const b = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    'synthetic:4',
    '--run',
    'otherrun',
    '--wait',
  ]);
  assert.equal(b.status, 'COMPLETED');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  "filter by R1ovRun, see the run's workflows, open a sample and see its activities",
  { skip, timeout: 5 * 60_000 },
  async () => {
    const ctx = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
    const page = await ctx.newPage();
    const ui = cluster.server.uiUrl;
    try {
      await drive(page, ui);
    } catch (err) {
      // Evidence for a failure: what the browser showed.
      await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => {});
      process.stderr.write(
        `webui failure at ${page.url()}:\n${(
          await page
            .locator('body')
            .innerText()
            .catch(() => '')
        ).slice(0, 3000)}\n`,
      );
      throw err;
    } finally {
      await ctx.close();
    }
  },
);

async function drive(
  page: Awaited<ReturnType<Awaited<ReturnType<PW['chromium']['launch']>>['newPage']>>,
  ui: string,
): Promise<void> {
  // The UI keeps its filter in the URL: this is the list a user gets after filtering R1ovRun = "webui".
  const query = `R1ovRun="webui"`;
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  // Workflow-id links point at /workflows/<url-encoded id>/<run id>/...
  const rows = page.locator('a[href*="/workflows/r1ov%2Fwebui%2F"]');
  await rows.first().waitFor({ timeout: 60_000 });
  // Every sample workflow (6) plus the build itself is listed; the other run's are not.
  await page.waitForFunction(() => document.body.innerText.split('r1ov/webui/').length - 1 >= 6, undefined, {
    timeout: 30_000,
  });
  const body = await page.locator('body').innerText();
  assert.ok(!body.includes('r1ov/otherrun'), "the filter let another run's workflows through");
  assert.match(body, /R1ovRun/, 'the filter is visible on the page');
  await page.screenshot({ path: join(SHOTS, 'workflows-filtered.png'), fullPage: true });

  // Without the filter both runs show: the filter did the narrowing.
  await page.goto(`${ui}/namespaces/default/workflows`);
  await page.locator('a[href*="/workflows/r1ov%2Fotherrun"]').first().waitFor({ timeout: 60_000 });

  // Open one sample's workflow from the filtered list.
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const sample = page.locator('a[href*="/workflows/r1ov%2Fwebui%2Fchartqa-"]').first();
  await sample.waitFor({ timeout: 60_000 });
  const sampleId = decodeURIComponent(/\/workflows\/([^/]+)\//.exec((await sample.getAttribute('href'))!)![1]!);
  assert.match(sampleId, /^r1ov\/webui\/chartqa-\d+#\d$/);
  await sample.click();
  await page.waitForURL(/\/workflows\/r1ov/, { timeout: 30_000 });
  await page.getByText(sampleId).first().waitFor({ timeout: 30_000 });
  // Its event history lists the LLM stages' activities by type.
  for (const activity of ['formalize', 'reason', 'qaJudge']) {
    await page.getByText(activity, { exact: true }).first().waitFor({ timeout: 60_000 });
  }
  await page.screenshot({ path: join(SHOTS, 'sample-workflow.png'), fullPage: true });
  const text = await page.locator('body').innerText();
  assert.match(text, /Completed/i);
}
