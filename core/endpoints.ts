import { UsageError } from './errors.ts';
import { ResolvedEndpointSchema, type ResolvedEndpoint, type Role, type RunConfig } from '../schemas/config.ts';

type Env = Record<string, string | undefined>;

/**
 * Resolve a role's endpoint: the run's config, then R1OV_<ROLE>_*, then OPENAI_BASE_URL / R1OV_MODEL.
 * Returns undefined when the role has no base URL or model anywhere.
 * The key itself is never resolved here; only the name of the variable that holds it.
 */
export function resolveEndpoint(role: Role, config: RunConfig, env: Env = process.env): ResolvedEndpoint | undefined {
  const c = config.roles[role] ?? {};
  const R = role.toUpperCase();
  const baseUrl = c.baseUrl ?? env[`R1OV_${R}_BASE_URL`] ?? env.OPENAI_BASE_URL;
  const model = c.model ?? env[`R1OV_${R}_MODEL`] ?? env.R1OV_MODEL;
  if (!baseUrl || !model) return undefined;
  const apiKeyEnv =
    c.apiKeyEnv ??
    (env[`R1OV_${R}_API_KEY`] !== undefined
      ? `R1OV_${R}_API_KEY`
      : env.OPENAI_API_KEY !== undefined
        ? 'OPENAI_API_KEY'
        : undefined);
  const rpmEnv = env[`R1OV_${R}_RPM`];
  const rpm = c.rpm ?? (rpmEnv ? Number(rpmEnv) : undefined);
  if (c.local && rpm !== undefined)
    throw new UsageError(
      `roles.${role}: local and rpm exclude each other (the rate limit is enforced on the role's task queue)`,
    );
  return ResolvedEndpointSchema.parse({
    role,
    baseUrl,
    model,
    apiKeyEnv,
    rpm,
    ...(c.local ? { local: true } : {}),
    concurrency: c.concurrency,
    timeoutMs: c.timeoutMs,
    temperature: c.temperature,
    maxTokens: c.maxTokens,
    price: c.price,
  });
}

/** The key for an endpoint, read from the worker's environment at call time (never persisted). */
export function apiKeyFor(endpoint: ResolvedEndpoint, env: Env = process.env): string {
  return (endpoint.apiKeyEnv ? env[endpoint.apiKeyEnv] : undefined) ?? 'none';
}
