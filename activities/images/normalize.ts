import sharp from 'sharp';

export interface NormalizeOptions {
  minPixels: number;
  maxPixels: number;
  /** Refuse (before decoding) images whose header declares more pixels than this. */
  maxInputPixels: number;
}

export interface NormalizedImage {
  png: Buffer;
  width: number;
  height: number;
  /** The decoded image's size before normalisation (after EXIF rotation): the frame of the original pixels. */
  sourceWidth: number;
  sourceHeight: number;
  sourceFormat: string;
}

/** An image we refuse, with a machine-readable code for the quarantine view. */
export class ImageRejected extends Error {
  constructor(
    public readonly code: 'image_corrupt' | 'image_too_large' | 'image_empty',
    message: string,
  ) {
    super(message);
  }
}

/** Target size keeping aspect ratio so that min ≤ w·h ≤ max (Qwen2.5-VL-style pixel bounds). */
export function boundedSize(
  width: number,
  height: number,
  minPixels: number,
  maxPixels: number,
): { width: number; height: number } {
  const pixels = width * height;
  let scale = 1;
  if (pixels > maxPixels) scale = Math.sqrt(maxPixels / pixels);
  else if (pixels < minPixels) scale = Math.sqrt(minPixels / pixels);
  if (scale === 1) return { width, height };
  const w = Math.max(1, Math.floor(width * scale));
  const h = Math.max(1, Math.floor(height * scale));
  // Rounding down may leave us just under the minimum when upscaling: nudge up.
  return scale > 1 && w * h < minPixels ? { width: w + 1, height: h + 1 } : { width: w, height: h };
}

/**
 * Decode and normalise: EXIF orientation applied, colour converted to 8-bit sRGB, alpha flattened on white,
 * pixel count bounded. Output is PNG so stored bytes are deterministic for the same input.
 */
export async function normalizeImage(input: Buffer, opts: NormalizeOptions): Promise<NormalizedImage> {
  if (input.length === 0) throw new ImageRejected('image_empty', 'image has no bytes');
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageRejected('image_corrupt', `cannot read image header: ${(err as Error).message}`);
  }
  if (!meta.width || !meta.height) throw new ImageRejected('image_corrupt', 'image header has no size');
  const declared = meta.width * meta.height;
  if (declared > opts.maxInputPixels) {
    throw new ImageRejected(
      'image_too_large',
      `image is ${meta.width}x${meta.height} (${declared} pixels), over the ${opts.maxInputPixels} pixel limit`,
    );
  }
  // EXIF orientations 5–8 swap width and height.
  const swap = (meta.orientation ?? 1) >= 5;
  const [w, h] = swap ? [meta.height, meta.width] : [meta.width, meta.height];
  const target = boundedSize(w, h, opts.minPixels, opts.maxPixels);
  try {
    let img = sharp(input, { limitInputPixels: opts.maxInputPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    if (target.width !== w || target.height !== h) img = img.resize(target.width, target.height, { fit: 'fill' });
    const { data, info } = await img.png({ compressionLevel: 6 }).toBuffer({ resolveWithObject: true });
    return {
      png: data,
      width: info.width,
      height: info.height,
      sourceWidth: w,
      sourceHeight: h,
      sourceFormat: meta.format ?? 'unknown',
    };
  } catch (err) {
    throw new ImageRejected('image_corrupt', `cannot decode image: ${(err as Error).message}`);
  }
}
