// Perception before description (natural and mixed images): the detector boxes a vocabulary of common objects
// first, and the captioner is told those boxes (prompts/grounding/detected.md), as the paper's pipeline gives the
// language model Grounding DINO's boxes. A detector failure is recorded and the captioner boxes objects itself.
import { loadPrompt } from '../../core/prompts.ts';
import type { ImageSize } from '../../schemas/formal.ts';
import type { DetectorRecord } from '../../schemas/stage-blobs.ts';
import type { Detection, Detector } from './detector.ts';

/** COCO's 80 category names: the open vocabulary asked for when R1OV_GROUNDING_LABELS does not name one. */
export const COMMON_OBJECTS = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
] as const;

/** The detection vocabulary: R1OV_GROUNDING_LABELS (comma-separated), else COMMON_OBJECTS. */
export function detectionVocabulary(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = env.R1OV_GROUNDING_LABELS?.split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return own?.length ? own : [...COMMON_OBJECTS];
}

/** Kinds whose description names objects with boxes. */
export const PERCEIVED_KINDS = new Set(['natural', 'mixed']);

/**
 * Run the detector over the vocabulary and render the captioner's hint; never throws (a failure is the record's
 * `failed` status with the detector's message, and an empty hint).
 */
export async function detectFirst(
  detector: Detector,
  png: Buffer,
  size: ImageSize,
  labels = detectionVocabulary(),
): Promise<{ hint: string; record: DetectorRecord }> {
  let detections: Detection[];
  try {
    detections = await detector.detect(png, labels, size);
  } catch (err) {
    const message = `${detector.name} failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200)}`;
    return { hint: '', record: { detector: detector.name, status: 'failed', message, detections: [] } };
  }
  detections = [...detections].sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0)).slice(0, 50);
  const record: DetectorRecord = { detector: detector.name, status: 'ok', message: null, detections };
  if (detections.length === 0) return { hint: '', record };
  const boxes = detections
    .map(
      (d) =>
        `- ${d.label} [${d.box.map((v) => Math.round(v)).join(', ')}]${d.confidence !== undefined ? ` (${d.confidence.toFixed(2)})` : ''}`,
    )
    .join('\n');
  return {
    hint: loadPrompt('grounding', 'detected').render({ width: size.width, height: size.height, boxes }),
    record,
  };
}
