// Synthetic source: parsing, determinism, rendering, and every template's answer recomputed here
// from item.spec with independent code (own BFS, own nodal-analysis solver), plus the shared verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { UsageError } from '../core/errors.ts';
import { at } from '../core/must.ts';
import { scoreCompletion } from '../core/rewards/index.ts';
import { SyntheticItemSchema, SyntheticRecordSchema } from '../schemas/synthetic.ts';
import {
  SYNTHETIC_KINDS,
  SYNTHETIC_TEMPLATES,
  generateSyntheticItem,
  parseSyntheticSource,
  renderSyntheticPng,
  type SyntheticItem,
  type SyntheticKind,
} from '../activities/synthetic/index.ts';

// Specs are `unknown` by contract; tests read them loosely.
type Any = any;

const EPS = 1e-6;

function num(s: string): number {
  const m = /^(-?\d+)\/(\d+)$/.exec(s);
  return m ? Number(m[1]) / Number(m[2]) : Number(s);
}

/** The option text the item's answer letter points at, after checking the multiple-choice contract. */
function chosen(it: SyntheticItem): string {
  assert.ok(it.choices, `${it.id}: expected choices`);
  assert.equal(it.choices.length, 4, `${it.id}: 4 options`);
  assert.equal(new Set(it.choices).size, 4, `${it.id}: distinct options ${JSON.stringify(it.choices)}`);
  assert.match(it.answer, /^[A-D]$/);
  for (const [i, c] of it.choices.entries())
    assert.ok(it.question.includes(`${'ABCD'[i]}. ${c}`), `${it.id}: question lists option ${'ABCD'[i]}`);
  return at(it.choices, 'ABCD'.indexOf(it.answer));
}

function assertNum(it: SyntheticItem, expected: number): void {
  assert.equal(it.choices, undefined, `${it.id}: free-form`);
  assert.match(it.answer, /^-?\d+(\.\d{1,2})?$|^\d+\/\d+$/, `${it.id}: exact-friendly answer ${it.answer}`);
  assert.ok(
    Math.abs(num(it.answer) - expected) < EPS,
    `${it.id} (${it.template}): answer ${it.answer}, recomputed ${expected}`,
  );
}

/** Multiple choice whose correct option is a number (with a unit suffix): exactly one option has that value. */
function assertMcNum(it: SyntheticItem, expected: number): void {
  const vals = it.choices!.map((c) => parseFloat(c));
  assert.ok(Math.abs(parseFloat(chosen(it)) - expected) < EPS, `${it.id}: chose ${chosen(it)}, recomputed ${expected}`);
  assert.equal(vals.filter((v) => Math.abs(v - expected) < EPS).length, 1, `${it.id}: one correct option`);
}

function assertMcText(it: SyntheticItem, expected: string): void {
  assert.equal(chosen(it), expected, `${it.id} (${it.template})`);
}

const argmax = (v: number[]) => v.indexOf(Math.max(...v));
const argmin = (v: number[]) => v.indexOf(Math.min(...v));
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
function assertUniqueExtreme(v: number[], max: boolean): void {
  const e = max ? Math.max(...v) : Math.min(...v);
  assert.equal(v.filter((x) => x === e).length, 1, `unique ${max ? 'max' : 'min'} in ${v}`);
}

// ---------- independent solvers ----------

function reachableFrom(edges: { from: string; to: string }[], start: string): Map<string, number> {
  const dist = new Map([[start, 0]]);
  const queue = [start];
  while (queue.length) {
    const u = queue.shift()!;
    for (const e of edges.filter((x) => x.from === u)) {
      if (!dist.has(e.to)) {
        dist.set(e.to, dist.get(u)! + 1);
        queue.push(e.to);
      }
    }
  }
  return dist;
}

