// AES-GCM payload codec (core/codec.ts) and the codec server (cli/codec-server.ts), without Temporal: round trips,
// rotation by key id, tampering and unknown ids refused, key parsing, and the Web UI's /encode /decode protocol with CORS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  AesGcmCodec,
  codecKeysFromEnv,
  ENCODING,
  newCodecKey,
  parseCodecKeys,
  payloadFromJson,
  payloadToJson,
} from '../core/codec.ts';
import { startCodecServer } from '../cli/codec-server.ts';

const k1 = newCodecKey('k1');
const k2 = newCodecKey('k2');
const sample = { run: 'r', ref: { sampleId: 'chartqa-1#0', question: 'What is the sum of 3 and 4?' } };
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

test('encode hides the payload, decode restores it exactly', async () => {
  const codec = new AesGcmCodec(parseCodecKeys(k1));
  const p = defaultPayloadConverter.toPayload(sample);
  const [e] = await codec.encode([p]);
  assert.equal(text(e!.metadata!.encoding), ENCODING);
  assert.equal(text(e!.metadata!['encryption-key-id']), 'k1');
  assert.ok(!text(e!.data).includes('chartqa'));
  const [d] = await codec.decode([e!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(d!), sample);
  // A fresh IV per payload: the same value never encrypts to the same bytes.
  const [e2] = await codec.encode([p]);
  assert.notDeepEqual(Buffer.from(e2!.data!), Buffer.from(e!.data!));
});

test('rotation: new payloads use the current id, old ids still decode; a dropped key is a clear error', async () => {
  const old = new AesGcmCodec(parseCodecKeys(k1));
  const [fromOld] = await old.encode([defaultPayloadConverter.toPayload(sample)]);
  const rotated = new AesGcmCodec(parseCodecKeys(`${k1},${k2}`, 'k2'));
  const [fromNew] = await rotated.encode([defaultPayloadConverter.toPayload(sample)]);
  assert.equal(text(fromNew!.metadata!['encryption-key-id']), 'k2');
  for (const e of [fromOld!, fromNew!])
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([e]))[0]!), sample);
  const onlyNew = new AesGcmCodec(parseCodecKeys(k2));
  await assert.rejects(onlyNew.decode([fromOld!]), /unknown key id "k1"/);
});

test('tampered ciphertext or a forged key id is refused (GCM tag, id as associated data)', async () => {
  const codec = new AesGcmCodec(parseCodecKeys(`${k1},k2:${k1.split(':')[1]}`, 'k1'));
  const [e] = await codec.encode([defaultPayloadConverter.toPayload(sample)]);
  const flipped = Buffer.from(e!.data!);
  flipped[20] = (flipped[20] ?? 0) ^ 1;
  await assert.rejects(codec.decode([{ ...e!, data: flipped }]));
  // Same key bytes under another id: the id is authenticated, so relabelling fails.
  await assert.rejects(codec.decode([{ ...e!, metadata: { ...e!.metadata, 'encryption-key-id': Buffer.from('k2') } }]));
});

test('unencrypted payloads (history from before encryption) pass through decode', async () => {
  const codec = new AesGcmCodec(parseCodecKeys(k1));
  const p = defaultPayloadConverter.toPayload(sample);
  assert.deepEqual(await codec.decode([p]), [p]);
});

test('key parsing: env off by default, bad specs name the problem, never the key', () => {
  assert.equal(codecKeysFromEnv({}), undefined);
  assert.throws(() => codecKeysFromEnv({ R1OV_CODEC_KEY_ID: 'x' }), /R1OV_CODEC_KEYS is not/);
  assert.throws(() => parseCodecKeys('k1:AAAA'), /3 bytes/);
  assert.throws(() => parseCodecKeys(k1, 'nope'), /nope is not in/);
  assert.throws(() => parseCodecKeys(`${k1},${k1}`), /twice/);
  assert.throws(() => parseCodecKeys('no-colon'), /expected id:base64key/);
  const secret = k1.split(':')[1]!;
  try {
    parseCodecKeys(`bad id:${secret}`);
  } catch (err) {
    assert.ok(!(err as Error).message.includes(secret));
  }
  const keys = codecKeysFromEnv({ R1OV_CODEC_KEYS: `${k1}, ${k2}` })!;
  assert.equal(keys.currentId, 'k2'); // default: the last listed
  assert.equal(keys.keys.size, 2);
});

test('codec server: /encode and /decode speak the Web UI protocol, with CORS for the UI origin only', async () => {
  const codec = new AesGcmCodec(parseCodecKeys(k1));
  const s = await startCodecServer({ codec, origins: ['http://127.0.0.1:8233'] });
  try {
    const body = { payloads: [payloadToJson(defaultPayloadConverter.toPayload(sample))] };
    const post = (path: string, b: unknown, origin = 'http://127.0.0.1:8233') =>
      fetch(s.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin },
        body: JSON.stringify(b),
      });
    const enc = await post('/encode', body);
    assert.equal(enc.status, 200);
    assert.equal(enc.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
    const encoded = (await enc.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString(), ENCODING);
    const decRes = await post('/decode', encoded);
    const decoded = (await decRes.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.deepEqual(defaultPayloadConverter.fromPayload(payloadFromJson(decoded.payloads[0]!)), sample);
    // Preflight as the browser sends it.
    const pre = await fetch(s.url + '/decode', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    // Another origin gets no CORS grant (the browser then refuses to hand it the plaintext).
    const evil = await post('/decode', encoded, 'http://evil.example');
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    // Bad bodies are 400s with a reason, not crashes.
    assert.equal((await post('/decode', { nope: 1 })).status, 400);
    const unknown = await post('/decode', {
      payloads: [
        {
          ...encoded.payloads[0]!,
          metadata: { ...encoded.payloads[0]!.metadata, 'encryption-key-id': Buffer.from('zz').toString('base64') },
        },
      ],
    });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: string }).error, /unknown key id/);
  } finally {
    await s.close();
  }
});
