import { z } from 'zod';
import { getBlob, getJsonBlob, putBlob, putJsonBlob } from '../../core/blobs.ts';
import { loadPrompt } from '../../core/prompts.ts';
import type { ResolvedEndpoint, RunConfig } from '../../schemas/config.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import type { QaResult } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../formalize/kinds.ts';
import { chat } from '../llm/gateway.ts';
import { loadSample } from '../sample-io.ts';
import { qaRulesVerdict } from './rules.ts';

/** QA rules over the stored trace; the verdict is stored as a blob too, so every decision is queryable. */
export async function qaRules(
  home: string, input: { run: string; ref: SampleRef; traceKey: string | null; config: Pick<RunConfig, 'minTraceChars' | 'maxTraceChars'> },
): Promise<QaResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const trace = input.traceKey ? (await getBlob(home, input.traceKey)).toString('utf8') : null;
  const v = qaRulesVerdict(trace, sample.answer, sample.choices, input.config);
  const verdictKey = await putJsonBlob(home, { by: 'rules', ...v });
  return { ...v, traceKey: input.traceKey, verdictKey };
}

export const JudgeVerdictSchema = z.object({
  valid: z.boolean(),
  removed_steps: z.array(z.string()).default([]),
  edited_trace: z.string().nullable().optional(),
  reason: z.string(),
});

/** The judge role: are the steps correct, image-based and relevant? Its edited trace replaces the original. */
export async function qaJudge(
  home: string, input: { run: string; ref: SampleRef; formalKey: string; rules: QaResult; endpoint: ResolvedEndpoint },
): Promise<QaResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const formal = await getJsonBlob(home, input.formalKey) as FormalDoc;
  const trace = (await getBlob(home, input.rules.traceKey!)).toString('utf8');
  const prompt = loadPrompt('qa', 'judge');
  const r = await chat({
    endpoint: input.endpoint, home, run: input.run, sampleId: sample.sampleId, prompt,
    messages: [{ role: 'user', content: prompt.render({ question: sample.question, answer: sample.answer, formal: formal.text, trace }) }],
    schema: JudgeVerdictSchema, schemaName: 'qa_verdict', params: { temperature: 0 },
  });
  const v = r.parsed!;
  const verdictKey = await putJsonBlob(home, { by: 'judge', rules: input.rules, ...v });
  if (!v.valid) return { ...input.rules, accepted: false, code: 'judge_rejected', reason: v.reason, verdictKey };
  let traceKey = input.rules.traceKey;
  if (v.edited_trace && v.edited_trace.trim() && v.edited_trace.trim() !== trace.trim()) {
    // The edit must still pass the rules; otherwise keep the original and say so in the verdict.
    const recheck = qaRulesVerdict(v.edited_trace.trim(), sample.answer, sample.choices, { minTraceChars: 1, maxTraceChars: Number.MAX_SAFE_INTEGER });
    if (recheck.accepted) traceKey = await putBlob(home, v.edited_trace.trim());
  }
  return { ...input.rules, accepted: true, traceKey, verdictKey };
}
