// The revisit loop (role-play "iteratively revisits the image, refining its understanding"): after a reasoning
// pass, the reasoner names the visual facts it is unsure of (prompts/reason/revisit-ask.md), the vision model
// answers them looking at the image (prompts/reason/revisit-look.md; the formalizer's endpoint, the project's
// vision model), the answers are appended to the formal description as observations, and the reasoner answers
// again. One call of this activity is one round; the workflow bounds the rounds (RunConfig.revisitRounds).
import { z } from 'zod';
import { getBlob, getJsonBlob, putJsonBlob } from '../../core/blobs.ts';
import { loadPrompt } from '../../core/prompts.ts';
import { answersEquivalent } from '../../core/rewards/index.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { RevisitLogSchema, type RevisitLog, type RevisitRoundInput } from '../../schemas/revisit.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import type { TraceResult } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../formalize/kinds.ts';
import { chat, StructuredOutputError } from '../llm/gateway.ts';
import { loadSample, sampleImage } from '../sample-io.ts';
import { reason } from './reason.ts';

/** Questions per round: enough to fix a misread, few enough that the vision answers stay focused. */
export const MAX_FACTS = 4;

export const RevisitAskSchema = z.object({
  facts: z.array(z.object({ target: z.string().min(1), question: z.string().min(1) })),
});
export const RevisitLookSchema = z.object({
  answers: z.array(z.object({ index: z.number().int(), answer: z.string() })),
});

export interface Observation {
  target: string;
  question: string;
  answer: string;
}

/** The formal description with the observations appended: what the reasoner reads on the next pass. */
export function withObservations(doc: FormalDoc, observations: Observation[]): FormalDoc {
  const block = observations.map((o) => `- ${o.target}: ${o.question} → ${o.answer}`).join('\n');
  const data = (doc.data && typeof doc.data === 'object' ? doc.data : {}) as Record<string, unknown>;
  const before = Array.isArray(data.observations) ? (data.observations as Observation[]) : [];
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
    if (err instanceof StructuredOutputError) return { error: `unusable structured output: ${err.message.split('\n')[0]}` };
    throw err;
  }
}

/**
 * One round: ask → look → re-answer. Returns the round's trace (the previous one when the reasoner is sure, the
 * vision model answers nothing, or the re-answer yields no trace) and the cumulative log, stored as a blob.
 */
export async function revisitRound(
  home: string,
  input: RevisitRoundInput & { run: string; ref: SampleRef; reasoner: ResolvedEndpoint; vision: ResolvedEndpoint; judge: ResolvedEndpoint | null },
): Promise<TraceResult & { formalKey: string; stop: boolean }> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const doc = await getJsonBlob(home, input.formalKey) as FormalDoc;
  const log: RevisitLog = input.logKey
    ? RevisitLogSchema.parse(await getJsonBlob(home, input.logKey))
    : { firstAnswer: input.finalAnswer, rounds: [] };
  const round = log.rounds.length + 1;
  const unchanged = { traceKey: input.traceKey, finalAnswer: input.finalAnswer, candidates: 1, formalKey: input.formalKey };
  const finish = async (entry: RevisitLog['rounds'][number], result: Omit<typeof unchanged, 'candidates'> & { candidates?: number }, stop: boolean) => {
    const next: RevisitLog = { ...log, rounds: [...log.rounds, entry] };
    return { ...unchanged, ...result, candidates: result.candidates ?? 1, revisitKey: await putJsonBlob(home, next), stop };
  };
  const trace = input.traceKey ? (await getBlob(home, input.traceKey)).toString('utf8') : '(no usable reasoning yet)';

  const ask = loadPrompt('reason', 'revisit-ask');
  const asked = await tolerant(() => chat({
    endpoint: input.reasoner, home, run: input.run, sampleId: sample.sampleId, prompt: ask, callIndex: round,
    messages: [{ role: 'user', content: ask.render({ kind: doc.kind + (doc.subkind ? `/${doc.subkind}` : ''), format: doc.format, formal: doc.text, question: sample.question, trace, max: MAX_FACTS }) }],
    schema: RevisitAskSchema, schemaName: 'revisit_facts', params: { temperature: 0 },
  }));
  const base = { round, answerBefore: input.finalAnswer };
  if ('error' in asked) return finish({ ...base, facts: [], answerAfter: input.finalAnswer, changed: false, note: asked.error }, unchanged, true);
  const facts = asked.value.parsed!.facts.slice(0, MAX_FACTS);
  if (facts.length === 0) return finish({ ...base, facts: [], answerAfter: input.finalAnswer, changed: false, note: 'the reasoner is sure of every visual fact' }, unchanged, true);

  const images = await sampleImage(home, sample);
  if (images.length === 0) return finish({ ...base, facts: facts.map((f) => ({ ...f, answer: null })), answerAfter: input.finalAnswer, changed: false, note: 'the sample has no image to look at' }, unchanged, true);
  const look = loadPrompt('reason', 'revisit-look');
  const looked = await tolerant(() => chat({
    endpoint: input.vision, home, run: input.run, sampleId: sample.sampleId, prompt: look, images, callIndex: round,
    messages: [{ role: 'user', content: look.render({ questions: facts.map((f, i) => `${i + 1}. (${f.target}) ${f.question}`).join('\n') }) }],
    schema: RevisitLookSchema, schemaName: 'revisit_answers', params: { temperature: 0 },
  }));
  if ('error' in looked) return finish({ ...base, facts: facts.map((f) => ({ ...f, answer: null })), answerAfter: input.finalAnswer, changed: false, note: looked.error }, unchanged, true);
  const byIndex = new Map(looked.value.parsed!.answers.map((a) => [a.index, a.answer.trim()]));
  const observations: Observation[] = facts
    .map((f, i) => ({ ...f, answer: byIndex.get(i + 1) ?? '' }))
    .filter((o) => o.answer && !/^not visible\.?$/i.test(o.answer));
  const answered = facts.map((f, i) => ({ ...f, answer: byIndex.get(i + 1) ?? null }));
  if (observations.length === 0) return finish({ ...base, facts: answered, answerAfter: input.finalAnswer, changed: false, note: 'the vision model saw none of it' }, unchanged, true);

  const formalKey = await putJsonBlob(home, withObservations(doc, observations));
  const next = await reason(home, { run: input.run, ref: input.ref, formalKey, endpoint: input.reasoner, judge: input.judge, candidates: 1 });
  if (!next.traceKey) return finish({ ...base, facts: answered, answerAfter: input.finalAnswer, changed: false, note: 'the second pass produced no usable trace' }, unchanged, true);
  const changed = !(next.finalAnswer !== null && input.finalAnswer !== null && answersEquivalent(next.finalAnswer, input.finalAnswer, sample.choices));
  return finish({ ...base, facts: answered, answerAfter: next.finalAnswer, changed, note: null }, { traceKey: next.traceKey, finalAnswer: next.finalAnswer, formalKey }, false);
}
