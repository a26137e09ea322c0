import { LocalStore } from './local.ts';
import { S3Store } from './s3.ts';
import { s3ConfigFromEnv } from './s3-config.ts';
import type { ObjectStore } from './object-store.ts';

export { NotFoundError, StoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';
export { keys } from './keys.ts';
export { LocalStore } from './local.ts';
export { S3Store } from './s3.ts';

const stores = new Map<string, ObjectStore>();

/**
 * The store for a home: S3 when `R1OV_S3_BUCKET` is set (one bucket prefix per deployment, shared by every worker
 * host), else the home's own folder. One instance per home and process (the S3 client keeps its connections).
 */
export function storeFor(home: string): ObjectStore {
  let s = stores.get(home);
  if (!s) {
    const s3 = s3ConfigFromEnv();
    s = s3 ? new S3Store(s3) : new LocalStore(home);
    stores.set(home, s);
  }
  return s;
}
