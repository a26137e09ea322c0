/**
 * Formalizers through the lifecycle on a real Temporal dev server against the local protocol
 * server: for every formal kind, a valid output (attempts 1), an invalid-then-valid output (repair used, attempts 2),
 * and an always-invalid output (quarantined with the validator's error). Records carry kind, sub-kind, format,
 * formal text, boxes, OCR lines, validator result and attempts. A second identical build makes no calls (cache),
 * and llm_calls rows match the calls the server saw. One cluster for the file; a 27-row source with tiny images.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type FakeRequest } from './support/fake-openai.ts';
import { FORMAL_FORMATS, type FormalKind } from '../activities/formalize/kinds.ts';
import { RunConfigSchema } from '../schemas/config.ts';
import { normalizeImage } from '../activities/images/normalize.ts';

const W = 160;
const H = 120;
const MODES = ['valid', 'repair', 'broken'] as const;
type Mode = (typeof MODES)[number];

/**
 * How each formal kind is reached: a data_source the table knows, or an unknown one the classifier sorts. The kinds
 * run end to end here; a kind added later is tested in its own file (activities/formalize/README.md).
 */
const ROUTES = {
  circuit: { source: 'test_schematics', kind: 'diagram', subkind: 'circuit', by: 'classifier' },
  flowchart: { source: 'test_flows', kind: 'diagram', subkind: 'flowchart', by: 'classifier' },
  ui: { source: 'test_screens', kind: 'diagram', subkind: 'ui', by: 'classifier' },
  table: { source: 'tabmwp(mathv360k)', kind: 'diagram', subkind: 'table', by: 'table' },
  chart: { source: 'chartqa', kind: 'chart', subkind: null, by: 'table' },
  natural: { source: 'clevr', kind: 'natural', subkind: null, by: 'table' },
  text_only: { source: 'visualmrc', kind: 'text_only', subkind: null, by: 'table' },
  mixed: { source: 'st_vqa', kind: 'mixed', subkind: null, by: 'table' },
  math: { source: 'geo3k', kind: 'math', subkind: null, by: 'table' },
} satisfies Partial<
  Record<FormalKind, { source: string; kind: string; subkind: string | null; by: 'table' | 'classifier' }>
>;
type TestedKind = keyof typeof ROUTES;
const KINDS = Object.keys(ROUTES) as TestedKind[];

