// Fidelity scoring activity: with --fidelity, a synthetic sample also goes through the model
// formalizer (and the reasoner on the model's formalization); this compares the result with the exact description and
// the known answer and stages one row per metric. commitShard turns staged rows into runs/<run>/fidelity/*.parquet,
// read by the catalog's `fidelity` view.
import { getJsonBlob } from '../../core/blobs.ts';
import { safeName } from '../../core/home.ts';
import { keys, storeFor } from '../../core/storage/index.ts';
import { loadPrompt } from '../../core/prompts.ts';
import { answersEquivalent } from '../../core/rewards/index.ts';
import { FidelityRowSchema, type FidelityRow } from '../../schemas/fidelity.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import type { FormalResult } from '../../schemas/workflow.ts';
import { formalKindOf, formalSpecFor, type FormalDoc } from '../formalize/kinds.ts';
import { loadSample } from '../sample-io.ts';
import { structuralFidelity, type Metric } from './score.ts';

export { cellAccuracy, netlistF1, flowchartF1, structuralFidelity, FIDELITY_METRICS } from './score.ts';


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

export function fidelityMetrics(kind: string, exactText: string, model: FormalDoc | null, answer: { answered: boolean; finalAnswer: string | null; gold: string; choices?: string[] }): Metric[] {
  const formalKind = formalKindOf(kind, model?.subkind ?? null);
  const metrics: Metric[] = [{ metric: 'formal_valid', value: model ? 1 : 0 }, ...structuralFidelity(formalKind, exactText, model?.text ?? null)];
  if (answer.answered) {
    const ok = answer.finalAnswer !== null && answersEquivalent(answer.finalAnswer, answer.gold, answer.choices);
    metrics.push({ metric: 'answer_accuracy', value: ok ? 1 : 0 });
  }
  return metrics;
}

export async function scoreFidelity(home: string, input: ScoreFidelityInput): Promise<{ staged: string; metrics: Metric[] }> {
  const sample = await loadSample(home, input.ref.sampleKey);
  if (!sample.exact) throw new Error(`sample ${sample.sampleId} has no generating spec to measure fidelity against`);
  const exact = sample.exact;
  const model = input.model.valid && input.model.formalKey ? (await getJsonBlob(home, input.model.formalKey) as FormalDoc) : null;
  const spec = formalSpecFor(exact.kind, exact.subkind ?? null);
  const metrics = fidelityMetrics(exact.kind, exact.formalText, model ? { ...model, subkind: exact.subkind ?? null } : null, {
    answered: input.answered, finalAnswer: input.finalAnswer ?? null, gold: sample.answer, choices: sample.choices,
  });
  const created_at = new Date().toISOString();
  const promptHash = loadPrompt('formalize', spec.prompt).hash;
  const rows: FidelityRow[] = metrics.map((m) => FidelityRowSchema.parse({
    run: input.run, sample_id: sample.sampleId, kind: spec.formalKind, generator: exact.generator, metric: m.metric, value: m.value,
    prompt_hash: promptHash, model: input.modelName, created_at,
  }));
  const key = `${keys.fidelityStaging(input.run)}${safeName(sample.sampleId)}.json`;
  await storeFor(home).put(key, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { staged: key, metrics };
}
