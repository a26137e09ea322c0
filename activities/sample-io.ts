import { getBlob, getJsonBlob } from '../core/blobs.ts';
import { SampleSchema, type Sample } from '../schemas/sample.ts';

/** Load a sample blob and validate it (the blob store is a boundary like any file). */
export async function loadSample(home: string, sampleKey: string): Promise<Sample> {
  return SampleSchema.parse(await getJsonBlob(home, sampleKey));
}

/** The stored (normalised) PNG of a sample with its hash, ready for the gateway. */
export async function sampleImage(home: string, sample: Sample): Promise<Array<{ hash: string; png: Buffer }>> {
  return sample.imageKey ? [{ hash: sample.imageKey, png: await getBlob(home, sample.imageKey) }] : [];
}
