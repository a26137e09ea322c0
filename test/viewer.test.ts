// Viewer: renderers, the catalog snapshot (filters, facets, search, paging) and the HTTP surface,
// over records generated straight into Parquet shards (bench/viewer/gen.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { esc, html } from '../viewer/html.ts';
import { parseMermaid, mermaidSvg } from '../viewer/mermaid.ts';
import {
  csvTable,
  highlightBoxed,
  lineDiff,
  parseCsv,
  spiceHtml,
  splitTrace,
  formalHtml,
  imageHtml,
} from '../viewer/render.ts';
import { createViewer, FORMAL_HTML_CSP } from '../viewer/server.ts';
import { generateBulk, generateEval, generateShowcase, SHOWCASE } from '../bench/viewer/gen.ts';

test('html escapes every interpolation unless it is markup built by html', () => {
  const evil = `<script>alert("x")</script>' onload='x`;
  const out = html`<p title="${evil}">${evil}${html`<b>ok</b>`}</p>`.value;
  assert.ok(!out.includes('<script>'));
  assert.ok(out.includes('&lt;script&gt;') && out.includes('&#39; onload=&#39;x'));
  assert.ok(out.includes('<b>ok</b>'));
  assert.equal(esc(null), '');
});

test('CSV parses quotes, doubled quotes and CRLF; table cells are escaped', () => {
  assert.deepEqual(parseCsv('a,b\r\n"x, y","say ""hi"""\n1,2\n'), [
    ['a', 'b'],
    ['x, y', 'say "hi"'],
    ['1', '2'],
  ]);
  const t = csvTable('h,<img src=x>\n1,2').value;
  assert.ok(t.includes('<th>&lt;img src=x&gt;</th>') && t.includes('<td>2</td>'));
});

test('Mermaid flowcharts parse (shapes, labelled edges, cycles) and draw as escaped SVG', () => {
  const f = parseMermaid(
    'flowchart TD\n  a(["Start"])\n  b{"Ok <now>?"}\n  c["Go"]\n  a --> b\n  b -->|Yes| c\n  b -- No --> a\n',
  )!;
  assert.equal(f.nodes.length, 3);
  assert.deepEqual(
    f.nodes.map((n) => n.shape),
    ['stadium', 'diamond', 'rect'],
  );
  assert.deepEqual(
    f.edges.map((e) => [e.from, e.to, e.label]),
    [
      ['a', 'b', null],
      ['b', 'c', 'Yes'],
      ['b', 'a', 'No'],
    ],
  );
  const svg = mermaidSvg(f);
  assert.ok(svg.startsWith('<svg') && svg.includes('Ok &lt;now&gt;?') && !svg.includes('<now>'));
  assert.equal(parseMermaid('sequenceDiagram\n A->>B: hi'), null);
  assert.equal(parseMermaid('graph LR\n A --> B --> C')!.edges.length, 2);
});

test('SPICE highlighting marks elements, nodes, values and directives', () => {
  const h = spiceHtml('* title\nR1 n1 n2 10k\nV1 n1 0 DC 5\n.end').value;
  assert.match(h, /sp-el sp-resistor[^>]*>R1</);
  assert.match(h, /sp-node">n1</);
  assert.match(h, /sp-value">10k</);
  assert.match(h, /sp-directive">\.end</);
  assert.match(h, /sp-comment">\* title</);
});

test('traces split into think/answer and the boxed answer is highlighted', () => {
  assert.deepEqual(splitTrace('<think>\nx\n</think>\n<answer>y</answer>'), { think: 'x', answer: 'y', rest: null });
  assert.equal(splitTrace('no tags').rest, 'no tags');
  assert.equal(
    highlightBoxed('so \\boxed{\\frac{1}{2}} <b>').value,
    'so <mark class="final-answer">\\boxed{\\frac{1}{2}}</mark> &lt;b&gt;',
  );
  assert.deepEqual(
    lineDiff('a\nb\nc', 'a\nc\nd').map((d) => d.op + d.line),
    [' a', '-b', ' c', '+d'],
  );
});

test('formal HTML goes only into a sandboxed iframe without allow-scripts; images get box and OCR overlays', () => {
  const f = formalHtml('html', '<script>alert(1)</script>', '/formal-html?run=r&id=x').value;
  assert.match(f, /<iframe[^>]*sandbox=""/);
  assert.ok(!f.includes('allow-scripts') && !f.includes('<script>'));
  const img = imageHtml(
    '/blob/k',
    100,
    50,
    JSON.stringify([{ label: 'dog <1>', box: [1, 2, 30, 40] }]),
    JSON.stringify([{ text: 'hi', box: [0, 0, 5, 5] }]),
  ).value;
  assert.match(img, /class="ov-box"><rect x="1" y="2" width="29" height="38"/);
  assert.ok(img.includes('dog &lt;1&gt;') && img.includes('class="ov-ocr"'));
});

let home: string;
let viewer: ReturnType<typeof createViewer>;
let url: string;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'r1ov-viewer-'));
  await generateBulk(home, 'bulk', 3000, 2);
  await generateShowcase(home, 'show');
  await generateEval(home, 'evalA', 'evalB');
  viewer = createViewer({ home, port: 0, temporal: { address: 'x', namespace: 'ns1', uiUrl: 'http://ui.test' } });
  url = await viewer.listen();
});
after(async () => {
  await viewer?.close();
  rmSync(home, { recursive: true, force: true });
});

