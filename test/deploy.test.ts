// Deployment files (infra/deploy/) checked without a docker engine or a cluster: they parse; compose has every
// service the issue names and a worker per task queue; every image tag is pinned; every environment variable the
// code reads is documented (ENVIRONMENT.md) and every one the deploy files set is read by something; workers get
// what they need to reach Temporal; k8s Deployments are well-formed; the Temporal Cloud page covers auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ALL_QUEUES } from '../schemas/queues.ts';
import { SEARCH_ATTRIBUTE_NAMES } from '../schemas/search-attributes.ts';
import { repoRoot } from './support/cluster.ts';

const D = join(repoRoot, 'infra', 'deploy');
const read = (p: string) => readFileSync(join(D, p), 'utf8');
type Service = {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  build?: unknown;
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  profiles?: string[];
};
const compose = parse(read('compose.yaml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const k8sDocs = readdirSync(join(D, 'k8s'))
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(D, 'k8s', f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() as any })),
  )
  .filter((d) => d.doc);
const R1OV_SERVICES = Object.entries(compose.services).filter(([, s]) => /^r1ov(-gpu)?:/.test(s.image ?? ''));
const ROLES = ['ROUTER', 'FORMALIZER', 'REASONER', 'JUDGE', 'MODEL'];

function walk(dir: string, ext: RegExp, skip: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (skip.test(relative(repoRoot, p))) return [];
    return statSync(p).isDirectory() ? walk(p, ext, skip) : ext.test(f) ? [p] : [];
  });
}

/** Every environment variable production code reads, with the files that read it. */
function envReadByCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (name: string, file: string) => found.set(name, [...(found.get(name) ?? []), relative(repoRoot, file)]);
  const skip = /node_modules|infra\/deploy|\.venv|__pycache__|egg-info/;
  for (const f of ['activities', 'cli', 'core', 'infra', 'schemas', 'viewer', 'workflows', 'bin'].flatMap((d) =>
    walk(join(repoRoot, d), /\.(ts|js|cjs|mjs)$/, skip),
  )) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g)) add(m[1]!, f);
    for (const m of src.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) add(m[1]!, f);
    // Per-role templates: env[`R1OV_${R}_BASE_URL`] → every role.
    for (const m of src.matchAll(/env\[`R1OV_\$\{\w+\}_([A-Z_]+)`\]/g))
      for (const r of ROLES) add(`R1OV_${r}_${m[1]}`, f);
  }
  for (const f of walk(join(repoRoot, 'trainer', 'r1ov_trainer'), /\.py$/, skip)) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/os\.environ(?:\.get)?\s*[[(]\s*['"]([A-Z][A-Z0-9_]+)['"]/g)) add(m[1]!, f);
    for (const m of src.matchAll(/getenv\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g)) add(m[1]!, f);
  }
  return found;
}

const envDoc = read('ENVIRONMENT.md');
const [docCurrent, docPlanned = ''] = envDoc.split(/^## Planned/m);
/** Variables named in the first cell of the doc's table rows. */
const documented = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]!)),
  );

test('the code reads a plausible set of variables (the scanner works)', () => {
  const env = envReadByCode();
  for (const v of [
    'TEMPORAL_ADDRESS',
    'R1OV_HOME',
    'OPENAI_API_KEY',
    'R1OV_REASONER_RPM',
    'R1OV_CODEC_KEYS',
    'TEMPORAL_API_KEY',
  ])
    assert.ok(env.has(v), `scanner missed ${v}`);
});

test('every environment variable the code reads is documented in ENVIRONMENT.md', () => {
  const doc = documented(docCurrent!);
  const missing = [...envReadByCode()]
    .filter(([v]) => !doc.has(v))
    .map(([v, files]) => `${v} (${[...new Set(files)].join(', ')})`);
  assert.deepEqual(missing, [], `undocumented: ${missing.join('; ')}`);
});

