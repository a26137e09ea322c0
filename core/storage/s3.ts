import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../../schemas/storage.ts';
import { checkKey, NotFoundError, StoreError, TMP_SUFFIX, type ObjectInfo, type ObjectStore } from './object-store.ts';

const isNotFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

/** One line naming the operation, the object and the server's error code; never a credential. */
function s3Error(op: string, where: string, err: unknown): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return new StoreError(
    `S3 ${op} ${where}: ${e?.name ?? 'Error'}${status}: ${String(e?.message ?? err)
      .split('\n')[0]!
      .slice(0, 200)}`,
  );
}

/**
 * Objects in an S3-compatible bucket under a prefix. Publishing goes through a temporary key (`tmp/<key>.tmp`,
 * outside `runs/` and hidden from every listing) then a server-side copy, so a reader lists either nothing or the
 * whole object; the temporary key is derived from the final one, so a retry after a crash overwrites and removes it.
 */
export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;

  constructor(readonly config: S3Config) {
    // The SDK warns on stderr that its 2027 releases will need Node 22; r1ov pins a release that runs on Node 20,
    // and the CLI's stderr is one line per problem: silence the notice unless the user set the variable.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // Checksums only where S3 requires them: many S3-compatible servers reject the SDK's default CRC32 trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get location(): string {
    return `s3://${this.config.bucket}/${this.config.prefix}${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
  }

  /** The full object name in the bucket. */
  objectKey(key: string): string {
    return `${this.config.prefix}${checkKey(key)}`;
  }

  /** The `s3://` URL of a key (for DuckDB httpfs). */
  url(key: string): string {
    return `s3://${this.config.bucket}/${this.config.prefix}${key}`;
  }

  localPath(): null {
    return null;
  }

  async put(key: string, data: Buffer | string): Promise<void> {
    // Content-addressed puts are not HEAD-checked first: rewriting identical bytes is harmless and saves a round trip.
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key), Body: data }),
      );
    } catch (err) {
      throw s3Error('put', key, err);
    }
  }

  private async body(key: string): Promise<Readable> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      return r.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(key, this.location);
      throw s3Error('get', key, err);
    }
  }

  async get(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.body(key)) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }

  async download(key: string, file: string): Promise<void> {
    const tmp = `${file}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    try {
      await pipeline(await this.body(key), createWriteStream(tmp));
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      return { key, size: Number(r.ContentLength ?? 0), etag: String(r.ETag ?? '') };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw s3Error('head', key, err);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const full = `${this.config.prefix}${prefix}`;
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: full, ContinuationToken: token }),
        );
      } catch (err) {
        throw s3Error('list', prefix, err);
      }
      for (const o of r.Contents ?? []) {
        const key = o.Key!.slice(this.config.prefix.length);
        if (key.endsWith(TMP_SUFFIX)) continue;
        out.push({ key, size: Number(o.Size ?? 0), etag: String(o.ETag ?? '') });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const r = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.config.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
          }),
        );
        const failed = (r.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failed.length)
          throw Object.assign(new Error(`${failed.length} not deleted, first ${failed[0]!.Key}: ${failed[0]!.Code}`), {
            name: 'DeleteFailed',
          });
      } catch (err) {
        throw s3Error('delete', `${batch.length} objects`, err);
      }
    }
  }

  /** Scratch files go to the OS temp dir: nothing but caches is written under the home when S3 is on. */
  scratchFor(key: string): string {
    return join(tmpdir(), `r1ov-${randomBytes(6).toString('hex')}-${basename(checkKey(key))}`);
  }

  tmpKey(key: string): string {
    return `tmp/${key}${TMP_SUFFIX}`;
  }

  async publish(file: string, key: string, opts: { beforeCopy?: () => void } = {}): Promise<void> {
    const tmp = this.tmpKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(tmp), Body: await readFile(file) }),
      );
    } catch (err) {
      throw s3Error('put', tmp, err);
    }
    opts.beforeCopy?.();
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.config.bucket,
          Key: this.objectKey(key),
          CopySource: `${this.config.bucket}/${encodeURIComponent(this.objectKey(tmp)).replaceAll('%2F', '/')}`,
        }),
      );
    } catch (err) {
      throw s3Error('copy', `${tmp} → ${key}`, err);
    }
    await this.delete([tmp]);
  }
}
