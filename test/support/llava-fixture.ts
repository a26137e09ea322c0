/**
 * Builds a LLaVA-OneVision-format source for tests: `<subset>/train-0000k-of-0000N.parquet` files with `id`,
 * `image` (struct bytes/path, or a base64 string as in the released R1-Onevision data), `conversations`,
 * `data_source`; many image encodings and a few deliberately bad rows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FakeReply, FakeRequest } from './fake-openai.ts';

export interface FixtureExpectation {
  total: number;
  done: number;
  rejected: number;
  quarantined: number;
  quarantineCodes: Record<string, number>;
  rejectCodes: Record<string, number>;
}

type Turn = { from: string; value: string };
interface Row {
  id: string;
  image: Buffer | null;
  conversations: Turn[];
  data_source: string;
}

/** A PNG whose header claims 30000×30000 pixels (the body is a token IDAT): decoding it would need ~2.7 GB. */
export function hugePngHeader(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30000, 0);
  ihdr.writeUInt32BE(30000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const ENCODINGS = ['png', 'jpeg', 'gray', 'rgba', 'cmyk', 'png16'] as const;

async function drawImage(label: string, encoding: (typeof ENCODINGS)[number], w = 96, h = 64): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="${encoding === 'rgba' ? 'rgba(30,90,200,0.5)' : '#e8eef8'}"/><text x="6" y="${h / 2}" font-family="DejaVu Sans" font-size="12" fill="#123">${label}</text></svg>`;
  const base = sharp(Buffer.from(svg));
  switch (encoding) {
    case 'png':
      return base.flatten({ background: '#fff' }).png().toBuffer();
    case 'jpeg':
      return base.flatten({ background: '#fff' }).jpeg({ quality: 85 }).toBuffer();
    case 'gray':
      return base.flatten({ background: '#fff' }).grayscale().png().toBuffer();
    case 'rgba':
      return base.ensureAlpha().png().toBuffer();
    case 'cmyk':
      return base.flatten({ background: '#fff' }).toColourspace('cmyk').jpeg().toBuffer();
    case 'png16':
      return base.flatten({ background: '#fff' }).toColourspace('rgb16').png().toBuffer();
  }
}

/** Questions whose answers a test responder can compute from the question alone. */
function arithmetic(i: number): { q: string; a: string } {
  const a = ((i * 7) % 23) + 2;
  const b = ((i * 5) % 17) + 3;
  return { q: `The image shows two bars labelled ${a} and ${b}. What is their sum?`, a: String(a + b) };
}

export async function writeLlavaFixture(dir: string): Promise<FixtureExpectation> {
  const exp: FixtureExpectation = {
    total: 0,
    done: 0,
    rejected: 0,
    quarantined: 0,
    quarantineCodes: {},
    rejectCodes: {},
  };
  const q = (code: string, n = 1) => {
    exp.quarantined += n;
    exp.quarantineCodes[code] = (exp.quarantineCodes[code] ?? 0) + n;
    exp.total += n;
  };
  const r = (code: string, n = 1) => {
    exp.rejected += n;
    exp.rejectCodes[code] = (exp.rejectCodes[code] ?? 0) + n;
    exp.total += n;
  };
  const ok = (n = 1) => {
    exp.done += n;
    exp.total += n;
  };
  let k = 0;
  const subsets: Record<string, { source: string; rows: Row[]; base64?: boolean }> = {
    chartqa: { source: 'chartqa', rows: [] },
    'ai2d(gpt4v)': { source: 'ai2d(gpt4v)', rows: [] },
    geo3k: { source: 'geo3k', rows: [] },
    mystery_set: { source: 'mystery_set', rows: [] },
    r1_onevision_released: { source: 'geoqa+(mathv360k)', rows: [], base64: true },
  };
  const sizes: Record<string, number> = {
    chartqa: 50,
    'ai2d(gpt4v)': 50,
    geo3k: 50,
    mystery_set: 20,
    r1_onevision_released: 20,
  };
  for (const [subset, s] of Object.entries(subsets)) {
    for (let i = 0; i < sizes[subset]!; i++) {
      const enc = ENCODINGS[k % ENCODINGS.length]!;
      const image = await drawImage(`${subset} ${i}`, enc);
      const t1 = arithmetic(k++);
      const conv: Turn[] = [
        { from: 'human', value: `<image>\n${t1.q}` },
        { from: 'gpt', value: t1.a },
      ];
      // Multi-turn rows: every fifth row of chartqa gets a second exchange.
      if (subset === 'chartqa' && i % 5 === 0) {
        const t2 = arithmetic(k++);
        conv.push({ from: 'human', value: t2.q }, { from: 'gpt', value: t2.a });
        ok();
      }
      // Traps: the test responder answers these wrongly, so QA must reject them.
      if (subset === 'geo3k' && i < 4) conv[0]!.value += ' (trap)';
      if (subset === 'geo3k' && i < 4) r('wrong_answer');
      else ok();
      s.rows.push({ id: `${subset}-${i}`, image, conversations: conv, data_source: s.source });
    }
  }
  const special = subsets.chartqa!.rows;
  special.push({
    id: 'bad-corrupt',
    image: Buffer.from('this is not an image at all'),
    conversations: [
      { from: 'human', value: '<image>\nWhat is 1+1?' },
      { from: 'gpt', value: '2' },
    ],
    data_source: 'chartqa',
  });
  q('image_corrupt');
  special.push({
    id: 'bad-noanswer',
    image: await drawImage('x', 'png'),
    conversations: [{ from: 'human', value: '<image>\nWhat is 2+2?' }],
    data_source: 'chartqa',
  });
  q('missing_answer');
  special.push({
    id: 'bad-huge',
    image: hugePngHeader(),
    conversations: [
      { from: 'human', value: '<image>\nWhat is 3+3?' },
      { from: 'gpt', value: '6' },
    ],
    data_source: 'chartqa',
  });
  q('image_too_large');
  special.push({
    id: 'caption-only',
    image: await drawImage('c', 'jpeg'),
    conversations: [
      { from: 'human', value: '<image>\nDescribe this image in detail.' },
      { from: 'gpt', value: 'A chart.' },
    ],
    data_source: 'chartqa',
  });
  r('no_reasoning');

  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const [subset, s] of Object.entries(subsets)) {
    const sub = join(dir, subset);
    mkdirSync(sub, { recursive: true });
    // Two files per subset, as LLaVA-OneVision shards its subsets.
    const half = Math.ceil(s.rows.length / 2);
    for (const [part, rows] of [s.rows.slice(0, half), s.rows.slice(half)].entries()) {
      const jsonl = join(sub, `part${part}.jsonl`);
      writeFileSync(
        jsonl,
        rows
          .map((row) =>
            JSON.stringify({
              id: row.id,
              img: row.image?.toString('base64') ?? null,
              conversations: row.conversations,
              data_source: row.data_source,
            }),
          )
          .join('\n'),
      );
      const imageExpr = s.base64 ? `img AS image` : `{'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image`;
      await conn.run(`COPY (SELECT id, ${imageExpr}, conversations, data_source FROM read_json('${jsonl}', columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'}))
        TO '${join(sub, `train-0000${part}-of-00002.parquet`)}' (FORMAT parquet)`);
      (await import('node:fs')).rmSync(jsonl);
    }
  }
  conn.closeSync();
  db.closeSync();
  return exp;
}

