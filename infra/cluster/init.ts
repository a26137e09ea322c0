/**
 * Make any Temporal server ready for r1ov: the namespace exists (registered when absent) and r1ov's search
 * attributes (schemas/search-attributes.ts, all Keyword) are registered on it; the server is new enough. Idempotent:
 * on a server that already has both (the embedded dev server registers them at start) it changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common';
import { z } from 'zod';
import { SEARCH_ATTRIBUTE_NAMES } from '../../schemas/search-attributes.ts';
import { MIN_TEMPORAL_SERVER_VERSION, parseServerVersion, versionAtLeast } from './version.ts';

export const ClusterInitResultSchema = z.object({
  address: z.string(),
  namespace: z.string(),
  serverVersion: z.string(),
  namespaceRegistered: z.boolean(),
  searchAttributesAdded: z.array(z.string()),
  searchAttributes: z.array(z.string()),
});
export type ClusterInitResult = z.infer<typeof ClusterInitResultSchema>;

export interface ClusterInitOptions {
  connection: Connection;
  address: string;
  namespace: string;
  retentionDays: number;
  /** How long to wait for a just-registered namespace to reach every frontend's cache. */
  readyTimeoutMs?: number;
  log?: (m: string) => void;
}

// gRPC status codes (the same numbers in every gRPC implementation).
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
const KEYWORD = 2;

const grpcCode = (err: unknown) => (isGrpcServiceError(err) ? err.code : undefined);

/** Retry `f` while the server says the namespace is not there yet (a new namespace propagates through a cache). */
async function whileNamespaceMissing<T>(what: string, f: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (grpcCode(err) !== NOT_FOUND || Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
    }
    await sleep(500); // polling the server's namespace cache: there is no event to await
  }
}

export async function initCluster(o: ClusterInitOptions): Promise<ClusterInitResult> {
  const { connection, namespace } = o;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  const info = await connection.workflowService.getSystemInfo({});
  const serverVersion = info.serverVersion ?? '';
  const parsed = parseServerVersion(serverVersion);
  const min = parseServerVersion(MIN_TEMPORAL_SERVER_VERSION)!;
  // Temporal Cloud reports its own version scheme; refuse only versions we can read and know to be too old.
  if (parsed && !versionAtLeast(parsed, min)) {
    throw new Error(
      `Temporal server at ${o.address} is ${serverVersion}; r1ov needs ${MIN_TEMPORAL_SERVER_VERSION} or newer`,
    );
  }

  let namespaceRegistered = false;
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (grpcCode(err) !== NOT_FOUND) throw err;
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        description: 'r1ov',
        workflowExecutionRetentionPeriod: msNumberToTs(o.retentionDays * 86_400_000),
      });
      namespaceRegistered = true;
      o.log?.(`registered namespace ${namespace} (retention ${o.retentionDays} days)`);
    } catch (e) {
      if (grpcCode(e) !== ALREADY_EXISTS) throw e; // another init got there first
    }
  }

  const listed = await whileNamespaceMissing(
    `list search attributes of ${namespace}`,
    () => connection.operatorService.listSearchAttributes({ namespace }),
    deadline,
  );
  const custom = listed.customAttributes ?? {};
  for (const name of SEARCH_ATTRIBUTE_NAMES) {
    const t = custom[name];
    if (t !== undefined && t !== null && Number(t) !== KEYWORD) {
      throw new Error(`search attribute ${name} on namespace ${namespace} has type ${String(t)}, r1ov needs Keyword`);
    }
  }
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !(n in custom));
  if (missing.length) {
    await whileNamespaceMissing(
      `add search attributes to ${namespace}`,
      async () => {
        try {
          await connection.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])),
          });
        } catch (err) {
          if (grpcCode(err) !== ALREADY_EXISTS) throw err;
        }
      },
      deadline,
    );
    o.log?.(`added search attributes ${missing.join(', ')} to ${namespace}`);
  }

  // Ready means a client can use them: the namespace answers a visibility query naming every attribute.
  const query = SEARCH_ATTRIBUTE_NAMES.map((n) => `${n} = 'r1ov-init'`).join(' AND ');
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      break;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`namespace ${namespace} at ${o.address} not ready: ${(err as Error).message}`);
    }
    await sleep(500); // the attribute cache refreshes on its own schedule: polled, there is no event
  }
  return {
    address: o.address,
    namespace,
    serverVersion,
    namespaceRegistered,
    searchAttributesAdded: missing,
    searchAttributes: [...SEARCH_ATTRIBUTE_NAMES],
  };
}
