/**
 * Benchmark fixtures in every published format (R1-OneVision-Bench TSV, MathVista parquet, MathVerse JSON,
 * MathVision JSONL, WeMath JSON), each question tagged `[q:ID]` so a fake model knows how to answer it:
 * right, wrong, unsure (no final answer: only a judge can score it) or error (HTTP 500 every time).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import type { FakeReply, FakeRequest } from './fake-openai.ts';
import { lastUserText } from './fake-openai.ts';

export type Behaviour = 'right' | 'wrong' | 'unsure' | 'error';
export interface FixtureItem {
  id: string;
  tag: string;
  behaviour: Behaviour;
  right: string;
  wrong: string;
  meta: Record<string, string>;
  /** Base64 PNG the request must carry for the model to answer at all (the model cannot see otherwise). */
  image?: string;
}
export interface BenchFixture {
  file: string;
  items: FixtureItem[];
  malformedRows: number[];
}
export interface BenchFixtures {
  dir: string;
  r1ov: BenchFixture;
  mathvista: BenchFixture;
  mathverse: BenchFixture;
  mathvision: BenchFixture;
  wemath: BenchFixture;
}

export const GRADES = ['Junior High School', 'High School', 'College', 'Social Test'];
export const CATEGORIES = ['Math', 'Physics', 'Chemistry', 'Biology', 'Deduction'];

async function tinyPng(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: (seed * 37) % 256, g: 90, b: 160 } } })
    .png()
    .toBuffer();
}

