// One bounding box [x1,y1,x2,y2] in pixels: finite, ordered, clipped to the image. Formal-kind validators
// (activities/formalize/validators/boxes.ts) and detectors (activities/grounding/) check boxes the same way.
import type { Box, ImageSize } from '../schemas/formal.ts';

/** Checks one box; returns the clipped box or a problem. `where` names it in messages (e.g. "objects[2].box"). */
export function checkBox(
  value: unknown,
  where: string,
  size?: ImageSize,
): { box: Box; clipped: boolean } | { problem: string } {
  if (!Array.isArray(value) || value.length !== 4)
    return { problem: `${where}: expected [x1, y1, x2, y2], got ${short(value)}` };
  if (!value.every((v) => typeof v === 'number' && Number.isFinite(v)))
    return { problem: `${where}: coordinates must be finite numbers, got ${short(value)}` };
  const [x1, y1, x2, y2] = value as Box;
  if (!(x1 < x2)) return { problem: `${where}: x1 (${x1}) must be less than x2 (${x2})` };
  if (!(y1 < y2)) return { problem: `${where}: y1 (${y1}) must be less than y2 (${y2})` };
  if (!size) return { box: [x1, y1, x2, y2], clipped: false };
  const c: Box = [clamp(x1, size.width), clamp(y1, size.height), clamp(x2, size.width), clamp(y2, size.height)];
  if (!(c[0] < c[2] && c[1] < c[3]))
    return { problem: `${where}: [${value.join(', ')}] lies entirely outside the ${size.width}×${size.height} image` };
  return { box: c, clipped: c.some((v, i) => v !== value[i]) };
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
