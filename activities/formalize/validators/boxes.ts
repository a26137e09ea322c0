// Bounding boxes [x1,y1,x2,y2] in pixels: finite, ordered, clipped to the image.
import type { Box } from '../../../schemas/formal.ts';
import { fail, ok, type ValidationResult } from './result.ts';

export interface ImageSize {
  width: number;
  height: number;
}

export interface BoxesSummary {
  boxes: Box[];
  /** How many boxes were changed by clipping. */
  clipped: number;
}

/** Checks one box; returns the clipped box or a problem. `where` names it in messages (e.g. "objects[2].box"). */
export function checkBox(value: unknown, where: string, size?: ImageSize): { box: Box; clipped: boolean } | { problem: string } {
  if (!Array.isArray(value) || value.length !== 4) return { problem: `${where}: expected [x1, y1, x2, y2], got ${short(value)}` };
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
  const nums = boxes.flatMap((b) => (Array.isArray(b) ? b : [])).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === 0) return undefined;
  if (nums.every((v) => v >= 0 && v <= 1) && Math.max(ctx.width, ctx.height) > 2)
    return `boxes look normalised to 0–1; give pixel coordinates in the ${ctx.width}×${ctx.height} image`;
  return undefined;
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
