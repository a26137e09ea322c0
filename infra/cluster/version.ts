/**
 * The Temporal server version r1ov is tested against, pinned here once: the cluster test suite builds this version
 * (test/support/temporal-cluster.ts), and the deploy files (infra/deploy/compose.yaml, infra/deploy/k8s/) name it
 * (test/cluster-deploy.test.ts checks they agree).
 */
export const TEMPORAL_SERVER_VERSION = '1.32.0';

/**
 * The oldest server `r1ov cluster init` accepts. Workflows upsert memos (server ≥ 1.18) and the SDK in
 * package.json supports servers from 1.20; 1.25 is the oldest release the deploy files have run on.
 */
export const MIN_TEMPORAL_SERVER_VERSION = '1.25.0';

/** `1.32.0`, `v1.27.1-cloud`, `1.29.0-rc.1` → [major, minor, patch]; undefined when it is not a version. */
export function parseServerVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether version `v` is at least `min` (both as parseServerVersion reads them). */
export function versionAtLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}
