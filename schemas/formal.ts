// Shapes shared by several formal kinds and by grounding: boxes, detected objects, OCR lines, chart vocabulary.
// Each formal kind's own output schema lives in its file under activities/formalize/kinds/, and the registry
// (activities/formalize/kinds.ts) derives the kind enum, the per-kind schemas and the stored output union from them.
import { z } from 'zod';

/** [x1, y1, x2, y2] in pixels of the (normalised) image. */
export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export type Box = z.infer<typeof BoxSchema>;

export const DetectedObjectSchema = z.object({ label: z.string().min(1), box: BoxSchema });
export type DetectedObject = z.infer<typeof DetectedObjectSchema>;

export const TextLineSchema = z.object({
  text: z.string(),
  box: BoxSchema,
  confidence: z.number().min(0).max(1).optional(),
});
export type TextLine = z.infer<typeof TextLineSchema>;

/** The pixel size of the (normalised) image that boxes refer to. */
export const ImageSizeSchema = z.object({ width: z.number(), height: z.number() });
export type ImageSize = z.infer<typeof ImageSizeSchema>;

export const ChartTypeSchema = z.enum([
  'bar',
  'stacked_bar',
  'line',
  'area',
  'pie',
  'scatter',
  'histogram',
  'box',
  'heatmap',
  'radar',
  'other',
]);
export const AxisSchema = z.object({ label: z.string().optional(), unit: z.string().optional() });
