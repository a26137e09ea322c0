import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkKey, NotFoundError, TMP_SUFFIX, type ObjectInfo, type ObjectStore } from './object-store.ts';

/**
 * The default store: files under `$R1OV_HOME`, keys as relative paths (the layout r1ov always had). Synchronous fs
 * calls inside: these files are small and local, and it keeps local builds exactly as fast as before.
 */
export class LocalStore implements ObjectStore {
  readonly kind = 'local' as const;
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private file(key: string): string {
    return join(this.root, checkKey(key));
  }

  localPath(key: string): string {
    return this.file(key);
  }

  url(key: string): string {
    return join(this.root, key);
  }

  async put(key: string, data: Buffer | string, opts: { immutable?: boolean } = {}): Promise<void> {
    const p = this.file(key);
    if (opts.immutable && existsSync(p)) return;
    mkdirSync(dirname(p), { recursive: true });
    const tmp = `${p}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    writeFileSync(tmp, data);
    renameSync(tmp, p);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return readFileSync(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(key, this.root);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const s = statSync(this.file(key));
      return { key, size: s.size, etag: `${s.size}-${s.mtimeMs}` };
    } catch {
      return null;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // The folder holding every key with this prefix, walked recursively like an S3 listing.
    const dir = join(this.root, prefix.slice(0, prefix.lastIndexOf('/') + 1));
    const out: ObjectInfo[] = [];
    const walk = (d: string, rel: string) => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names.sort()) {
        if (n.startsWith('.') || n.endsWith(TMP_SUFFIX)) continue;
        const p = join(d, n);
        const key = `${rel}${n}`;
        let s;
        try {
          s = statSync(p);
        } catch {
          continue;
        } // raced with a delete
        if (s.isDirectory()) walk(p, `${key}/`);
        else if (key.startsWith(prefix)) out.push({ key, size: s.size, etag: `${s.size}-${s.mtimeMs}` });
      }
    };
    walk(dir, prefix.slice(0, prefix.lastIndexOf('/') + 1));
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) rmSync(this.file(k), { force: true });
  }

  async download(key: string, file: string): Promise<void> {
    try {
      copyFileSync(this.file(key), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(key, this.root);
      throw err;
    }
  }

  scratchFor(key: string): string {
    const p = this.file(key);
    mkdirSync(dirname(p), { recursive: true });
    return join(dirname(p), `.${basename(p)}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`);
  }

  async publish(file: string, key: string, opts: { beforeCopy?: () => void } = {}): Promise<void> {
    const p = this.file(key);
    mkdirSync(dirname(p), { recursive: true });
    opts.beforeCopy?.();
    renameSync(file, p);
  }
}
