/**
 * Is a role's endpoint up? `GET <baseUrl>/models` with the role's key, bounded by a short timeout. Down means nobody
 * answers (refused, unknown host, no answer in time) or the key is refused (401/403); any other answer, even a 404
 * from a server without a models list, means the server is there. Used by the CLI's preflight (before a build or eval
 * starts) and by the build's circuit breaker (the `probeEndpoint` activity, run on the role's queue so that it uses
 * that worker's network and key).
 */
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { apiKeyFor } from '../../core/endpoints.ts';

export interface ProbeResult {
  ok: boolean;
  role: string;
  host: string;
  /** Why it is down: `ECONNREFUSED`, `HTTP 401: …`, `no answer in 5 s`. Null when up. */
  error: string | null;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return 'invalid-url';
  }
}

function causeCode(err: unknown): string {
  for (
    let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, d = 0;
    e && d < 5;
    e = e.cause as typeof e, d++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function probeEndpoint(
  ep: Pick<ResolvedEndpoint, 'role' | 'baseUrl' | 'apiKeyEnv'>,
  timeoutMs = 5_000,
  env: Record<string, string | undefined> = process.env,
): Promise<ProbeResult> {
  const host = hostOf(ep.baseUrl);
  const base = { role: ep.role, host };
  let url: string;
  try {
    url = `${new URL(ep.baseUrl).href.replace(/\/+$/, '')}/models`;
  } catch {
    return { ...base, ok: false, error: `invalid base URL ${JSON.stringify(ep.baseUrl)}` };
  }
  const key = apiKeyFor(ep as ResolvedEndpoint, env);
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403)
      return {
        ...base,
        ok: false,
        error: `HTTP ${res.status}: key refused${ep.apiKeyEnv ? ` (${ep.apiKeyEnv})` : ''}`,
      };
    return { ...base, ok: true, error: null };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    return { ...base, ok: false, error: timedOut ? `no answer in ${Math.round(timeoutMs / 1000)} s` : causeCode(err) };
  }
}
