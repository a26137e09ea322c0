// What stages hand each other through the blob store (activities/stage-io.ts): written, read back validated, and a
// blob that does not fit fails with one line naming the blob and the problem.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { putBlob, putJsonBlob } from '../core/blobs.ts';
import {
  BAD_STAGE_BLOB,
  formalData,
  readFormalChecks,
  readFormalDoc,
  readQaVerdict,
  readRevisitLog,
  readTrace,
  writeFormalDoc,
  writeQaVerdict,
  writeTrace,
} from '../activities/stage-io.ts';
import type { FormalDoc } from '../schemas/stage-blobs.ts';

const home = mkdtempSync(join(tmpdir(), 'r1ov-stage-io-'));
after(() => rmSync(home, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

test('a formal doc, a trace and a QA verdict round-trip; the verdict keeps its JSON as stored', async () => {
  const doc: FormalDoc = {
    kind: 'chart',
    subkind: null,
    format: 'chart',
    text: '# chart: bar\na,b\n1,2',
    data: { chartType: 'bar' },
  };
  assert.deepEqual(await readFormalDoc(home, await writeFormalDoc(home, doc)), doc);
  assert.equal(
    await readTrace(home, await writeTrace(home, '<think>x</think><answer>1</answer>')),
    '<think>x</think><answer>1</answer>',
  );
  const verdict = { by: 'rules' as const, accepted: true, code: null, reason: null, accuracy: 1, format: 1 };
  const key = await writeQaVerdict(home, verdict);
  const read = await readQaVerdict(home, key);
  assert.deepEqual(read.verdict, verdict);
  assert.equal(read.json, JSON.stringify(verdict));
  assert.deepEqual(formalData(doc), { chartType: 'bar' });
  assert.deepEqual(formalData({ data: null }), {});
});

test('a malformed formal doc fails on read with one line naming the blob and the field', async () => {
  // A formal blob whose text is missing and whose format is a number (e.g. written by hand or by an older build).
  const key = await putJsonBlob(home, { kind: 'chart', subkind: null, format: 3, data: null });
  const err = await failure(readFormalDoc(home, key));
  assert.equal(err.type, BAD_STAGE_BLOB);
  assert.equal(err.nonRetryable, true, 'a content-addressed blob reads the same on every retry');
  assert.match(err.message, new RegExp(`^formal doc blob ${key}: format: .*number.*; text: .*$`));
  assert.doesNotMatch(err.message, /\n/);
});

test('a blob that is not JSON, a verdict of an unknown author and a bad revisit log are refused the same way', async () => {
  const text = await putBlob(home, 'not json at all');
  assert.match(
    (await failure(readFormalDoc(home, text))).message,
    new RegExp(`^formal doc blob ${text}: not JSON \\(`),
  );
  const verdict = await putJsonBlob(home, { by: 'someone', accepted: true });
  assert.match((await failure(readQaVerdict(home, verdict))).message, new RegExp(`^QA verdict blob ${verdict}: by: `));
  const log = await putJsonBlob(home, { firstAnswer: 'A', rounds: [{ round: 0 }] });
  assert.match(
    (await failure(readRevisitLog(home, log))).message,
    new RegExp(`^revisit log blob ${log}: rounds\\.0\\.round: .+`),
  );
  const checks = await putJsonBlob(home, []);
  assert.match(
    (await failure(readFormalChecks(home, checks))).message,
    new RegExp(`^formal checks blob ${checks}: \\(root\\): `),
  );
});

test('a stage cannot write a blob its readers would refuse', async () => {
  await assert.rejects(
    writeFormalDoc(home, { kind: 'chart', subkind: null, format: 'chart', text: 1 as unknown as string, data: null }),
    /^Error: formal doc blob \(not written\): text: /,
  );
});
