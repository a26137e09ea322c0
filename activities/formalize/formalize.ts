import type { z } from 'zod';
import { choiceLines } from '../../core/answers/index.ts';
import { loadPrompt, type Prompt } from '../../core/prompts.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import type { Sample, SampleRef } from '../../schemas/sample.ts';
import type { FormalDoc } from '../../schemas/stage-blobs.ts';
import type { FormalResult, RouteResult } from '../../schemas/workflow.ts';
import { detectorFromEnv, refineObjects } from '../grounding/index.ts';
import { detectFirst, PERCEIVED_KINDS } from '../grounding/perceive.ts';
import { llmTask, TaskOutputError } from '../llm/task.ts';
import { ocrLinesFor } from '../ocr/cache.ts';
import type { OcrLine } from '../ocr/index.ts';
import { loadSample, sampleImage } from '../sample-io.ts';
import { writeFormalDoc } from '../stage-io.ts';
import { ANY_QUESTION, formalShareKey, shareFormalization, sharesFormalization } from './formal-share.ts';
import { formalSpecFor, type FormalSpec, type ValidateContext } from './kinds.ts';

/**
 * The formal description of a synthetic sample is its generating spec: exact by construction. A sample with an
 * imported trace has none and needs none (the trace was written from the image).
 */
export async function formalizeExact(home: string, input: { run: string; ref: SampleRef }): Promise<FormalResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  if (sample.imported && !sample.exact) return { formalKey: null, format: null, valid: true, error: null, attempts: 0 };
  if (!sample.exact) throw new Error(`sample ${sample.sampleId} has no generating spec`);
  const doc: FormalDoc = {
    kind: sample.exact.kind,
    subkind: sample.exact.subkind ?? null,
    format: sample.exact.formalFormat,
    text: sample.exact.formalText,
    data: null,
  };
  return { formalKey: await writeFormalDoc(home, doc), format: doc.format, valid: true, error: null, attempts: 0 };
}

/**
 * The formalizer's task for one kind: its prompt (with the perception hint appended) and schema, its validator as
 * the check, and re-asking with prompts/formalize/repair.md and the validator's error.
 */
const formalTask = (spec: FormalSpec, prompt: Prompt, repair: Prompt, ctx: ValidateContext) =>
  llmTask({
    name: `formal_${spec.formalKind}`,
    template: prompt,
    schema: spec.schema as z.ZodType<unknown>,
    params: { temperature: 0 },
    messages: (i: { vars: Record<string, string | number>; hint: string }, p) => [
      { role: 'user', content: p.render(i.vars) + i.hint },
    ],
    check: async (parsed) => {
      const checked = await spec.validate(parsed, ctx);
      return checked.ok ? { ok: true, value: checked.doc } : checked;
    },
    repair: { turns: 0, template: repair },
  });

export function ocrHint(lines: OcrLine[]): string {
  if (lines.length === 0) return '(the OCR engine found no text)';
  return lines
    .map((l) => `[${l.box.map((v) => Math.round(v)).join(', ')}] (${l.confidence.toFixed(2)}) ${l.text}`)
    .join('\n');
}

/** The OCR engine's lines (the layout of record, stored beside the model's reconstruction) and the prompt's hint. */
async function engineOcr(
  home: string,
  sample: Sample,
  png: Buffer | undefined,
): Promise<{ hint: string; lines: OcrLine[] | null }> {
  if (!png || !sample.imageKey) return { hint: '(no image)', lines: null };
  try {
    const lines = await ocrLinesFor(home, sample.imageKey, png);
    return { hint: ocrHint(lines), lines };
  } catch (err) {
    // The OCR hint helps the model; its absence must not fail the sample.
    return { hint: `(OCR unavailable: ${(err as Error).message.split('\n')[0]})`, lines: null };
  }
}

