// OCR with positions: the embedded PaddleOCR engine (embedded.ts) on a thread of its own (thread.ts), or an
// EasyOCR service when R1OV_OCR_URL is set (easyocr.ts).
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { recognizeTextHttp } from './easyocr.ts';
import type { OcrLine } from './lines.ts';
import { OcrReplySchema, type OcrRequest } from './thread-protocol.ts';

export { OcrLineSchema, readingOrder, type OcrLine } from './lines.ts';

interface OcrThread {
  worker: Worker;
  pending: Map<number, { resolve: (lines: OcrLine[]) => void; reject: (err: Error) => void }>;
  idle?: NodeJS.Timeout;
}

let current: OcrThread | undefined;
let nextId = 0;

/**
 * Seconds the OCR thread stays up with nothing to read. Then it is ended and its memory (OpenCV.js and the
 * ONNX sessions, ~240 MB) goes back; the next image starts a new one (about a second).
 */
function idleMs(): number {
  const v = process.env.R1OV_OCR_IDLE_S;
  if (v === undefined || v === '') return 30_000;
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0)
    throw new Error(`R1OV_OCR_IDLE_S must be a non-negative number of seconds, got '${v}'`);
  return s * 1000;
}

/**
 * Recognise text lines with positions (reading order); uses the EasyOCR service when R1OV_OCR_URL is set.
 * An image of one flat colour has no ink and so no text: the embedded engine (~240 MB) is not loaded for it.
 */
export async function recognizeText(png: Buffer): Promise<OcrLine[]> {
  const url = process.env.R1OV_OCR_URL;
  if (url) return recognizeTextHttp(png, url);
  if (await isFlat(png)) return [];
  const idle = idleMs();
  const t = (current ??= startThread());
  clearTimeout(t.idle);
  t.worker.ref();
  const id = nextId++;
  const bytes = new Uint8Array(png); // a copy of its own, handed over to the thread
  return new Promise<OcrLine[]>((resolve, reject) => {
    t.pending.set(id, { resolve, reject });
    t.worker.postMessage({ id, png: bytes } satisfies OcrRequest, [bytes.buffer]);
  }).finally(() => {
    if (t.pending.size > 0 || current !== t) return;
    // Nothing left to read: the thread keeps no process alive, and ends after the idle time.
    t.worker.unref();
    t.idle = setTimeout(() => endThread(t), idle).unref();
  });
}

/** Channel spread (max − min, in 8-bit levels) at or below which an image counts as one flat colour (JPEG noise included). */
const FLAT_SPREAD = 8;

/**
 * Whether every channel of the image (alpha included: text drawn only in alpha is ink) stays within FLAT_SPREAD.
 * libvips computes the extremes; deeper images are held to the same spread in their own levels, so they go to the
 * engine unless truly flat.
 */
async function isFlat(png: Buffer): Promise<boolean> {
  const { channels } = await sharp(png)
    .stats()
    .catch((err: unknown) => {
      throw new Error(`OCR input is not a readable image: ${(err as Error).message}`);
    });
  return channels.every((c) => c.max - c.min <= FLAT_SPREAD);
}

/** The running OCR thread, if any (tests wait on its exit). */
export function ocrThread(): Worker | undefined {
  return current?.worker;
}

function startThread(): OcrThread {
  const entry = new URL('./thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  // A worker thread gets no module loader from its parent: it registers tsx itself, as bin/r1ov.js does.
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  const t: OcrThread = { worker: new Worker(boot, { eval: true, name: 'r1ov-ocr' }), pending: new Map() };
  t.worker.on('message', (msg: unknown) => {
    const reply = OcrReplySchema.safeParse(msg);
    if (!reply.success)
      return failThread(t, new Error(`the OCR thread sent a malformed reply: ${reply.error.message}`));
    const waiter = t.pending.get(reply.data.id);
    t.pending.delete(reply.data.id);
    if ('error' in reply.data) waiter?.reject(new Error(`OCR: ${reply.data.error}`));
    else waiter?.resolve(reply.data.lines);
  });
  t.worker.on('error', (err) => failThread(t, err));
  t.worker.on('exit', (code) => failThread(t, new Error(`the OCR thread exited (code ${code}) before answering`)));
  return t;
}

function endThread(t: OcrThread): void {
  if (current !== t || t.pending.size > 0) return;
  current = undefined;
  void t.worker.terminate();
}

/** Every image still waiting on a thread that failed or ended gets the error; the next image starts a new thread. */
function failThread(t: OcrThread, err: Error): void {
  if (current === t) current = undefined;
  clearTimeout(t.idle);
  for (const waiter of t.pending.values()) waiter.reject(err);
  t.pending.clear();
  void t.worker.terminate();
}
