// The workflow bundle of the workflow tests: every real workflow, plus a stand-in parent for a sample started alone.
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import { endpointDownSignal, sampleFinished } from '../../workflows/signals.ts';
import type { EndpointDown, SampleOutcome } from '../../schemas/workflow.ts';

export * from '../../workflows/index.ts';

export interface ParentSeen {
  outcomes: SampleOutcome[];
  endpointDown: EndpointDown[];
}
export const parentSeenQuery = defineQuery<ParentSeen>('seen');

/**
 * Stands in for the build when a test starts `sampleLifecycle` alone: collects what children tell their build
 * (finished outcomes, endpoint-down reports) and returns once `expected` outcomes arrived.
 */
export async function sampleParent(expected: number): Promise<ParentSeen> {
  const seen: ParentSeen = { outcomes: [], endpointDown: [] };
  setHandler(parentSeenQuery, () => seen);
  setHandler(sampleFinished, (o) => void seen.outcomes.push(o));
  setHandler(endpointDownSignal, (d) => void seen.endpointDown.push(d));
  await condition(() => seen.outcomes.length >= expected);
  return seen;
}
