import { z } from 'zod';
import { RoleSchema } from './config.ts';

/**
 * One row of the `llm_calls` table: every language-model call the gateway makes or serves from its cache
 * (docs/ARCHITECTURE.md hard rule 6). Staged as one JSON file per call under `keys.llmStaging(run)` of the home's store.
 * Never holds keys, headers, full URLs or message bodies.
 */
export const LlmCallStatusSchema = z.enum(['ok', 'error']);
export type LlmCallStatus = z.infer<typeof LlmCallStatusSchema>;

export const LlmCallRowSchema = z
  .object({
    /** Deterministic from (run, sample, prompt hash, cache key, call index, attempt): a re-run overwrites its row. */
    call_id: z.string().regex(/^[0-9a-f]{32}$/),
    run: z.string().min(1),
    sample_id: z.string(),
    role: RoleSchema,
    model: z.string(),
    /** Host (and port) only: never the path, query string or user-info of the base URL. */
    base_url_host: z.string().regex(/^[^/?#@\s]*$/, 'host only'),
    prompt_id: z.string(),
    prompt_hash: z.string(),
    /** sha256 (12 hex) of the effective sampling params (temperature, max tokens, n, schema). */
    params_hash: z.string().regex(/^[0-9a-f]{12}$/),
    tokens_in: z.number().int().nonnegative(),
    tokens_out: z.number().int().nonnegative(),
    latency_ms: z.number().nonnegative(),
    cache_hit: z.boolean(),
    cost_usd: z.number().nonnegative(),
    status: LlmCallStatusSchema,
    /** One line (failure type and message) when status is error, else null. */
    error: z.string().nullable(),
    /** Temporal activity attempt (1 outside an activity). */
    attempt: z.number().int().positive(),
    /** ISO-8601 timestamp. */
    created_at: z.iso.datetime(),
  })
  .strict();
export type LlmCallRow = z.infer<typeof LlmCallRowSchema>;
