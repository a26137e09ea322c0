/**
 * A local S3-compatible server for tests: moto's server (PyPI `moto[server]`, pinned), installed like the Temporal
 * CLI (infra/temporal-cli.ts) into a Python venv under the repository's `.r1ov/tools/moto` on first use, or found
 * through `R1OV_MOTO_SERVER` / `moto_server` on PATH. moto is in-memory, starts in about a second and speaks the
 * S3 API the AWS SDK uses (multi-page listing, copy, batch delete). `.ci/run` installs it explicitly:
 *   node --import tsx test/support/s3-server.ts install
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, repoRoot } from './cluster.ts';

export const MOTO_VERSION = '5.2.5';
const venv = join(repoRoot, '.r1ov', 'tools', 'moto');
const localBin = join(venv, 'bin', 'moto_server');

const works = (bin: string) => spawnSync(bin, ['--help'], { encoding: 'utf8', timeout: 60_000 }).status === 0;

export function findMotoServer(): string {
  const fromEnv = process.env.R1OV_MOTO_SERVER;
  if (fromEnv) {
    if (!works(fromEnv)) throw new Error(`R1OV_MOTO_SERVER=${fromEnv} does not run`);
    return fromEnv;
  }
  const onPath = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && works(onPath)) return onPath;
  if (existsSync(localBin) && works(localBin)) return localBin;
  mkdirSync(join(repoRoot, '.r1ov', 'tools'), { recursive: true });
  process.stderr.write(`installing moto[server]==${MOTO_VERSION} (PyPI) into ${venv} …\n`);
  for (const [cmd, ...args] of [
    ['python3', '-m', 'venv', venv],
    [
      join(venv, 'bin', 'python'),
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `moto[server]==${MOTO_VERSION}`,
    ],
  ] as string[][]) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 900_000 });
    if (r.status !== 0)
      throw new Error(`cannot install moto (${args.slice(-1)[0]}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  }
  if (!works(localBin)) throw new Error(`installed moto but ${localBin} does not run`);
  return localBin;
}

export interface S3Server {
  endpoint: string;
  /** Environment for r1ov processes using `bucket` (created on demand) under `prefix`. */
  env(bucket: string, prefix?: string): Promise<NodeJS.ProcessEnv>;
  client: S3Client;
  stop(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'r1ov-test', secretAccessKey: 'r1ov-test-secret' };

export async function startS3Server(): Promise<S3Server> {
  const bin = findMotoServer();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}: ${err.slice(-1000)}`);
    try {
      if ((await fetch(endpoint)).status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint}: ${err.slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as core/storage/s3.ts does
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS });
  const buckets = new Set<string>();
  return {
    endpoint,
    client,
    async env(bucket, prefix = '') {
      if (!buckets.has(bucket)) {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        buckets.add(bucket);
      }
      return {
        R1OV_S3_ENDPOINT: endpoint,
        R1OV_S3_BUCKET: bucket,
        R1OV_S3_PREFIX: prefix,
        R1OV_S3_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      };
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === 'install') {
  process.stdout.write(`${findMotoServer()}\n`);
}
