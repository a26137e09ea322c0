// VLM grounding through the gateway: ask an OpenAI-compatible vision model for Qwen2.5-VL-style JSON boxes
// ({"bbox_2d": [x1, y1, x2, y2], "label": …}). Qwen2.5-VL answers in absolute pixels of the image it was given;
// Qwen2-VL-style models answer on a 0–1000 grid (coords: 'norm1000').
import { z } from 'zod';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { llmTask } from '../llm/task.ts';
import type { ImageSize } from '../../schemas/formal.ts';
import { cleanDetections, type Detection, type Detector } from './detector.ts';

const Coords = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export const GroundingAnswerSchema = z.object({
  objects: z.array(z.object({ label: z.string(), bbox_2d: Coords, confidence: z.number().optional() })),
});
export type GroundingAnswer = z.infer<typeof GroundingAnswerSchema>;

export function groundingToDetections(
  answer: GroundingAnswer,
  size: ImageSize,
  coords: 'pixel' | 'norm1000' = 'pixel',
): Detection[] {
  const sx = coords === 'norm1000' ? size.width / 1000 : 1;
  const sy = coords === 'norm1000' ? size.height / 1000 : 1;
  return cleanDetections(
    answer.objects.map((o) => ({
      label: o.label,
      box: [o.bbox_2d[0] * sx, o.bbox_2d[1] * sy, o.bbox_2d[2] * sx, o.bbox_2d[3] * sy],
      confidence: o.confidence,
    })),
    size,
  );
}

/** Ask a vision model where the labels are (prompts/grounding/locate.md), as boxes in the image's pixels. */
const locateTask = llmTask({
  name: 'grounding',
  template: 'grounding/locate',
  schema: GroundingAnswerSchema,
  params: { temperature: 0 },
  vars: (i: { labels: string[]; size: ImageSize }) => ({
    labels: i.labels.map((l) => `"${l}"`).join(', '),
    width: i.size.width,
    height: i.size.height,
  }),
});

export interface VlmDetectorOptions {
  endpoint: ResolvedEndpoint;
  home: string;
  run: string;
  sampleId: string;
  /** Content hash of the image (the stored blob key): goes into the response-cache key. */
  imageHash: string;
  coords?: 'pixel' | 'norm1000';
}

export function vlmDetector(opts: VlmDetectorOptions): Detector {
  return {
    name: 'vlm',
    async detect(png, labels, size) {
      if (labels.length === 0) return [];
      const { value } = await locateTask.run(
        { labels, size },
        {
          endpoint: opts.endpoint,
          home: opts.home,
          run: opts.run,
          sampleId: opts.sampleId,
          images: [{ hash: opts.imageHash, png }],
        },
      );
      return groundingToDetections(value, size, opts.coords);
    },
  };
}
