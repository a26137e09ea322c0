// Grounding (issue 3 part 5): a detector finds labelled objects in an image and returns pixel boxes of the stored
// image, clipped and validated. Two detectors: VLM grounding through the gateway (Qwen2.5-VL-style JSON boxes, see
// vlm.ts) and a Grounding DINO HTTP server (Roboflow Inference's grounding_dino endpoint, see dino.ts).
//
// In formalization the formalizer's own answer already carries VLM boxes (natural and mixed kinds). When a Grounding
// DINO server is configured (R1OV_GROUNDING_DINO_URL), its boxes replace the model's for the labels it finds.
import type { DetectedObject } from '../../schemas/formal.ts';
import type { ImageSize } from '../formalize/validators/boxes.ts';
import { groundingDinoDetector } from './dino.ts';
import { iou, type Detection, type Detector } from './detector.ts';

export { cleanDetections, iou, type Detection, type Detector } from './detector.ts';

/** The detector configured in the environment, if any (R1OV_GROUNDING_DINO_URL, optional R1OV_GROUNDING_DINO_API_KEY). */
export function detectorFromEnv(env: NodeJS.ProcessEnv = process.env): Detector | null {
  const url = env.R1OV_GROUNDING_DINO_URL;
  if (!url) return null;
  return groundingDinoDetector({ url, apiKeyEnv: env.R1OV_GROUNDING_DINO_API_KEY ? 'R1OV_GROUNDING_DINO_API_KEY' : undefined });
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Replace each object's box by the detector's best box for its label (highest confidence, then largest overlap with
 * the model's box); objects the detector does not find keep the model's box.
 */
export async function refineObjects(objects: DetectedObject[], png: Buffer, size: ImageSize, detector: Detector): Promise<DetectedObject[]> {
  if (objects.length === 0) return objects;
  const labels = [...new Set(objects.map((o) => o.label.trim()))];
  const found = await detector.detect(png, labels, size);
  const used = new Set<Detection>();
  return objects.map((o) => {
    const candidates = found.filter((d) => norm(d.label) === norm(o.label) && !used.has(d));
    if (candidates.length === 0) return o;
    candidates.sort((a, b) => iou(b.box, o.box) - iou(a.box, o.box) || (b.confidence ?? 0) - (a.confidence ?? 0));
    used.add(candidates[0]!);
    return { label: o.label, box: candidates[0]!.box };
  });
}

export { groundingDinoDetector } from './dino.ts';
export { vlmDetector } from './vlm.ts';
