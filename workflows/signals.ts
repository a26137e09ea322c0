import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BuildProgress, SampleOutcome } from '../schemas/workflow.ts';

/** A child tells its build it finished (by workflow id, so it reaches the newest run after continue-as-new). */
export const sampleFinished = defineSignal<[SampleOutcome]>('sampleFinished');
export const pauseBuild = defineSignal('pause');
export const resumeBuild = defineSignal('resume');
export const progressQuery = defineQuery<BuildProgress>('progress');
