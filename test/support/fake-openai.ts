/**
 * A local HTTP server speaking the OpenAI chat-completions protocol: the one permitted stand-in for a language
 * model in tests, benches and soak runs.
 *
 * In tests:  const fake = await startFakeOpenAI({ respond: (req, n) => ({ json: { answer: 1 } }) });
 *            ... use fake.url (ends in /v1) ...; fake.calls holds every request; await fake.close();
 *
 * Standalone: node --import tsx test/support/fake-openai.ts --port P [--latency-ms N] [--mode echo|json]
 *   prints its URL on stdout and answers every request generically (echo: the last user text back; json: a
 *   minimal object satisfying the request's JSON schema, else `{}`). `GET /stats` counts calls per 60 s window.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface FakeRequest {
  model: string;
  messages: Array<{ role: string; content: unknown; [k: string]: unknown }>;
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  n?: number;
  [k: string]: unknown;
}

export interface FakeReply {
  content?: string;
  reasoning_content?: string;
  /** Serialised with JSON.stringify as the content. */
  json?: unknown;
  /** HTTP status; >= 400 answers with an OpenAI error body. */
  status?: number;
  headers?: Record<string, string>;
  /** Error message for the error body (status defaults to 500 when only this is given). */
  error?: string;
  delayMs?: number;
  /** Never answer (until close()). */
  hang?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finish_reason?: string;
}

export interface RecordedCall {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: FakeRequest | undefined;
  at: number;
}

export interface FakeOpenAIOptions {
  respond?: (req: FakeRequest, n: number) => FakeReply | Promise<FakeReply>;
  port?: number;
  host?: string;
  /** Added to every chat answer (before delayMs). */
  latencyMs?: number;
  /** Models listed by GET /v1/models. */
  models?: string[];
}

