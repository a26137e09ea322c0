// Table tests for CSV/JSON tables (DuckDB), boxes, OCR lines, objects, math, charts, and the formal schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCsv, validateJsonTable } from '../activities/formalize/validators/csv.ts';
import { validateBoxes } from '../activities/formalize/validators/boxes.ts';
import {
  validateChart,
  validateMath,
  validateObjects,
  validateOcrLines,
} from '../activities/formalize/validators/structured.ts';
import { validateFormal } from '../activities/formalize/validators/index.ts';
import { FORMAL_SCHEMAS, FormalOutputSchema, formalFormatOf } from '../activities/formalize/kinds.ts';

type R = { ok: true; summary: any } | { ok: false; error: string };
function expect(r: R, ok: boolean, error?: RegExp) {
  if (ok) assert.equal(r.ok, true, r.ok ? '' : `expected ok, got:\n${r.error}`);
  else {
    assert.equal(r.ok, false, 'expected an error');
    if (!r.ok && error) assert.match(r.error, error);
  }
}

const csvCases: { name: string; csv: string; ok: boolean; error?: RegExp; check?: (s: any) => void }[] = [
  {
    name: 'simple numeric table',
    csv: 'year,sales,profit\n2020,100,12.5\n2021,120,15\n',
    ok: true,
    check: (s) => {
      assert.deepEqual(s.columns, ['year', 'sales', 'profit']);
      assert.equal(s.rows, 2);
      assert.equal(s.types[1], 'BIGINT');
      assert.equal(s.types[2], 'DOUBLE');
    },
  },
  {
    name: 'quoted fields with commas, quotes and newlines',
    csv: 'name,comment\n"Smith, J.","said ""hi""\non two lines"\nLee,ok\n',
    ok: true,
    check: (s) => assert.equal(s.rows, 2),
  },
  { name: 'semicolon delimiter', csv: 'a;b\n1;2\n3;4', ok: true, check: (s) => assert.equal(s.delimiter, ';') },
  { name: 'CRLF and BOM', csv: '\uFEFFx,y\r\n1,2\r\n', ok: true },
  { name: 'empty cells are fine', csv: 'a,b,c\n1,,3\n,,\n', ok: true },
  { name: 'ragged row', csv: 'a,b,c\n1,2,3\n4,5\n6,7,8', ok: false, error: /line 3: 2 fields, but the header has 3/ },
  { name: 'extra field', csv: 'a,b\n1,2,3\n', ok: false, error: /line 2: 3 fields/ },
  { name: 'header only', csv: 'a,b,c\n', ok: false, error: /no data rows/ },
  {
    name: 'numeric header (missing header row)',
    csv: '1,2,3\n4,5,6\n',
    ok: false,
    error: /looks like data, not a header/,
  },
  { name: 'duplicate header names', csv: 'a,a\n1,2\n', ok: false, error: /duplicate column name/ },
  { name: 'empty header name', csv: 'a,,c\n1,2,3\n', ok: false, error: /column 2 has an empty header name/ },
  { name: 'unclosed quote', csv: 'a,b\n"1,2\n3,4\n', ok: false, error: /line 2: quoted field is never closed/ },
  { name: 'stray quote inside field', csv: 'a,b\n1,2"3\n', ok: false, error: /line 2: a quote/ },
  { name: 'empty', csv: '  ', ok: false, error: /empty/ },
];
for (const c of csvCases) {
  test(`csv: ${c.name}`, async () => {
    const r = await validateCsv(c.csv);
    expect(r, c.ok, c.error);
    if (r.ok && c.check) c.check(r.summary);
  });
}

test('csv: concurrent validations share one DuckDB connection safely', async () => {
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => validateCsv(`k,v\n${i},${i * 2}\n`)));
  assert.ok(rs.every((r) => r.ok));
});

