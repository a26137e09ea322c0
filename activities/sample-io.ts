import { getBlob, getJsonBlob } from '../core/blobs.ts';
import { SampleSchema, type Sample } from '../schemas/sample.ts';

/** Load a sample blob and validate it (the blob store is a boundary like any file). */
export function loadSample(home: string, sampleKey: string): Sample {
  return SampleSchema.parse(getJsonBlob(home, sampleKey));
}

/** The stored (normalised) PNG of a sample with its hash, ready for the gateway. */
export function sampleImage(home: string, sample: Sample): Array<{ hash: string; png: Buffer }> {
  return sample.imageKey ? [{ hash: sample.imageKey, png: getBlob(home, sample.imageKey) }] : [];
}