const get = async (path: string) => {
  const r = await fetch(url + path);
  return { status: r.status, headers: r.headers, text: await r.text() };
};

test('list: totals, filters, facet counts, search and paging', async () => {
  const s = viewer.store;
  const all = await s.list({});
  assert.equal(all.total, 3000 + 7);
  assert.equal(all.rows.length, 50);
  assert.deepEqual(
    all.facets.run.map((f) => [f.value, f.n]),
    [
      ['bulk', 3000],
      ['show', 7],
    ],
  );
  const rej = await s.list({ run: 'bulk', status: 'rejected' });
  assert.equal(rej.total, 300);
  assert.deepEqual(rej.facets.reason_code.map((f) => [f.value, f.n]).sort(), [
    ['caption_talk', 150],
    ['wrong_answer', 150],
  ]);
  const kind = await s.list({ run: 'bulk', kind: 'chart', status: 'done' });
  assert.equal(kind.total, [...Array(3000).keys()].filter((i) => i % 6 === 0 && i % 10 !== 7 && i % 10 !== 8).length);
  const search = await s.list({ q: 'TOKEN421' });
  assert.equal(search.total, 3); // i = 421, 1421, 2421: traces hold token<i%1000>; case-insensitive
  assert.equal((await s.list({ q: 'token42' })).total, 33); // substring search: token42 and token420…429
  assert.ok(search.rows.every((r) => String(r.sample_id).startsWith('bulk-')));
  assert.equal((await s.list({ q: 'which bar is tallest' })).total, 3); // chart, judged, quarantined showcase rows
  const p2 = await s.list({ run: 'bulk', page: 2, pageSize: 10 });
  assert.equal(p2.rows[0]!.sample_id, 'bulk-0000010#0');
  assert.equal((await s.list({ reason_code: '(none)', run: 'show' })).total, 6);
});

test('search through the word index returns exactly what a full scan returns', async () => {
  const s = viewer.store;
  await s.textIndexReady();
  assert.ok(s.info.textIndexReady);
  // New needle strings (the hits cache is per string), now answered by the index.
  for (const [needle, n] of [
    ['TOKEN421 ', 3],
    ['ken42', 33],
    ['which bar is tallest', 3],
    ['bar is tall', 3],
    ['is tallest?', 3],
    ['zzz-nothing', 0],
    ['<b>not', 1],
  ] as const) {
    assert.equal((await s.list({ q: needle })).total, n, needle);
  }
});

test('HTTP: pages carry a script-free CSP; formal HTML is served sandboxed; blobs only as images', async () => {
  const list = await get('/?status=quarantined');
  assert.equal(list.status, 200);
  const csp = list.headers.get('content-security-policy')!;
  assert.ok(csp.includes("default-src 'none'") && !csp.includes('script-src'));
  assert.match(list.text, /data-testid="total">301</);
  const page = await get(`/sample?run=show&id=${encodeURIComponent(SHOWCASE.chart)}`);
  assert.equal(page.status, 200);
  assert.ok(page.text.includes('Which bar is tallest? &lt;b&gt;not bold&lt;/b&gt;'));
  assert.match(page.text, /href="http:\/\/ui\.test\/namespaces\/ns1\/workflows\/r1ov%2Fshow%2Fshow-chart%230"/);
  assert.match(page.text, /<th>category<\/th>/);
  assert.match(page.text, /deepseek-r1/);
  const key = page.text.match(/\/blob\/([0-9a-f]{64})/)![1]!;
  const img = await fetch(`${url}/blob/${key}`);
  assert.equal(img.headers.get('content-type'), 'image/png');
  const formal = await get(`/formal-html?run=show&id=${encodeURIComponent(SHOWCASE.html)}`);
  assert.equal(formal.headers.get('content-security-policy'), FORMAL_HTML_CSP);
  assert.ok(FORMAL_HTML_CSP.startsWith('sandbox;'));
  const judged = await get(`/sample?run=show&id=${encodeURIComponent(SHOWCASE.judged)}`);
  assert.match(judged.text, /class="del">- I will describe the caption first\./);
  assert.equal((await get('/sample?run=show&id=nope')).status, 404);
  assert.equal((await get('/blob/' + '0'.repeat(64))).status, 404);
  assert.equal((await fetch(url + '/', { method: 'POST' })).status, 405);
});

test('evaluation: grid by level × category, cell items, side-by-side with flipped items', async () => {
  const idx = await get('/eval');
  assert.match(idx.text, /evalA/);
  const grid = await get('/eval/run?run=evalA');
  assert.match(grid.text, /data-testid="eval-grid"/);
  // evalA: right on even items; math = items 0-11 → 50% over 12 (the malformed row is not counted)
  assert.match(
    grid.text,
    /<th>math<\/th>(?:<td[^]*?<\/td>){3}<td class="num cell"><a href="\/eval\/items\?run=evalA&amp;category=math">50\.0%<\/a> <span class="muted small">n=12</,
  );
  const items = await get('/eval/items?run=evalA&category=physics&grade=junior');
  assert.equal((items.text.match(/<tr class="(ok|bad)"/g) ?? []).length, 4);
  const cmp = await get('/eval/compare?a=evalA&b=evalB');
  const flipped = [...Array(24).keys()].filter((i) => (i % 2 === 0) !== (i % 3 === 0)).length;
  assert.match(cmp.text, new RegExp(`Flipped items \\(${flipped}\\)`));
});
