// Executable checks of a stored formal text, run after reasoning so the simulator's answer can be compared with
// the trace's. Each formal kind brings its own (`check` in ../kinds/<kind>.ts: SPICE through ngspice, tables through
// DuckDB with typed columns, flowcharts walked from start to every end…), chosen by the stored text's format. Each
// result becomes a column of `samples` (activities/record/stage-record.ts), and all of them its formal_checks JSON.
import { FormalChecksSchema, type FormalChecks, type FormalChecksResult } from '../../../schemas/checks.ts';
import type { SampleRef } from '../../../schemas/sample.ts';
import { loadSample } from '../../sample-io.ts';
import { readFormalDoc, writeFormalChecks } from '../../stage-io.ts';
import { formalKindOfFormat, type CheckInput } from '../kinds.ts';

export type { CheckInput } from '../kinds.ts';

/** The check of the kind that stores texts in this format; null where none applies. */
export async function runFormalChecks(input: CheckInput): Promise<FormalChecks> {
  const check = formalKindOfFormat(input.format)?.check;
  const part = check?.formats.includes(input.format.toLowerCase()) ? await check.run(input) : {};
  return FormalChecksSchema.parse({ sim: null, table: null, flow: null, ...part });
}

/** The activity: checks of the sample's stored formal text against its question and the trace's final answer. */
export async function checkFormal(
  home: string,
  input: { run: string; ref: SampleRef; formalKey: string | null; finalAnswer: string | null },
): Promise<FormalChecksResult> {
  if (!input.formalKey) return { checksKey: null };
  const sample = await loadSample(home, input.ref.sampleKey);
  const doc = await readFormalDoc(home, input.formalKey);
  const checks = await runFormalChecks({
    format: doc.format,
    text: doc.text,
    data: doc.data,
    question: sample.question,
    choices: sample.choices,
    finalAnswer: input.finalAnswer,
  });
  if (!checks.sim && !checks.table && !checks.flow && !checks.kindCheck) return { checksKey: null };
  return { checksKey: await writeFormalChecks(home, checks) };
}
