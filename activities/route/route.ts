import { llmTask } from '../llm/task.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { ModalityVerdictSchema } from '../../schemas/route.ts';
import type { Sample, SampleRef } from '../../schemas/sample.ts';
import type { RouteResult } from '../../schemas/workflow.ts';
import { loadSample, sampleImage } from '../sample-io.ts';
import { ocrLinesFor } from '../ocr/cache.ts';
import { imageFeatures, routeByFeatures } from './features.ts';
import { routeBySource } from '../../core/routing/source-table.ts';
import { routeByQuestion } from '../../core/routing/per-sample.ts';

/**
 * Route a sample to a modality kind, cheapest signal first, and say why (records' route_reason): ingest errors →
 * quarantine; synthetic spec or an imported trace → exact; the question's own words (a request for a description or
 * transcription is rejected; a reasoning question is kept even in a captioning/transcription subset); the data_source
 * table as the prior for the kind; cheap image features (sharp statistics, OCR text density where cheap) when they
 * are conclusive; otherwise the vision-LLM classifier (a separate activity on the router's queue).
 */
export async function routeSample(home: string, input: { run: string; ref: SampleRef }): Promise<RouteResult> {
  const sample = await loadSample(home, input.ref.sampleKey);
  const base: RouteResult = {
    kind: null,
    subkind: null,
    routeBy: 'table',
    exact: false,
    needsClassifier: false,
    reject: null,
    quarantine: null,
    why: null,
  };
  if (sample.error)
    return { ...base, routeBy: 'ingest', quarantine: sample.error, why: `ingest: ${sample.error.code}` };
  if (sample.exact)
    return {
      ...base,
      kind: sample.exact.kind,
      subkind: sample.exact.subkind ?? null,
      routeBy: 'spec',
      exact: true,
      why: 'synthetic: the generating spec is exact',
    };
  const hit = routeBySource(sample.source, sample.subset);
  if (sample.imported) {
    // An imported trace needs no formalization: the kind is the table's (or the most general one) for the record only.
    return {
      ...base,
      kind: hit?.kind ?? 'mixed',
      subkind: hit?.subkind ?? null,
      routeBy: 'imported',
      exact: true,
      why: 'imported trace: verified by the QA rules, not regenerated',
    };
  }
  const decision = routeByQuestion(sample.question, sample.choices, sample.source, hit);
  if (decision.reject)
    return {
      ...base,
      kind: hit?.kind ?? null,
      subkind: hit?.subkind ?? null,
      routeBy: 'question',
      reject: decision.reject,
      why: decision.why,
    };
  if (hit) return { ...base, kind: hit.kind, subkind: hit.subkind ?? null, routeBy: decision.by, why: decision.why };
  const image = (await sampleImage(home, sample))[0];
  if (image) {
    const features = await imageFeatures(image.png, { ocr: (png) => ocrLinesFor(home, image.hash, png) });
    const byFeatures = routeByFeatures(features);
    if (byFeatures)
      return {
        ...base,
        kind: byFeatures.kind,
        routeBy: 'features',
        why: `image features: a text-heavy document (${decision.why})`,
      };
  }
  return {
    ...base,
    routeBy: 'classifier',
    needsClassifier: true,
    why: `source ${sample.source} not in the table: the classifier decides`,
  };
}

/** The router role looks at the image and the question: which kind, and is there anything to reason about. */
const classifyTask = llmTask({
  name: 'modality',
  template: 'route/classify',
  schema: ModalityVerdictSchema,
  params: { temperature: 0 },
  vars: (sample: Sample) => ({ question: sample.question }),
});

/** The vision-LLM classifier for samples the table does not know. */
export async function classifyModality(
  home: string,
  input: { run: string; ref: SampleRef; endpoint: ResolvedEndpoint | null; route: RouteResult },
): Promise<RouteResult> {
  // Without a router endpoint, fall back to the most general kind rather than failing the sample.
  if (!input.endpoint)
    return {
      ...input.route,
      kind: 'mixed',
      routeBy: 'default',
      needsClassifier: false,
      why: 'no router endpoint: the most general kind',
    };
  const sample = await loadSample(home, input.ref.sampleKey);
  const { value: v } = await classifyTask.run(sample, {
    endpoint: input.endpoint,
    home,
    run: input.run,
    sampleId: sample.sampleId,
    images: await sampleImage(home, sample),
  });
  const subkind = v.kind === 'diagram' ? (v.subkind ?? 'scientific') : null;
  return {
    ...input.route,
    kind: v.kind,
    subkind,
    routeBy: 'classifier',
    needsClassifier: false,
    reject: v.needs_reasoning
      ? null
      : { code: 'no_reasoning', message: `classifier: ${v.rationale ?? 'no reasoning needed'}` },
    why: `classifier: ${v.kind}${subkind ? `/${subkind}` : ''}, ${v.needs_reasoning ? 'needs reasoning' : 'no reasoning needed'}${v.rationale ? ` (${v.rationale.slice(0, 160)})` : ''}`,
  };
}