const jsonCases: { name: string; value: unknown; ok: boolean; error?: RegExp }[] = [
  {
    name: 'rows with same keys',
    value: [
      { a: 1, b: 'x' },
      { a: 2, b: null },
    ],
    ok: true,
  },
  { name: 'json string', value: '[{"a":1},{"a":2}]', ok: true },
  {
    name: 'key order may differ',
    value: [
      { a: 1, b: 2 },
      { b: 3, a: 4 },
    ],
    ok: true,
  },
  {
    name: 'missing key',
    value: [{ a: 1, b: 2 }, { a: 3 }],
    ok: false,
    error: /row 1: keys differ from row 0; missing b/,
  },
  { name: 'extra key', value: [{ a: 1 }, { a: 3, c: 1 }], ok: false, error: /row 1: .*extra c/ },
  { name: 'not an array', value: { a: 1 }, ok: false, error: /array of row objects/ },
  { name: 'empty array', value: [], ok: false, error: /no rows/ },
  { name: 'nested value', value: [{ a: { b: 1 } }], ok: false, error: /row 0: value of 'a' is nested/ },
  { name: 'row is an array', value: [[1, 2]], ok: false, error: /row 0: expected an object, got an array/ },
  { name: 'broken json text', value: '[{"a":1},', ok: false, error: /JSON does not parse/ },
];
for (const c of jsonCases) test(`json table: ${c.name}`, () => expect(validateJsonTable(c.value), c.ok, c.error));

const size = { width: 640, height: 480 };
const boxCases: { name: string; boxes: unknown; ok: boolean; error?: RegExp; clipped?: unknown[] }[] = [
  {
    name: 'inside the image',
    boxes: [
      [10, 20, 100, 200],
      [0, 0, 640, 480],
    ],
    ok: true,
    clipped: [
      [10, 20, 100, 200],
      [0, 0, 640, 480],
    ],
  },
  { name: 'clipped at the edges', boxes: [[-5, -10, 700, 100]], ok: true, clipped: [[0, 0, 640, 100]] },
  { name: 'fractional pixels', boxes: [[1.5, 2.5, 3.5, 4.5]], ok: true },
  {
    name: 'x1 >= x2',
    boxes: [[100, 10, 50, 40]],
    ok: false,
    error: /boxes\[0\]: x1 \(100\) must be less than x2 \(50\)/,
  },
  { name: 'y1 >= y2', boxes: [[1, 40, 5, 40]], ok: false, error: /y1 \(40\) must be less than y2 \(40\)/ },
  { name: 'NaN / infinite', boxes: [[0, 0, Infinity, 4]], ok: false, error: /finite numbers/ },
  { name: 'wrong arity', boxes: [[1, 2, 3]], ok: false, error: /expected \[x1, y1, x2, y2\]/ },
  {
    name: 'entirely outside',
    boxes: [[700, 10, 800, 50]],
    ok: false,
    error: /lies entirely outside the 640×480 image/,
  },
  { name: 'normalised 0-1 coordinates', boxes: [[0.1, 0.2, 0.5, 0.6]], ok: false, error: /normalised to 0–1/ },
  { name: 'not an array', boxes: 'x', ok: false, error: /expected an array/ },
];
for (const c of boxCases) {
  test(`boxes: ${c.name}`, () => {
    const r = validateBoxes(c.boxes, size);
    expect(r, c.ok, c.error);
    if (r.ok && c.clipped) assert.deepEqual(r.summary.boxes, c.clipped);
  });
}

const line = (text: string, box: unknown, confidence?: unknown) => ({
  text,
  box,
  ...(confidence !== undefined ? { confidence } : {}),
});
const ocrCases: { name: string; lines: unknown; ctx?: object; ok: boolean; error?: RegExp }[] = [
  { name: 'good lines', lines: [line('Hello', [1, 1, 50, 20], 0.9), line('World', [1, 30, 50, 50])], ok: true },
  { name: 'clipped line', lines: [line('edge', [600, 1, 700, 20])], ok: true },
  { name: 'empty text', lines: [line('  ', [1, 1, 5, 5])], ok: false, error: /lines\[0\]\.text: must be non-empty/ },
  {
    name: 'confidence out of range',
    lines: [line('a', [1, 1, 5, 5], 1.5)],
    ok: false,
    error: /lines\[0\]\.confidence/,
  },
  { name: 'bad box', lines: [line('a', [5, 1, 1, 5])], ok: false, error: /lines\[0\]\.box: x1/ },
  { name: 'no lines', lines: [], ok: false, error: /no text lines/ },
  { name: 'no lines allowed for mixed', lines: [], ctx: { allowEmpty: true }, ok: true },
  {
    name: 'document required when given',
    lines: [line('a', [1, 1, 5, 5])],
    ctx: { document: '' },
    ok: false,
    error: /document: the reconstructed document is empty/,
  },
  { name: 'not an array', lines: { text: 'a' }, ok: false, error: /expected an array/ },
];
for (const c of ocrCases)
  test(`ocr lines: ${c.name}`, () => expect(validateOcrLines(c.lines, { ...size, ...c.ctx }), c.ok, c.error));

