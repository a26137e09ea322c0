// The detector interface and box hygiene shared by every detector.
import type { Box, ImageSize } from '../../schemas/formal.ts';
import type { Detection } from '../../schemas/stage-blobs.ts';
import { checkBox } from '../../core/boxes.ts';

export type { Detection } from '../../schemas/stage-blobs.ts';

export interface Detector {
  name: string;
  /** Boxes for the given labels in pixel coordinates of `png` (size given), already clipped and validated. */
  detect(png: Buffer, labels: string[], size: ImageSize): Promise<Detection[]>;
}

/** Clip raw boxes to the image and drop the ones that are malformed or fall outside it. */
export function cleanDetections(
  raw: Array<{ label: string; box: unknown; confidence?: number }>,
  size: ImageSize,
): Detection[] {
  const out: Detection[] = [];
  for (const r of raw) {
    if (typeof r.label !== 'string' || !r.label.trim()) continue;
    const b = checkBox(r.box, r.label, size);
    if ('problem' in b) continue;
    out.push({
      label: r.label.trim(),
      box: b.box,
      ...(typeof r.confidence === 'number' ? { confidence: r.confidence } : {}),
    });
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
