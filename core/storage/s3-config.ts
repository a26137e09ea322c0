import { UsageError } from '../errors.ts';
import { S3ConfigSchema, type S3Config } from '../../schemas/storage.ts';

const bool = (v: string | undefined, name: string): boolean | undefined => {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new UsageError(`${name}=${v}: expected true or false`);
};

/**
 * S3 settings from the environment, or null when `R1OV_S3_BUCKET` is unset (local storage). Credentials: the
 * explicit pair when set, else the AWS SDK's default chain (profile, web identity, instance role). Values are
 * never logged; errors name the variable, not its value, for anything secret.
 */
export function s3ConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3Config | null {
  const bucket = env.R1OV_S3_BUCKET;
  if (!bucket) return null;
  const endpoint = env.R1OV_S3_ENDPOINT || undefined;
  const keyId = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(keyId) !== Boolean(secret)) {
    throw new UsageError(
      `${keyId ? 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' : 'AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not'}: set both, or neither to use the AWS SDK's default credential chain`,
    );
  }
  const raw = {
    endpoint,
    bucket,
    prefix: env.R1OV_S3_PREFIX ?? '',
    region: env.R1OV_S3_REGION || env.AWS_REGION || 'us-east-1',
    // MinIO, moto and most self-hosted servers want path-style URLs; AWS itself wants virtual-hosted ones.
    forcePathStyle: bool(env.R1OV_S3_FORCE_PATH_STYLE, 'R1OV_S3_FORCE_PATH_STYLE') ?? Boolean(endpoint),
    credentials:
      keyId && secret
        ? {
            accessKeyId: keyId,
            secretAccessKey: secret,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          }
        : undefined,
    sql: env.R1OV_S3_SQL || 'auto',
  };
  const r = S3ConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const names: Record<string, string> = {
      endpoint: 'R1OV_S3_ENDPOINT',
      bucket: 'R1OV_S3_BUCKET',
      prefix: 'R1OV_S3_PREFIX',
      region: 'R1OV_S3_REGION',
      sql: 'R1OV_S3_SQL',
    };
    const name = names[String(i.path[0])] ?? String(i.path[0]);
    throw new UsageError(`${name}: ${i.message}`);
  }
  return r.data;
}
