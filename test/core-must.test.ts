// core/must.ts: checked reads fail at once, naming what was missing, instead of passing undefined on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { at, must } from '../core/must.ts';

test('must returns a present value, falsy ones included, and names a missing one', () => {
  assert.equal(must(0, 'count'), 0);
  assert.equal(must('', 'text'), '');
  assert.equal(must(null, 'row'), null);
  assert.throws(() => must(new Map<string, number>().get('k'), 'topology k'), /internal error: topology k is missing/);
});

test('at reads indices in range, undefined elements included, and refuses any other index', () => {
  const xs = ['a', 'b', 'c'];
  assert.equal(at(xs, 0), 'a');
  assert.equal(at(xs, 2), 'c');
  assert.equal(at([undefined], 0), undefined);
  assert.throws(() => at(xs, 3, 'column'), /column index 3 is outside \[0, 3\)/);
  assert.throws(() => at(xs, -1), RangeError, 'no negative indices, unlike Array.prototype.at');
  assert.throws(() => at(xs, 1.5), RangeError);
  assert.throws(() => at([], 0, 'page'), /page index 0 is outside \[0, 0\)/);
});