test('ENVIRONMENT.md lists nothing stale, and the planned section is marked as not read', () => {
  const code = envReadByCode();
  const stale = [...documented(docCurrent!)].filter(
    (v) => !code.has(v) && !/^R1OV_(ROUTER|FORMALIZER|REASONER|JUDGE|MODEL)_/.test(v),
  );
  assert.deepEqual(stale, []);
  for (const v of documented(docPlanned)) assert.ok(!code.has(v), `${v} is read by code now: move it out of "Planned"`);
});

test('every variable a deploy file sets for r1ov is one the code reads (no typos)', () => {
  const code = envReadByCode();
  const planned = documented(docPlanned);
  const set = new Map<string, string>();
  for (const [name, s] of R1OV_SERVICES)
    for (const k of Object.keys(s.environment ?? {})) set.set(k, `compose ${name}`);
  for (const line of read('r1ov.env.example').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]+)=/.exec(line);
    if (m) set.set(m[1]!, 'r1ov.env.example');
  }
  for (const { file, doc } of k8sDocs) {
    if (doc.kind === 'ConfigMap') for (const k of Object.keys(doc.data ?? {})) set.set(k, `k8s ${file}`);
    for (const c of doc.spec?.template?.spec?.containers ?? [])
      for (const e of c.env ?? []) set.set(e.name, `k8s ${file}`);
  }
  const unread = [...set].filter(([v]) => !code.has(v) && !planned.has(v)).map(([v, where]) => `${v} in ${where}`);
  assert.deepEqual(unread, []);
});

test('compose: Temporal on PostgreSQL, UI, S3-compatible store, codec server, a worker for every task queue', () => {
  const s = compose.services;
  for (const name of [
    'postgresql',
    'temporal',
    'temporal-setup',
    'temporal-ui',
    'minio',
    'minio-setup',
    'codec-server',
  ])
    assert.ok(s[name], `service ${name}`);
  assert.equal(s.temporal!.environment!.DB, 'postgres12');
  assert.equal(s.temporal!.environment!.POSTGRES_SEEDS, 'postgresql');
  assert.ok(s['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT, 'UI points at the codec server');
  const cmd = (x: Service) => (Array.isArray(x.command) ? x.command : [x.command ?? '']).join(' ');
  for (const q of ALL_QUEUES) {
    const workers = R1OV_SERVICES.filter(
      ([, w]) =>
        cmd(w).startsWith('worker') &&
        cmd(w)
          .split(/[\s,]+/)
          .includes(q),
    );
    assert.ok(workers.length >= 1, `no worker service serves ${q}`);
  }
  // The setup job is `r1ov cluster init`, which registers exactly the search attributes the code upserts.
  assert.match(cmd(s['temporal-setup']!), /^cluster init\b/);
  assert.ok(SEARCH_ATTRIBUTE_NAMES.length > 0);
  // Workers reach Temporal and share one home; their image is built from our Dockerfile.
  for (const [name, w] of R1OV_SERVICES) {
    for (const v of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'R1OV_HOME'])
      assert.ok(w.environment?.[v], `${name} lacks ${v}`);
    assert.ok(
      w.volumes?.some((v) => v.startsWith('r1ov-home:')),
      `${name} does not mount r1ov-home`,
    );
    assert.equal((w.build as { dockerfile?: string })?.dockerfile, 'infra/deploy/Dockerfile');
  }
  // Named volumes used are declared.
  for (const [name, svc] of Object.entries(s))
    for (const v of svc.volumes ?? []) {
      const src = v.split(':')[0]!;
      if (!src.startsWith('.') && !src.startsWith('/'))
        assert.ok(src in compose.volumes, `${name}: volume ${src} undeclared`);
    }
  // depends_on targets exist.
  for (const [name, svc] of Object.entries(s))
    for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(s[dep], `${name} depends on missing ${dep}`);
  assert.ok(existsSync(join(D, 'dynamicconfig', 'production.yaml')));
  parse(read('dynamicconfig/production.yaml'));
});

const pinned = (image: string) => {
  const m = /^(?:[\w.-]+(?::\d+)?\/)?[\w./-]+:([\w.-]+)$/.exec(image);
  return Boolean(m && m[1] !== 'latest' && /\d/.test(m[1]!) && !image.includes('${'));
};

test('every image tag is pinned (no latest, no floating or variable tags)', () => {
  const images: Array<[string, string]> = [];
  for (const [name, s] of Object.entries(compose.services)) {
    assert.ok(s.image, `${name} has no image`);
    images.push([`compose ${name}`, s.image!]);
  }
  for (const { file, doc } of k8sDocs)
    for (const c of [
      ...(doc.spec?.template?.spec?.containers ?? []),
      ...(doc.spec?.template?.spec?.initContainers ?? []),
    ])
      images.push([`k8s ${file} ${doc.metadata?.name}`, c.image]);
  const stages = new Set<string>();
  for (const m of read('Dockerfile').matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(m[1]!)) images.push(['Dockerfile', m[1]!]);
    if (m[2]) stages.add(m[2]);
  }
  const kust = parse(readFileSync(join(D, 'k8s', 'kustomization.yaml'), 'utf8')) as {
    images: Array<{ newTag: string }>;
  };
  for (const i of kust.images) assert.ok(/\d/.test(i.newTag) && i.newTag !== 'latest');
  const bad = images.filter(([, img]) => !pinned(img));
  assert.deepEqual(bad, []);
  assert.ok(images.length >= 15, `${images.length} images checked`);
});