/** Node voltages by nodal analysis: G·v = i with the source node fixed, Gaussian elimination with pivoting. */
function solveCircuit(spec: Any): { v: Map<string, number>; itotal: number } {
  const src = spec.source;
  const nodes = [...new Set(spec.resistors.flatMap((r: Any) => [r.a, r.b]))].filter(
    (n) => n !== '0' && n !== src.plus,
  ) as string[];
  const idx = new Map(nodes.map((n, i) => [n, i]));
  const n = nodes.length;
  const A = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  const cell = (r: number, c: number): number => at(at(A, r), c);
  const add = (r: number, c: number, d: number): void => {
    at(A, r)[c] = cell(r, c) + d;
  };
  const known = (node: string) => (node === '0' ? 0 : node === src.plus ? src.volts : undefined);
  for (const r of spec.resistors) {
    const g = 1 / r.ohms;
    for (const [p, q] of [
      [r.a, r.b],
      [r.b, r.a],
    ]) {
      const i = idx.get(p);
      if (i === undefined) continue;
      add(i, i, g);
      const j = idx.get(q);
      if (j !== undefined) add(i, j, -g);
      else add(i, n, g * known(q)!);
    }
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(cell(r, c)) > Math.abs(cell(p, c))) p = r;
    [A[c], A[p]] = [at(A, p), at(A, c)];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = cell(r, c) / cell(c, c);
      for (let k = c; k <= n; k++) add(r, k, -f * cell(c, k));
    }
  }
  const v = new Map<string, number>([
    ['0', 0],
    [src.plus, src.volts],
  ]);
  nodes.forEach((node, i) => v.set(node, cell(i, n) / cell(i, i)));
  let itotal = 0;
  for (const r of spec.resistors) {
    if (r.a === src.plus) itotal += (src.volts - v.get(r.b)!) / r.ohms;
    if (r.b === src.plus) itotal += (src.volts - v.get(r.a)!) / r.ohms;
  }
  return { v, itotal };
}

// ---------- per-kind checks ----------