/**
 * Cross-modal formalization through the formalizer role, one per image where the formal text does not depend on
 * the question (see formal-share.ts): samples of the same image share the first one's result. Math strategies
 * depend on the question and stay per question.
 */
export async function formalize(
  home: string,
  input: { run: string; ref: SampleRef; route: RouteResult; endpoint: ResolvedEndpoint; maxRepairs: number },
): Promise<FormalResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const spec = formalSpecFor(input.route.kind ?? 'mixed', input.route.subkind);
  const prompt = loadPrompt('formalize', spec.prompt);
  const repair = loadPrompt('formalize', 'repair');
  const detector = detectorFromEnv();
  // Options as "A. …" lines under the question (core/answers/choices.ts writes them for every prompt).
  const question = sample.question + (sample.choices?.length ? `\n${choiceLines(sample.choices)}` : '');
  if (!sharesFormalization(sample, spec.formalKind))
    return formalizeOnce(home, input, sample, spec, prompt, repair, question, detector);
  const key = formalShareKey({
    imageKey: sample.imageKey!,
    kind: input.route.kind,
    subkind: input.route.subkind,
    formalKind: spec.formalKind,
    prompt: prompt.hash,
    repair: repair.hash,
    model: input.endpoint.model,
    baseUrl: input.endpoint.baseUrl,
    maxRepairs: input.maxRepairs,
    grounded: !!detector,
  });
  return shareFormalization(home, key, sample.sampleId, () =>
    formalizeOnce(home, input, sample, spec, prompt, repair, ANY_QUESTION, detector),
  );
}

/**
 * Ask for the kind's formal output (its prompt and schema from kinds/<kind>.ts), validate it (the kind's
 * validator), and re-ask with the validator's error at most `maxRepairs` times; an output that never validates is
 * reported invalid with the last error (→ quarantine).
 */
async function formalizeOnce(
  home: string,
  input: { run: string; maxRepairs: number; endpoint: ResolvedEndpoint },
  sample: Sample,
  spec: ReturnType<typeof formalSpecFor>,
  prompt: ReturnType<typeof loadPrompt>,
  repair: ReturnType<typeof loadPrompt>,
  question: string,
  detector: ReturnType<typeof detectorFromEnv>,
): Promise<FormalResult> {
  const images = await sampleImage(home, sample);
  const png = images[0]?.png;
  const width = sample.width ?? 0;
  const height = sample.height ?? 0;
  const ocr = spec.needsOcr ? await engineOcr(home, sample, png) : null;
  // Natural and mixed images: the detector boxes common objects first and the captioner is told them.
  const seen =
    detector && png && width && height && PERCEIVED_KINDS.has(spec.formalKind)
      ? await detectFirst(detector, png, { width, height })
      : null;
  const perception = { ...(ocr?.lines ? { ocrEngine: ocr.lines } : {}), ...(seen ? { detector: seen.record } : {}) };
  const ctx: ValidateContext = { width, height };
  if (detector && png && width && height)
    ctx.ground = (objects) => refineObjects(objects, png, { width, height }, detector);
  let out;
  try {
    out = await formalTask(spec, prompt, repair, ctx).run(
      { vars: { question, width, height, ocr: ocr?.hint ?? '' }, hint: seen?.hint ?? '' },
      {
        endpoint: input.endpoint,
        home,
        run: input.run,
        sampleId: sample.sampleId,
        images,
        callIndex: 1,
        repairs: input.maxRepairs,
      },
    );
  } catch (err) {
    if (!(err instanceof TaskOutputError)) throw err;
    return { formalKey: null, format: spec.format, valid: false, error: err.error, attempts: err.attempts };
  }
  const doc: FormalDoc = Object.keys(perception).length
    ? { ...out.value, data: { ...(out.value.data as object | null), perception } }
    : out.value;
  return {
    formalKey: await writeFormalDoc(home, doc),
    format: doc.format,
    valid: true,
    error: null,
    attempts: out.attempts,
  };
}
