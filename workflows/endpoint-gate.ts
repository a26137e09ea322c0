// The sample's side of the build's circuit breaker: an LLM stage whose endpoint is down (activities/llm/gateway.ts
// classifies refused connections, unknown hosts and refused keys as `EndpointDown`) does not burn the sample's
// retries; the sample tells its build, waits for `resumeSamples`, and runs the same stage again. The sample stays
// in the build's window meanwhile, so it finishes (and is counted) exactly once.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  setHandler,
} from '@temporalio/workflow';
import type { EndpointDown } from '../schemas/workflow.ts';
import { endpointDownSignal, resumeSamples } from './signals.ts';

export const ENDPOINT_DOWN = 'EndpointDown';

/** The endpoint-down details of a failed activity, or null for any other failure. */
export function endpointDownOf(err: unknown): Omit<EndpointDown, 'sampleId'> | null {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (!(e instanceof ApplicationFailure) || e.type !== ENDPOINT_DOWN) return null;
  const d = (e.details?.[0] ?? {}) as Partial<EndpointDown>;
  return {
    role: String(d.role ?? 'unknown'),
    host: String(d.host ?? 'unknown'),
    error: String(d.error ?? e.message.split('\n')[0]),
  };
}

/**
 * Wrap a role's activity proxy so that each call waits out an endpoint outage instead of failing the sample. Call
 * once per workflow (it installs the `resumeSamples` handler).
 */
export function endpointGate(parentId: string, sampleId: string) {
  let resumes = 0;
  setHandler(resumeSamples, () => void resumes++);
  return <A extends object>(acts: A): A =>
    new Proxy(acts, {
      get: (target, name) => {
        const f = (target as Record<string | symbol, unknown>)[name];
        if (typeof f !== 'function') return f;
        return async (...args: unknown[]) => {
          for (;;) {
            try {
              return await (f as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (err) {
              const down = endpointDownOf(err);
              if (!down) throw err;
              const seen = resumes;
              try {
                await getExternalWorkflowHandle(parentId).signal(endpointDownSignal, { ...down, sampleId });
              } catch {
                throw err; // no build to hold us (it closed): the sample fails with the endpoint's error
              }
              await condition(() => resumes > seen);
            }
          }
        };
      },
    });
}
