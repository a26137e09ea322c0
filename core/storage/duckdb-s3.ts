import type { DuckDBConnection } from '@duckdb/node-api';
import { oneLine } from '../errors.ts';
import { sqlString } from '../sql.ts';
import type { S3Store } from './s3.ts';

/**
 * Let DuckDB read the store's bucket directly: load httpfs (installing it if needed) and create an in-memory
 * secret from the same settings and credentials the S3 client uses (never persisted, never printed).
 * Returns null on success, else why httpfs is unavailable (one line).
 */
export async function enableHttpfs(conn: DuckDBConnection, store: S3Store): Promise<string | null> {
  try {
    await conn.run('LOAD httpfs');
  } catch {
    try {
      await conn.run('INSTALL httpfs');
      await conn.run('LOAD httpfs');
    } catch (err) {
      return oneLine(err, 240);
    }
  }
  const c = store.config;
  const creds = await store.client.config.credentials();
  const endpoint = c.endpoint ? new URL(c.endpoint) : null;
  const parts = [
    'TYPE s3',
    `KEY_ID ${sqlString(creds.accessKeyId)}`,
    `SECRET ${sqlString(creds.secretAccessKey)}`,
    ...(creds.sessionToken ? [`SESSION_TOKEN ${sqlString(creds.sessionToken)}`] : []),
    `REGION ${sqlString(c.region)}`,
    ...(endpoint ? [`ENDPOINT ${sqlString(endpoint.host)}`, `USE_SSL ${endpoint.protocol === 'https:'}`] : []),
    `URL_STYLE ${sqlString(c.forcePathStyle ? 'path' : 'vhost')}`,
    `SCOPE ${sqlString(`s3://${c.bucket}`)}`,
  ];
  try {
    await conn.run(`CREATE TEMPORARY SECRET r1ov_s3 (${parts.join(', ')})`);
  } catch (err) {
    return `cannot configure httpfs for the bucket: ${oneLine(err, 200).replace(creds.secretAccessKey, '***')}`;
  }
  return null;
}
