/**
 * `r1ov codec-server [--port P] [--ui-origin URL…]`: the Temporal Web UI's remote codec protocol for the AES-GCM
 * payload codec (core/codec.ts). `POST /encode` and `POST /decode` take and return
 * `{ "payloads": [{ "metadata": { k: base64 }, "data": base64 }] }`; CORS admits the UI's origin with the
 * `x-namespace` and `content-type` headers. Point the UI at it: `r1ov server start --ui-codec-endpoint http://127.0.0.1:P`.
 * Keys come from R1OV_CODEC_KEYS / R1OV_CODEC_KEY_ID, as for workers; it binds to loopback unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { AesGcmCodec, codecKeysFromEnv, payloadFromJson, payloadToJson, type JsonPayload } from '../core/codec.ts';
import { UsageError } from '../core/errors.ts';
import { readServerState } from '../infra/server.ts';
import { globals, log } from './context.ts';

const MAX_BODY = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: AesGcmCodec;
  port?: number;
  host?: string;
  /** Origins allowed by CORS (the Web UI's); '*' allows any. */
  origins: string[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function startCodecServer(
  opts: CodecServerOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const allowed = opts.origins.includes('*')
      ? '*'
      : origin && opts.origins.includes(origin.replace(/\/$/, ''))
        ? origin
        : undefined;
    if (allowed) {
      res.setHeader('access-control-allow-origin', allowed);
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'x-namespace, content-type');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-max-age', '600');
      res.setHeader('vary', 'origin');
    }
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = createServer((req, res) => {
    cors(req, res);
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method === 'GET' && (path === '' || path === '/health'))
      return send(res, 200, { ok: true, keyId: opts.codec.currentKeyId });
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode'))
      return send(res, 404, { error: `unknown route ${req.method} ${path}` });
    readBody(req)
      .then(async (raw) => {
        let body: { payloads?: JsonPayload[] };
        try {
          body = JSON.parse(raw) as { payloads?: JsonPayload[] };
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        if (!Array.isArray(body?.payloads)) return send(res, 400, { error: 'expected { payloads: [...] }' });
        const payloads = body.payloads.map(payloadFromJson);
        try {
          const out = path === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
          send(res, 200, { payloads: out.map(payloadToJson) });
        } catch (err) {
          // The reason only (unknown key id, bad tag): never key material.
          send(res, 400, { error: (err as Error).message });
        }
      })
      .catch((err) => {
        if (!res.headersSent) send(res, 400, { error: (err as Error).message });
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://${a.address}:${a.port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port ${v}`);
  return n;
};

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("serve the Web UI's /encode and /decode for encrypted payloads (keys from R1OV_CODEC_KEYS)")
    .option('--port <n>', 'port (0: any free port)', port, 8888)
    .option('--ip <addr>', 'address to bind', '127.0.0.1')
    .option(
      '--ui-origin <urls...>',
      "Web UI origin(s) allowed by CORS (default: the embedded server's UI, and http://localhost:8233)",
    )
    .action(async (o: { port: number; ip: string; uiOrigin?: string[] }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const keys = codecKeysFromEnv();
      if (!keys) throw new UsageError('R1OV_CODEC_KEYS is not set: nothing to decode with (see core/codec.ts)');
      const ui = readServerState(home)?.uiUrl;
      const origins = (
        o.uiOrigin?.flatMap((x) => x.split(',')) ?? [ui, 'http://localhost:8233', 'http://127.0.0.1:8233']
      )
        .filter((x): x is string => Boolean(x))
        .map((x) => x.replace(/\/$/, ''));
      const s = await startCodecServer({ codec: new AesGcmCodec(keys), port: o.port, host: o.ip, origins });
      if (json) process.stdout.write(`${JSON.stringify({ url: s.url, keyId: keys.currentId, origins })}\n`);
      else process.stdout.write(`${s.url}\n`);
      log(
        `codec server at ${s.url} (current key ${keys.currentId}; ${keys.keys.size} key(s)); CORS origins: ${origins.join(', ')}`,
      );
      log(`point the Web UI at it: r1ov server start --ui-codec-endpoint ${s.url}`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise(() => {}); // serve until a signal
    });
}
