// Grounding: a detector finds labelled objects in an image and returns pixel boxes of the stored
// image, clipped and validated. Two detectors: VLM grounding through the gateway (Qwen2.5-VL-style JSON boxes, see
// vlm.ts) and a Grounding DINO HTTP server (Roboflow Inference's grounding_dino endpoint, see dino.ts).
//
// In formalization the formalizer's own answer already carries VLM boxes (natural and mixed kinds). When a Grounding
// DINO server is configured (R1OV_GROUNDING_DINO_URL; `r1ov perception serve` runs one), its boxes replace the
// model's for the labels it finds; when it fails, the model's boxes stay and each says so (`fallback`).
import type { DetectedObject } from '../../schemas/formal.ts';
import type { ImageSize } from '../../schemas/formal.ts';
import { groundingDinoDetector } from './dino.ts';
import { iou, type Detection, type Detector } from './detector.ts';

export { cleanDetections, iou, type Detection, type Detector } from './detector.ts';

/** The detector configured in the environment, if any (R1OV_GROUNDING_DINO_URL, optional R1OV_GROUNDING_DINO_API_KEY). */
export function detectorFromEnv(env: NodeJS.ProcessEnv = process.env): Detector | null {
  const url = env.R1OV_GROUNDING_DINO_URL;
  if (!url) return null;
  return groundingDinoDetector({
    url,
    apiKeyEnv: env.R1OV_GROUNDING_DINO_API_KEY ? 'R1OV_GROUNDING_DINO_API_KEY' : undefined,
  });
}

const norm = (s: string) => s.trim().toLowerCase();

/** Where an object's box came from: the detector, or the model (with the detector's failure when it fell back). */
export type GroundedObject = DetectedObject & { source: string; confidence?: number; fallback?: string };

/**
 * Replace each object's box by the detector's best box for its label (highest overlap with the model's box, then
 * confidence); objects the detector does not find keep the model's box. A detector that fails (server down, timeout,
 * bad reply) never fails the sample: every object keeps the model's box and says why (`fallback`).
 */
export async function refineObjects(
  objects: DetectedObject[],
  png: Buffer,
  size: ImageSize,
  detector: Detector,
): Promise<GroundedObject[]> {
  if (objects.length === 0) return [];
  const labels = [...new Set(objects.map((o) => o.label.trim()))];
  let found: Detection[];
  try {
    found = await detector.detect(png, labels, size);
  } catch (err) {
    const why = `${detector.name} failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200)}`;
    return objects.map((o) => ({ label: o.label, box: o.box, source: 'model', fallback: why }));
  }
  const used = new Set<Detection>();
  return objects.map((o) => {
    const candidates = found.filter((d) => norm(d.label) === norm(o.label) && !used.has(d));
    if (candidates.length === 0) return { label: o.label, box: o.box, source: 'model' };
    candidates.sort((a, b) => iou(b.box, o.box) - iou(a.box, o.box) || (b.confidence ?? 0) - (a.confidence ?? 0));
    const best = candidates[0]!;
    used.add(best);
    return {
      label: o.label,
      box: best.box,
      source: detector.name,
      ...(best.confidence !== undefined ? { confidence: best.confidence } : {}),
    };
  });
}

/** Where a sample's boxes came from, for the `box_source` column: detector, model, or model_fallback. */
export function boxSource(objects: unknown): string | null {
  if (!Array.isArray(objects) || objects.length === 0) return null;
  const o = objects as Array<{ source?: string; fallback?: string }>;
  if (o.some((x) => x.fallback)) return 'model_fallback';
  if (o.some((x) => x.source && x.source !== 'model')) return 'detector';
  return 'model';
}

export { groundingDinoDetector } from './dino.ts';
export { vlmDetector } from './vlm.ts';
