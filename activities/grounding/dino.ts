// Grounding DINO over HTTP, Roboflow Inference server style: POST {url}/grounding_dino/infer with
// { image: {type: 'base64', value}, text: [labels], box_threshold, text_threshold, api_key? } → { predictions:
// [{ x, y, width, height, confidence, class }] } with (x, y) the box centre, in pixels of the posted image.
import { z } from 'zod';
import type { ImageSize } from '../../schemas/formal.ts';
import { cleanDetections, type Detection, type Detector } from './detector.ts';

const PredictionSchema = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
  confidence: z.number().optional(),
  class: z.string(),
});
export const DinoResponseSchema = z.object({ predictions: z.array(PredictionSchema) });

export interface DinoOptions {
  /** Server base URL, e.g. http://localhost:9001 (the path /grounding_dino/infer is appended unless present). */
  url: string;
  /** Environment variable holding the API key (never the key itself). */
  apiKeyEnv?: string;
  boxThreshold?: number;
  textThreshold?: number;
  timeoutMs?: number;
}

export function parseDinoResponse(body: unknown, size: ImageSize): Detection[] {
  const { predictions } = DinoResponseSchema.parse(body);
  return cleanDetections(
    predictions.map((p) => ({
      label: p.class,
      box: [p.x - p.width / 2, p.y - p.height / 2, p.x + p.width / 2, p.y + p.height / 2],
      confidence: p.confidence,
    })),
    size,
  );
}

export function groundingDinoDetector(opts: DinoOptions): Detector {
  const endpoint = /\/grounding_dino\/infer\/?$/.test(opts.url)
    ? opts.url
    : `${opts.url.replace(/\/+$/, '')}/grounding_dino/infer`;
  return {
    name: 'grounding-dino',
    async detect(png, labels, size) {
      if (labels.length === 0) return [];
      const body: Record<string, unknown> = {
        image: { type: 'base64', value: png.toString('base64') },
        text: labels,
        box_threshold: opts.boxThreshold ?? 0.35,
        text_threshold: opts.textThreshold ?? 0.25,
      };
      const key = opts.apiKeyEnv ? process.env[opts.apiKeyEnv] : undefined;
      if (key) body.api_key = key;
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
      const text = await res.text();
      if (!res.ok)
        throw new Error(`grounding DINO ${new URL(endpoint).host}: HTTP ${res.status}: ${text.slice(0, 200)}`);
      return parseDinoResponse(JSON.parse(text), size);
    },
  };
}