test('objects: labels and boxes', () => {
  expect(validateObjects([{ label: 'dog', box: [10, 10, 100, 100] }], size), true);
  expect(validateObjects([{ label: '', box: [10, 10, 100, 100] }], size), false, /objects\[0\]\.label/);
  expect(validateObjects([{ label: 'cat', box: [10, 10, 5, 100] }], size), false, /objects\[0\]\.box: x1/);
  expect(validateObjects([], size), true);
});

const mathCases: { name: string; value: unknown; ok: boolean; error?: RegExp }[] = [
  {
    name: 'good',
    value: {
      figure: 'Triangle ABC with a right angle at C; AC = 3, BC = 4.',
      givens: ['AC = 3', 'BC = 4'],
      strategies: ['Pythagorean theorem'],
    },
    ok: true,
  },
  {
    name: 'three strategies, no givens',
    value: { figure: 'A circle with centre O and chord AB.', givens: [], strategies: ['a', 'b', 'c'] },
    ok: true,
  },
  {
    name: 'no strategies',
    value: { figure: 'A circle with centre O.', givens: [], strategies: [] },
    ok: false,
    error: /give 1 to 3 strategies, got 0/,
  },
  {
    name: 'four strategies',
    value: { figure: 'A circle with centre O.', givens: [], strategies: ['a', 'b', 'c', 'd'] },
    ok: false,
    error: /got 4/,
  },
  {
    name: 'duplicate strategies',
    value: {
      figure: 'A circle with centre O.',
      givens: [],
      strategies: ['Use similar triangles', 'use  similar triangles'],
    },
    ok: false,
    error: /strategies\[1\]: repeats strategies\[0\]/,
  },
  { name: 'empty figure', value: { figure: '', givens: [], strategies: ['a'] }, ok: false, error: /figure: describe/ },
  {
    name: 'empty given',
    value: { figure: 'A square of side 2.', givens: [''], strategies: ['a'] },
    ok: false,
    error: /givens\[0\]/,
  },
  { name: 'not an object', value: 'x', ok: false, error: /expected an object/ },
];
for (const c of mathCases) test(`math: ${c.name}`, () => expect(validateMath(c.value), c.ok, c.error));

const chartCases: { name: string; value: unknown; ok: boolean; error?: RegExp }[] = [
  {
    name: 'bar chart',
    value: {
      chartType: 'bar',
      title: 'Sales',
      xAxis: { label: 'Year' },
      yAxis: { label: 'Units', unit: 'k' },
      csv: 'year,units\n2020,5\n2021,7\n',
    },
    ok: true,
  },
  { name: 'pie chart', value: { chartType: 'pie', csv: 'slice,share\nA,40\nB,60\n' }, ok: true },
  { name: 'line chart with two series', value: { chartType: 'line', csv: 'x,a,b\n1,2.5,3\n2,3.5,4\n' }, ok: true },
  {
    name: 'unknown chart type',
    value: { chartType: 'donut3d', csv: 'a,b\nx,1\n' },
    ok: false,
    error: /chartType: must be one of/,
  },
  {
    name: 'no numeric column',
    value: { chartType: 'bar', csv: 'a,b\nx,10%\ny,20%\n' },
    ok: false,
    error: /no numeric column/,
  },
  { name: 'ragged data', value: { chartType: 'bar', csv: 'a,b\nx,1\ny\n' }, ok: false, error: /csv: line 3/ },
  {
    name: 'axis not an object',
    value: { chartType: 'bar', xAxis: 'Year', csv: 'a,b\nx,1\n' },
    ok: false,
    error: /xAxis: expected an object/,
  },
  { name: 'missing csv', value: { chartType: 'bar' }, ok: false, error: /csv: the chart data table is missing/ },
];
for (const c of chartCases) test(`chart: ${c.name}`, async () => expect(await validateChart(c.value), c.ok, c.error));

