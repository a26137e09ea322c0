// core/csv.ts: the delimited-text scanner and field quoter, on text as Python's csv module writes it (the module
// pandas `to_csv` and VLMEvalKit's `.tsv` files go through), and on the malformed text a validator must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, scanCsv } from '../core/csv.ts';

// csv.writer(f).writerows([['id','text'], [1, 'He said "hi", then left'], [2, 'two\nlines'], [3, 'cr\rinside'], [4, '']])
const PY_CSV = 'id,text\r\n1,"He said ""hi"", then left"\r\n2,"two\nlines"\r\n3,"cr\rinside"\r\n4,\r\n';
// csv.writer(f, delimiter='\t', quoting=csv.QUOTE_ALL, lineterminator='\n'), VLMEvalKit's TSV quoting
const PY_TSV = '"index"\t"question"\t"A"\t"answer"\n"0"\t"Which\tone?\nPick ""best"""\t"x"\t"A"\n';

test('reads Python csv.writer output: CRLF line ends, doubled quotes, quoted commas, newlines and CR', () => {
  const { records, problem } = scanCsv(PY_CSV, ',', { strict: true });
  assert.equal(problem, undefined);
  assert.deepEqual(records, [
    { fields: ['id', 'text'], line: 1 },
    { fields: ['1', 'He said "hi", then left'], line: 2 },
    { fields: ['2', 'two\nlines'], line: 3 },
    { fields: ['3', 'cr\rinside'], line: 5 },
    { fields: ['4', ''], line: 6 },
  ]);
  assert.deepEqual(scanCsv(PY_CSV, ','), { records });
});

test('reads a QUOTE_ALL TSV with tabs, newlines and quotes inside fields', () => {
  const { records } = scanCsv(PY_TSV, '\t');
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['index', 'question', 'A', 'answer'],
      ['0', 'Which\tone?\nPick "best"', 'x', 'A'],
    ],
  );
});

test('blank lines are not records; a last line without a newline is', () => {
  assert.deepEqual(scanCsv('a,b\n\n1,2\n\n3,4', ',').records, [
    { fields: ['a', 'b'], line: 1 },
    { fields: ['1', '2'], line: 3 },
    { fields: ['3', '4'], line: 5 },
  ]);
  assert.deepEqual(scanCsv('', ',').records, []);
});

test('strict mode names the line of a stray quote or an unclosed quoted field; lenient mode reads them as text', () => {
  assert.deepEqual(scanCsv('a,b\n1,x"y\n', ',', { strict: true }), {
    records: [{ fields: ['a', 'b'], line: 1 }],
    problem: `line 2: a quote '"' inside an unquoted field; quote the whole field and double inner quotes ("")`,
  });
  assert.deepEqual(
    scanCsv('a,b\n1,"never\nclosed', ',', { strict: true }).problem,
    'line 2: quoted field is never closed',
  );
  assert.deepEqual(scanCsv('a,b\n1,x"y\n', ',').records[1]?.fields, ['1', 'x"y']);
  assert.deepEqual(scanCsv('a,b\n1,"never\nclosed', ',').records[1], { fields: ['1', 'never\nclosed'], line: 2 });
});

test('a lone CR outside quotes: dropped in strict mode, text in lenient mode', () => {
  assert.deepEqual(scanCsv('a\rb,c\n', ',', { strict: true }).records[0]?.fields, ['ab', 'c']);
  assert.deepEqual(scanCsv('a\rb,c\n', ',').records[0]?.fields, ['a\rb', 'c']);
});

test('csvField quotes only what needs it, and what it writes reads back', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField(12.5), '12.5');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "x"'), '"say ""x"""');
  assert.equal(csvField('cr\rlf\n'), '"cr\rlf\n"');
  const row = ['a,b', 'say "x"', 'two\nlines', 'cr\rinside', '', 'plain'];
  assert.deepEqual(scanCsv(`${row.map(csvField).join(',')}\n`, ',', { strict: true }).records[0]?.fields, row);
});
