// The production engine's pieces checked without a server: the deploy files name the Temporal server version the
// cluster tests run (infra/cluster/version.ts) and prepare the cluster with `r1ov cluster init`; the server config
// renders with this start's ports and database; version checks read real version strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { renderServerConfig, SERVER_PORT_NAMES, type ServerPorts } from '../infra/cluster/server-config.ts';
import {
  MIN_TEMPORAL_SERVER_VERSION,
  parseServerVersion,
  TEMPORAL_SERVER_VERSION,
  versionAtLeast,
} from '../infra/cluster/version.ts';
import { repoRoot } from './support/cluster.ts';

const D = join(repoRoot, 'infra', 'deploy');
type Service = { image?: string; command?: string[] | string; depends_on?: Record<string, unknown> };
const compose = parse(readFileSync(join(D, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

test('compose runs the Temporal server version the tests run, its schema tool, and `r1ov cluster init`', () => {
  const s = compose.services;
  assert.equal(s.temporal!.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`);
  assert.equal(s['temporal-schema']!.image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  assert.ok(s.temporal!.depends_on?.['temporal-schema'], 'the server waits for its schema');
  const cmd = s['temporal-setup']!.command as string[];
  assert.deepEqual(cmd.slice(0, 2), ['cluster', 'init']);
  assert.ok(s['temporal-setup']!.image?.startsWith('r1ov:'), 'init runs the r1ov image');
  assert.ok(!s['temporal-setup']!.depends_on?.['temporal-setup'], 'init does not wait for itself');
  // Every r1ov service waits for init.
  for (const [name, svc] of Object.entries(s)) {
    if (/^r1ov(-gpu)?:/.test(svc.image ?? '') && name !== 'temporal-setup')
      assert.ok(svc.depends_on?.['temporal-setup'], `${name} does not wait for cluster init`);
  }
});

test('k8s runs `r1ov cluster init` as a Job and names the server version the tests run', () => {
  const docs = parseAllDocuments(readFileSync(join(D, 'k8s', 'cluster-init.yaml'), 'utf8')).map((d) => d.toJS() as any);
  const job = docs.find((d) => d.kind === 'Job');
  assert.ok(job);
  assert.deepEqual(job.spec.template.spec.containers[0].args.slice(0, 2), ['cluster', 'init']);
  const kust = parse(readFileSync(join(D, 'k8s', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  assert.ok(kust.resources.includes('cluster-init.yaml'));
  for (const f of ['cluster-init.yaml', 'README.md']) {
    const tags = [...readFileSync(join(D, 'k8s', f), 'utf8').matchAll(/server\.image\.tag: (\d+\.\d+\.\d+)/g)].map(
      (m) => m[1],
    );
    assert.ok(tags.length > 0, `${f} names no server.image.tag`);
    for (const t of tags) assert.equal(t, TEMPORAL_SERVER_VERSION, f);
  }
});

test("the server config carries this start's ports and database, and a dynamic config that exists", () => {
  const ports = Object.fromEntries(SERVER_PORT_NAMES.map((n, i) => [n, 20000 + i])) as ServerPorts;
  const cfg = parse(
    renderServerConfig({ ports, postgres: { host: '127.0.0.1', port: 15432, user: 'u', password: 'p' } }),
  ) as any;
  assert.equal(cfg.services.frontend.rpc.grpcPort, ports.frontend);
  assert.equal(cfg.services.frontend.rpc.httpPort, ports.frontendHttp);
  assert.equal(cfg.services.history.rpc.membershipPort, ports.historyMembership);
  assert.equal(cfg.services.worker.rpc.grpcPort, ports.worker);
  const used = Object.values(cfg.services).flatMap((s: any) =>
    Object.entries(s.rpc)
      .filter(([k]) => k.endsWith('Port'))
      .map(([, v]) => v),
  );
  assert.deepEqual([...used].sort(), Object.values(ports).sort());
  for (const store of Object.values(cfg.persistence.datastores) as any[]) {
    assert.equal(store.sql.connectAddr, '127.0.0.1:15432');
    assert.equal(store.sql.user, 'u');
  }
  assert.equal(cfg.clusterMetadata.clusterInformation.active.rpcAddress, `127.0.0.1:${ports.frontend}`);
  assert.ok(existsSync(cfg.dynamicConfigClient.filepath), cfg.dynamicConfigClient.filepath);
  assert.equal(cfg.global.metrics, undefined, 'no metrics listener: it would need one more free port');
  assert.throws(() =>
    renderServerConfig({
      ports: { ...ports, frontend: 0 },
      postgres: { host: 'h', port: 1, user: 'u', password: 'p' },
    }),
  );
});

test("server versions: Temporal's own strings read, too-old ones refused, unknown schemes left alone", () => {
  assert.deepEqual(parseServerVersion('1.32.0'), [1, 32, 0]);
  assert.deepEqual(parseServerVersion('v1.27.1-cloud.123'), [1, 27, 1]);
  assert.equal(parseServerVersion('cloud'), undefined);
  const min = parseServerVersion(MIN_TEMPORAL_SERVER_VERSION)!;
  assert.equal(versionAtLeast(parseServerVersion(TEMPORAL_SERVER_VERSION)!, min), true);
  assert.equal(versionAtLeast([1, 24, 9], min), false);
  assert.equal(versionAtLeast([2, 0, 0], min), true);
  assert.equal(versionAtLeast(min, min), true);
});
