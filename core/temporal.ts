import { readFileSync } from 'node:fs';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { readServerState } from '../infra/server.ts';
import { dataConverterFromEnv } from './codec.ts';
import { UsageError } from './errors.ts';

export interface TemporalTarget {
  address: string;
  namespace: string;
  uiUrl: string | null;
}

/** Where to find Temporal: `TEMPORAL_ADDRESS`, else the embedded server recorded in the home. */
export function temporalTarget(home: string): TemporalTarget {
  const state = readServerState(home);
  // No silent fallback to a default port: a worker of one home must never serve another home's server.
  if (!process.env.TEMPORAL_ADDRESS && !state) {
    throw new UsageError(
      `no Temporal server for home ${home}: run \`r1ov server start\` (or \`r1ov up\`), or set TEMPORAL_ADDRESS`,
    );
  }
  const address = process.env.TEMPORAL_ADDRESS ?? state!.address;
  const namespace = process.env.TEMPORAL_NAMESPACE ?? state?.namespace ?? 'default';
  return { address, namespace, uiUrl: process.env.TEMPORAL_UI_URL ?? state?.uiUrl ?? null };
}

/**
 * TLS / API key for a remote cluster such as Temporal Cloud (infra/deploy/temporal-cloud.md): `TEMPORAL_API_KEY`, or
 * mTLS with `TEMPORAL_TLS_CERT` + `TEMPORAL_TLS_KEY` (PEM file paths; `TEMPORAL_TLS_CA`, `TEMPORAL_TLS_SERVER_NAME`
 * optional). Empty for the embedded dev server. Shared by the client and the workers.
 */
export function connectionSecurityFromEnv(env: Record<string, string | undefined> = process.env): {
  tls?:
    | { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string }
    | boolean;
  apiKey?: string;
} {
  const cert = env.TEMPORAL_TLS_CERT,
    key = env.TEMPORAL_TLS_KEY;
  if (Boolean(cert) !== Boolean(key))
    throw new UsageError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  const tls =
    cert && key
      ? {
          clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) },
          ...(env.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_CA) } : {}),
          ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
        }
      : env.TEMPORAL_API_KEY
        ? true
        : undefined;
  return { ...(tls ? { tls } : {}), ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}) };
}

export async function connectClient(
  home: string,
): Promise<{ client: Client; target: TemporalTarget; close: () => Promise<void> }> {
  const target = temporalTarget(home);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: target.address,
      connectTimeout: 5_000,
      ...connectionSecurityFromEnv(),
    });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${target.address} (${(err as Error).message}); start it with \`r1ov server start\``,
    );
  }
  // Payload encryption when R1OV_CODEC_KEYS is set (core/codec.ts): the same codec the workers use.
  const dataConverter = dataConverterFromEnv();
  return {
    client: new Client({ connection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}) }),
    target,
    close: () => connection.close(),
  };
}

/** Link to a workflow in the Web UI. */
export function workflowUrl(target: TemporalTarget, workflowId: string): string | null {
  return target.uiUrl
    ? `${target.uiUrl}/namespaces/${target.namespace}/workflows/${encodeURIComponent(workflowId)}`
    : null;
}

/**
 * Start a workflow under a deterministic id, or attach to the execution already there (running or closed), so that
 * re-running a command is idempotent. Returns whether this call started it.
 */
export async function startOrAttachWorkflow<W extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<W>,
): Promise<{ handle: WorkflowHandle<W>; started: boolean }> {
  const existing = client.workflow.getHandle<W>(options.workflowId);
  try {
    await existing.describe();
    return { handle: existing, started: false };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  try {
    return { handle: await client.workflow.start<W>(workflowType, options), started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: existing, started: false };
    throw err;
  }
}

/** A task queue a run needs, and which kind of task it must serve there. */
export interface NeededQueue {
  name: string;
  type: 'workflow' | 'activity';
}

/**
 * The needed queues that no worker polls now (Temporal's DescribeTaskQueue pollers; the server remembers a poller
 * for a few minutes after it stops). Each answer is bounded by `timeoutMs`; a queue whose answer does not come in
 * time is not reported (no false alarm).
 */
export async function queuesWithoutWorkers(
  client: Client,
  namespace: string,
  queues: NeededQueue[],
  timeoutMs = 3_000,
): Promise<NeededQueue[]> {
  const deadline = Date.now() + timeoutMs;
  const answers = await Promise.all(
    queues.map(async (q) => {
      try {
        const r = await client.connection.withDeadline(deadline, () =>
          client.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: q.name, kind: 1 /* NORMAL */ },
            taskQueueType: q.type === 'workflow' ? 1 : 2,
          }),
        );
        return (r.pollers?.length ?? 0) === 0 ? q : null;
      } catch {
        return null;
      }
    }),
  );
  return answers.filter((q): q is NeededQueue => q !== null);
}

/** The command that starts a worker for these queues. */
export function workerCommandFor(queues: NeededQueue[]): string {
  const names = [...new Set(queues.map((q) => q.name))];
  return `r1ov worker --queues ${names.join(',')}  (or \`r1ov worker\` for every queue)`;
}
