// Cheap image features for modality routing (the signal between the data_source table and the vision-LLM classifier):
// sharp statistics on a small thumbnail, and OCR text density only where it is cheap (small, document-looking images).
import sharp from 'sharp';
import type { Kind } from '../../schemas/sample.ts';
import type { OcrLine } from '../ocr/index.ts';

export interface ImageFeatures {
  width: number;
  height: number;
  /** Share of near-white pixels (all channels ≥ 235). */
  whiteFraction: number;
  /** Hasler–Süsstrunk colourfulness of the thumbnail (0 grey … ~100+ vivid). */
  colourfulness: number;
  /** Share of thumbnail pixels on a strong luminance edge. */
  edgeDensity: number;
  /** Distinct colours after quantising to 4 bits per channel, per 1000 pixels of the thumbnail. */
  paletteSize: number;
  /** OCR lines and the share of the image their boxes cover, when OCR ran. */
  ocr?: { lines: number; chars: number; textArea: number };
}

const THUMB = 128;

export async function imageFeatures(
  png: Buffer,
  opts: { ocr?: (png: Buffer) => Promise<OcrLine[]>; ocrMaxPixels?: number } = {},
): Promise<ImageFeatures> {
  const meta = await sharp(png).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(THUMB, THUMB, { fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const ch = info.channels;
  let white = 0;
  let rgSum = 0,
    ybSum = 0,
    rgSq = 0,
    ybSq = 0;
  const lum = new Float64Array(n);
  const palette = new Set<number>();
  for (let i = 0; i < n; i++) {
    const R = data[i * ch]!;
    const G = ch >= 3 ? data[i * ch + 1]! : R;
    const B = ch >= 3 ? data[i * ch + 2]! : R;
    if (R >= 235 && G >= 235 && B >= 235) white++;
    const rg = R - G,
      yb = 0.5 * (R + G) - B;
    rgSum += rg;
    ybSum += yb;
    rgSq += rg * rg;
    ybSq += yb * yb;
    lum[i] = 0.299 * R + 0.587 * G + 0.114 * B;
    palette.add(((R >> 4) << 8) | ((G >> 4) << 4) | (B >> 4));
  }
  const sd = (s: number, sq: number) => Math.sqrt(Math.max(0, sq / n - (s / n) ** 2));
  const colourfulness =
    Math.sqrt(sd(rgSum, rgSq) ** 2 + sd(ybSum, ybSq) ** 2) + 0.3 * Math.sqrt((rgSum / n) ** 2 + (ybSum / n) ** 2);
  let edges = 0;
  for (let y = 0; y < info.height - 1; y++)
    for (let x = 0; x < info.width - 1; x++) {
      const i = y * info.width + x;
      if (Math.abs(lum[i]! - lum[i + 1]!) + Math.abs(lum[i]! - lum[i + info.width]!) > 60) edges++;
    }
  const f: ImageFeatures = {
    width,
    height,
    whiteFraction: white / n,
    colourfulness,
    edgeDensity: edges / n,
    paletteSize: (palette.size * 1000) / n,
  };
  // OCR only where cheap: small images that look like documents (light background, little colour).
  const maxPixels = opts.ocrMaxPixels ?? Number(process.env.R1OV_ROUTE_OCR_MAX_PIXELS ?? 400_000);
  if (opts.ocr && width * height <= maxPixels && f.whiteFraction >= 0.6 && f.colourfulness < 20) {
    const lines = await opts.ocr(png);
    const area = lines.reduce((s, l) => s + Math.max(0, l.box[2] - l.box[0]) * Math.max(0, l.box[3] - l.box[1]), 0);
    f.ocr = {
      lines: lines.length,
      chars: lines.reduce((s, l) => s + l.text.length, 0),
      textArea: width * height ? area / (width * height) : 0,
    };
  }
  return f;
}

/**
 * A kind from the features alone, only when the evidence is strong; otherwise null (the classifier decides).
 * Today that is text-heavy documents: light, colourless, with several lines of text covering a good share of the page.
 */
export function routeByFeatures(f: ImageFeatures): { kind: Kind } | null {
  if (
    f.ocr &&
    f.ocr.lines >= 4 &&
    f.ocr.chars >= 60 &&
    f.ocr.textArea >= 0.12 &&
    f.whiteFraction >= 0.6 &&
    f.colourfulness < 20
  )
    return { kind: 'text_only' };
  return null;
}
