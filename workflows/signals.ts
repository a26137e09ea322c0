import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BuildProgress, EndpointDown, SampleOutcome } from '../schemas/workflow.ts';

/**
 * A sample tells the workflow that started it, when that is not its build (a stand-in parent), that it finished. A
 * build reads its children's completions instead (workflows/build-dataset.ts); it still takes this signal, by
 * workflow id, from samples that send it.
 */
export const sampleFinished = defineSignal<[SampleOutcome]>('sampleFinished');
export const pauseBuild = defineSignal('pause');
export const resumeBuild = defineSignal('resume');
export const progressQuery = defineQuery<BuildProgress>('progress');
/** A child tells its build a role's endpoint is down (circuit breaker), then waits for `resumeSamples`. */
export const endpointDownSignal = defineSignal<[EndpointDown]>('endpointDown');
/** The build tells a waiting child to try its stage again (the endpoint is back, or the user resumed). */
export const resumeSamples = defineSignal('resumeSamples');
