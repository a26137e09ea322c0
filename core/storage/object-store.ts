/**
 * The object store behind blobs, staged rows, shards and run manifests (core/README.md). Keys are relative,
 * '/'-separated paths (`blobs/ab/ab…`, `runs/<run>/shards/x.parquet`): the local store maps them onto
 * `$R1OV_HOME` exactly as before; the S3 store onto `<bucket>/<prefix>/`. Every write is whole-object and atomic
 * (readers never see a torn object), so activities stay idempotent whichever store is behind them.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Changes whenever the object's bytes do (S3 ETag; local size+mtime). */
  etag: string;
}

export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Where objects live, for messages (never credentials). */
  readonly location: string;
  /** Whole-object write. `immutable`: content-addressed, so a store may skip it when the key exists. */
  put(key: string, data: Buffer | string, opts?: { immutable?: boolean }): Promise<void>;
  /** The bytes of a key; throws NotFoundError when absent. */
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix` (all pages), never a temporary one. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: string[]): Promise<void>;
  /** Copy a local file's bytes to `key`. */
  download(key: string, file: string): Promise<void>;
  /**
   * Make a finished local file visible at `key` atomically: a reader sees the old object (or none) or the whole
   * new one. Local: rename. S3: upload to a temporary key, copy into place, delete the temporary key; `beforeCopy`
   * runs between the upload and the copy (the commit activity's crash hook).
   */
  publish(file: string, key: string, opts?: { beforeCopy?: () => void }): Promise<void>;
  /** A scratch path for a file about to be published at `key` (local: beside it, so publish is a rename). */
  scratchFor(key: string): string;
  /** Where a key or key prefix lives, for people and DuckDB: a path under the home, or an `s3://` URL. */
  url(key: string): string;
  /** The local file behind a key, when the store is the local disk (readers can then skip a copy). */
  localPath(key: string): string | null;
}

export class NotFoundError extends Error {
  constructor(
    readonly key: string,
    where: string,
  ) {
    super(`no object ${key} in ${where}`);
    this.name = 'NotFoundError';
  }
}

/** Keys are store-relative paths: no leading '/', no '..' segments, nothing a hostile id could escape with. */
export function checkKey(key: string): string {
  if (
    !key ||
    key.startsWith('/') ||
    key.split('/').some((s) => s === '' || s === '.' || s === '..') ||
    key.includes('\\')
  ) {
    throw new Error(`invalid object key: ${JSON.stringify(key.slice(0, 120))}`);
  }
  return key;
}

/** Temporary objects carry this suffix: every list() hides them, so no reader ever sees a partial object. */
export const TMP_SUFFIX = '.tmp';

/** The store could not be reached or refused a request: transient as far as callers know (activities retry). */
export class StoreError extends Error {
  override name = 'StoreError';
}
