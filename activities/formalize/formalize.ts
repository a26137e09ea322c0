import { z } from 'zod';
import { putJsonBlob } from '../../core/blobs.ts';
import { loadPrompt } from '../../core/prompts.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import type { SampleRef } from '../../schemas/sample.ts';
import type { FormalResult, RouteResult } from '../../schemas/workflow.ts';
import { chat, StructuredOutputError } from '../llm/gateway.ts';
import { loadSample, sampleImage } from '../sample-io.ts';
import { formalSpecFor, type FormalDoc } from './kinds.ts';

/** The formal description of a synthetic sample is its generating spec: exact by construction. */
export async function formalizeExact(home: string, input: { run: string; ref: SampleRef }): Promise<FormalResult> {
  const sample = loadSample(home, input.ref.sampleKey);
  if (!sample.exact) throw new Error(`sample ${sample.sampleId} has no generating spec`);
  const doc: FormalDoc = { kind: sample.exact.kind, subkind: sample.exact.subkind ?? null, format: sample.exact.formalFormat, text: sample.exact.formalText, data: null };
  return { formalKey: putJsonBlob(home, doc), format: doc.format, valid: true, error: null, attempts: 0 };
}

/**
 * Cross-modal formalization through the formalizer role: ask for the kind's formal output, validate it, and re-ask
 * with the validator's error at most `maxRepairs` times; an output that never validates is reported invalid.
 */
export async function formalize(
  home: string, input: { run: string; ref: SampleRef; route: RouteResult; endpoint: ResolvedEndpoint; maxRepairs: number },
): Promise<FormalResult> {
  const sample = loadSample(home, input.ref.sampleKey);
  const spec = formalSpecFor(input.route.kind ?? 'mixed', input.route.subkind);
  const prompt = loadPrompt('formalize', spec.prompt);
  const messages: Parameters<typeof chat>[0]['messages'] = [
    { role: 'user', content: prompt.render({ question: sample.question, width: sample.width ?? 0, height: sample.height ?? 0 }) },
  ];
  const images = sampleImage(home, sample);
  let lastError = 'no output';
  for (let attempt = 1; attempt <= input.maxRepairs + 1; attempt++) {
    let parsed: unknown;
    let raw = '';
    try {
      const r = await chat({
        endpoint: input.endpoint, home, run: input.run, sampleId: sample.sampleId, prompt, messages, images,
        schema: spec.schema as z.ZodType<unknown>, schemaName: `formal_${spec.prompt}`, params: { temperature: 0 }, callIndex: attempt,
      });
      parsed = r.parsed;
      raw = r.text;
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      lastError = `output does not match the schema: ${err.message}`;
      raw = (err as StructuredOutputError & { raw?: string }).raw ?? '';
    }
    if (parsed !== undefined) {
      const checked = await spec.validate(parsed, { width: sample.width ?? 0, height: sample.height ?? 0 });
      if (checked.ok) {
        return { formalKey: putJsonBlob(home, checked.doc), format: checked.doc.format, valid: true, error: null, attempts: attempt };
      }
      lastError = checked.error;
    }
    // Repair: show the model its previous answer and what is wrong with it.
    messages.push({ role: 'assistant', content: raw || '(unparsable output)' });
    messages.push({ role: 'user', content: `That output is invalid: ${lastError}\nFix it and reply with the corrected JSON only.` });
  }
  return { formalKey: null, format: spec.format, valid: false, error: lastError, attempts: input.maxRepairs + 1 };
}
