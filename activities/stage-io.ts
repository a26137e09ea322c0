// The one reader and writer of what stages hand each other through the blob store (schemas/stage-blobs.ts): the
// formal description, the reasoning trace, the QA verdict, the revisit log and the formal checks. A blob is a
// boundary like any file: every read is validated, and a blob that does not fit fails with one line naming it.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { getBlob, putBlob, putJsonBlob } from '../core/blobs.ts';
import { FormalChecksSchema, type FormalChecks } from '../schemas/checks.ts';
import { RevisitLogSchema, type RevisitLog } from '../schemas/revisit.ts';
import { FormalDocSchema, QaVerdictSchema, type FormalDoc, type QaVerdict } from '../schemas/stage-blobs.ts';

/** Failure type of a stage blob that is not what its reader expects (content-addressed: a retry reads the same bytes). */
export const BAD_STAGE_BLOB = 'BadStageBlob';

/** `<what> blob <key>: <path>: <problem>[; …]`, one line. */
function stageBlobProblem(what: string, key: string, issues: z.core.$ZodIssue[] | string): string {
  const detail =
    typeof issues === 'string'
      ? issues
      : issues
          .slice(0, 3)
          .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
          .join('; ') + (issues.length > 3 ? ` (+${issues.length - 3} more)` : '');
  return `${what} blob ${key}: ${detail}`.replace(/\s*\n\s*/g, ' ');
}

async function readText(home: string, key: string): Promise<string> {
  return (await getBlob(home, key)).toString('utf8');
}

async function readJson<S extends z.ZodType>(home: string, key: string, what: string, schema: S): Promise<z.output<S>> {
  return parseJson(await readText(home, key), key, what, schema);
}

function parseJson<S extends z.ZodType>(text: string, key: string, what: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      stageBlobProblem(what, key, `not JSON (${(err as Error).message})`),
      BAD_STAGE_BLOB,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw ApplicationFailure.nonRetryable(stageBlobProblem(what, key, r.error.issues), BAD_STAGE_BLOB);
  return r.data;
}

/** Validate before writing, so a stage never leaves a blob its readers refuse. */
async function writeJson<S extends z.ZodType>(
  home: string,
  what: string,
  schema: S,
  value: z.input<S>,
): Promise<string> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(stageBlobProblem(what, '(not written)', r.error.issues));
  return putJsonBlob(home, value);
}

/** The extras of a formal doc as a record ({} when the kind stores none). */
export function formalData(doc: Pick<FormalDoc, 'data'>): Record<string, unknown> {
  return doc.data !== null && typeof doc.data === 'object' && !Array.isArray(doc.data)
    ? (doc.data as Record<string, unknown>)
    : {};
}

export const writeFormalDoc = (home: string, doc: FormalDoc): Promise<string> =>
  writeJson(home, 'formal doc', FormalDocSchema, doc);
export const readFormalDoc = (home: string, key: string): Promise<FormalDoc> =>
  readJson(home, key, 'formal doc', FormalDocSchema);

/** The reasoning trace is text: `<think>…</think><answer>…</answer>` (core/trace-format.ts). */
export const writeTrace = (home: string, trace: string): Promise<string> => putBlob(home, trace);
export const readTrace = (home: string, key: string): Promise<string> => readText(home, key);

export const writeQaVerdict = (home: string, verdict: QaVerdict): Promise<string> =>
  writeJson(home, 'QA verdict', QaVerdictSchema, verdict);
/** The verdict, and its JSON exactly as stored (the records' qa_verdict column). */
export async function readQaVerdict(home: string, key: string): Promise<{ verdict: QaVerdict; json: string }> {
  const json = await readText(home, key);
  return { verdict: parseJson(json, key, 'QA verdict', QaVerdictSchema), json };
}

export const writeRevisitLog = (home: string, log: RevisitLog): Promise<string> =>
  writeJson(home, 'revisit log', RevisitLogSchema, log);
export const readRevisitLog = (home: string, key: string): Promise<RevisitLog> =>
  readJson(home, key, 'revisit log', RevisitLogSchema);

export const writeFormalChecks = (home: string, checks: FormalChecks): Promise<string> =>
  writeJson(home, 'formal checks', FormalChecksSchema, checks);
export const readFormalChecks = (home: string, key: string): Promise<FormalChecks> =>
  readJson(home, key, 'formal checks', FormalChecksSchema);
