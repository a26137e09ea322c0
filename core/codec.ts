/**
 * Optional payload encryption: an AES-GCM PayloadCodec used by the client (core/temporal.ts), the workers
 * (infra/worker.ts) and `r1ov codec-server` (for the Web UI). Off unless configured.
 *
 *   R1OV_CODEC_KEYS    = id1:<base64 key>,id2:<base64 key>   every key that may still decrypt history (16/24/32 bytes)
 *   R1OV_CODEC_KEY_ID  = id2                                  the key new payloads are encrypted with (default: last listed)
 *
 * Rotation: add a new id to R1OV_CODEC_KEYS, point R1OV_CODEC_KEY_ID at it, restart workers and clients; histories
 * written under the old id still decode while the old key stays listed.
 *
 * Wire format (the one Temporal's samples use, so a Python worker can share it): metadata
 * `encoding: binary/encrypted`, `encryption-key-id: <id>`; data = 12-byte IV ‖ AES-GCM ciphertext ‖ 16-byte tag
 * of the protobuf-serialised original Payload. The key id is authenticated as additional data.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: named ESM imports are not detected

const { temporal } = proto;
import { UsageError } from './errors.ts';

export const ENCODING = 'binary/encrypted';
const KEY_ID_META = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

type Env = Record<string, string | undefined>;

export interface CodecKeys {
  currentId: string;
  keys: Map<string, Buffer>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : '');

/** Parse `id:base64,id:base64` and the current id; throws UsageError naming the problem (never the key). */
export function parseCodecKeys(spec: string, currentId?: string): CodecKeys {
  const keys = new Map<string, Buffer>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf(':');
    if (i <= 0) throw new UsageError('R1OV_CODEC_KEYS: expected id:base64key[,id:base64key…]');
    const id = part.slice(0, i).trim();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new UsageError(`R1OV_CODEC_KEYS: bad key id ${JSON.stringify(id.slice(0, 64))}`);
    const key = Buffer.from(part.slice(i + 1).trim(), 'base64');
    if (![16, 24, 32].includes(key.length))
      throw new UsageError(`R1OV_CODEC_KEYS: key ${id} is ${key.length} bytes; AES-GCM needs 16, 24 or 32`);
    if (keys.has(id)) throw new UsageError(`R1OV_CODEC_KEYS: key id ${id} listed twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new UsageError('R1OV_CODEC_KEYS is empty');
  const current = currentId?.trim() || [...keys.keys()].at(-1)!;
  if (!keys.has(current)) throw new UsageError(`R1OV_CODEC_KEY_ID ${current} is not in R1OV_CODEC_KEYS`);
  return { currentId: current, keys };
}

/** Keys from the environment, or undefined when encryption is not configured. */
export function codecKeysFromEnv(env: Env = process.env): CodecKeys | undefined {
  if (!env.R1OV_CODEC_KEYS?.trim()) {
    if (env.R1OV_CODEC_KEY_ID?.trim()) throw new UsageError('R1OV_CODEC_KEY_ID is set but R1OV_CODEC_KEYS is not');
    return undefined;
  }
  return parseCodecKeys(env.R1OV_CODEC_KEYS, env.R1OV_CODEC_KEY_ID);
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly k: CodecKeys) {}

  get currentKeyId(): string {
    return this.k.currentId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const key = this.k.keys.get(this.k.currentId)!;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv);
      cipher.setAAD(Buffer.from(this.k.currentId));
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: enc(ENCODING), [KEY_ID_META]: enc(this.k.currentId) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (dec(p.metadata?.encoding) !== ENCODING) return p; // written before encryption was turned on
      const id = dec(p.metadata?.[KEY_ID_META]);
      const key = this.k.keys.get(id);
      if (!key)
        throw new Error(`payload encrypted with unknown key id ${JSON.stringify(id)} (add it to R1OV_CODEC_KEYS)`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload too short');
      const decipher = createDecipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The failure converter that moves messages and stack traces into an (encrypted) payload; also bundled into workflows. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./codec-failure-converter.cjs', import.meta.url));

/**
 * The data converter for client and worker: the codec, and failure messages/stack traces encoded too (otherwise an
 * error message quoting sample text would sit in history in the clear). Undefined when encryption is off.
 */
export function dataConverterFromEnv(
  env: Env = process.env,
): (DataConverter & { payloadCodecs: PayloadCodec[]; failureConverterPath: string }) | undefined {
  const keys = codecKeysFromEnv(env);
  if (!keys) return undefined;
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** A fresh random key as `id:base64` (for docs, tests and `r1ov codec-server --new-key`). */
export function newCodecKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

// ---- the Web UI's codec-server JSON shape: { payloads: [{ metadata: { k: base64 }, data: base64 }] } ----

export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export function payloadFromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

export function payloadToJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
