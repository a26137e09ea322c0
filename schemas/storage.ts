import { z } from 'zod';

/** S3-compatible storage settings (from the environment: core/storage/s3-config.ts). No bucket = local storage. */
export const S3ConfigSchema = z.object({
  endpoint: z
    .string()
    .regex(/^https?:\/\/[^/\s]+\/?$/, 'must be a URL like http://minio:9000')
    .optional(),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 chars: a-z 0-9 . -)'),
  /** Key prefix inside the bucket, normalised to '' or 'a/b/' (one r1ov home per prefix). */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9._\-/]*$/, 'may hold only A-Z a-z 0-9 . _ - /')
    .transform((p) =>
      p
        .split('/')
        .filter(Boolean)
        .map((s) => `${s}/`)
        .join(''),
    ),
  region: z.string().min(1),
  forcePathStyle: z.boolean(),
  credentials: z
    .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() })
    .optional(),
  /** How `r1ov sql` reads S3 shards: DuckDB httpfs when it loads, else a local mirror (auto); or only one of them. */
  sql: z.enum(['auto', 'httpfs', 'mirror']),
});
export type S3Config = z.infer<typeof S3ConfigSchema>;