const tsvCell = (s: string) => (/[\t\n"]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export async function writeBenchFixtures(dir: string): Promise<BenchFixtures> {
  mkdirSync(dir, { recursive: true });
  const img = await tinyPng(1);

  // R1-OneVision-Bench: 20 items over every grade × category; MC for even i; two unsure, one error; 2 malformed rows.
  const r1: FixtureItem[] = [];
  const lines = [['index', 'image', 'question', 'choices', 'answer', 'level', 'category'].join('\t')];
  for (let i = 0; i < 20; i++) {
    const level = GRADES[i % 4]!,
      category = CATEGORIES[i % 5]!;
    const mc = i % 2 === 0;
    const tag = `r1-${i}`;
    const behaviour: Behaviour = i === 19 ? 'error' : i === 4 || i === 7 ? 'unsure' : i % 3 === 0 ? 'wrong' : 'right';
    const choices = mc ? [`${i + 1}`, `${i + 2}`, `${i + 3}`, `${i + 4}`] : [];
    const answer = mc ? 'B' : String(10 + i);
    r1.push({
      id: String(1000 + i),
      tag,
      behaviour,
      right: answer,
      wrong: mc ? 'D' : String(99 + i),
      meta: { level, category },
    });
    const q = `Hint: answer the question.\nQuestion: [q:${tag}] What is shown?${mc ? `\nOptions:\nA. ${choices[0]}\nB. ${choices[1]}\nC. ${choices[2]}\nD. ${choices[3]}` : ''}`;
    lines.push(
      [
        String(1000 + i),
        img.toString('base64'),
        tsvCell(q),
        mc ? tsvCell(JSON.stringify(choices)) : '',
        answer,
        level,
        category,
      ].join('\t'),
    );
    if (i === 5) lines.push(['9998', 'abc', 'a row with too few fields'].join('\t')); // malformed: row 6
    if (i === 11)
      lines.push(['9999', img.toString('base64'), '[q:none] no answer', '', '', 'College', 'Math'].join('\t')); // malformed: row 13
  }
  const r1File = join(dir, 'R1-OneVision-Bench.tsv');
  writeFileSync(r1File, `${lines.join('\n')}\n`);

  // MathVista testmini parquet: 10 items (MC with option-text answers, integer and float free form) + 1 malformed.
  const mv: FixtureItem[] = [];
  const mvRows: Array<Record<string, unknown>> = [];
  mkdirSync(join(dir, 'mathvista', 'images'), { recursive: true });
  for (let i = 0; i < 10; i++) {
    const pid = String(i + 1);
    const tag = `mv-${pid}`;
    const kind = i % 3 === 0 ? 'mc' : i % 3 === 1 ? 'int' : 'float';
    const behaviour: Behaviour = i % 4 === 1 ? 'wrong' : 'right';
    writeFileSync(join(dir, 'mathvista', 'images', `${pid}.png`), await tinyPng(i));
    const choices = kind === 'mc' ? ['red', 'green', 'blue'] : null;
    const answer = kind === 'mc' ? 'green' : kind === 'int' ? String(3 + i) : '1.5';
    mv.push({
      id: pid,
      tag,
      behaviour,
      right: kind === 'mc' ? 'B' : kind === 'float' ? '1.50' : answer,
      wrong: kind === 'mc' ? 'C' : '77',
      meta: {
        question_type: kind === 'mc' ? 'multi_choice' : 'free_form',
        answer_type: kind === 'mc' ? 'text' : kind === 'int' ? 'integer' : 'float',
      },
    });
    mvRows.push({
      pid,
      question: `[q:${tag}] Look at the figure.`,
      image: `images/${pid}.png`,
      choices,
      unit: kind === 'int' ? 'cm' : null,
      precision: kind === 'float' ? 1 : null,
      answer,
      question_type: mv[i]!.meta.question_type,
      answer_type: mv[i]!.meta.answer_type,
      metadata: {
        category: 'math-targeted-vqa',
        context: 'geometry diagram',
        grade: 'high school',
        language: 'english',
        skills: ['arithmetic reasoning'],
        source: 'fixture',
        task: i < 5 ? 'geometry problem solving' : 'figure question answering',
      },
    });
  }
  mvRows.push({
    pid: '11',
    question: 'malformed: no answer',
    image: null,
    choices: null,
    unit: null,
    precision: null,
    answer: null,
    question_type: 'free_form',
    answer_type: 'integer',
    metadata: null,
  });
  const mvFile = join(dir, 'mathvista', 'testmini.parquet');
  const jsonTmp = join(dir, 'mathvista', 'rows.json');
  writeFileSync(jsonTmp, JSON.stringify(mvRows));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT * FROM read_json('${jsonTmp}', columns = {pid: 'VARCHAR', question: 'VARCHAR', image: 'VARCHAR', choices: 'VARCHAR[]', unit: 'VARCHAR', precision: 'DOUBLE', answer: 'VARCHAR', question_type: 'VARCHAR', answer_type: 'VARCHAR', metadata: 'STRUCT(category VARCHAR, context VARCHAR, grade VARCHAR, language VARCHAR, skills VARCHAR[], source VARCHAR, task VARCHAR)'})) TO '${mvFile}' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();

  // MathVerse testmini JSON: 2 problems × 5 versions; problem 1 multi-choice (letter answers), problem 2 free form.
  const versions = ['Text Dominant', 'Text Lite', 'Vision Intensive', 'Vision Dominant', 'Vision Only'];
  const mvs: FixtureItem[] = [];
  const mvsRows: Array<Record<string, unknown>> = [];
  let s = 1;
  for (const p of [1, 2]) {
    versions.forEach((v, vi) => {
      const tag = `mvs-${s}`;
      const mc = p === 1;
      const behaviour: Behaviour = (p === 1 && vi >= 3) || (p === 2 && vi === 0) ? 'wrong' : 'right';
      mvs.push({
        id: String(s),
        tag,
        behaviour,
        right: mc ? 'C' : '12',
        wrong: mc ? 'A' : '13',
        meta: { problem_version: v },
      });
      mvsRows.push({
        sample_index: String(s),
        problem_index: String(p),
        problem_version: v,
        question: mc
          ? `[q:${tag}] Find the angle.\nChoices:\nA:30°\nB:45°\nC:60°\nD:90°`
          : `[q:${tag}] Find the length.`,
        image: '',
        answer: mc ? 'C' : '12',
        question_type: mc ? 'multi-choice' : 'free-form',
        metadata: { split: 'testmini', source: 'fixture', subject: 'Plane Geometry', subfield: 'Angle' },
        query_wo: '',
        query_cot: '',
      });
      s++;
    });
  }
  mvsRows.push({ problem_index: '3', problem_version: 'Vision Only', question: 'no sample index', answer: 'A' }); // malformed: row 10
  const mvsFile = join(dir, 'mathverse_testmini.json');
  writeFileSync(mvsFile, JSON.stringify(mvsRows, null, 1));

  // MathVision JSONL: 8 items (options → letter answers, or free form), one invalid JSON line.
  const mvis: FixtureItem[] = [];
  const mvisLines: string[] = [];
  for (let i = 0; i < 8; i++) {
    const tag = `mvis-${i}`;
    const mc = i < 5;
    const behaviour: Behaviour = i === 2 || i === 6 ? 'wrong' : 'right';
    mvis.push({
      id: String(i + 1),
      tag,
      behaviour,
      right: mc ? 'E' : '2\\sqrt{2}',
      wrong: mc ? 'A' : '5',
      meta: { subject: i % 2 ? 'algebra' : 'metric geometry - angle', level: String(1 + (i % 3)) },
    });
    mvisLines.push(
      JSON.stringify({
        id: String(i + 1),
        question: `[q:${tag}] <image1> Which one?`,
        options: mc ? ['1', '2', '3', '4', '5'] : [],
        image: 'images/none.png',
        answer: mc ? 'E' : '2\\sqrt{2}',
        solution: null,
        level: 1 + (i % 3),
        subject: mvis[i]!.meta.subject,
      }),
    );
    if (i === 3) mvisLines.push('{"id": "broken", "question": '); // malformed: row 4
  }
  mkdirSync(join(dir, 'images'), { recursive: true });
  writeFileSync(join(dir, 'images', 'none.png'), await tinyPng(7)); // MathVision's `image` paths resolve beside the file
  const mvisFile = join(dir, 'mathvision.jsonl');
  writeFileSync(mvisFile, `${mvisLines.join('\n')}\n`);

  // WeMath: the published testmini.json layout with image_path files (test/fixtures/benchmarks/, make_fixtures.py).
  const wm = publishedFixture('wemath');

  return {
    dir,
    r1ov: { file: r1File, items: r1, malformedRows: [6, 13] },
    mathvista: { file: mvFile, items: mv, malformedRows: [10] },
    mathverse: { file: mvsFile, items: mvs, malformedRows: [10] },
    mathvision: { file: mvisFile, items: mvis, malformedRows: [4] },
    wemath: wm,
  };
}

