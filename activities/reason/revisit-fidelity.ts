// With --fidelity on a synthetic source, the revisit loop also runs on the model formalizer's description, and this
// stages its effect as fidelity rows beside activities/fidelity's: answer accuracy before and after revisiting, and
// whether revisiting changed the answer. notebooks/revisit_effect.sql charts them.
import { safeName } from '../../core/home.ts';
import { loadPrompt } from '../../core/prompts.ts';
import { answersEquivalent } from '../../core/rewards/index.ts';
import { keys, storeFor } from '../../core/storage/index.ts';
import { FidelityRowSchema } from '../../schemas/fidelity.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import { formalSpecFor } from '../formalize/kinds.ts';
import { loadSample } from '../sample-io.ts';
import { readRevisitLog } from '../stage-io.ts';

export const REVISIT_METRICS = [
  'answer_accuracy_first',
  'answer_accuracy_revisit',
  'revisit_changed',
  'revisit_facts',
] as const;

export async function scoreRevisitFidelity(
  home: string,
  input: {
    run: string;
    ref: SampleRef;
    firstAnswer: string | null;
    finalAnswer: string | null;
    revisitKey: string | null;
    modelName: string;
  },
): Promise<{ staged: string | null }> {
  const sample = await loadSample(home, input.ref.sampleKey);
  if (!sample.exact) return { staged: null };
  const log = input.revisitKey ? await readRevisitLog(home, input.revisitKey) : null;
  const right = (a: string | null) => (a !== null && answersEquivalent(a, sample.answer, sample.choices) ? 1 : 0);
  const spec = formalSpecFor(sample.exact.kind, sample.exact.subkind ?? null);
  const values: Record<(typeof REVISIT_METRICS)[number], number> = {
    answer_accuracy_first: right(input.firstAnswer),
    answer_accuracy_revisit: right(input.finalAnswer),
    revisit_changed: log?.rounds.some((r) => r.changed) ? 1 : 0,
    revisit_facts: log?.rounds.reduce((n, r) => n + r.facts.length, 0) ?? 0,
  };
  const created_at = new Date().toISOString();
  const prompt_hash = loadPrompt('reason', 'revisit-ask').hash;
  const rows = REVISIT_METRICS.map((metric) =>
    FidelityRowSchema.parse({
      run: input.run,
      sample_id: sample.sampleId,
      kind: spec.formalKind,
      generator: sample.exact!.generator,
      metric,
      value: values[metric],
      prompt_hash,
      model: input.modelName,
      created_at,
    }),
  );
  const key = `${keys.fidelityStaging(input.run)}${safeName(sample.sampleId)}.revisit.json`;
  await storeFor(home).put(key, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { staged: key };
}