function checkBar(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const vals = (k: number): number[] => s.series[k].values;
  const valueOf = (k: number, cat: string) => at(vals(k), s.categories.indexOf(cat));
  switch (q.template) {
    case 'bar-argmax':
      assertUniqueExtreme(vals(q.series), true);
      return assertMcText(it, s.categories[argmax(vals(q.series))]);
    case 'bar-argmin':
      assertUniqueExtreme(vals(q.series), false);
      return assertMcText(it, s.categories[argmin(vals(q.series))]);
    case 'bar-diff':
      return assertNum(it, valueOf(q.series, q.a) - valueOf(q.series, q.b));
    case 'bar-sum':
      return assertNum(it, sum(vals(q.series)));
    case 'bar-exceed-count':
      return assertNum(it, vals(0).filter((v, i) => v > at(vals(1), i)).length);
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkLine(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const v = (k: number): number[] => s.series[k].values;
  switch (q.template) {
    case 'line-trend': {
      const ups: boolean[] = v(q.series)
        .slice(1)
        .map((x: number, i: number) => x > at(v(q.series), i));
      const flips = ups.slice(1).filter((u, i) => u !== ups[i]).length;
      const want =
        flips === 0
          ? ups[0]
            ? /increases at every step/
            : /decreases at every step/
          : flips === 1
            ? ups[0]
              ? /rises to a peak/
              : /falls to a low point/
            : null;
      assert.ok(want, `line shape has ≤ 1 turn: ${v(q.series)}`);
      assert.match(chosen(it), want);
      assert.equal(it.choices!.filter((c) => want.test(c)).length, 1);
      return;
    }
    case 'line-peak':
      assertUniqueExtreme(v(q.series), true);
      return assertMcText(it, s.xs[argmax(v(q.series))]);
    case 'line-change':
      return assertNum(it, at(v(q.series), s.xs.indexOf(q.to)) - at(v(q.series), s.xs.indexOf(q.from)));
    case 'line-gap': {
      const i = s.xs.indexOf(q.at);
      return assertNum(it, Math.abs(at(v(0), i) - at(v(1), i)));
    }
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkPie(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const total = sum(s.values);
  const val = (c: string) => s.values[s.categories.indexOf(c)];
  switch (q.template) {
    case 'pie-share':
      return assertNum(it, (100 * val(q.cat)) / total);
    case 'pie-fraction': {
      assertNum(it, val(q.cat) / total);
      const [a = NaN, b = NaN] = it.answer.split('/').map(Number);
      let [x, y] = [a, b];
      while (y) [x, y] = [y, x % y];
      assert.equal(x, 1, `${it.answer} in lowest terms`);
      return;
    }
    case 'pie-largest':
      assertUniqueExtreme(s.values, true);
      return assertMcText(it, s.categories[argmax(s.values)]);
    case 'pie-diff':
      return assertNum(it, val(q.a) - val(q.b));
    case 'pie-combined':
      return assertNum(it, (100 * (val(q.a) + val(q.b))) / total);
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkTable(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const col = (c: string): number[] => s.rows.map((r: Any) => r.values[s.columns.indexOf(c)]);
  const cell = (row: string, c: string) => s.rows.find((r: Any) => r.name === row).values[s.columns.indexOf(c)];
  switch (q.template) {
    case 'table-row-total':
      return assertNum(it, sum(s.rows.find((r: Any) => r.name === q.row).values));
    case 'table-col-argmax':
      assertUniqueExtreme(col(q.col), true);
      return assertMcText(it, s.rows[argmax(col(q.col))].name);
    case 'table-diff':
      return assertNum(it, cell(q.a, q.col) - cell(q.b, q.col));
    case 'table-col-mean':
      return assertNum(it, sum(col(q.col)) / s.rows.length);
    case 'table-count-above':
      return assertNum(it, col(q.col).filter((x) => x > q.threshold).length);
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkFlowchart(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const id = (label: string) => s.nodes.find((n: Any) => n.label === label).id as string;
  const label = (nid: string) => s.nodes.find((n: Any) => n.id === nid).label as string;
  assert.equal(new Set(s.nodes.map((n: Any) => n.label)).size, s.nodes.length, 'labels are unique');
  switch (q.template) {
    case 'flow-next': {
      const out = s.edges.filter((e: Any) => e.from === id(q.node));
      assert.equal(out.length, 1);
      return assertMcText(it, label(out[0].to));
    }
    case 'flow-branch': {
      const dec = s.nodes.find((n: Any) => n.shape === 'decision').id;
      return assertMcText(it, label(s.edges.find((e: Any) => e.from === dec && e.label === q.branch).to));
    }
    case 'flow-min-steps':
      return assertNum(it, reachableFrom(s.edges, id(q.from)).get(id(q.to))!);
    case 'flow-reachable':
      return assertNum(it, reachableFrom(s.edges, id(q.from)).size - 1);
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkCircuit(it: SyntheticItem, s: Any): void {
  const q = s.q;
  const { v, itotal } = solveCircuit(s);
  const res = (name: string) => s.resistors.find((r: Any) => r.name === name);
  // The netlist in formalText is the same circuit as the spec.
  for (const r of s.resistors)
    assert.ok(it.formalText.includes(`${r.name} ${r.a} ${r.b} ${r.ohms}\n`), `${r.name} in netlist`);
  assert.ok(
    it.formalText.includes(`V1 ${s.source.plus} 0 DC ${s.source.volts}\n`) && it.formalText.trimEnd().endsWith('.end'),
  );
  switch (q.template) {
    case 'circuit-req':
      return assertNum(it, s.source.volts / itotal);
    case 'circuit-total-current':
      return assertMcNum(it, itotal);
    case 'circuit-power':
      return assertNum(it, s.source.volts * itotal);
    case 'circuit-voltage': {
      const r = res(q.resistor);
      return assertNum(it, Math.abs(v.get(r.a)! - v.get(r.b)!));
    }
    case 'circuit-branch-current': {
      const r = res(q.resistor);
      return assertNum(it, Math.abs(v.get(r.a)! - v.get(r.b)!) / r.ohms);
    }
  }
  assert.fail(`unknown template ${q.template}`);
}

function checkGeometry(it: SyntheticItem, s: Any): void {
  const r = s.figure === 'circle' ? (s.given === 'radius' ? s.length : s.length / 2) : 0;
  switch (s.q.template) {
    case 'geo-hypotenuse':
      return assertNum(it, Math.hypot(s.legs[0], s.legs[1]));
    case 'geo-right-area':
      return assertNum(it, (s.legs[0] * s.legs[1]) / 2);
    case 'geo-right-perimeter':
      return assertMcNum(it, s.legs[0] + s.legs[1] + Math.hypot(s.legs[0], s.legs[1]));
    case 'geo-missing-angle':
      return assertNum(it, 180 - s.angles[0] - s.angles[1]);
    case 'geo-triangle-area':
      return assertNum(it, (s.base * s.height) / 2);
    case 'geo-isosceles-angle':
      return assertMcNum(it, (180 - s.apex) / 2);
    case 'geo-circle-area':
      return assertNum(it, 3.14 * r * r);
    case 'geo-circle-circumference':
      return assertMcNum(it, 2 * 3.14 * r);
  }
  assert.fail(`unknown template ${s.q.template}`);
}

const CHECKS: Record<SyntheticKind, (it: SyntheticItem, spec: Any) => void> = {
  bar: checkBar,
  line: checkLine,
  pie: checkPie,
  table: checkTable,
  flowchart: checkFlowchart,
  circuit: checkCircuit,
  geometry: checkGeometry,
};

// ---------- tests ----------

test('parseSyntheticSource: forms, defaults and errors', () => {
  assert.equal(parseSyntheticSource('data/train.parquet'), null);
  assert.equal(parseSyntheticSource('synthetic'), null);
  assert.deepEqual(parseSyntheticSource('synthetic:200'), { n: 200, kinds: [...SYNTHETIC_KINDS], seed: 0 });
  assert.deepEqual(parseSyntheticSource('synthetic:50:bar,circuit'), { n: 50, kinds: ['bar', 'circuit'], seed: 0 });
  assert.deepEqual(parseSyntheticSource('synthetic:50:all:7'), { n: 50, kinds: [...SYNTHETIC_KINDS], seed: 7 });
  assert.deepEqual(parseSyntheticSource('synthetic:50:7'), { n: 50, kinds: [...SYNTHETIC_KINDS], seed: 7 });
  assert.deepEqual(parseSyntheticSource('synthetic:3:pie,pie,table:1'), { n: 3, kinds: ['pie', 'table'], seed: 1 });
  for (const bad of [
    'synthetic:',
    'synthetic:0',
    'synthetic:-3',
    'synthetic:ten',
    'synthetic:5:bars',
    'synthetic:5:bar:x',
    'synthetic:5:bar:1:2',
    'synthetic:1.5',
  ]) {
    assert.throws(
      () => parseSyntheticSource(bad),
      (e: unknown) => e instanceof UsageError && e.message.includes(bad),
      bad,
    );
  }
});

test('every kind reaches every template; answers recomputed independently; traces pass the verifier', () => {
  for (const kind of SYNTHETIC_KINDS) {
    const want = new Set(SYNTHETIC_TEMPLATES[kind]);
    assert.ok(want.size >= 3, `${kind}: ≥ 3 templates`);
    const seen = new Map<string, number>();
    let mc = 0;
    for (let i = 0; i < 160 || seen.size < want.size; i++) {
      assert.ok(i < 2000, `${kind}: templates never generated: ${[...want].filter((t) => !seen.has(t))}`);
      const it = generateSyntheticItem(i, { n: 2000, kinds: [kind], seed: 11 });
      SyntheticItemSchema.parse(it);
      assert.equal(it.kind, kind);
      assert.ok(want.has(it.template), `${it.id}: unknown template ${it.template}`);
      seen.set(it.template, (seen.get(it.template) ?? 0) + 1);
      if (it.choices) mc++;
      const spec = JSON.parse(JSON.stringify(it.spec)); // the spec must survive JSON as is
      assert.deepEqual(spec, it.spec);
      CHECKS[kind](it, spec);
      const score = scoreCompletion({ completion: it.trace, groundTruth: it.answer, choices: it.choices });
      assert.deepEqual(
        [score.accuracy, score.format],
        [1, 1],
        `${it.id} (${it.template}): verifier ${JSON.stringify(score)}\n${it.trace}`,
      );
      assert.doesNotMatch(
        it.trace,
        /caption|description|netlist|csv|mermaid|spec\b/i,
        `${it.id}: trace talks about the image, not its text`,
      );
      assert.ok(it.trace.includes(`\\boxed{${it.answer}}`));
    }
    assert.ok(mc > 0, `${kind}: has multiple-choice templates`);
  }
});

test('routing fields, ids and formal formats', () => {
  const spec = { n: 14, kinds: [...SYNTHETIC_KINDS], seed: 5 };
  const want: Record<SyntheticKind, [string, string | undefined, string]> = {
    bar: ['chart', undefined, 'csv'],
    line: ['chart', undefined, 'csv'],
    pie: ['chart', undefined, 'csv'],
    table: ['diagram', 'table', 'csv'],
    flowchart: ['diagram', 'flowchart', 'mermaid'],
    circuit: ['diagram', 'circuit', 'spice'],
    geometry: ['math', undefined, 'text'],
  };
  for (let i = 0; i < 14; i++) {
    const it = generateSyntheticItem(i, spec);
    assert.equal(it.kind, SYNTHETIC_KINDS[i % 7]);
    assert.equal(it.id, `syn-${it.kind}-${String(i).padStart(6, '0')}-s5`);
    assert.deepEqual([it.routeKind, it.subkind, it.formalFormat], want[it.kind]);
    const { svg: _svg, ...rec } = it;
    SyntheticRecordSchema.parse(rec);
  }
  assert.equal(generateSyntheticItem(42, { n: 100, kinds: ['bar'], seed: 0 }).id, 'syn-bar-000042');
  const fc = generateSyntheticItem(0, { n: 1, kinds: ['flowchart'], seed: 1 });
  assert.match(fc.formalText, /^flowchart TD\n/);
  assert.match(fc.formalText, /-->\|(Yes|No)\|/);
});

test('determinism: same seed gives identical items, another seed different ones', () => {
  const a = { n: 40, kinds: [...SYNTHETIC_KINDS], seed: 3 };
  const gen = (s: typeof a) => Array.from({ length: 40 }, (_, i) => generateSyntheticItem(i, s));
  const first = gen(a);
  assert.deepEqual(gen({ ...a }), first);
  // Order independence: one item alone equals the same item generated in sequence.
  assert.deepEqual(generateSyntheticItem(17, a), first[17]);
  const other = gen({ ...a, seed: 4 });
  const differing = other.filter(
    (it, i) => it.formalText !== at(first, i).formalText || it.question !== at(first, i).question,
  ).length;
  assert.ok(differing >= 30, `seed changes items (${differing}/40 differ)`);
  // Items within one run vary too.
  assert.ok(new Set(first.map((it) => it.formalText)).size >= 38);
});

test('each kind renders a PNG of the declared size that is not blank', async () => {
  for (const [i, kind] of SYNTHETIC_KINDS.entries()) {
    const it = generateSyntheticItem(i, { n: 7, kinds: [...SYNTHETIC_KINDS], seed: 2 });
    assert.equal(it.kind, kind);
    assert.ok(it.width >= 640 && it.width <= 1024, `${kind} width ${it.width}`);
    const png = await renderSyntheticPng(it);
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [it.width, it.height], kind);
    const stats = await sharp(png).stats();
    const stdev = Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev));
    assert.ok(stdev > 15, `${kind}: image has content (stdev ${stdev.toFixed(1)})`);
    // Mostly white background with dark ink somewhere.
    const [red] = stats.channels;
    assert.ok(red && red.min < 60 && red.max > 240, `${kind}: has contrast`);
  }
});

test('generating 200 items (no rendering) is fast', () => {
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) generateSyntheticItem(i, { n: 200, kinds: [...SYNTHETIC_KINDS], seed: 9 });
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});
