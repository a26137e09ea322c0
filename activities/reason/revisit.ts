// The revisit loop (role-play "iteratively revisits the image, refining its understanding"): after a reasoning
// pass, the reasoner names the visual facts it is unsure of (prompts/reason/revisit-ask.md), the vision model
// answers them looking at the image (prompts/reason/revisit-look.md; the formalizer's endpoint, the project's
// vision model), the answers are appended to the formal description as observations, and the reasoner answers
// again. One call of this activity is one round; the workflow bounds the rounds (RunConfig.revisitRounds).
import { answersEquivalent } from '../../core/rewards/index.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { RevisitAskSchema, RevisitLookSchema, type RevisitLog, type RevisitRoundInput } from '../../schemas/revisit.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import { ObservationSchema, type FormalDoc, type Observation } from '../../schemas/stage-blobs.ts';
import type { TraceResult } from '../../schemas/workflow.ts';
import { StructuredOutputError } from '../llm/gateway.ts';
import { llmTask } from '../llm/task.ts';
import { loadSample, sampleImage } from '../sample-io.ts';
import { formalData, readFormalDoc, readRevisitLog, readTrace, writeFormalDoc, writeRevisitLog } from '../stage-io.ts';
import { reason } from './reason.ts';

/** Questions per round: enough to fix a misread, few enough that the vision answers stay focused. */
export const MAX_FACTS = 4;

/** The reasoner names what it is unsure of (prompts/reason/revisit-ask.md). */
const askTask = llmTask({
  name: 'revisit_facts',
  template: 'reason/revisit-ask',
  schema: RevisitAskSchema,
  params: { temperature: 0 },
  vars: (i: { doc: FormalDoc; question: string; trace: string }) => ({
    kind: i.doc.kind + (i.doc.subkind ? `/${i.doc.subkind}` : ''),
    format: i.doc.format,
    formal: i.doc.text,
    question: i.question,
    trace: i.trace,
    max: MAX_FACTS,
  }),
});

/** The vision model answers the numbered questions looking at the image (prompts/reason/revisit-look.md). */
const lookTask = llmTask({
  name: 'revisit_answers',
  template: 'reason/revisit-look',
  schema: RevisitLookSchema,
  params: { temperature: 0 },
  vars: (facts: Array<{ target: string; question: string }>) => ({
    questions: facts.map((f, i) => `${i + 1}. (${f.target}) ${f.question}`).join('\n'),
  }),
});

/** The formal description with the observations appended: what the reasoner reads on the next pass. */
export function withObservations(doc: FormalDoc, observations: Observation[]): FormalDoc {
  const block = observations.map((o) => `- ${o.target}: ${o.question} → ${o.answer}`).join('\n');
  const data = formalData(doc);
  const earlier = ObservationSchema.array().safeParse(data.observations);
  const before = earlier.success ? earlier.data : [];
  return {
    ...doc,
    text: `${doc.text}\n\nLooking again at the image:\n${block}`,
    data: { ...data, observations: [...before, ...observations] },
  };
}

/** A structured-output failure ends the loop (the first pass stands) instead of failing the sample. */
async function tolerant<T>(f: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await f() };
  } catch (err) {
    if (err instanceof StructuredOutputError)
      return { error: `unusable structured output: ${err.message.split('\n')[0]}` };
    throw err;
  }
}

/**
 * One round: ask → look → re-answer. Returns the round's trace (the previous one when the reasoner is sure, the
 * vision model answers nothing, or the re-answer yields no trace) and the cumulative log, stored as a blob.
 */
