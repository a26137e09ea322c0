/**
 * The language-model gateway: one client over the `openai` package for every role (router, formalizer, reasoner,
 * judge, model). It owns structured output, reasoning extraction, the response cache, per-role concurrency,
 * heartbeats, error classification into Temporal failures, and llm_calls accounting (docs/ARCHITECTURE.md hard rules 4–6).
 * See activities/llm/README.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { z } from 'zod';
import pLimit, { type LimitFunction } from 'p-limit';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { LlmCallRowSchema, type LlmCallRow } from '../../schemas/llm.ts';
import { sha256, writeFileAtomicAsync } from '../../core/blobs.ts';
import { apiKeyFor } from '../../core/endpoints.ts';
import { paths } from '../../core/home.ts';
import { keys, storeFor } from '../../core/storage/index.ts';
import { parseStructured, splitThink, StructuredOutputError } from './parse-json.ts';

export { StructuredOutputError } from './parse-json.ts';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatRequest<T> {
  endpoint: ResolvedEndpoint;
  home: string;
  run: string;
  sampleId: string;
  /** Template identity for the cache key and accounting (from core/prompts.ts loadPrompt). */
  prompt: { id: string; hash: string };
  messages: ChatMessage[];
  /** Appended to the LAST user message as PNG data URLs; their hashes (not bytes) go into the cache key. */
  images?: Array<{ hash: string; png: Buffer }>;
  /** Structured output: response_format json_schema from z.toJSONSchema, then tolerant parse + validation. */
  schema?: z.ZodType<T>;
  schemaName?: string;
  params?: { temperature?: number; maxTokens?: number; n?: number };
  /** Neither read nor write the response cache. */
  noCache?: boolean;
  /** Tells apart deliberately repeated identical calls in one sample (e.g. noCache candidates) in accounting. */
  callIndex?: number;
}

export interface ChatChoice<T> {
  text: string;
  reasoning?: string;
  parsed?: T;
}

export interface ChatResult<T> {
  /** The answer, with any inline `<think>…</think>` removed. */
  text: string;
  reasoning?: string;
  parsed?: T;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  cacheHit: boolean;
  callId: string;
  /** Every choice when params.n > 1 (text/reasoning/parsed of the first valid one are also on the result). */
  choices?: ChatChoice<T>[];
}

// ---------------------------------------------------------------------------------------------------------------
// small helpers

/** Stable JSON (sorted object keys) for hashing. */
function stableJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return 'invalid-url';
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeat on an interval while a call is in flight (no-op outside an activity). */
function startHeartbeat(ctx: Context | undefined, details: unknown): () => void {
  if (!ctx) return () => {};
  const hbTimeout = ctx.info.heartbeatTimeoutMs;
  const every = hbTimeout ? Math.min(10_000, Math.max(20, Math.floor(hbTimeout / 3))) : 10_000;
  const beat = () => {
    try {
      ctx.heartbeat(details);
    } catch {
      /* heartbeats are best effort */
    }
  };
  // No beat at the start: the server's heartbeat clock starts with the attempt, and a first beat on every call was
  // one server write per LLM call for nothing (bench/build/README.md).
  const t = setInterval(beat, every);
  t.unref?.();
  return () => clearInterval(t);
}