/** Valid formal outputs for the kinds the fixture's subsets route to (chart, mixed, math). */
const FORMALS: Record<string, unknown> = {
  formal_chart: { chartType: 'bar', csv: 'Bar,Value\nfirst,1\nsecond,2' },
  formal_mixed: { caption: 'Two bars, each labelled with a number.', objects: [], lines: [] },
  formal_math: {
    figure: 'Two bars, each labelled with a number.',
    givens: [],
    strategies: ['Add the two labelled numbers.'],
  },
};

/** The language-model stand-in for fixture builds: computes answers from the question; traps get a wrong one. */
export function fixtureResponder(opts: { latencyMs?: number } = {}) {
  return (req: FakeRequest): FakeReply => {
    const delayMs = opts.latencyMs;
    const name = req.response_format?.json_schema?.name ?? '';
    if (name === 'modality')
      return { json: { kind: 'mixed', subkind: null, needs_reasoning: true, rationale: 'test' }, delayMs };
    if (name.startsWith('formal_')) return { json: FORMALS[name], delayMs };
    if (name === 'qa_verdict')
      return { json: { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' }, delayMs };
    const text = JSON.stringify(req.messages);
    const m = text.match(/labelled (\d+) and (\d+)/);
    const sum = m ? Number(m[1]) + Number(m[2]) : 0;
    const answer = text.includes('(trap)') ? sum + 1 : sum;
    return {
      content: `<think>\nThe image shows two bars, ${m?.[1]} and ${m?.[2]}. Adding them: ${m?.[1]} + ${m?.[2]} = ${answer}.\n</think>\n<answer>\nThe sum is \\boxed{${answer}}.\n</answer>`,
      delayMs,
    };
  };
}

/**
 * A scalable LLaVA-format source for benches: n single-turn arithmetic samples spread over `subsets`, one image per
 * subset (benches measure orchestration, not decoding). `numbered` puts the index in each question, so that no two
 * prompts are alike and the response cache cannot hide the endpoint's latency.
 */
export async function writeArithmeticSource(
  dir: string,
  n: number,
  opts: { subsets: string[]; idPrefix: string; numbered?: boolean },
): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const [si, subset] of opts.subsets.entries()) {
    const img = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 230, g: 235 - si * 20, b: 245 } },
    })
      .png()
      .toBuffer();
    const rows: string[] = [];
    for (let i = si; i < n; i += opts.subsets.length) {
      const a = ((i * 7) % 23) + 2,
        b = ((i * 5) % 17) + 3;
      const q = opts.numbered
        ? `Question ${i}: the image shows two bars labelled ${a} and ${b}. What is their sum?`
        : `The image shows two bars labelled ${a} and ${b}. What is their sum?`;
      rows.push(
        JSON.stringify({
          id: `${opts.idPrefix}-${i}`,
          img: img.toString('base64'),
          conversations: [
            { from: 'human', value: `<image>\n${q}` },
            { from: 'gpt', value: String(a + b) },
          ],
          data_source: subset,
        }),
      );
    }
    const sub = join(dir, subset);
    mkdirSync(sub, { recursive: true });
    const jsonl = join(sub, 'rows.jsonl');
    writeFileSync(jsonl, rows.join('\n'));
    await conn.run(`COPY (SELECT id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source
      FROM read_json('${jsonl}', columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'}))
      TO '${join(sub, 'train-00000-of-00001.parquet')}' (FORMAT parquet)`);
  }
  conn.closeSync();
  db.closeSync();
}

/** One LLaVA-OneVision row as the dataset writes it: the image as PNG bytes, the turns as {from, value}. */
export interface LlavaRow {
  id: string;
  png: Buffer;
  conversations: Array<{ from: string; value: string }>;
  data_source: string;
}

/** Writes rows into `<dir>/train-00000-of-00001.parquet` in the LLaVA-OneVision layout (image struct {bytes, path}). */
export async function writeLlavaRows(dir: string, rows: LlavaRow[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const jsonl = join(dir, 'rows.jsonl');
  writeFileSync(
    jsonl,
    rows
      .map((r) =>
        JSON.stringify({
          id: r.id,
          img: r.png.toString('base64'),
          conversations: r.conversations,
          data_source: r.data_source,
        }),
      )
      .join('\n'),
  );
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source FROM read_json('${jsonl}',
    columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'})) TO '${join(dir, 'train-00000-of-00001.parquet')}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
}
