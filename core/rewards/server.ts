// Loopback HTTP service for the Python trainer: POST /score {items:[...]} → {results:[...]} in order.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RewardBatchRequestSchema, type RewardBatchRequest, type RewardBatchResponse } from '../../schemas/rewards.ts';
import { scoreCompletion } from './index.ts';

export interface RewardServerOptions {
  port: number;
  host?: string;
  /** Request bodies above this get 413 (default 64 MiB: a GRPO batch of long completions fits). */
  maxBodyBytes?: number;
}

export interface RewardServer {
  url: string;
  close(): Promise<void>;
}

const VERSION = '1';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new TooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new TooLarge());
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Scores validated batch items in order (shared by the HTTP route and callers in-process). */
export function scoreItems(items: RewardBatchRequest['items']): RewardBatchResponse {
  return {
    results: items.map((it) => {
      const r = scoreCompletion({
        completion: it.completion,
        groundTruth: it.ground_truth,
        choices: it.choices,
        box: it.box,
      });
      return {
        ...(it.id !== undefined ? { id: it.id } : {}),
        accuracy: r.accuracy,
        format: r.format,
        extracted: r.extracted,
        ...(r.iou !== undefined ? { iou: r.iou } : {}),
      };
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, maxBody: number): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health') {
    if (req.method !== 'GET') {
      send(res, 405, { error: 'use GET /health' });
      return;
    }
    send(res, 200, { status: 'ok', version: VERSION });
    return;
  }
  if (path !== '/score') {
    send(res, 404, { error: `no route ${path}; use POST /score or GET /health` });
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, { error: 'use POST /score' });
    return;
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBody);
  } catch (e) {
    if (e instanceof TooLarge) {
      res.setHeader('connection', 'close');
      send(res, 413, { error: `body over ${maxBody} bytes: split the batch` });
      return;
    }
    throw e;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    send(res, 400, { error: 'body is not JSON' });
    return;
  }
  const parsed = RewardBatchRequestSchema.safeParse(body);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    send(res, 400, {
      error: issue ? `invalid request at ${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid request',
    });
    return;
  }
  send(res, 200, scoreItems(parsed.data.items));
}

/** Starts the reward service; port 0 picks a free port (see the returned url). */
export function startRewardServer(opts: RewardServerOptions): Promise<RewardServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const server = createServer((req, res) => {
    handle(req, res, maxBody).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${h}:${addr.port}`,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          }),
      });
    });
  });
}
