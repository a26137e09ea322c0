import { questionWithChoices } from '../../core/answers/index.ts';
import type { ResolvedEndpoint, RunConfig } from '../../schemas/config.ts';
import type { Sample, SampleRef } from '../../schemas/sample.ts';
import { JudgeVerdictSchema, type EditOutcome, type JudgeVerdict } from '../../schemas/stage-blobs.ts';
import type { QaResult } from '../../schemas/workflow.ts';
import { llmTask } from '../llm/task.ts';
import { loadSample } from '../sample-io.ts';
import { readFormalDoc, readTrace, writeQaVerdict, writeTrace } from '../stage-io.ts';
import { checkJudgeEdit } from './edits.ts';
import { qaRulesVerdict, type RuleLimits } from './rules.ts';

/** QA rules over the stored trace; the verdict is stored as a blob too, so every decision is queryable. */
export async function qaRules(
  home: string,
  input: {
    run: string;
    ref: SampleRef;
    traceKey: string | null;
    config: Pick<RunConfig, 'minTraceChars' | 'maxTraceChars'>;
  },
): Promise<QaResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const trace = input.traceKey ? await readTrace(home, input.traceKey) : null;
  const v = qaRulesVerdict(trace, sample.answer, sample.choices, input.config);
  const verdictKey = await writeQaVerdict(home, { by: 'rules', ...v });
  return { ...v, traceKey: input.traceKey, verdictKey };
}

/** The judge role reads the question with its options, the gold answer, the formal description and the trace. */
const judgeTask = llmTask({
  name: 'qa_verdict',
  template: 'qa/judge',
  schema: JudgeVerdictSchema,
  params: { temperature: 0 },
  vars: (i: { sample: Sample; formal: string; trace: string }) => ({
    question: questionWithChoices(i.sample.question, i.sample.choices),
    answer: i.sample.answer,
    formal: i.formal,
    trace: i.trace,
  }),
});

/**
 * The judge's edit is accepted only if it deletes whole steps (activities/qa/edits.ts) and the edited trace still
 * passes every rule under the run's limits; otherwise the original trace stands and the reason is kept.
 */
export function judgeEditOutcome(
  original: string,
  v: JudgeVerdict,
  sample: { answer: string; choices?: string[] },
  limits: RuleLimits,
): { edit: EditOutcome; trace: string | null } {
  const edited = v.edited_trace?.trim();
  if (!edited || edited === original.trim()) {
    if (v.removed_steps.length === 0) return { edit: { status: 'none', code: null, reason: null }, trace: null };
    // Steps listed as removed but no edit: the listing must still name real steps.
    const listed = checkJudgeEdit(original, original, v.removed_steps);
    return listed.ok || listed.code === 'edit_not_removed'
      ? {
          edit: {
            status: 'rejected',
            code: 'edit_not_removed',
            reason: 'removed_steps lists steps but no edited trace removes them',
          },
          trace: null,
        }
      : { edit: { status: 'rejected', code: listed.code, reason: listed.reason }, trace: null };
  }
  const shape = checkJudgeEdit(original, edited, v.removed_steps);
  if (!shape.ok) return { edit: { status: 'rejected', code: shape.code, reason: shape.reason }, trace: null };
  const recheck = qaRulesVerdict(edited, sample.answer, sample.choices, limits);
  if (!recheck.accepted)
    return {
      edit: {
        status: 'rejected',
        code: `edit_${recheck.code}`,
        reason: `the edited trace fails a QA rule: ${recheck.reason}`,
      },
      trace: null,
    };
  return { edit: { status: 'applied', code: null, reason: null }, trace: edited };
}

/**
 * The judge role: are the steps correct, image-based and relevant? Its checked edit replaces the original. It reads
 * the question with its options, as the reasoner did: a gold letter means nothing without them.
 */
export async function qaJudge(
  home: string,
  input: {
    run: string;
    ref: SampleRef;
    formalKey: string;
    rules: QaResult;
    endpoint: ResolvedEndpoint;
    config?: Pick<RunConfig, 'minTraceChars' | 'maxTraceChars'>;
  },
): Promise<QaResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const formal = await readFormalDoc(home, input.formalKey);
  if (!input.rules.traceKey)
    throw new Error(`sample ${sample.sampleId}: the judge needs a trace, and the QA rules passed none`);
  const trace = await readTrace(home, input.rules.traceKey);
  const { value: v } = await judgeTask.run(
    { sample, formal: formal.text, trace },
    { endpoint: input.endpoint, home, run: input.run, sampleId: sample.sampleId },
  );
  if (!v.valid) {
    const verdictKey = await writeQaVerdict(home, { by: 'judge', rules: input.rules, ...v });
    return { ...input.rules, accepted: false, code: 'judge_rejected', reason: v.reason, verdictKey };
  }
  const limits = input.config ?? { minTraceChars: 1, maxTraceChars: Number.MAX_SAFE_INTEGER };
  const { edit, trace: edited } = judgeEditOutcome(trace, v, sample, limits);
  const verdictKey = await writeQaVerdict(home, { by: 'judge', rules: input.rules, ...v, edit });
  const traceKey = edited ? await writeTrace(home, edited) : input.rules.traceKey;
  return { ...input.rules, accepted: true, traceKey, verdictKey };
}