test('formalFormatOf maps routed kinds to formal kinds', () => {
  assert.deepEqual(formalFormatOf('diagram', 'circuit'), {
    formalKind: 'circuit',
    format: 'spice',
    formats: ['spice'],
  });
  assert.equal(formalFormatOf('diagram', 'flowchart').formalKind, 'flowchart');
  assert.deepEqual(formalFormatOf('diagram', 'flowchart').formats, ['mermaid', 'plantuml']);
  assert.equal(formalFormatOf('diagram', 'ui').format, 'html');
  assert.equal(formalFormatOf('diagram', 'table').format, 'csv');
  assert.equal(formalFormatOf('diagram', 'scientific').formalKind, 'mixed');
  assert.equal(formalFormatOf('diagram').formalKind, 'mixed');
  for (const k of ['natural', 'text_only', 'chart', 'math', 'mixed'] as const)
    assert.equal(formalFormatOf(k).formalKind, k);
});

test('schemas: each kind parses its example and the union is keyed by kind', () => {
  const examples: Partial<Record<keyof typeof FORMAL_SCHEMAS, unknown>> = {
    circuit: { format: 'spice', netlist: 'V1 a 0 1\nR1 a 0 1k\n.end' },
    flowchart: { format: 'mermaid', source: 'flowchart TD\nA-->B' },
    ui: { format: 'html', html: '<div></div>' },
    table: { format: 'csv', csv: 'a\n1', json: [{ a: 1 }] },
    chart: { chartType: 'bar', csv: 'a,b\nx,1' },
    natural: { caption: 'A dog.', objects: [{ label: 'dog', box: [1, 2, 3, 4] }] },
    text_only: { lines: [{ text: 'hi', box: [1, 2, 3, 4], confidence: 0.9 }], document: 'hi' },
    mixed: { caption: 'A sign.', objects: [], lines: [] },
    math: { figure: 'A triangle.', givens: [], strategies: ['x'] },
  };
  for (const [kind, ex] of Object.entries(examples)) {
    assert.ok(FORMAL_SCHEMAS[kind as keyof typeof FORMAL_SCHEMAS].safeParse(ex).success, kind);
    assert.ok(FormalOutputSchema.safeParse({ kind, ...(ex as object) }).success, kind);
  }
  assert.equal(
    FORMAL_SCHEMAS.math.safeParse({ figure: 'x', givens: [], strategies: ['a', 'b', 'c', 'd'] }).success,
    false,
  );
  assert.equal(FORMAL_SCHEMAS.flowchart.safeParse({ format: 'dot', source: 'x' }).success, false);
  assert.equal(FormalOutputSchema.safeParse({ kind: 'circuit', format: 'html', html: '<p>' }).success, false);
});

test('validateFormal dispatches per kind and returns clipped boxes', async () => {
  const nat = await validateFormal(
    { kind: 'natural', caption: 'A dog on grass.', objects: [{ label: 'dog', box: [-5, 10, 900, 200] }] },
    size,
  );
  assert.ok(nat.ok);
  if (nat.ok && nat.summary.output.kind === 'natural')
    assert.deepEqual(nat.summary.output.objects[0]?.box, [0, 10, 640, 200]);
  const bad = await validateFormal({ kind: 'circuit', format: 'spice', netlist: 'R1 a b 1k\n' });
  assert.equal(bad.ok, false);
  const schemaBad = await validateFormal({ kind: 'math', figure: 'x', givens: [] });
  assert.ok(!schemaBad.ok && /strategies/.test(schemaBad.error));
  const table = await validateFormal({ kind: 'table', format: 'csv', csv: 'a,b\n1,2\n3,4\n', json: [{ a: 1, b: 2 }] });
  assert.ok(!table.ok && /json has 1 rows × 2 columns but csv has 2 × 2/.test(table.error));
  const flow = await validateFormal({
    kind: 'flowchart',
    format: 'plantuml',
    source: '@startuml\nstart\n:a;\nstop\n@enduml',
  });
  assert.ok(flow.ok);
  const text = await validateFormal(
    { kind: 'text_only', lines: [{ text: 'Hi', box: [1, 1, 10, 10] }], document: 'Hi' },
    size,
  );
  assert.ok(text.ok);
  const mixed = await validateFormal({ kind: 'mixed', caption: 'A poster.', objects: [], lines: [] }, size);
  assert.ok(mixed.ok);
});
