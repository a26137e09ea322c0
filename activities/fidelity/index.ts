// Fidelity scoring activity: with --fidelity, a synthetic sample also goes through the model
// formalizer (and the reasoner on the model's formalization); this compares the result with the exact description and
// the known answer and stages one row per metric. commitShard turns staged rows into runs/<run>/fidelity/*.parquet,
// read by the catalog's `fidelity` view.
import { safeName } from '../../core/home.ts';
import { keys, storeFor } from '../../core/storage/index.ts';
import { loadPrompt } from '../../core/prompts.ts';
import { answersEquivalent } from '../../core/rewards/index.ts';
import { FidelityRowSchema, type FidelityRow } from '../../schemas/fidelity.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import type { FormalResult } from '../../schemas/workflow.ts';
import type { FormalDoc } from '../../schemas/stage-blobs.ts';
import { formalKindDef, formalKindOf, formalSpecFor, type FormalKind } from '../formalize/kinds.ts';
import { loadSample } from '../sample-io.ts';
import { readFormalDoc } from '../stage-io.ts';
import type { Metric } from './score.ts';

export { cellAccuracy, netlistF1, flowchartF1 } from './score.ts';

/** Structural fidelity of a model formal text against the exact one (the kind's metrics); a missing (invalid) model text scores 0. */
export function structuralFidelity(kind: FormalKind, exactText: string, modelText: string | null): Metric[] {
  const fidelity = formalKindDef(kind).fidelity;
  if (!fidelity) return [];
  if (modelText === null) return fidelity.metrics.map((metric) => ({ metric, value: 0 }));
  const values = fidelity.score(exactText, modelText);
  return fidelity.metrics.map((metric) => ({ metric, value: values[metric] ?? 0 }));
}

export interface ScoreFidelityInput {
  run: string;
  ref: SampleRef;
  /** The model formalizer's result on the sample's image. */
  model: FormalResult;
  /** The reasoner's final answer on the model formalization (null: none, or the formalization was invalid). */
  finalAnswer?: string | null;
  /** A reasoner is configured: answer accuracy is scored (0 when the formalization was invalid). */
  answered: boolean;
  modelName: string;
}

export function fidelityMetrics(
  kind: string,
  exactText: string,
  model: FormalDoc | null,
  answer: { answered: boolean; finalAnswer: string | null; gold: string; choices?: string[] },
): Metric[] {
  const formalKind = formalKindOf(kind, model?.subkind ?? null);
  const metrics: Metric[] = [
    { metric: 'formal_valid', value: model ? 1 : 0 },
    ...structuralFidelity(formalKind, exactText, model?.text ?? null),
  ];
  if (answer.answered) {
    const ok = answer.finalAnswer !== null && answersEquivalent(answer.finalAnswer, answer.gold, answer.choices);
    metrics.push({ metric: 'answer_accuracy', value: ok ? 1 : 0 });
  }
  return metrics;
}

export async function scoreFidelity(
  home: string,
  input: ScoreFidelityInput,
): Promise<{ staged: string; metrics: Metric[] }> {
  const sample = await loadSample(home, input.ref.sampleKey);
  if (!sample.exact) throw new Error(`sample ${sample.sampleId} has no generating spec to measure fidelity against`);
  const exact = sample.exact;
  const model = input.model.valid && input.model.formalKey ? await readFormalDoc(home, input.model.formalKey) : null;
  const spec = formalSpecFor(exact.kind, exact.subkind ?? null);
  await formalKindDef(spec.formalKind).load?.();
  const metrics = fidelityMetrics(
    exact.kind,
    exact.formalText,
    model ? { ...model, subkind: exact.subkind ?? null } : null,
    {
      answered: input.answered,
      finalAnswer: input.finalAnswer ?? null,
      gold: sample.answer,
      choices: sample.choices,
    },
  );
  const created_at = new Date().toISOString();
  const promptHash = loadPrompt('formalize', spec.prompt).hash;
  const rows: FidelityRow[] = metrics.map((m) =>
    FidelityRowSchema.parse({
      run: input.run,
      sample_id: sample.sampleId,
      kind: spec.formalKind,
      generator: exact.generator,
      metric: m.metric,
      value: m.value,
      prompt_hash: promptHash,
      model: input.modelName,
      created_at,
    }),
  );
  const key = `${keys.fidelityStaging(input.run)}${safeName(sample.sampleId)}.json`;
  await storeFor(home).put(key, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { staged: key, metrics };
}
