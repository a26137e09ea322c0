import { Client, Connection } from '@temporalio/client';
import { readServerState } from '../infra/server.ts';
import { UsageError } from './errors.ts';

export interface TemporalTarget { address: string; namespace: string; uiUrl: string | null }

/** Where to find Temporal: `TEMPORAL_ADDRESS`, else the embedded server recorded in the home. */
export function temporalTarget(home: string): TemporalTarget {
  const state = readServerState(home);
  // No silent fallback to a default port: a worker of one home must never serve another home's server.
  if (!process.env.TEMPORAL_ADDRESS && !state) {
    throw new UsageError(`no Temporal server for home ${home}: run \`r1ov server start\` (or \`r1ov up\`), or set TEMPORAL_ADDRESS`);
  }
  const address = process.env.TEMPORAL_ADDRESS ?? state!.address;
  const namespace = process.env.TEMPORAL_NAMESPACE ?? state?.namespace ?? 'default';
  return { address, namespace, uiUrl: process.env.TEMPORAL_UI_URL ?? state?.uiUrl ?? null };
}

export async function connectClient(home: string): Promise<{ client: Client; target: TemporalTarget; close: () => Promise<void> }> {
  const target = temporalTarget(home);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: 5_000 });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${target.address} (${(err as Error).message}); start it with \`r1ov server start\``);
  }
  return { client: new Client({ connection, namespace: target.namespace }), target, close: () => connection.close() };
}

/** Link to a workflow in the Web UI. */
export function workflowUrl(target: TemporalTarget, workflowId: string): string | null {
  return target.uiUrl ? `${target.uiUrl}/namespaces/${target.namespace}/workflows/${encodeURIComponent(workflowId)}` : null;
}