test('Dockerfile: copies what exists, runs the CLI, Node major matches package.json engines', () => {
  const df = read('Dockerfile');
  const copies = df.split('\n').filter((l) => /^COPY\s/.test(l) && !l.includes('--from'));
  assert.ok(copies.length >= 5);
  for (const l of copies)
    for (const src of l.trim().split(/\s+/).slice(1, -1))
      assert.ok(existsSync(join(repoRoot, src)), `COPY ${src}: missing`);
  assert.match(df, /ENTRYPOINT \["node", "bin\/r1ov\.js"\]/);
  assert.ok(existsSync(join(repoRoot, 'bin', 'r1ov.js')));
  const engines = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.node as string;
  const major = /\d+/.exec(engines)![0];
  assert.match(df, new RegExp(`^FROM node:${major}\\.`, 'm'));
  assert.match(df, /AS gpu/);
});

test('k8s: a Deployment per task queue, selectors match, env from the shared ConfigMap, shared volume declared', () => {
  const deployments = k8sDocs.filter((d) => d.doc.kind === 'Deployment').map((d) => d.doc);
  const pvcs = new Set(k8sDocs.filter((d) => d.doc.kind === 'PersistentVolumeClaim').map((d) => d.doc.metadata.name));
  const config = k8sDocs.find((d) => d.doc.kind === 'ConfigMap')!.doc;
  for (const v of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'R1OV_HOME'])
    assert.ok(config.data[v], `ConfigMap lacks ${v}`);
  for (const q of ALL_QUEUES) {
    assert.ok(
      deployments.some((d) =>
        d.spec.template.spec.containers.some((c: any) => c.args?.[0] === 'worker' && c.args.includes(q)),
      ),
      `no Deployment serves ${q}`,
    );
  }
  for (const d of deployments) {
    const sel = d.spec.selector.matchLabels;
    for (const [k, v] of Object.entries(sel))
      assert.equal(d.spec.template.metadata.labels[k], v, `${d.metadata.name}: selector ${k}`);
    for (const vol of d.spec.template.spec.volumes ?? [])
      if (vol.persistentVolumeClaim) assert.ok(pvcs.has(vol.persistentVolumeClaim.claimName));
    const c = d.spec.template.spec.containers[0];
    if (c.args[0] === 'worker') {
      assert.ok(
        c.envFrom.some((e: any) => e.configMapRef?.name === config.metadata.name),
        `${d.metadata.name} lacks the ConfigMap`,
      );
      assert.ok(c.resources?.limits, `${d.metadata.name} has no limits`);
    }
  }
  const gpu = deployments.find((d) => d.spec.template.spec.containers[0].args.includes('r1ov-gpu'))!;
  assert.equal(gpu.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], '1');
  const kust = parse(readFileSync(join(D, 'k8s', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  for (const r of kust.resources) assert.ok(existsSync(join(D, 'k8s', r)), `kustomization lists missing ${r}`);
});

test('the Temporal Cloud page covers namespace, API key and mTLS with the variables the code reads', () => {
  const page = read('temporal-cloud.md');
  const code = envReadByCode();
  for (const v of [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_API_KEY',
    'TEMPORAL_TLS_CERT',
    'TEMPORAL_TLS_KEY',
  ]) {
    assert.match(page, new RegExp(v));
    assert.ok(code.has(v), `${v} documented for Cloud but not read by the code`);
  }
  assert.match(page, /namespace/i);
  assert.match(page, /mTLS/);
  assert.match(page, /codec/i);
  for (const a of SEARCH_ATTRIBUTE_NAMES) assert.match(page, new RegExp(a));
});

test('multi-node training: an indexed Job with a headless Service matching the 2-node example, and a compose service per node', () => {
  const docs = k8sDocs.filter((d) => d.file === 'trainer-multinode.yaml').map((d) => d.doc);
  const job = docs.find((d) => d.kind === 'Job')!;
  const svc = docs.find((d) => d.kind === 'Service')!;
  assert.ok(job && svc, 'trainer-multinode.yaml holds a Job and a Service');
  const example = parse(
    readFileSync(join(repoRoot, 'trainer', 'examples', 'qwen2_5_vl_7b_pipeline_2x8gpu.yaml'), 'utf8'),
  ) as Record<string, Record<string, any>>;
  for (const stage of ['sft', 'grpo']) {
    const c = example[stage]!;
    const [host, port] = String(c.rdzv_endpoint).split(':');
    // Pod 0's DNS name under the headless Service, and the port it exposes.
    assert.equal(host, `${job.metadata.name}-0.${svc.metadata.name}`, `${stage}: rdzv_endpoint names pod 0`);
    assert.ok(
      svc.spec.ports.some((p: any) => p.port === Number(port)),
      `${stage}: the Service exposes ${port}`,
    );
    assert.equal(job.spec.completions, c.nodes, `${stage}: one pod per node`);
    const gpus = job.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'];
    assert.equal(Number(gpus), c.num_processes, `${stage}: GPUs per pod = num_processes`);
  }
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.parallelism, job.spec.completions, 'every node runs at once');
  assert.equal(svc.spec.clusterIP, 'None');
  assert.equal(job.spec.template.spec.subdomain, svc.metadata.name);
  for (const [k, v] of Object.entries(svc.spec.selector))
    assert.equal(job.spec.template.metadata.labels[k], v, `Service selector ${k}`);
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ['worker', '--queues', 'r1ov-gpu']);
  assert.ok(c.envFrom.some((e: any) => e.configMapRef?.name === 'r1ov-config'));
  const rank = c.env.find((e: any) => e.name === 'R1OV_NODE_RANK');
  assert.match(rank.valueFrom.fieldRef.fieldPath, /job-completion-index/);
  const node = compose.services['worker-gpu-node']!;
  assert.deepEqual(node.profiles, ['gpu-multinode']);
  assert.ok(
    node.environment?.R1OV_NODE_RANK && node.environment.R1OV_S3_BUCKET,
    'each node has its rank and the shared store',
  );
  assert.equal((node as { network_mode?: string }).network_mode, 'host');
});
