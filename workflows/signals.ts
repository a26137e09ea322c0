import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BuildProgress, EndpointDown, SampleOutcome } from '../schemas/workflow.ts';

/** A child tells its build it finished (by workflow id, so it reaches the newest run after continue-as-new). */
export const sampleFinished = defineSignal<[SampleOutcome]>('sampleFinished');
export const pauseBuild = defineSignal('pause');
export const resumeBuild = defineSignal('resume');
export const progressQuery = defineQuery<BuildProgress>('progress');
/** A child tells its build a role's endpoint is down (circuit breaker), then waits for `resumeSamples`. */
export const endpointDownSignal = defineSignal<[EndpointDown]>('endpointDown');
/** The build tells a waiting child to try its stage again (the endpoint is back, or the user resumed). */
export const resumeSamples = defineSignal('resumeSamples');