/** Remove anything that looks like a credential from a message. */
function scrub(msg: string, apiKey: string): string {
  let out = msg;
  if (apiKey && apiKey !== 'none' && apiKey.length >= 4) out = out.split(apiKey).join('***');
  return out
    .replace(/Bearer\s+[^\s"',;]+/gi, 'Bearer ***')
    .replace(/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-***')
    .replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, '//***@')
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 500);
}

// ---------------------------------------------------------------------------------------------------------------
// clients and per-role limits (per process)

const clients = new Map<string, OpenAI>();
function clientFor(ep: ResolvedEndpoint, apiKey: string): OpenAI {
  const k = `${ep.baseUrl}\0${ep.timeoutMs}\0${sha256(apiKey)}`;
  let c = clients.get(k);
  if (!c) {
    // maxRetries 0: Temporal owns retries (with Retry-After honoured through nextRetryDelay).
    c = new OpenAI({ baseURL: ep.baseUrl, apiKey, timeout: ep.timeoutMs, maxRetries: 0 });
    clients.set(k, c);
  }
  return c;
}

const limits = new Map<string, LimitFunction>();
function limitFor(ep: ResolvedEndpoint): LimitFunction {
  let l = limits.get(ep.role);
  if (!l) {
    l = pLimit(ep.concurrency);
    limits.set(ep.role, l);
  } else if (l.concurrency !== ep.concurrency) l.concurrency = ep.concurrency;
  return l;
}

/** In-flight and queued calls per role in this process (for tests and progress). */
export function roleLoad(role: string): { active: number; pending: number } {
  const l = limits.get(role);
  return { active: l?.activeCount ?? 0, pending: l?.pendingCount ?? 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// structured output

const schemaCache = new WeakMap<object, { jsonSchema: Record<string, unknown>; hash: string }>();
export function jsonSchemaOf(schema: z.ZodType<unknown>): { jsonSchema: Record<string, unknown>; hash: string } {
  let s = schemaCache.get(schema);
  if (!s) {
    const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete js.$schema;
    s = { jsonSchema: js, hash: sha256(stableJson(js)).slice(0, 16) };
    schemaCache.set(schema, s);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// error classification

function retryDelayMs(headers: Headers | undefined): number {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.max(100, Number(ms));
  const ra = headers?.get('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return Math.max(1000, Math.round(secs * 1000));
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(1000, at - Date.now());
  }
  return 10_000;
}

function serverMessage(err: APIError): string {
  const e = err.error as { message?: unknown } | undefined;
  if (e && typeof e.message === 'string') return e.message;
  let m = err.message;
  if (err.status !== undefined && m.startsWith(`${err.status} `)) m = m.slice(String(err.status).length + 1);
  try {
    const j = JSON.parse(m) as { message?: unknown; detail?: unknown; error?: unknown };
    const inner = j.message ?? j.detail ?? (typeof j.error === 'string' ? j.error : (j.error as any)?.message);
    if (typeof inner === 'string') return inner;
  } catch {
    /* not JSON */
  }
  return m;
}

const NON_RETRYABLE_STATUS = new Set([400, 401, 403, 404, 405, 410, 413, 415, 422]);
/** Statuses that say the key is refused: every call of the role fails the same way until someone fixes it. */
const KEY_REFUSED_STATUS = new Set([401, 403]);
/** Connection errors that say nobody answers at that address (as opposed to one slow or dropped call). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** The innermost error code (fetch wraps the socket error: APIConnectionError → TypeError → Error{code}). */
function errorCode(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * The failure type of an endpoint that is down for the whole role (unreachable, or its key refused). Retryable for
 * callers that want retries (eval); the sample workflow lists it as non-retryable and lets the build's circuit
 * breaker hold every sample instead of burning each one's retries. Details: [{ role, host, error }].
 */
export const ENDPOINT_DOWN = 'EndpointDown'; // workflows/endpoint-gate.ts matches the same type name

function endpointDown(message: string, ep: ResolvedEndpoint, error: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({
    type: ENDPOINT_DOWN,
    message,
    nonRetryable,
    details: [{ role: ep.role, host: hostOf(ep.baseUrl), error }],
  });
}

/** Map any error from the openai client into a Temporal failure (or CancelledFailure), never leaking the key. */
export function classifyError(err: unknown, ep: ResolvedEndpoint, apiKey: string, ctx?: Context): Error {
  const host = hostOf(ep.baseUrl);
  const where = `${ep.role} endpoint ${host} (model ${ep.model})`;
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure || err instanceof StructuredOutputError)
    return err;
  if (err instanceof APIUserAbortError || ctx?.cancellationSignal.aborted) {
    return new CancelledFailure(`${where}: call cancelled`);
  }
  if (err instanceof APIConnectionTimeoutError) {
    return ApplicationFailure.retryable(
      scrub(`${where}: timed out after ${ep.timeoutMs} ms`, apiKey),
      'LlmUnavailable',
    );
  }
  if (err instanceof APIConnectionError) {
    const cause = (err as { cause?: { message?: string; code?: string } }).cause;
    const code = errorCode(err);
    const detail = code ?? cause?.message ?? err.message;
    const msg = scrub(`${where}: connection failed: ${detail}`, apiKey);
    if (code && UNREACHABLE_CODES.has(code)) return endpointDown(msg, ep, code, false);
    return ApplicationFailure.retryable(msg, 'LlmUnavailable');
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const msg = scrub(`${where}: HTTP ${status}: ${serverMessage(err)}`, apiKey);
    if (KEY_REFUSED_STATUS.has(status)) return endpointDown(msg, ep, `HTTP ${status}`, true);
    if (status === 429) {
      if (err.code === 'insufficient_quota') return ApplicationFailure.nonRetryable(msg, 'LlmRejected');
      return ApplicationFailure.create({
        type: 'LlmRateLimited',
        message: msg,
        nextRetryDelay: retryDelayMs(err.headers as Headers | undefined),
      });
    }
    if (NON_RETRYABLE_STATUS.has(status)) return ApplicationFailure.nonRetryable(msg, 'LlmRejected');
    return ApplicationFailure.retryable(msg, 'LlmUnavailable');
  }
  if (err instanceof Error) {
    return ApplicationFailure.retryable(scrub(`${where}: ${err.name}: ${err.message}`, apiKey), 'LlmUnavailable');
  }
  return ApplicationFailure.retryable(scrub(`${where}: ${String(err)}`, apiKey), 'LlmUnavailable');
}

// ---------------------------------------------------------------------------------------------------------------
// cache and accounting

interface CachedResponse {
  v: 1;
  key: string;
  model: string;
  created_at: string;
  choices: Array<{ text: string; reasoning?: string }>;
  tokensIn: number;
  tokensOut: number;
}

function cacheFile(home: string, key: string): string {
  return join(paths.cache(home), 'llm', key.slice(0, 2), `${key}.json`);
}

async function readCache(home: string, key: string): Promise<CachedResponse | undefined> {
  try {
    const c = JSON.parse(await readFile(cacheFile(home, key), 'utf8')) as CachedResponse;
    return c && c.v === 1 && c.key === key && Array.isArray(c.choices) && c.choices.length > 0 ? c : undefined;
  } catch {
    return undefined; // absent or torn: a miss
  }
}

async function writeCache(home: string, entry: CachedResponse): Promise<void> {
  await writeFileAtomicAsync(cacheFile(home, entry.key), JSON.stringify(entry));
}

async function recordCall(home: string, row: LlmCallRow): Promise<void> {
  const valid = LlmCallRowSchema.parse(row);
  // Staged in the home's object store (local or S3): LLM workers may run on other hosts than the committer.
  await storeFor(home).put(`${keys.llmStaging(row.run)}${row.call_id}.json`, `${JSON.stringify(valid)}\n`);
}

function cost(ep: ResolvedEndpoint, tokensIn: number, tokensOut: number): number {
  if (!ep.price) return 0;
  return (tokensIn * ep.price.inputPerMTok + tokensOut * ep.price.outputPerMTok) / 1e6;
}

function withImages(messages: ChatMessage[], images: ChatRequest<unknown>['images']): ChatMessage[] {
  if (!images || images.length === 0) return messages;
  const idx = messages.map((m) => m.role).lastIndexOf('user');
  if (idx < 0) throw new Error('gateway: images given but there is no user message to attach them to');
  const parts: ContentPart[] = images.map((im) => ({
    type: 'image_url',
    image_url: { url: `data:image/png;base64,${im.png.toString('base64')}` },
  }));
  return messages.map((m, i) => {
    if (i !== idx) return m;
    const base: ContentPart[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    return { role: m.role, content: [...base, ...parts] };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// the call, piece by piece: plan (params, cache key, call ids) → cache → request body → send → answer → record

type RawChoice = { text: string; reasoning?: string };

function finishChoices<T>(raw: RawChoice[], schema: z.ZodType<T> | undefined, callId: string) {
  const choices: ChatChoice<T>[] = raw.map((c) => ({ ...c }));
  if (!schema) return { choices, first: choices[0]! };
  let firstErr: StructuredOutputError | undefined;
  let first: ChatChoice<T> | undefined;
  for (const c of choices) {
    try {
      c.parsed = parseStructured(c.text, schema, callId);
      first ??= c;
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      firstErr ??= err;
    }
  }
  if (!first) throw firstErr!;
  return { choices, first };
}

/** What one request resolves to before anything is sent: effective params, the cache key and how calls are named. */
interface CallPlan {
  host: string;
  attempt: number;
  schemaInfo: { jsonSchema: Record<string, unknown>; hash: string } | undefined;
  params: { temperature: number | undefined; maxTokens: number | undefined; n: number };
  paramsHash: string;
  key: string;
  /** The llm_calls id of this request's cache hit or model call (see README, accounting). */
  idFor(hit: boolean): string;
}

function planCall<T>(req: ChatRequest<T>, attempt: number): CallPlan {
  const ep = req.endpoint;
  const schemaInfo = req.schema ? jsonSchemaOf(req.schema as z.ZodType<unknown>) : undefined;
  const params = {
    temperature: req.params?.temperature ?? ep.temperature,
    maxTokens: req.params?.maxTokens ?? ep.maxTokens,
    n: req.params?.n ?? 1,
  };
  const paramsHash = sha256(stableJson({ ...params, schema: schemaInfo?.hash ?? null })).slice(0, 12);
  const key = sha256(
    stableJson({
      v: 1,
      model: ep.model,
      baseUrl: ep.baseUrl,
      prompt: req.prompt.hash,
      messages: req.messages,
      params,
      images: (req.images ?? []).map((i) => i.hash),
      schema: schemaInfo?.hash ?? null,
    }),
  );
  const idFor = (hit: boolean) =>
    sha256(
      stableJson({
        run: req.run,
        sample: req.sampleId,
        prompt: req.prompt.hash,
        key,
        i: req.callIndex ?? 0,
        attempt,
        hit,
      }),
    ).slice(0, 32);
  return { host: hostOf(ep.baseUrl), attempt, schemaInfo, params, paramsHash, key, idFor };
}

/** One llm_calls row (schemas/llm.ts). */
function callRow<T>(
  req: ChatRequest<T>,
  plan: CallPlan,
  callId: string,
  o: { tokensIn: number; tokensOut: number; latencyMs: number; hit: boolean; error?: string },
): LlmCallRow {
  const ep = req.endpoint;
  return {
    call_id: callId,
    run: req.run,
    sample_id: req.sampleId,
    role: ep.role,
    model: ep.model,
    base_url_host: plan.host,
    prompt_id: req.prompt.id,
    prompt_hash: req.prompt.hash,
    params_hash: plan.paramsHash,
    attempt: plan.attempt,
    tokens_in: o.tokensIn,
    tokens_out: o.tokensOut,
    latency_ms: Math.round(o.latencyMs * 1000) / 1000,
    cache_hit: o.hit,
    cost_usd: o.hit ? 0 : cost(ep, o.tokensIn, o.tokensOut),
    status: o.error === undefined ? 'ok' : 'error',
    error: o.error ?? null,
    created_at: new Date().toISOString(),
  };
}

function resultOf<T>(
  fin: ReturnType<typeof finishChoices<T>>,
  plan: CallPlan,
  o: { tokensIn: number; tokensOut: number; latencyMs: number; cacheHit: boolean; callId: string },
): ChatResult<T> {
  return {
    text: fin.first.text,
    reasoning: fin.first.reasoning,
    parsed: fin.first.parsed,
    ...o,
    ...(plan.params.n > 1 ? { choices: fin.choices } : {}),
  };
}

/** A cached answer that still validates, recorded as a hit; undefined on a miss. */
async function answerFromCache<T>(req: ChatRequest<T>, plan: CallPlan, t0: number): Promise<ChatResult<T> | undefined> {
  const hit = await readCache(req.home, plan.key);
  if (!hit) return undefined;
  const callId = plan.idFor(true);
  let fin: ReturnType<typeof finishChoices<T>>;
  try {
    fin = finishChoices(hit.choices, req.schema, callId);
  } catch (err) {
    if (!(err instanceof StructuredOutputError)) throw err;
    return undefined; // only valid answers are cached; a stale entry that no longer validates is ignored
  }
  const latencyMs = performance.now() - t0;
  await recordCall(
    req.home,
    callRow(req, plan, callId, { tokensIn: hit.tokensIn, tokensOut: hit.tokensOut, latencyMs, hit: true }),
  );
  return resultOf(fin, plan, { tokensIn: hit.tokensIn, tokensOut: hit.tokensOut, latencyMs, cacheHit: true, callId });
}

/** The chat.completions body: images on the last user message, the endpoint's params, structured output. */
function requestBody<T>(req: ChatRequest<T>, plan: CallPlan): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.endpoint.model, messages: withImages(req.messages, req.images) };
  const { temperature, maxTokens, n } = plan.params;
  if (temperature !== undefined) body.temperature = temperature;
  // OpenAI's own API renamed the limit; OpenAI-compatible servers (vLLM, Ollama…) read max_tokens.
  if (maxTokens !== undefined)
    body[plan.host === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens'] = maxTokens;
  if (n !== 1) body.n = n;
  if (plan.schemaInfo) {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: (req.schemaName ?? 'output').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64),
        schema: plan.schemaInfo.jsonSchema,
      },
    };
  }
  return body;
}

/** Send under the role's concurrency limit; the activity's cancellation aborts the request. */
function send(
  ep: ResolvedEndpoint,
  client: OpenAI,
  body: Record<string, unknown>,
  ctx: Context | undefined,
): Promise<OpenAI.Chat.ChatCompletion> {
  return limitFor(ep)(() => {
    if (ctx?.cancellationSignal.aborted) throw new APIUserAbortError();
    return client.chat.completions.create(body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, {
      signal: ctx?.cancellationSignal,
    });
  });
}

/** The completion's choices in index order, reasoning (a reasoning field and/or a leading <think> block) split out. */
function answerChoices(completion: OpenAI.Chat.ChatCompletion): RawChoice[] {
  return (completion.choices ?? [])
    .slice()
    .sort((a, b) => a.index - b.index)
    .map((c) => {
      const msg = (c.message ?? {}) as {
        content?: string | null;
        reasoning_content?: string | null;
        reasoning?: string | null;
      };
      const split = splitThink(msg.content ?? '');
      const field = msg.reasoning_content ?? msg.reasoning ?? undefined;
      const reasoning = field && split.reasoning ? `${field}\n\n${split.reasoning}` : (field ?? split.reasoning);
      return reasoning ? { text: split.text, reasoning } : { text: split.text };
    });
}

/** Ask the model; cache the answer once it validates and record the call, or record the failure and throw it. */
async function callModel<T>(
  req: ChatRequest<T>,
  plan: CallPlan,
  ctx: Context | undefined,
  t0: number,
): Promise<ChatResult<T>> {
  const ep = req.endpoint;
  const callId = plan.idFor(false);
  const apiKey = apiKeyFor(ep);
  const client = clientFor(ep, apiKey);
  const stopHeartbeat = startHeartbeat(ctx, { role: ep.role, callId });
  let tokensIn = 0;
  let tokensOut = 0;
  try {
    const completion = await send(ep, client, requestBody(req, plan), ctx);
    tokensIn = completion.usage?.prompt_tokens ?? 0;
    tokensOut = completion.usage?.completion_tokens ?? 0;
    const raw = answerChoices(completion);
    if (raw.length === 0)
      throw ApplicationFailure.retryable(
        `${ep.role} endpoint ${plan.host} (model ${ep.model}): response has no choices`,
        'LlmUnavailable',
      );
    const fin = finishChoices(raw, req.schema, callId); // throws StructuredOutputError (recorded below, not cached)
    const latencyMs = performance.now() - t0;
    const entry: CachedResponse = {
      v: 1,
      key: plan.key,
      model: ep.model,
      created_at: new Date().toISOString(),
      choices: raw,
      tokensIn,
      tokensOut,
    };
    // The cache entry and the accounting row are independent files: write both at once.
    await Promise.all([
      req.noCache ? undefined : writeCache(req.home, entry),
      recordCall(req.home, callRow(req, plan, callId, { tokensIn, tokensOut, latencyMs, hit: false })),
    ]);
    return resultOf(fin, plan, { tokensIn, tokensOut, latencyMs, cacheHit: false, callId });
  } catch (err) {
    throw await recordFailure(
      req,
      plan,
      callId,
      err,
      { tokensIn, tokensOut, latencyMs: performance.now() - t0 },
      apiKey,
      ctx,
    );
  } finally {
    stopHeartbeat();
  }
}

/** Classify a failed call into a Temporal failure and record it; returns the failure to throw. */
async function recordFailure<T>(
  req: ChatRequest<T>,
  plan: CallPlan,
  callId: string,
  err: unknown,
  o: { tokensIn: number; tokensOut: number; latencyMs: number },
  apiKey: string,
  ctx: Context | undefined,
): Promise<Error> {
  const failure = classifyError(err, req.endpoint, apiKey, ctx);
  const type = failure instanceof ApplicationFailure ? failure.type : failure.name;
  try {
    await recordCall(
      req.home,
      callRow(req, plan, callId, { ...o, hit: false, error: scrub(`${type}: ${failure.message}`, apiKey) }),
    );
  } catch {
    /* accounting must not hide the call's own failure */
  }
  return failure;
}

/** Call a chat model for one role, through cache, limits and accounting. Throws Temporal failures (see README). */
export async function chat<T = unknown>(req: ChatRequest<T>): Promise<ChatResult<T>> {
  const t0 = performance.now();
  const ctx = activityContext();
  const plan = planCall(req, ctx?.info.attempt ?? 1);
  const hit = req.noCache ? undefined : await answerFromCache(req, plan, t0);
  return hit ?? callModel(req, plan, ctx, t0);
}