/** A valid and an invalid (schema-valid, validator-invalid: so both are cacheable) output per kind, and the error. */
const OUTPUTS: Record<TestedKind, { good: unknown; bad: unknown; error: RegExp }> = {
  circuit: {
    good: { format: 'spice', netlist: '* divider\nV1 n1 0 DC 10\nR1 n1 n2 1k\nR2 n2 0 1k\n.end' },
    bad: { format: 'spice', netlist: '* divider\nV1 n1 0 DC 10\nR1 n1 0\n.end' },
    error: /R1 has no value/,
  },
  flowchart: {
    good: { format: 'mermaid', source: 'flowchart TD\n  a(["Start"]) --> b{"Ok?"}\n  b -->|Yes| c["Done"]' },
    bad: { format: 'mermaid', source: 'flowchart TD\n  a["Start" --> b' },
    error: /expected '\]' after the quoted label/,
  },
  ui: {
    good: { format: 'html', html: '<main><h1>Cart</h1><button>Pay 12</button></main>' },
    bad: { format: 'html', html: '<div><span>OK</div>' },
    error: /close <\/span> first/,
  },
  table: {
    good: {
      format: 'csv',
      csv: 'Item,Price\nPen,1\nBook,12',
      json: [
        { Item: 'Pen', Price: 1 },
        { Item: 'Book', Price: 12 },
      ],
    },
    bad: { format: 'csv', csv: 'Item,Price\nPen,1,3\nBook,12' },
    error: /3 fields, but the header has 2/,
  },
  chart: {
    good: {
      chartType: 'bar',
      title: 'Harvest',
      xAxis: { label: 'Farm' },
      yAxis: { label: 'Tonnes' },
      csv: 'Farm,Apples\nWest,3\nEast,5',
    },
    bad: { chartType: 'bar', csv: 'Farm,Apples\nWest,three\nEast,five' },
    error: /no numeric column/,
  },
  natural: {
    good: {
      caption: 'Two cubes on a table, a red one left of a blue one.',
      objects: [
        { label: 'red cube', box: [10, 40, 60, 90] },
        { label: 'blue cube', box: [90, 40, 150, 130] },
      ],
    },
    bad: { caption: 'Two cubes.', objects: [{ label: 'red cube', box: [0.1, 0.3, 0.4, 0.7] }] },
    error: /normalised to 0–1/,
  },
  text_only: {
    good: { lines: [{ text: 'Total 42', box: [8, 28, 63, 42] }], document: 'Total 42' },
    bad: { lines: [], document: '' },
    error: /no text lines/,
  },
  mixed: {
    good: {
      caption: 'A sign reading Total 42 above a box.',
      objects: [{ label: 'box', box: [20, 60, 100, 110] }],
      lines: [{ text: 'Total 42', box: [8, 28, 63, 42], confidence: 0.9 }],
    },
    bad: { caption: 'A sign.', objects: [{ label: 'box', box: [100, 60, 20, 110] }], lines: [] },
    error: /x1 \(100\) must be less than x2 \(20\)/,
  },
  math: {
    good: {
      figure: 'Right triangle ABC with the right angle at C.',
      givens: ['AC = 3', 'BC = 4'],
      strategies: ['Use the Pythagorean theorem.'],
    },
    bad: {
      figure: 'Right triangle ABC with the right angle at C.',
      givens: ['AC = 3'],
      strategies: ['Use Pythagoras.', 'use  pythagoras.'],
    },
    error: /repeats strategies\[0\]/,
  },
};

const textOf = (req: FakeRequest) => JSON.stringify(req.messages);

/** Row tag (`[kind/mode]`) by the base64 of the row's stored (normalised) image: formalizer prompts of kinds shared
 * by image carry no question, so the stand-in formalizer knows the row by its image. */
const tagByImage = new Map<string, string>();
const imageTag = (req: FakeRequest) => {
  const m = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(JSON.stringify(req.messages));
  return (m && tagByImage.get(m[1]!)) ?? textOf(req);
};

/** The stand-in model: router from the [kind] marker, formalizer by mode, reasoner adds the two labelled numbers. */
function responder(req: FakeRequest): FakeReply {
  const name = req.response_format?.json_schema?.name ?? '';
  const text = textOf(req);
  if (name === 'modality') {
    const kind = KINDS.find((k) => text.includes(`[${k}/`))!;
    const r = ROUTES[kind];
    return { json: { kind: r.kind, subkind: r.subkind, needs_reasoning: true, rationale: 'test' } };
  }
  if (name.startsWith('formal_')) {
    const kind = name.slice('formal_'.length) as TestedKind;
    const mode = MODES.find((m) => imageTag(req).includes(`/${m}]`))!;
    const repairing = req.messages.length > 1;
    const good = mode === 'valid' || (mode === 'repair' && repairing);
    return { json: good ? OUTPUTS[kind].good : OUTPUTS[kind].bad };
  }
  const m = text.match(/labelled (\d+) and (\d+)/);
  const sum = m ? Number(m[1]) + Number(m[2]) : 0;
  return {
    content: `<think>\nThe image shows two values, ${m?.[1]} and ${m?.[2]}. Adding them gives ${m?.[1]} + ${m?.[2]} = ${sum}.\n</think>\n<answer>\nThe sum is \\boxed{${sum}}.\n</answer>`,
  };
}

