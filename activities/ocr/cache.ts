import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import { OcrLineSchema, readingOrder, recognizeText, type OcrLine } from './index.ts';

/** Images being read now, by cache file: the samples that share an image wait for one reading of it. */
const reading = new Map<string, Promise<OcrLine[]>>();

/**
 * The embedded OCR's lines for a stored image, cached by image key under $R1OV_HOME/cache/ocr (OCR costs seconds
 * per megapixel and a retried activity, a repair or a second build must not pay it again, nor see other lines).
 * Samples that share an image and ask at once (a window's first samples) share one reading.
 */
export function ocrLinesFor(home: string, imageKey: string, png: Buffer): Promise<OcrLine[]> {
  const file = join(paths.cache(home), 'ocr', `${imageKey}.json`);
  const cached = readCached(file);
  if (cached) return Promise.resolve(cached);
  let pending = reading.get(file);
  if (!pending) {
    pending = readAndStore(home, file, png).finally(() => reading.delete(file));
    reading.set(file, pending);
  }
  return pending.then((lines) => structuredClone(lines)); // each caller its own copy, as from the cache file
}

function readCached(file: string): OcrLine[] | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return z.array(OcrLineSchema).parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined; // torn or foreign: recompute
  }
}

async function readAndStore(home: string, file: string, png: Buffer): Promise<OcrLine[]> {
  const lines = readingOrder(await recognizeText(png));
  ensureDir(join(paths.cache(home), 'ocr'));
  writeFileAtomic(file, JSON.stringify(lines));
  return lines;
}
