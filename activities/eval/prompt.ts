/**
 * What the model under test is sent for an item: the project's templates (`sft`, `rl`: prompts/eval/) around the
 * normalised question, or the toolkit's own prompt built by the benchmark's module (`vlmevalkit`, `lmms-eval`).
 */
import { loadPrompt, promptHash } from '../../core/prompts.ts';
import type { BenchItem, BenchKind, BuiltPrompt, PromptStyle } from '../../schemas/eval.ts';
import { benchModule } from './benches/index.ts';

export interface ItemPrompt extends BuiltPrompt {
  /** Template identity for the gateway's cache key and accounting. */
  template: { id: string; hash: string };
}

export function itemPrompt(kind: BenchKind, item: BenchItem, style: PromptStyle): ItemPrompt {
  if (style === 'sft' || style === 'rl') {
    const p = loadPrompt('eval', style);
    return { user: p.render({ question: item.question }), template: { id: p.id, hash: p.hash } };
  }
  const built = benchModule(kind).prompt(item, style);
  // The builders are code, not files: the style and benchmark name the template.
  const id = `eval/${style}/${kind}`;
  return { ...built, template: { id, hash: promptHash(id) } };
}
