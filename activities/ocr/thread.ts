// The OCR thread: receives images from index.ts, answers with their lines. OpenCV.js (WASM) and the ONNX
// sessions live only here, so the worker's main thread never stalls on a page and the memory goes when the
// thread is ended.
import { parentPort } from 'node:worker_threads';
import { recognizeEmbedded } from './embedded.ts';
import type { OcrReply, OcrRequest } from './thread-protocol.ts';

const port = parentPort;
if (!port)
  throw new Error('activities/ocr/thread.ts runs only as a worker thread (started by activities/ocr/index.ts)');

port.on('message', (req: OcrRequest) => {
  recognizeEmbedded(Buffer.from(req.png.buffer, req.png.byteOffset, req.png.byteLength)).then(
    (lines) => port.postMessage({ id: req.id, lines } satisfies OcrReply),
    (err: unknown) =>
      port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies OcrReply),
  );
});
