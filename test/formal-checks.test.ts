/**
 * Executable checks beyond SPICE: tables loaded by DuckDB with typed columns (CSV and JSON), flowcharts walked
 * from start to every end (every synthetic flowchart passes; an end no path reaches fails).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSyntheticItem } from '../activities/synthetic/index.ts';
import { runFormalChecks } from '../activities/formalize/validators/formal-checks.ts';

const base = { question: 'q', finalAnswer: null };

test('tables: DuckDB types the columns; numbers with units read as text', async () => {
  const csv = await runFormalChecks({ ...base, format: 'csv', text: 'Item,Price\nPen,1.5\nBook,12' });
  assert.deepEqual(csv.table, {
    status: 'typed',
    message: null,
    columns: ['Item', 'Price'],
    types: ['VARCHAR', 'DOUBLE'],
  });
  const json = await runFormalChecks({
    ...base,
    format: 'csv',
    text: 'x',
    data: {
      json: [
        { Item: 'Pen', Price: '1.5 $' },
        { Item: 'Book', Price: '12 $' },
      ],
    },
  });
  assert.deepEqual(json.table?.types, ['VARCHAR', 'VARCHAR']);
  const bad = await runFormalChecks({ ...base, format: 'csv', text: 'a,b\n1,2,3' });
  assert.equal(bad.table?.status, 'failed');
  const chart = await runFormalChecks({
    ...base,
    format: 'chart',
    text: '# chart: bar\n# title: T\nyear,sales\n2020,3\n2021,4',
  });
  assert.deepEqual(chart.table?.types, ['BIGINT', 'BIGINT']);
});

test('flowcharts: every synthetic flowchart reaches its end from its start', async () => {
  for (let i = 0; i < 12; i++) {
    const item = generateSyntheticItem(i, { n: 12, kinds: ['flowchart'], seed: 5 });
    const r = await runFormalChecks({ ...base, format: item.formalFormat, text: item.formalText });
    assert.equal(r.flow?.status, 'reachable', `${item.id}: ${r.flow?.message}`);
  }
});

test('flowcharts: an end no path reaches is reported with the nodes cut off', async () => {
  const r = await runFormalChecks({
    ...base,
    format: 'mermaid',
    text: 'flowchart TD\n  s([Start]) --> a[Mix]\n  a --> d{Done?}\n  d -->|No| a\n  b[Bake] --> e([End])',
  });
  assert.equal(r.flow?.status, 'unreachable');
  assert.match(r.flow?.message ?? '', /no path from s reaches e/);
  assert.deepEqual(r.flow?.unreachable, ['b', 'e']);
  const plant = await runFormalChecks({ ...base, format: 'plantuml', text: '@startuml\nstart\n:a;\nstop\n@enduml' });
  assert.equal(plant.flow?.status, 'reachable', plant.flow?.message ?? '');
});

test('the viewer shows each check, the revisit rounds and where boxes came from', async () => {
  const { checksHtml, revisitHtml, provenanceRows } = await import('../viewer/method.ts');
  const row = {
    sim_status: 'simulated',
    sim_quantity: 'voltage across R2',
    sim_value: 4,
    sim_agrees: false,
    table_check: null,
    flow_check: null,
    formal_checks: JSON.stringify({ sim: { status: 'simulated', message: null }, table: null, flow: null }),
    revisit: JSON.stringify({
      firstAnswer: '6',
      rounds: [
        {
          round: 1,
          facts: [{ target: 'R2', question: 'value?', answer: '2 Ω' }],
          answerBefore: '6',
          answerAfter: '4',
          changed: true,
          note: null,
        },
      ],
    }),
    box_source: 'model_fallback',
    qa_edit: 'rejected: edit_reworded_step: …',
    ocr_engine_lines: '[{"text":"x","box":[0,0,1,1],"confidence":0.9}]',
    source_width: 800,
    source_height: 600,
  };
  const checks = checksHtml(row).toString();
  assert.match(checks, /SPICE \(ngspice\)/);
  assert.match(checks, /voltage across R2 = <strong>4\.00000<\/strong>/);
  assert.match(checks, /class="badge rejected">disagrees/);
  assert.equal(checksHtml({ sim_status: null }).toString(), '');
  const revisit = revisitHtml(row).toString();
  assert.match(revisit, /first answer 6/);
  assert.match(revisit, /round 1: 6 → 4/);
  assert.match(revisit, /<strong>R2<\/strong>: value\? → <em>2 Ω<\/em>/);
  assert.deepEqual(provenanceRows(row), [
    ['boxes from', 'model_fallback'],
    ['source image', '800×600 px (boxes_source_px)'],
    ['OCR engine lines', 1],
    ['judge edit', 'rejected: edit_reworded_step: …'],
  ]);
});
