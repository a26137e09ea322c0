import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import { readingOrder, recognizeText, type OcrLine } from './index.ts';

/**
 * The embedded OCR's lines for a stored image, cached by image key under $R1OV_HOME/cache/ocr (OCR costs seconds
 * per megapixel and a retried activity, a repair or a second build must not pay it again, nor see other lines).
 */
export async function ocrLinesFor(home: string, imageKey: string, png: Buffer): Promise<OcrLine[]> {
  const file = join(paths.cache(home), 'ocr', `${imageKey}.json`);
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as OcrLine[];
    } catch {
      /* torn: recompute */
    }
  }
  const lines = readingOrder(await recognizeText(png));
  ensureDir(join(paths.cache(home), 'ocr'));
  writeFileAtomic(file, JSON.stringify(lines));
  return lines;
}
