import type { SyntheticItem } from '../../schemas/synthetic.ts';
import type { Rng } from './rng.ts';

/** What a kind's generator returns; index.ts adds id, kind and routing fields. */
export type Generated = Pick<
  SyntheticItem,
  | 'question'
  | 'answer'
  | 'choices'
  | 'template'
  | 'formalFormat'
  | 'formalText'
  | 'trace'
  | 'spec'
  | 'svg'
  | 'width'
  | 'height'
>;

export interface KindGenerator {
  /** Every template this kind can emit (tests check each one is reachable). */
  templates: readonly string[];
  generate(rng: Rng): Generated;
}
