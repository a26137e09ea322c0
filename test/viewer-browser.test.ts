// Viewer end to end in headless Debian chromium (playwright-core, never a downloaded browser): the list, a filter,
// a sample page (image, formal table, trace), an HTML formalization whose <script> must not run, the Temporal link.
// Screenshots go to test-output/viewer/. Skips (with a message) only when /usr/bin/chromium is absent:
// CI installs it (`apt-get install -y chromium`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createViewer } from '../viewer/server.ts';
import { generateBulk, generateEval, generateShowcase, SHOWCASE } from '../bench/viewer/gen.ts';
import { browserSkip, launchChromium } from './support/browser.ts';

const SHOTS = join('test-output', 'viewer');
const skip = browserSkip;
if (skip) process.stderr.write(`viewer browser tests skipped: ${skip}\n`);

type PW = typeof import('playwright-core');
let browser: Awaited<ReturnType<PW['chromium']['launch']>>;
let viewer: ReturnType<typeof createViewer>;
let url: string;
let home: string;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'r1ov-viewer-e2e-'));
  await generateBulk(home, 'bulk', 1000, 2);
  await generateShowcase(home, 'show');
  await generateEval(home, 'evalA', 'evalB');
  viewer = createViewer({
    home,
    port: 0,
    temporal: { address: 'x', namespace: 'default', uiUrl: 'http://127.0.0.1:8233' },
  });
  url = await viewer.listen();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await viewer?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('data:')) external.push(r.url());
  });
  return { page, ctx, external };
}

test('list loads with the right count and a filter narrows it', { skip }, async () => {
  const { page, ctx, external } = await newPage();
  await page.goto(url + '/');
  assert.equal(await page.getByTestId('total').textContent(), '1,007');
  assert.equal(await page.locator('table.samples tbody tr').count(), 50);
  await page.screenshot({ path: join(SHOTS, 'list.png'), fullPage: true });
  await page.locator('[data-facet="status"] a', { hasText: 'quarantined' }).click();
  assert.equal(await page.getByTestId('total').textContent(), '101');
  await page.locator('[data-facet="run"] a', { hasText: 'show' }).click();
  assert.equal(await page.getByTestId('total').textContent(), '1');
  await page.goto(url + '/?q=token421');
  assert.equal(await page.getByTestId('total').textContent(), '1');
  await page.screenshot({ path: join(SHOTS, 'list-filtered.png'), fullPage: true });
  assert.deepEqual(external, []);
  await ctx.close();
});

test('a sample page shows image with boxes, formal table, trace and the Temporal link', { skip }, async () => {
  const { page, ctx, external } = await newPage();
  await page.goto(url + '/?run=show');
  await page.locator('a.sample-link', { hasText: SHOWCASE.chart }).click();
  const img = page.getByTestId('sample-image');
  await img.waitFor();
  assert.ok(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 400));
  assert.equal(await page.locator('svg.overlay .ov-box').count(), 2);
  assert.deepEqual(await page.locator('[data-testid=formal-table] th').allTextContents(), ['category', 'value']);
  assert.equal(await page.locator('[data-testid=formal-table] tbody tr').count(), 3);
  assert.match((await page.locator('.trace-think').textContent())!, /Bar A reaches 9/);
  assert.equal(await page.locator('.trace-answer mark.final-answer').textContent(), '\\boxed{B}');
  assert.equal(await page.getByTestId('question').textContent(), 'Which bar is tallest? <b>not bold</b>');
  const href = await page.getByTestId('temporal-link').getAttribute('href');
  assert.equal(
    href,
    `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(`r1ov/show/${SHOWCASE.chart}`)}`,
  );
  assert.equal(decodeURIComponent(href!.split('/workflows/')[1]!), `r1ov/show/${SHOWCASE.chart}`);
  assert.equal(await page.locator('[data-testid=llm-calls] tbody tr').count(), 3); // 2 calls + total
  await page.screenshot({ path: join(SHOTS, 'sample-chart.png'), fullPage: true });
  for (const [id, name] of [
    [SHOWCASE.mermaid, 'sample-mermaid'],
    [SHOWCASE.spice, 'sample-spice'],
    [SHOWCASE.ocr, 'sample-ocr'],
    [SHOWCASE.judged, 'sample-judged'],
  ] as const) {
    await page.goto(`${url}/sample?run=show&id=${encodeURIComponent(id)}`);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }
  assert.equal(await page.locator('.diff .del').count(), 1);
  assert.deepEqual(external, []);
  await ctx.close();
});

test('an HTML formalization containing <script> does not execute', { skip }, async () => {
  const { page, ctx } = await newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${url}/sample?run=show&id=${encodeURIComponent(SHOWCASE.html)}`);
  const iframe = page.getByTestId('formal-html');
  assert.equal(await iframe.getAttribute('sandbox'), '');
  const frame = page.frameLocator('[data-testid=formal-html]');
  await frame.locator('button').waitFor();
  assert.equal(await frame.locator('button').textContent(), 'Send'); // the HTML rendered…
  assert.equal(await frame.locator('#t').textContent(), 'Login'); // …but its script did not rewrite it
  await page.waitForTimeout(300);
  assert.notEqual(await page.title(), 'PWNED');
  assert.ok((await page.title()).includes('show-html'));
  assert.deepEqual(dialogs, []);
  await page.screenshot({ path: join(SHOTS, 'sample-html-sandboxed.png'), fullPage: true });
  await ctx.close();
});

test('evaluation grid, cell items and comparison render', { skip }, async () => {
  const { page, ctx } = await newPage();
  await page.goto(url + '/eval/run?run=evalA');
  await page.getByTestId('eval-grid').waitFor();
  await page.screenshot({ path: join(SHOTS, 'eval-grid.png'), fullPage: true });
  await page.locator('[data-testid=eval-grid] td.cell a').first().click();
  assert.ok((await page.locator('[data-testid=eval-items] tbody tr').count()) > 0);
  await page.goto(url + '/eval/compare?a=evalA&b=evalB');
  assert.ok((await page.locator('[data-testid=flipped] tbody tr').count()) > 0);
  await page.screenshot({ path: join(SHOTS, 'eval-compare.png'), fullPage: true });
  await ctx.close();
});
