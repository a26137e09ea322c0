import type { DuckDBConnection } from '@duckdb/node-api';
import type { CatalogFiles } from '../catalog.ts';
import { UsageError } from '../errors.ts';
import { enableHttpfs } from './duckdb-s3.ts';
import { mirrorDir, syncMirror } from './mirror.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';
import type { S3Store } from './s3.ts';

const CATALOG_KEY =
  /^runs\/[^/]+\/(shards|llm_calls|fidelity|eval)\/[^/]+\.parquet$|^runs\/[^/]+\/(run|eval-run)\.json$/;

let said = false;
const sayOnce = (line: string) => {
  if (!said) process.stderr.write(`${line}\n`);
  said = true;
};

function group(objects: ObjectInfo[], name: (o: ObjectInfo) => string): CatalogFiles {
  const of = (sub: string) => objects.filter((o) => o.key.split('/')[2] === sub).map(name);
  return {
    shards: of('shards'),
    llmCalls: of('llm_calls'),
    fidelity: of('fidelity'),
    manifests: of('run.json'),
    evalItems: of('eval'),
    evalManifests: of('eval-run.json'),
  };
}

/**
 * The catalog's files when the home's store is an S3 bucket. One listing names every shard and manifest (never a
 * temporary key). `R1OV_S3_SQL=auto` (default): DuckDB reads them in place through httpfs when the extension loads,
 * else says so in one stderr line and reads a local mirror (`$R1OV_HOME/cache/s3/…`: shard names are
 * content-derived, so only new shards and changed manifests are fetched). `httpfs`: refuse when it does not load.
 * `mirror`: never try httpfs (air-gapped hosts).
 */
/** The bucket's objects the catalog reads: shards of every kind and run manifests (never staged or temporary ones). */
export async function catalogObjects(store: ObjectStore): Promise<ObjectInfo[]> {
  return (await store.list('runs/')).filter((o) => CATALOG_KEY.test(o.key));
}

export async function s3CatalogFiles(conn: DuckDBConnection, store: S3Store, cacheRoot: string): Promise<CatalogFiles> {
  const objects = await catalogObjects(store);
  const mode = store.config.sql;
  const dir = mirrorDir(cacheRoot, store.location);
  if (mode !== 'mirror') {
    const why = await enableHttpfs(conn, store);
    if (!why) return group(objects, (o) => store.url(o.key));
    if (mode === 'httpfs')
      throw new UsageError(
        `R1OV_S3_SQL=httpfs: DuckDB's httpfs extension is unavailable (${why}); unset R1OV_S3_SQL to read S3 shards through a local mirror`,
      );
    sayOnce(
      `r1ov: DuckDB's httpfs extension is unavailable (${why}); reading S3 shards through a local mirror in ${dir}`,
    );
  }
  const files = await syncMirror(store, dir, objects);
  const byKey = new Map(objects.map((o, i) => [o.key, files[i]!]));
  return group(objects, (o) => byKey.get(o.key)!);
}