export interface FakeOpenAI {
  /** Base URL ending in /v1. */
  url: string;
  port: number;
  /** Every chat-completions request, in arrival order. */
  calls: RecordedCall[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A rough token count: ~4 characters per token, at least 1. */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function messagesText(messages: FakeRequest['messages'] | undefined): string {
  return (messages ?? [])
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : Array.isArray(m.content)
          ? m.content
              .map((p: any) => (p?.type === 'text' ? String(p.text ?? '') : p?.type === 'image_url' ? '<image>' : ''))
              .join('')
          : '',
    )
    .join('\n');
}

/** The text of the last user message (for echo mode). */
export function lastUserText(req: FakeRequest): string {
  const last = [...(req.messages ?? [])].reverse().find((m) => m.role === 'user');
  return last ? messagesText([last]) : '';
}

/** Build a minimal value that satisfies a JSON schema (best effort: objects, arrays, scalars, enums, refs, unions). */
export function minimalFromSchema(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (depth > 20 || schema === null || typeof schema !== 'object') return {};
  const s = schema as Record<string, any>;
  if (typeof s.$ref === 'string') {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const target = m ? (root as any)?.[m[1]!]?.[decodeURIComponent(m[2]!)] : s.$ref === '#' ? root : undefined;
    return target ? minimalFromSchema(target, root, depth + 1) : {};
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('default' in s) return s.default;
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k]) && s[k].length > 0) {
      const nonNull = s[k].find((x: any) => x?.type !== 'null') ?? s[k][0];
      return minimalFromSchema(nonNull, root, depth + 1);
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const parts = s.allOf.map((x: any) => minimalFromSchema(x, root, depth + 1));
    return parts.every((p: unknown) => p && typeof p === 'object' && !Array.isArray(p))
      ? Object.assign({}, ...parts)
      : parts[0];
  }
  const type = Array.isArray(s.type) ? (s.type.find((t: string) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object':
    case undefined: {
      if (type === undefined && !s.properties) return {};
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      for (const key of (s.required as string[] | undefined) ?? [])
        out[key] = minimalFromSchema(props[key] ?? {}, root, depth + 1);
      return out;
    }
    case 'array': {
      const n = typeof s.minItems === 'number' ? s.minItems : 0;
      if (Array.isArray(s.prefixItems)) return s.prefixItems.map((x: unknown) => minimalFromSchema(x, root, depth + 1));
      return Array.from({ length: n }, () => minimalFromSchema(s.items ?? {}, root, depth + 1));
    }
    case 'string': {
      if (s.format === 'date-time') return new Date(0).toISOString();
      if (s.format === 'uri' || s.format === 'url') return 'http://example.invalid/';
      if (s.format === 'email') return 'a@example.invalid';
      const n = typeof s.minLength === 'number' ? s.minLength : 0;
      return 'x'.repeat(Math.max(n, 1));
    }
    case 'integer':
    case 'number': {
      if (typeof s.minimum === 'number') return type === 'integer' ? Math.ceil(s.minimum) : s.minimum;
      if (typeof s.exclusiveMinimum === 'number')
        return type === 'integer' ? Math.floor(s.exclusiveMinimum) + 1 : s.exclusiveMinimum + 1;
      if (typeof s.maximum === 'number' && s.maximum < 0) return s.maximum;
      return 0;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return {};
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_denied';
  if (status === 404) return 'not_found_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const calls: RecordedCall[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const windows = new Map<number, number>(); // 60-s window start (ms) → chat calls
  let closed = false;
  let counter = 0;
  const respond = opts.respond ?? genericResponder('echo');

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { message: `fake server: ${String(err?.message ?? err)}`, type: 'server_error' } });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      const models = opts.models ?? ['fake-model'];
      return sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
      });
    }
    if (req.method === 'GET' && path === '/stats') {
      const now = Date.now();
      const cur = Math.floor(now / 60_000) * 60_000;
      return sendJson(res, 200, {
        total: calls.length,
        currentWindow: { start: new Date(cur).toISOString(), calls: windows.get(cur) ?? 0 },
        lastFullWindow: { start: new Date(cur - 60_000).toISOString(), calls: windows.get(cur - 60_000) ?? 0 },
        lastMinute: calls.filter((c) => c.at > now - 60_000).length,
        windows: [...windows.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([start, n]) => ({ start: new Date(start).toISOString(), calls: n })),
      });
    }
    if (req.method === 'GET' && (path === '/health' || path === '/v1/health')) return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || !(path === '/v1/chat/completions' || path === '/chat/completions')) {
      return sendJson(res, 404, { error: { message: `Unknown route ${req.method} ${path}`, type: 'not_found_error' } });
    }

    const raw = await readBody(req);
    let body: FakeRequest | undefined;
    try {
      body = JSON.parse(raw) as FakeRequest;
    } catch {
      body = undefined;
    }
    const n = counter++;
    const at = Date.now();
    calls.push({ n, method: req.method, path, headers: { ...req.headers }, body, at });
    const w = Math.floor(at / 60_000) * 60_000;
    windows.set(w, (windows.get(w) ?? 0) + 1);
    if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
      return sendJson(res, 400, {
        error: { message: 'Invalid JSON body: messages is required', type: 'invalid_request_error' },
      });
    }

    const reply = await respond(body, n);
    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.hang) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return; // never answer
    }
    if (closed || res.destroyed) return;

    const status = reply.status ?? (reply.error !== undefined ? 500 : 200);
    if (status >= 400) {
      return sendJson(
        res,
        status,
        {
          error: {
            message: reply.error ?? `fake error ${status}`,
            type: errorType(status),
            param: null,
            code: status === 429 ? 'rate_limit_exceeded' : null,
          },
        },
        reply.headers,
      );
    }

    const content = reply.content ?? (reply.json !== undefined ? JSON.stringify(reply.json) : '');
    const usage = reply.usage ?? {
      prompt_tokens: roughTokens(messagesText(body.messages)),
      completion_tokens: roughTokens(content + (reply.reasoning_content ?? '')),
    };
    const usageFull = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const id = `chatcmpl-fake-${n}`;
    const created = Math.floor(at / 1000);
    const model = body.model ?? 'fake-model';
    const choicesN = Math.max(1, Math.min(16, Number(body.n ?? 1) || 1));
    const finish = reply.finish_reason ?? 'stop';

    if (body.stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...(reply.headers ?? {}),
      });
      const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
      const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null, index = 0) =>
        send({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index, delta, logprobs: null, finish_reason }],
        });
      for (let i = 0; i < choicesN; i++) {
        chunk({ role: 'assistant', content: '' }, null, i);
        for (const piece of pieces(reply.reasoning_content ?? '')) chunk({ reasoning_content: piece }, null, i);
        for (const piece of pieces(content)) chunk({ content: piece }, null, i);
        chunk({}, finish, i);
      }
      if (body.stream_options?.include_usage)
        send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageFull });
      res.end('data: [DONE]\n\n');
      return;
    }

    const message: Record<string, unknown> = { role: 'assistant', content, refusal: null };
    if (reply.reasoning_content !== undefined) message.reasoning_content = reply.reasoning_content;
    return sendJson(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: Array.from({ length: choicesN }, (_, index) => ({
          index,
          message,
          logprobs: null,
          finish_reason: finish,
        })),
        usage: usageFull,
      },
      reply.headers,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${port}/v1`,
    port,
    calls,
    close: async () => {
      closed = true;
      for (const res of hanging) res.destroy();
      hanging.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}

function pieces(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The standalone server's responder: echo the last user text, or a minimal object for the request's JSON schema. */
export function genericResponder(mode: 'echo' | 'json'): (req: FakeRequest) => FakeReply {
  return (req) => {
    const rf = req.response_format;
    if (mode === 'json' || rf?.type === 'json_schema' || rf?.type === 'json_object') {
      const schema = rf?.json_schema?.schema;
      let value: unknown = {};
      try {
        value = schema ? minimalFromSchema(schema) : {};
      } catch {
        value = {};
      }
      return { json: value };
    }
    return { content: `echo: ${lastUserText(req)}` };
  };
}

function parseArgs(argv: string[]): { port: number; latencyMs: number; mode: 'echo' | 'json'; host: string } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const mode = get('--mode') ?? 'echo';
  if (mode !== 'echo' && mode !== 'json') throw new Error(`--mode must be echo or json, got ${mode}`);
  return {
    port: Number(get('--port') ?? 0),
    latencyMs: Number(get('--latency-ms') ?? 0),
    mode,
    host: get('--host') ?? '127.0.0.1',
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  const fake = await startFakeOpenAI({
    port: args.port,
    host: args.host,
    latencyMs: args.latencyMs,
    respond: genericResponder(args.mode),
  });
  process.stdout.write(`${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