async function writeSource(dir: string): Promise<number> {
  const rows: string[] = [];
  let i = 0;
  for (const kind of KINDS)
    for (const mode of MODES) {
      i++;
      // One image per row (a shade apart): rows of one kind would otherwise share one formalization.
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="rgb(232,238,${200 + i})"/><text x="8" y="40" font-family="DejaVu Sans" font-size="14" fill="#123">Total 42</text></svg>`;
      const png = await sharp(Buffer.from(svg)).png().toBuffer();
      const img = png.toString('base64');
      tagByImage.set(
        (await normalizeImage(png, RunConfigSchema.parse({}))).png.toString('base64'),
        `[${kind}/${mode}]`,
      );
      const q = `<image>\n[${kind}/${mode}] The image shows two values labelled ${i} and ${i + 3}. What is their sum?`;
      rows.push(
        JSON.stringify({
          id: `${kind}-${mode}`,
          img,
          conversations: [
            { from: 'human', value: q },
            { from: 'gpt', value: String(2 * i + 3) },
          ],
          data_source: ROUTES[kind].source,
        }),
      );
    }
  const sub = join(dir, 'mixed_kinds');
  mkdirSync(sub, { recursive: true });
  const jsonl = join(dir, 'rows.jsonl');
  writeFileSync(jsonl, rows.join('\n'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source FROM read_json('${jsonl}', columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'}))
    TO '${join(sub, 'train-00000-of-00001.parquet')}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  rmSync(jsonl);
  return rows.length;
}

let cluster: Cluster;
let fake: FakeOpenAI;
let src: string;
let configFile: string;
let total: number;
type Row = Record<string, any>;
const sql = async (q: string): Promise<Row[]> => (await cluster.cliJson<{ rows: Row[] }>(['sql', q])).rows;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-formalize-'));
  src = join(dir, 'src');
  total = await writeSource(src);
  fake = await startFakeOpenAI({ respond: responder });
  configFile = join(dir, 'config.json');
  const role = (r: string) => ({ baseUrl: fake.url, model: `test-${r}` });
  writeFileSync(
    configFile,
    JSON.stringify({
      roles: { router: role('router'), formalizer: role('formalizer'), reasoner: role('reasoner') },
      maxRepairs: 1,
      judge: false,
      revisitRounds: 0,
      window: 50,
      pageSize: 50,
      commitEvery: 100,
    }),
  );
  cluster = await startCluster();
  await cluster.startWorker();
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
});

describe('formalizers through the lifecycle', () => {
  let rows: Row[];
  let callsAfterFirst = 0;

  before(async () => {
    const out = await cluster.cliJson<{ status: string }>([
      'build',
      '--source',
      src,
      '--run',
      'kinds',
      '--config',
      configFile,
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    callsAfterFirst = fake.calls.length;
    rows = await sql(`select * from samples where run = 'kinds' order by sample_id`);
  });

  test('every sample is routed to its kind, through the table or the classifier', () => {
    assert.equal(rows.length, total);
    for (const r of rows) {
      const kind = r.sample_id.split('-')[0] as TestedKind;
      assert.equal(r.kind, ROUTES[kind].kind, r.sample_id);
      assert.equal(r.subkind, ROUTES[kind].subkind, r.sample_id);
      assert.equal(r.route_by, ROUTES[kind].by, r.sample_id);
    }
  });

  for (const kind of KINDS) {
    test(`${kind}: valid output (1 attempt), repaired output (2 attempts), always invalid → quarantined with the validator error`, () => {
      const by = (mode: Mode) => rows.find((r) => r.sample_id === `${kind}-${mode}#0`)!;
      for (const mode of ['valid', 'repair'] as const) {
        const r = by(mode);
        assert.equal(r.status, 'done', `${kind}-${mode}: ${r.reason}`);
        assert.equal(r.formal_valid, true);
        assert.equal(r.formal_error, null);
        assert.equal(r.formal_attempts, mode === 'valid' ? 1 : 2);
        assert.ok(FORMAL_FORMATS[kind].includes(r.formal_format as never), `${kind} format ${r.formal_format}`);
        assert.ok(typeof r.formal_text === 'string' && r.formal_text.length > 5);
        assert.ok(r.formal_key);
        assert.ok(r.trace);
        if (kind === 'natural' || kind === 'mixed') {
          const boxes = JSON.parse(r.boxes) as Array<{ label: string; box: number[] }>;
          assert.ok(boxes.length > 0);
          for (const b of boxes)
            assert.ok(
              b.box[0]! >= 0 && b.box[2]! <= W && b.box[1]! >= 0 && b.box[3]! <= H,
              `box ${b.box} clipped to ${W}×${H}`,
            );
        } else assert.equal(r.boxes, null);
        if (kind === 'text_only' || kind === 'mixed') assert.equal(JSON.parse(r.ocr_lines)[0].text, 'Total 42');
        else assert.equal(r.ocr_lines, null);
      }
      const broken = by('broken');
      assert.equal(broken.status, 'quarantined');
      assert.equal(broken.stage, 'formalize');
      assert.equal(broken.reason_code, 'formal_invalid');
      assert.match(broken.reason, OUTPUTS[kind].error);
      assert.match(broken.formal_error, OUTPUTS[kind].error);
      assert.equal(broken.formal_valid, false);
      assert.equal(broken.formal_attempts, 2);
    });
  }

  test('formal texts are what the reasoner reads, per kind', () => {
    const text = (k: FormalKind) => rows.find((r) => r.sample_id === `${k}-valid#0`)!.formal_text as string;
    assert.match(text('circuit'), /^\* divider\nV1 n1 0 DC 10/);
    assert.match(text('chart'), /^# chart: bar\n# title: Harvest\n# x: Farm\n# y: Tonnes\nFarm,Apples/);
    assert.match(text('natural'), /red cube \[10, 40, 60, 90\]/);
    assert.match(text('natural'), /blue cube \[90, 40, 150, 120\]/); // clipped to the image
    assert.match(text('math'), /Given:\n- AC = 3/);
    assert.equal(text('text_only'), 'Total 42');
  });

  test('the repair re-asks with the validator error; text kinds get the embedded OCR lines', () => {
    const asks = fake.calls
      .slice(0, callsAfterFirst)
      .map((c) => c.body!)
      .filter((b) => b.response_format?.json_schema?.name === 'formal_circuit');
    const repair = asks.find((b) => b.messages.length === 3 && imageTag(b).includes('[circuit/repair]'))!;
    assert.ok(repair, 'a repair request for the circuit');
    assert.match(JSON.stringify(repair.messages[2]), /R1 has no value/);
    const ocrAsk = fake.calls
      .map((c) => c.body!)
      .find((b) => b.response_format?.json_schema?.name === 'formal_text_only')!;
    assert.match(JSON.stringify(ocrAsk.messages[0]), /\[\d+, \d+, \d+, \d+\] \([01]\.\d\d\) Total ?42/);
  });

  test('llm_calls rows match the calls the server saw', async () => {
    const [r] = await sql(
      `select count(*) filter (not cache_hit) as misses, count(*) as n from llm_calls where run = 'kinds'`,
    );
    assert.equal(r!.misses, callsAfterFirst);
  });

  test('a second identical build makes zero calls and gives the same records', async () => {
    const out = await cluster.cliJson<{ status: string }>([
      'build',
      '--source',
      src,
      '--run',
      'kinds-again',
      '--config',
      configFile,
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    assert.equal(fake.calls.length, callsAfterFirst, 'no new calls');
    const again = await sql(
      `select sample_id, status, kind, formal_text, formal_attempts, formal_error from samples where run = 'kinds-again' order by sample_id`,
    );
    assert.deepEqual(
      again,
      rows.map((r) => ({
        sample_id: r.sample_id,
        status: r.status,
        kind: r.kind,
        formal_text: r.formal_text,
        formal_attempts: r.formal_attempts,
        formal_error: r.formal_error,
      })),
    );
    const [c] = await sql(
      `select count(*) as n, count(*) filter (cache_hit) as hits from llm_calls where run = 'kinds-again'`,
    );
    assert.ok(c!.n > 0);
    assert.equal(c!.hits, c!.n);
  });
});
