// core/sql.ts: string literals built in code read back as the exact string, quotes and all, through DuckDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../core/sql.ts';

test('sqlString doubles single quotes and wraps the string in them', () => {
  assert.equal(sqlString('plain'), "'plain'");
  assert.equal(sqlString("it's"), "'it''s'");
  assert.equal(sqlString(''), "''");
});

test('sqlString literals read back unchanged in DuckDB, injection attempts included', async () => {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    for (const s of [
      "it's",
      "'; DROP TABLE t; --",
      "''",
      'back\\slash',
      'line\nbreak',
      '"double"',
      'ünïcødé ∑',
      "/runs/o'neil/shards/*.parquet",
    ]) {
      const rows = (await conn.runAndReadAll(`SELECT ${sqlString(s)} AS v`)).getRowObjectsJS();
      assert.deepEqual(rows, [{ v: s }], JSON.stringify(s));
    }
  } finally {
    conn.closeSync();
  }
});
