import { questionWithChoices } from '../../core/answers/index.ts';
import { extractAnswer, scoreCompletion } from '../../core/rewards/index.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import type { Sample, SampleRef } from '../../schemas/sample.ts';
import type { FormalDoc } from '../../schemas/stage-blobs.ts';
import type { TraceResult } from '../../schemas/workflow.ts';
import { llmTask } from '../llm/task.ts';
import { loadSample } from '../sample-io.ts';
import { readFormalDoc, writeTrace } from '../stage-io.ts';
import { CAPTION_TALK, normalizeTrace } from '../../core/trace-format.ts';

/** Role-play (prompts/reason/roleplay.md): the formal description is read as if it were the image. */
const roleplayTask = llmTask({
  name: 'roleplay',
  template: 'reason/roleplay',
  vars: ({ sample, formal }: { sample: Sample; formal: FormalDoc }) => ({
    question: questionWithChoices(sample.question, sample.choices),
    kind: formal.kind + (formal.subkind ? `/${formal.subkind}` : ''),
    format: formal.format,
    formal: formal.text,
  }),
});

/** The judge rewrites caption-talk ("the description says…") as image-talk (prompts/reason/revise.md). */
const reviseTask = llmTask({
  name: 'revise',
  template: 'reason/revise',
  params: { temperature: 0 },
  vars: (i: { question: string; trace: string }) => i,
});

/** A synthetic sample's trace is the derivation computed from its spec; an imported sample's is the released one. */
export async function reasonExact(home: string, input: { run: string; ref: SampleRef }): Promise<TraceResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const trace = sample.exact?.trace ?? sample.imported?.trace;
  if (trace === undefined) throw new Error(`sample ${sample.sampleId} has no generating spec and no imported trace`);
  return { traceKey: await writeTrace(home, trace), finalAnswer: extractAnswer(trace, sample.choices), candidates: 1 };
}

/**
 * Role-play reasoning: the reasoner reads the formal description but writes as someone looking at the image.
 * With `candidates` > 1 the verifier picks the best candidate against the ground truth.
 */
export async function reason(
  home: string,
  input: {
    run: string;
    ref: SampleRef;
    formalKey: string;
    endpoint: ResolvedEndpoint;
    judge: ResolvedEndpoint | null;
    candidates: number;
  },
  /** The sample and the formal doc of `formalKey` when the caller holds them already (a revisit round). */
  loaded?: { sample: Sample; formal: FormalDoc },
): Promise<TraceResult> {
  const sample = loaded?.sample ?? (await loadSample(home, input.ref.sampleKey));
  const formal = loaded?.formal ?? (await readFormalDoc(home, input.formalKey));
  let best: { trace: string; answer: string | null; score: number } | null = null;
  for (let i = 0; i < Math.max(1, input.candidates); i++) {
    const { reply: r } = await roleplayTask.run(
      { sample, formal },
      {
        endpoint: input.endpoint,
        home,
        run: input.run,
        sampleId: sample.sampleId,
        callIndex: i,
        params: i === 0 ? {} : { temperature: 0.7 + 0.1 * i },
      },
    );
    const answer = extractAnswer(r.text, sample.choices) ?? extractAnswer(r.reasoning ?? '', sample.choices);
    const trace = normalizeTrace(r.text, r.reasoning, answer);
    if (!trace) continue;
    const s = scoreCompletion({ completion: trace, groundTruth: sample.answer, choices: sample.choices });
    const score = s.accuracy * 2 + s.format;
    if (!best || score > best.score) best = { trace, answer, score };
    if (s.accuracy === 1 && s.format === 1) break;
  }
  if (!best) return { traceKey: null, finalAnswer: null, candidates: input.candidates };
  const trace =
    input.judge && CAPTION_TALK.test(best.trace)
      ? await revise(home, input.run, sample.sampleId, input.judge, best.trace, sample.question)
      : best.trace;
  return { traceKey: await writeTrace(home, trace), finalAnswer: best.answer, candidates: input.candidates };
}

/**
 * The revision pass (judge role): rewrite leftover caption-talk into image-talk and drop "let me picture the image"
 * steps. The revision is kept only if it is still well-formed and reaches the same final answer.
 */
async function revise(
  home: string,
  run: string,
  sampleId: string,
  judge: ResolvedEndpoint,
  trace: string,
  question: string,
): Promise<string> {
  const { reply: r } = await reviseTask.run({ question, trace }, { endpoint: judge, home, run, sampleId });
  // The gateway moves an inline <think> block into `reasoning`; the rewritten trace's own reasoning is that block.
  const revised = /<think>/i.test(r.text)
    ? normalizeTrace(r.text, undefined, extractAnswer(r.text))
    : normalizeTrace(r.text, r.reasoning, extractAnswer(r.text));
  const candidate = revised ?? r.text.trim();
  const before = scoreCompletion({ completion: trace, groundTruth: extractAnswer(trace) ?? '' });
  const after = scoreCompletion({ completion: candidate, groundTruth: extractAnswer(trace) ?? '' });
  return after.format === 1 && after.accuracy === 1 && before.accuracy === 1 && !CAPTION_TALK.test(candidate)
    ? candidate
    : trace;
}