/** The fixtures written in published layouts under test/fixtures/benchmarks/ (see make_fixtures.py there). */
export const PUBLISHED_DIR = fileURLToPath(new URL('../fixtures/benchmarks/', import.meta.url));
export interface PublishedExpectation {
  file: string;
  items: number;
  correct: number;
  malformed_rows: number[];
  tags: Record<string, { behaviour: Behaviour; right: string; wrong: string; image: string }>;
  metrics?: Record<string, number>;
  grade?: Record<string, [number, number]>;
  category?: Record<string, [number, number]>;
  images?: Record<string, number>;
  columns?: string[];
}
export function publishedExpectation(name: 'wemath' | 'r1ov' | 'vlmevalkit'): PublishedExpectation {
  return (
    JSON.parse(readFileSync(join(PUBLISHED_DIR, 'expected.json'), 'utf8')) as Record<string, PublishedExpectation>
  )[name]!;
}
/** A published-layout fixture as a BenchFixture (items by tag; ids are not needed by the responder). */
export function publishedFixture(name: 'wemath' | 'r1ov' | 'vlmevalkit'): BenchFixture {
  const e = publishedExpectation(name);
  return {
    file: join(PUBLISHED_DIR, e.file),
    malformedRows: e.malformed_rows,
    items: Object.entries(e.tags).map(([tag, t]) => ({
      id: tag,
      tag,
      behaviour: t.behaviour,
      right: t.right,
      wrong: t.wrong,
      meta: {},
      image: t.image,
    })),
  };
}

/** The base64 PNGs a chat request carries (as data URLs in its user messages). */
export function requestImages(req: FakeRequest): string[] {
  const out: string[] = [];
  for (const m of req.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content as Array<{ type?: string; image_url?: { url?: string } }>) {
      const url = p.type === 'image_url' ? p.image_url?.url : undefined;
      if (url?.startsWith('data:image/png;base64,')) out.push(url.slice('data:image/png;base64,'.length));
    }
  }
  return out;
}

/** A fake model (and judge) answering by each question's tag; an item with an image is answered only when it arrives. */
export function benchResponder(fx: BenchFixtures, extra: BenchFixture[] = []): (req: FakeRequest) => FakeReply {
  const byTag = new Map<string, FixtureItem>();
  for (const b of [fx.r1ov, fx.mathvista, fx.mathverse, fx.mathvision, fx.wemath, ...extra])
    for (const it of b.items) byTag.set(it.tag, it);
  return (req) => {
    const text = lastUserText(req);
    if (/Decide whether the extracted answer agrees/.test(text)) {
      const gold = /Ground truth: (.*)/.exec(text)?.[1]?.trim();
      const ex = /Extracted answer: (.*)/.exec(text)?.[1]?.trim();
      return { content: gold !== undefined && gold === ex ? 'YES' : 'NO' };
    }
    const tag = /\[q:([^\]]+)\]/.exec(text)?.[1];
    const it = tag ? byTag.get(tag) : undefined;
    if (/extract its final answer/.test(text)) return { content: it?.behaviour === 'unsure' ? it.right : 'NONE' };
    if (!it) return { content: 'I do not know.' };
    if (it.image && !requestImages(req).includes(it.image))
      return { content: 'No image came with the question, so I cannot tell.' };
    switch (it.behaviour) {
      case 'error':
        return { status: 500, error: 'upstream exploded' };
      // No final answer a rule can extract: only a judge (which the fake judge answers with the right value) decides.
      case 'unsure':
        return { content: 'Looking at the figure, I can see the shape, hmm, but I will not commit to anything.' };
      case 'right':
        return { content: `<think>Reading the image carefully.</think>\nThe final answer is \\boxed{${it.right}}.` };
      case 'wrong':
        return { content: `<think>Reading the image.</think>\nThe final answer is \\boxed{${it.wrong}}.` };
    }
  };
}

/** Expected accuracy of a fixture: right items / (all items), errors and unsure counted wrong unless judged. */
export function expectedAccuracy(items: FixtureItem[], judged = false): { n: number; correct: number } {
  const correct = items.filter((i) => i.behaviour === 'right' || (judged && i.behaviour === 'unsure')).length;
  return { n: items.length, correct };
}
