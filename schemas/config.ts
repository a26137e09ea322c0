import { z } from 'zod';

/** Language-model roles (core/endpoints.ts resolves each to an endpoint). `model` is the model under evaluation. */
export const RoleSchema = z.enum(['router', 'formalizer', 'reasoner', 'judge', 'model']);
export type Role = z.infer<typeof RoleSchema>;
export const ROLES: readonly Role[] = RoleSchema.options;

/** Price per million tokens, for cost estimates in llm_calls. */
export const PriceSchema = z
  .object({ inputPerMTok: z.number().nonnegative(), outputPerMTok: z.number().nonnegative() })
  .strict();

/** One role's endpoint as written in a config file. Keys are never written here: only the env var that holds one. */
export const RoleConfigSchema = z
  .object({
    baseUrl: z.string().url().optional(),
    model: z.string().min(1).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable')
      .optional(),
    /** Requests per minute for the whole role (server-side task-queue limit). */
    rpm: z.number().positive().optional(),
    /**
     * Run the role's calls as local activities beside the sample workflow on the r1ov-cpu workers instead of
     * dispatching them through the role's task queue: no server round trip per call. The CPU workers then need the
     * endpoint's key and network. Not with `rpm`: the rate limit lives on the role's queue.
     */
    local: z.boolean().optional(),
    /** In-flight calls per worker process. */
    concurrency: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
    price: PriceSchema.optional(),
  })
  .strict();
export type RoleConfig = z.infer<typeof RoleConfigSchema>;

/** A run's config file (`--config`, JSON or YAML). */
export const RunConfigSchema = z
  .object({
    roles: z.partialRecord(RoleSchema, RoleConfigSchema).default({}),
    /** Sliding window of in-flight sample workflows. */
    window: z.number().int().positive().max(2000).default(200),
    /** Rows read per ingest page. */
    pageSize: z.number().int().positive().max(2000).default(100),
    /** Finished records per shard commit. */
    commitEvery: z.number().int().positive().default(500),
    /** Continue-as-new after this many pages even if the server does not suggest it. */
    pagesPerRun: z.number().int().positive().default(20),
    /** Qwen2.5-VL-style pixel bounds for stored images. */
    minPixels: z.number().int().positive().default(3136),
    maxPixels: z.number().int().positive().default(1003520),
    /** Images whose header declares more pixels than this are quarantined before decoding. */
    maxInputPixels: z.number().int().positive().default(178_956_970),
    /** Re-asks of a formalizer whose output fails validation. */
    maxRepairs: z.number().int().min(0).max(10).default(2),
    /** Reasoning candidates per sample; the verifier picks the best. */
    candidates: z.number().int().min(1).max(16).default(1),
    /** Trace length bounds (characters) for the QA rules. */
    minTraceChars: z.number().int().nonnegative().default(40),
    maxTraceChars: z.number().int().positive().default(32000),
    /** Revisit rounds after the first reasoning pass: the reasoner asks, the vision model (formalizer role) looks again. 0 turns it off. */
    revisitRounds: z.number().int().min(0).max(5).default(2),
    /** Use the judge role in the QA filter when it is configured. */
    judge: z.boolean().default(true),
    /** Synthetic sources: also run the model formalizer (and reasoner) on each image and score it against the exact spec. */
    fidelity: z.boolean().default(false),
    /** Rows whose answer turn holds a <think> trace (R1-Onevision layout): QA that trace instead of generating one. */
    importTraces: z.boolean().default(false),
    /**
     * Seconds without a heartbeat before the server gives up on an LLM call whose worker died and retries it on
     * another (the gateway beats every third of it, at most every 10 s, while the call is in flight).
     */
    llmHeartbeatTimeoutSec: z.number().int().min(3).max(3600).default(120),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** An endpoint after resolution: what activities use. Holds the env var name of the key, never the key. */
export const ResolvedEndpointSchema = z.object({
  role: RoleSchema,
  baseUrl: z.string(),
  model: z.string(),
  apiKeyEnv: z.string().optional(),
  rpm: z.number().optional(),
  /** Calls run as local activities on the r1ov-cpu workers (RoleConfigSchema.local). */
  local: z.boolean().optional(),
  concurrency: z.number().int().positive().default(16),
  timeoutMs: z.number().int().positive().default(120_000),
  temperature: z.number().optional(),
  maxTokens: z.number().int().optional(),
  price: PriceSchema.optional(),
});
export type ResolvedEndpoint = z.infer<typeof ResolvedEndpointSchema>;
