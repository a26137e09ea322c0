/**
 * The viewer's HTTP server (node:http, no framework). Routes:
 *   GET /                      sample list (filters run/status/kind/source/reason_code, q, page)
 *   GET /sample?run=&id=       one sample
 *   GET /formal-html?run=&id=  a sample's HTML formalization, served under CSP `sandbox` (shown in <iframe sandbox>)
 *   GET /blob/<sha256>         an image blob (PNG/JPEG/GIF/WebP by magic bytes only)
 *   GET /runs, /eval, /eval/run?run=, /eval/items?run=&grade=&category=, /eval/compare?a=&b=
 *   GET /api/list?…            the list as JSON (with server-side query time)
 *   GET /assets/viewer.css
 * Every page carries a CSP without script-src: the viewer runs no JavaScript at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { formalKindOfFormat } from '../activities/formalize/kinds.ts';
import { getBlob } from '../core/blobs.ts';
import { temporalTarget, workflowUrl, type TemporalTarget } from '../core/temporal.ts';
import { html } from './html.ts';
import {
  evalComparePage,
  evalContext,
  evalIndex,
  evalItemsPage,
  evalRunPage,
  layout,
  listPage,
  runsPage,
  samplePage,
} from './pages.ts';
import { parseJson } from './render.ts';
import { FACETS, ViewerStore, type ListQuery } from './store.ts';

const CSS = readFileSync(new URL('./assets/viewer.css', import.meta.url));

export const PAGE_CSP =
  "default-src 'none'; img-src 'self' data:; style-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
export const FORMAL_HTML_CSP =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export interface ViewerOptions {
  home: string;
  host?: string;
  port?: number;
  temporal?: TemporalTarget;
  store?: ViewerStore;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function listQuery(u: URL): ListQuery {
  const q: ListQuery = {};
  for (const f of FACETS) {
    const v = u.searchParams.get(f);
    if (v) q[f] = v;
  }
  const s = u.searchParams.get('q');
  if (s) q.q = s.slice(0, 200);
  const p = Number(u.searchParams.get('page') ?? 1);
  if (Number.isFinite(p) && p >= 1) q.page = Math.floor(p);
  const ps = Number(u.searchParams.get('pageSize') ?? 50);
  if (Number.isFinite(ps)) q.pageSize = ps;
  return q;
}

function imageType(b: Buffer): string | null {
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return null;
}

export function createViewer(opts: ViewerOptions) {
  const store = opts.store ?? new ViewerStore(opts.home);
  const temporal = () => opts.temporal ?? temporalTarget(opts.home);

  function send(
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ) {
    res.writeHead(status, {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-security-policy': PAGE_CSP,
      ...extra,
    });
    res.end(body);
  }
  const page = (res: ServerResponse, title: string, body: ReturnType<typeof html>, status = 200) =>
    send(res, status, 'text/html; charset=utf-8', layout(title, body, store.info));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'read-only viewer: GET only');
    const u = new URL(req.url ?? '/', 'http://viewer.local');
    const p = u.pathname;
    if (p === '/assets/viewer.css')
      return send(res, 200, 'text/css; charset=utf-8', CSS, { 'cache-control': 'max-age=300' });
    if (p === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (p === '/' || p === '/samples') {
      const q = listQuery(u);
      const r = await store.list(q);
      return page(res, 'samples', listPage(q, r));
    }
    if (p === '/api/list') {
      const r = await store.list(listQuery(u));
      return send(res, 200, 'application/json', JSON.stringify(r), {
        'server-timing': `q;dur=${r.timings.queryMs.toFixed(1)}`,
      });
    }
    if (p === '/sample') {
      const run = u.searchParams.get('run') ?? '',
        id = u.searchParams.get('id') ?? '';
      const s = await store.sample(run, id);
      if (!s) throw new HttpError(404, `no sample ${id} in run ${run}`);
      const calls = await store.llmCalls(run, id);
      const verdict = parseJson(s.qa_verdict as string | null) as { rules?: { traceKey?: unknown } } | null;
      let original: string | null = null;
      const key = verdict?.rules?.traceKey;
      if (typeof key === 'string' && /^[0-9a-f]{64}$/.test(key)) {
        try {
          original = (await getBlob(opts.home, key)).toString('utf8');
        } catch {
          /* blob gone */
        }
      }
      await formalKindOfFormat(String(s.formal_format ?? ''))?.load?.(); // a kind's drawing may need its library
      return page(res, id, samplePage(s, calls, workflowUrl(temporal(), String(s.workflow_id)), original));
    }
    if (p === '/formal-html') {
      const s = await store.sample(u.searchParams.get('run') ?? '', u.searchParams.get('id') ?? '');
      if (!s || String(s.formal_format).toLowerCase() !== 'html' || !s.formal_text)
        throw new HttpError(404, 'no HTML formalization');
      return send(res, 200, 'text/html; charset=utf-8', String(s.formal_text), {
        'content-security-policy': FORMAL_HTML_CSP,
      });
    }
    const blob = p.match(/^\/blob\/([0-9a-f]{64})$/);
    if (blob) {
      let b: Buffer;
      try {
        b = await getBlob(opts.home, blob[1]!);
      } catch {
        throw new HttpError(404, 'no such blob');
      }
      const type = imageType(b);
      if (!type) throw new HttpError(415, 'blob is not an image');
      return send(res, 200, type, b, { 'cache-control': 'max-age=86400, immutable' });
    }
    if (p === '/runs') return page(res, 'runs', runsPage(await store.runs()));
    if (p.startsWith('/eval')) {
      const ctx = await evalContext(store);
      if ('missing' in ctx)
        return page(
          res,
          'evaluation',
          html`<h1>Evaluation</h1><p class="muted" data-testid="eval-missing">${ctx.missing}</p>`,
        );
      const c = ctx.cols;
      if (p === '/eval') return page(res, 'evaluation', await evalIndex(store, c));
      if (p === '/eval/run')
        return page(res, 'evaluation', await evalRunPage(store, c, u.searchParams.get('run') ?? ''));
      if (p === '/eval/items') {
        return page(
          res,
          'evaluation items',
          await evalItemsPage(store, c, {
            run: u.searchParams.get('run') ?? '',
            grade: u.searchParams.get('grade') ?? undefined,
            category: u.searchParams.get('category') ?? undefined,
            page: Number(u.searchParams.get('page') ?? 1) || 1,
          }),
        );
      }
      if (p === '/eval/compare')
        return page(
          res,
          'compare',
          await evalComparePage(store, c, u.searchParams.get('a') ?? '', u.searchParams.get('b') ?? ''),
        );
    }
    throw new HttpError(404, `no page ${p}`);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (res.headersSent) {
        res.end();
        return;
      }
      send(res, status, 'text/html; charset=utf-8', layout('error', html`<h1>${status}</h1><pre>${err.message}</pre>`));
    });
  });

  return {
    store,
    server,
    async listen(): Promise<string> {
      await store.open();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 8234, opts.host ?? '127.0.0.1', resolve);
      });
      const a = server.address() as AddressInfo;
      return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      store.close();
    },
  };
}
