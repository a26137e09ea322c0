// Bounding boxes [x1,y1,x2,y2] in pixels: finite, ordered, clipped to the image.
import { checkBox } from '../../../core/boxes.ts';
import type { Box, ImageSize } from '../../../schemas/formal.ts';
import { fail, ok, type ValidationResult } from './result.ts';

export { checkBox } from '../../../core/boxes.ts';
export type { ImageSize } from '../../../schemas/formal.ts';

export interface BoxesSummary {
  boxes: Box[];
  /** How many boxes were changed by clipping. */
  clipped: number;
}

export function validateBoxes(boxes: unknown, ctx?: ImageSize, name = 'boxes'): ValidationResult<BoxesSummary> {
  if (!Array.isArray(boxes)) return fail([`${name}: expected an array of [x1, y1, x2, y2] boxes`]);
  const problems: string[] = [];
  const out: Box[] = [];
  let clipped = 0;
  boxes.forEach((b, i) => {
    const r = checkBox(b, `${name}[${i}]`, ctx);
    if ('problem' in r) problems.push(r.problem);
    else {
      out.push(r.box);
      if (r.clipped) clipped++;
    }
  });
  const hint = normalisedHint(boxes, ctx);
  if (hint) problems.push(hint);
  return problems.length ? fail(problems) : ok({ boxes: out, clipped });
}

/**
 * Boxes that all fit in [0,1] on a larger image were almost certainly given as fractions, and boxes in
 * 0..1000 on a much smaller image as Qwen-style relative coordinates; both silently mean the wrong pixels.
 */
export function normalisedHint(boxes: unknown, ctx?: ImageSize): string | undefined {
  if (!ctx || !Array.isArray(boxes) || boxes.length === 0) return undefined;
  const nums = boxes
    .flatMap((b) => (Array.isArray(b) ? b : []))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === 0) return undefined;
  if (nums.every((v) => v >= 0 && v <= 1) && Math.max(ctx.width, ctx.height) > 2)
    return `boxes look normalised to 0–1; give pixel coordinates in the ${ctx.width}×${ctx.height} image`;
  return undefined;
}
