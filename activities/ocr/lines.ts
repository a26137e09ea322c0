// What OCR gives back, whichever engine read the image, and the order its lines are read in.

import { z } from 'zod';

export const OcrLineSchema = z.object({
  text: z.string(),
  /** x1,y1,x2,y2 in pixels of the input image. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  confidence: z.number(),
});
export type OcrLine = z.infer<typeof OcrLineSchema>;

/** Top-to-bottom by line band, then left-to-right within a band. */
export function readingOrder(lines: OcrLine[]): OcrLine[] {
  const sorted = [...lines].sort((a, b) => a.box[1] + a.box[3] - (b.box[1] + b.box[3]));
  const bands: OcrLine[][] = [];
  for (const line of sorted) {
    const mid = (line.box[1] + line.box[3]) / 2;
    const h = line.box[3] - line.box[1];
    const band = bands.at(-1);
    const ref = band?.[0];
    if (band && ref && Math.abs((ref.box[1] + ref.box[3]) / 2 - mid) < Math.min(h, ref.box[3] - ref.box[1]) / 2)
      band.push(line);
    else bands.push([line]);
  }
  return bands.flatMap((band) => band.sort((a, b) => a.box[0] - b.box[0]));
}