export async function revisitRound(
  home: string,
  input: RevisitRoundInput & {
    run: string;
    ref: SampleRef;
    reasoner: ResolvedEndpoint;
    vision: ResolvedEndpoint;
    judge: ResolvedEndpoint | null;
  },
): Promise<TraceResult & { formalKey: string; stop: boolean }> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const doc = await readFormalDoc(home, input.formalKey);
  const log: RevisitLog = input.logKey
    ? await readRevisitLog(home, input.logKey)
    : { firstAnswer: input.finalAnswer, rounds: [] };
  const round = log.rounds.length + 1;
  const unchanged = {
    traceKey: input.traceKey,
    finalAnswer: input.finalAnswer,
    candidates: 1,
    formalKey: input.formalKey,
  };
  const finish = async (
    entry: RevisitLog['rounds'][number],
    result: Omit<typeof unchanged, 'candidates'> & { candidates?: number },
    stop: boolean,
  ) => {
    const next: RevisitLog = { ...log, rounds: [...log.rounds, entry] };
    return {
      ...unchanged,
      ...result,
      candidates: result.candidates ?? 1,
      revisitKey: await writeRevisitLog(home, next),
      stop,
    };
  };
  const trace = input.traceKey ? await readTrace(home, input.traceKey) : '(no usable reasoning yet)';
  const call = { home, run: input.run, sampleId: sample.sampleId, callIndex: round };

  const asked = await tolerant(() =>
    askTask.run({ doc, question: sample.question, trace }, { ...call, endpoint: input.reasoner }),
  );
  const base = { round, answerBefore: input.finalAnswer };
  if ('error' in asked)
    return finish(
      { ...base, facts: [], answerAfter: input.finalAnswer, changed: false, note: asked.error },
      unchanged,
      true,
    );
  const facts = asked.value.value.facts.slice(0, MAX_FACTS);
  if (facts.length === 0)
    return finish(
      {
        ...base,
        facts: [],
        answerAfter: input.finalAnswer,
        changed: false,
        note: 'the reasoner is sure of every visual fact',
      },
      unchanged,
      true,
    );

  const images = await sampleImage(home, sample);
  if (images.length === 0)
    return finish(
      {
        ...base,
        facts: facts.map((f) => ({ ...f, answer: null })),
        answerAfter: input.finalAnswer,
        changed: false,
        note: 'the sample has no image to look at',
      },
      unchanged,
      true,
    );
  const looked = await tolerant(() => lookTask.run(facts, { ...call, endpoint: input.vision, images }));
  if ('error' in looked)
    return finish(
      {
        ...base,
        facts: facts.map((f) => ({ ...f, answer: null })),
        answerAfter: input.finalAnswer,
        changed: false,
        note: looked.error,
      },
      unchanged,
      true,
    );
  const byIndex = new Map(looked.value.value.answers.map((a) => [a.index, a.answer.trim()]));
  const observations: Observation[] = facts
    .map((f, i) => ({ ...f, answer: byIndex.get(i + 1) ?? '' }))
    .filter((o) => o.answer && !/^not visible\.?$/i.test(o.answer));
  const answered = facts.map((f, i) => ({ ...f, answer: byIndex.get(i + 1) ?? null }));
  if (observations.length === 0)
    return finish(
      {
        ...base,
        facts: answered,
        answerAfter: input.finalAnswer,
        changed: false,
        note: 'the vision model saw none of it',
      },
      unchanged,
      true,
    );

  const revised = withObservations(doc, observations);
  const formalKey = await writeFormalDoc(home, revised);
  const next = await reason(
    home,
    { run: input.run, ref: input.ref, formalKey, endpoint: input.reasoner, judge: input.judge, candidates: 1 },
    { sample, formal: revised },
  );
  if (!next.traceKey)
    return finish(
      {
        ...base,
        facts: answered,
        answerAfter: input.finalAnswer,
        changed: false,
        note: 'the second pass produced no usable trace',
      },
      unchanged,
      true,
    );
  const changed = !(
    next.finalAnswer !== null &&
    input.finalAnswer !== null &&
    answersEquivalent(next.finalAnswer, input.finalAnswer, sample.choices)
  );
  return finish(
    { ...base, facts: answered, answerAfter: next.finalAnswer, changed, note: null },
    { traceKey: next.traceKey, finalAnswer: next.finalAnswer, formalKey },
    false,
  );
}
