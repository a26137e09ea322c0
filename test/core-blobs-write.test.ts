import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicAsync } from '../core/blobs.ts';

test('writeFileAtomicAsync: makes a missing folder, replaces the file whole, leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-atomic-'));
  try {
    const file = join(dir, 'a', 'b', 'entry.json');
    await writeFileAtomicAsync(file, '{"v":1}');
    await writeFileAtomicAsync(file, '{"v":2}');
    assert.equal(readFileSync(file, 'utf8'), '{"v":2}');
    assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['entry.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomicAsync: a failed write throws and leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-atomic-'));
  try {
    // The target is a folder: the temp file is written, the rename fails.
    mkdirSync(join(dir, 'entry.json', 'inside'), { recursive: true });
    await assert.rejects(writeFileAtomicAsync(join(dir, 'entry.json'), 'x'), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(readdirSync(dir), ['entry.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
