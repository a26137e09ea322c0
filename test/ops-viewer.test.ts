/**
 * The viewer on demo-like data: a chart CSV's `# key: value` comment lines (the synthetic chart format,
 * activities/synthetic) are the table's caption, not rows; choices the question already lists are not shown twice;
 * the sample list shows a thumbnail per sample.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choicesInQuestion, csvTable } from '../viewer/render.ts';
import { listPage, samplePage } from '../viewer/pages.ts';
import type { ListResult } from '../viewer/store.ts';

const CHART_CSV =
  '# chart: bar\n# title: Fruit Harvest by Farm\n# x: Farm\n# y: Harvest (tonnes)\nFarm,Apples,Pears\nWest,26,22\nRiver,46,47\n';

test('a chart CSV: comment lines become the caption; the header and data rows stay a table', () => {
  const out = String(csvTable(CHART_CSV));
  const caption = /<caption[^>]*>([\s\S]*?)<\/caption>/.exec(out)?.[1] ?? '';
  assert.match(caption, /chart:<\/span> bar/);
  assert.match(caption, /title:<\/span> Fruit Harvest by Farm/);
  assert.match(caption, /y:<\/span> Harvest \(tonnes\)/);
  assert.match(out, /<th>Farm<\/th><th>Apples<\/th><th>Pears<\/th>/);
  assert.equal((out.match(/<tr>/g) ?? []).length, 3, 'the head row and two data rows');
  assert.ok(!/<td>#/.test(out), 'no comment line rendered as a row');
  // A plain CSV has no caption.
  assert.ok(!String(csvTable('a,b\n1,2\n')).includes('<caption'));
});

test('choices listed in the question are not listed again; others are', () => {
  const q = 'In which year does the line reach its highest value?\nChoices:\nA. 2018\nB. 2019\nC. 2017\nD. 2020';
  assert.equal(choicesInQuestion(q, ['2018', '2019', '2017', '2020']), true);
  assert.equal(choicesInQuestion('Which is largest?', ['1.5', '2']), false);
  assert.equal(choicesInQuestion('Pick one:\n(A) x+1\n(B) 2x', ['x+1', '2x']), true);
  const row = {
    run: 'demo',
    sample_id: 's1',
    status: 'done',
    question: q,
    choices: JSON.stringify(['2018', '2019', '2017', '2020']),
    answer: 'A',
    workflow_id: 'r1ov/demo/s1',
  };
  const page = String(samplePage(row, [], null, null));
  assert.ok(!page.includes('class="choices"'), 'the choices list is not repeated');
  const other = String(samplePage({ ...row, question: 'Which year peaks?' }, [], null, null));
  assert.match(other, /<ol type="A" class="choices"><li>2018<\/li>/);
});

test("the sample list shows a thumbnail of each sample's image", () => {
  const key = 'a'.repeat(64);
  const r: ListResult = {
    rows: [
      {
        run: 'demo',
        sample_id: 's1',
        status: 'done',
        kind: 'chart',
        source: 'synthetic',
        question: 'q',
        final_answer: '1',
        accuracy: 1,
        image_key: key,
      },
      {
        run: 'demo',
        sample_id: 's2',
        status: 'quarantined',
        kind: null,
        source: 'x',
        question: 'q',
        final_answer: null,
        accuracy: null,
        image_key: null,
      },
    ],
    total: 2,
    page: 1,
    pageSize: 50,
    facets: { run: [], status: [], kind: [], source: [], reason_code: [] },
    timings: { queryMs: 1 },
  };
  const out = String(listPage({}, r));
  assert.match(out, new RegExp(`<img data-testid="thumb" src="/blob/${key}" alt="" loading="lazy">`));
  assert.equal((out.match(/data-testid="thumb"/g) ?? []).length, 1, 'no image, no thumbnail');
});
