// Adapter for an EasyOCR HTTP service (optional; selected by R1OV_OCR_URL).
// Contract: POST the image bytes (Content-Type: image/png) to the URL; the reply is JSON, either
// EasyOCR's own readtext() shape `[[[x,y]×4], text, confidence], …]` or `{ lines: [{ text, box, confidence }] }`
// with box as [x1,y1,x2,y2] or four points. Coordinates are pixels of the posted image.
import { z } from 'zod';
import type { OcrLine } from './lines.ts';

const PointSchema = z.tuple([z.number(), z.number()]);
const BoxSchema = z.union([z.tuple([z.number(), z.number(), z.number(), z.number()]), z.array(PointSchema).min(3)]);
const EasyOcrTupleSchema = z.tuple([z.array(PointSchema).min(3), z.string(), z.number()]);
const LineObjectSchema = z.object({ text: z.string(), box: BoxSchema, confidence: z.number().optional() });
export const EasyOcrResponseSchema = z.union([
  z.array(EasyOcrTupleSchema),
  z.object({ lines: z.array(LineObjectSchema) }),
  z.array(LineObjectSchema),
]);

function toRect(box: z.infer<typeof BoxSchema>): [number, number, number, number] {
  if (typeof box[0] === 'number') return box as [number, number, number, number];
  const pts = box as [number, number][];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].map(Math.round) as [
    number,
    number,
    number,
    number,
  ];
}

/** Normalises any accepted reply shape to OcrLine[]. */
export function parseEasyOcrResponse(body: unknown): OcrLine[] {
  const parsed = EasyOcrResponseSchema.parse(body);
  const rows = Array.isArray(parsed) ? parsed : parsed.lines;
  return rows
    .map((row): OcrLine =>
      Array.isArray(row)
        ? { text: row[1], box: toRect(row[0]), confidence: row[2] }
        : { text: row.text, box: toRect(row.box), confidence: row.confidence ?? 1 },
    )
    .filter((l) => l.text.trim() !== '');
}

export async function recognizeTextHttp(png: Buffer, url: string): Promise<OcrLine[]> {
  const timeoutMs = Number(process.env.R1OV_OCR_TIMEOUT_MS ?? 60_000);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'image/png', accept: 'application/json' },
    body: new Uint8Array(png),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    const detail = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(`OCR service ${url} answered ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  return parseEasyOcrResponse(await res.json());
}
