/**
 * Formalization fidelity. Pure: the scorers on the synthetic source's exact descriptions (perfect = 1,
 * partly wrong strictly between, garbage ≈ 0). End to end: `r1ov build --source synthetic:N --fidelity` against the
 * local protocol server returning a perfect, a partly wrong and a garbage formalization (one formalizer model name
 * each, so the response cache keeps them apart); the `fidelity` view holds 1.0, strictly between, and ≈ 0 per kind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticItem, parseSyntheticSource, type SyntheticItem } from '../activities/synthetic/index.ts';
import { cellAccuracy, flowchartF1, netlistF1, spiceValue, multisetF1 } from '../activities/fidelity/score.ts';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type FakeRequest } from './support/fake-openai.ts';

type Mode = 'perfect' | 'partial' | 'garbage';

/** A partly wrong copy of an exact description: some values changed, some structure dropped or rewired. */
function partly(item: SyntheticItem): string {
  const t = item.formalText;
  switch (item.kind) {
    case 'bar':
    case 'line':
    case 'pie':
    case 'table': {
      let k = 0;
      return t
        .split('\n')
        .map((l) =>
          !l.startsWith('#') && /\d/.test(l) && k++ % 2 === 0 ? l.replace(/\d+/g, (d) => String(Number(d) * 2 + 7)) : l,
        )
        .join('\n');
    }
    case 'circuit': {
      // R1 gets another value, and the last element is rewired to a new node.
      const lines = t.replace(/^(R1 \S+ \S+) \S+/m, '$1 999').split('\n');
      const last = lines.map((l) => /^[RV]/.test(l)).lastIndexOf(true);
      lines[last] = lines[last]!.replace(/^(\S+ \S+) \S+/, '$1 n9');
      return lines.join('\n');
    }
    case 'flowchart':
      return t
        .split('\n')
        .slice(0, -2)
        .join('\n')
        .replace(/"Start"/, '"Begin"');
    default:
      return t; // geometry: no structure to score; its answer stays right
  }
}

function garbage(item: SyntheticItem): string {
  switch (item.kind) {
    case 'circuit':
      return '* nothing like it\nV9 a 0 DC 1\nR9 a 0 123\n.end';
    case 'flowchart':
      return 'flowchart TD\n  z1["Nothing"] --> z2["Here"]';
    case 'geometry':
      return 'figure: a square\nside = 1';
    default:
      return 'Thing,Amount\nzzz,0.5';
  }
}

/** The kind's structured output carrying a formal text in the exact description's notation. */
function asOutput(item: SyntheticItem, text: string): unknown {
  switch (item.kind) {
    case 'bar':
    case 'line':
    case 'pie': {
      const head = Object.fromEntries(
        text
          .split('\n')
          .filter((l) => l.startsWith('# '))
          .map((l) => l.slice(2).split(/:\s*/, 2) as [string, string]),
      );
      return {
        chartType: head.chart ?? 'bar',
        title: head.title,
        xAxis: head.x ? { label: head.x } : undefined,
        yAxis: head.y ? { label: head.y } : undefined,
        csv: text
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n'),
      };
    }
    case 'table':
      return { format: 'csv', csv: text };
    case 'flowchart':
      return { format: 'mermaid', source: text };
    case 'circuit':
      return { format: 'spice', netlist: text };
    case 'geometry':
      return {
        figure: text.split('\n')[0]!,
        givens: text.split('\n').slice(1).filter(Boolean),
        strategies: ['Apply the formula for the asked quantity to the given lengths.'],
      };
  }
}

describe('fidelity scorers (pure)', () => {
  const spec = parseSyntheticSource('synthetic:7')!;
  const items = Array.from({ length: 7 }, (_, i) => generateSyntheticItem(i, spec));

  test('tables and charts: cell accuracy 1 / between / ≈ 0', () => {
    for (const it of items.filter((i) => ['bar', 'line', 'pie', 'table'].includes(i.kind))) {
      assert.equal(cellAccuracy(it.formalText, it.formalText), 1, it.kind);
      const p = cellAccuracy(it.formalText, partly(it), 0.05);
      assert.ok(p > 0 && p < 1, `${it.kind} partial ${p}`);
      assert.ok(cellAccuracy(it.formalText, garbage(it)) < 0.05, it.kind);
    }
    // Charts allow reading error (5 %), tables do not; columns align by name, rows by label, whatever the order.
    assert.equal(cellAccuracy('x,y\na,100\nb,200', 'x,y\na,103\nb,200', 0.05), 1);
    assert.equal(cellAccuracy('x,y\na,100\nb,200', 'x,y\na,103\nb,200'), 0.75);
    assert.equal(cellAccuracy('x,y,z\na,1,2\nb,3,4', 'x,z,y\nb,4,3\na,2,1'), 1);
    assert.equal(cellAccuracy('x,y\na,1', 'x,y\na,1\nb,2\nc,3'), 2 / 6, 'extra rows count against');
  });

  test('circuits: element and connection F1, independent of node names', () => {
    const c = items.find((i) => i.kind === 'circuit')!;
    assert.deepEqual(netlistF1(c.formalText, c.formalText), { element_f1: 1, connection_f1: 1 });
    const p = netlistF1(c.formalText, partly(c));
    assert.ok(p.element_f1 > 0 && p.element_f1 < 1 && p.connection_f1 > 0 && p.connection_f1 < 1, JSON.stringify(p));
    assert.deepEqual(netlistF1(c.formalText, garbage(c)), { element_f1: 0, connection_f1: 0 });
    const renamed = c.formalText.replace(/\bn1\b/g, 'top');
    assert.deepEqual(netlistF1(c.formalText, renamed), { element_f1: 1, connection_f1: 1 });
    assert.equal(spiceValue('4.7k'), '4700');
    assert.equal(spiceValue('DC 15'), '15');
    assert.equal(spiceValue('10uF'), '0.00001');
  });

  test('flowcharts: node and edge F1 over texts, not ids', () => {
    const f = items.find((i) => i.kind === 'flowchart')!;
    assert.deepEqual(flowchartF1(f.formalText, f.formalText), { node_f1: 1, edge_f1: 1 });
    const p = flowchartF1(f.formalText, partly(f));
    assert.ok(p.node_f1 > 0 && p.node_f1 < 1 && p.edge_f1 > 0 && p.edge_f1 < 1, JSON.stringify(p));
    assert.deepEqual(flowchartF1(f.formalText, garbage(f)), { node_f1: 0, edge_f1: 0 });
    assert.deepEqual(flowchartF1('flowchart TD\n a["A"] --> b["B"]', 'flowchart LR\n x["A"] --> y["B"]'), {
      node_f1: 1,
      edge_f1: 1,
    });
    assert.deepEqual(
      flowchartF1('flowchart TD\n a["A"] --> b["B"]', '@startuml\nstart\n:A;\n:B;\nstop\n@enduml').node_f1 > 0,
      true,
    );
    assert.equal(multisetF1([], []), 1);
  });
});

describe('r1ov build --fidelity', () => {
  const SOURCE = 'synthetic:10:bar,table,flowchart,circuit,geometry';
  const items = Array.from({ length: 10 }, (_, i) => generateSyntheticItem(i, parseSyntheticSource(SOURCE)!));
  let cluster: Cluster;
  let fake: FakeOpenAI;
  const configs: Partial<Record<Mode, string>> = {};

  const itemOf = (req: FakeRequest) => {
    const text = JSON.stringify(req.messages);
    const hits = items.filter((it) => text.includes(JSON.stringify(it.question).slice(1, -1)));
    assert.equal(hits.length, 1, 'each request names exactly one synthetic question');
    return { item: hits[0]!, text };
  };
  const respond = (req: FakeRequest): FakeReply => {
    const name = req.response_format?.json_schema?.name ?? '';
    const { item, text } = itemOf(req);
    if (name.startsWith('formal_')) {
      const mode = req.model.replace('formalizer-', '') as Mode;
      const formal = mode === 'perfect' ? item.formalText : mode === 'partial' ? partly(item) : garbage(item);
      return { json: asOutput(item, formal) };
    }
    // The reasoner is right exactly when it was shown the exact description's data.
    const lines = item.formalText.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const sees = lines.every((l) => text.includes(JSON.stringify(l).slice(1, -1)));
    const answer = sees ? item.answer : 'none of them';
    return {
      content: `<think>\nReading the figure carefully, the values give ${answer}.\n</think>\n<answer>\nThe answer is \\boxed{${answer}}.\n</answer>`,
    };
  };

  before(async () => {
    assert.equal(new Set(items.map((i) => i.question)).size, items.length, 'distinct questions');
    fake = await startFakeOpenAI({ respond });
    const dir = mkdtempSync(join(tmpdir(), 'r1ov-fidelity-'));
    for (const mode of ['perfect', 'partial', 'garbage'] as const) {
      configs[mode] = join(dir, `${mode}.json`);
      writeFileSync(
        configs[mode]!,
        JSON.stringify({
          roles: {
            formalizer: { baseUrl: fake.url, model: `formalizer-${mode}` },
            reasoner: { baseUrl: fake.url, model: 'reasoner' },
          },
          judge: false,
          maxRepairs: 0,
        }),
      );
    }
    cluster = await startCluster();
    await cluster.startWorker();
  });
  after(async () => {
    await cluster?.stop();
    await fake?.close();
  });

  test('--fidelity needs a formalizer endpoint and a synthetic source', async () => {
    const r = await cluster.cli(['build', '--source', SOURCE, '--run', 'nofid', '--fidelity'], {
      env: { OPENAI_BASE_URL: '', R1OV_MODEL: '', R1OV_FORMALIZER_BASE_URL: '', R1OV_FORMALIZER_MODEL: '' },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /formalizer/);
  });

  test('perfect, partly wrong and garbage formalizations score 1.0, strictly between, and ≈ 0', async () => {
    for (const mode of ['perfect', 'partial', 'garbage'] as const) {
      const out = await cluster.cliJson<{ status: string }>([
        'build',
        '--source',
        SOURCE,
        '--run',
        `fid-${mode}`,
        '--config',
        configs[mode]!,
        '--fidelity',
        '--wait',
      ]);
      assert.equal(out.status, 'COMPLETED');
    }
    type Agg = { run: string; kind: string; metric: string; v: number; n: number; prompts: number; model: string };
    const rows = (
      await cluster.cliJson<{ rows: Agg[] }>([
        'sql',
        `select run, kind, metric, avg(value) as v, count(*) as n, count(distinct prompt_hash) as prompts, any_value(model) as model from fidelity group by all order by all`,
      ])
    ).rows;
    const get = (mode: Mode, kind: string, metric: string) =>
      rows.find((r) => r.run === `fid-${mode}` && r.kind === kind && r.metric === metric);
    const structural: Array<[string, string]> = [
      ['chart', 'cell_accuracy'],
      ['table', 'cell_accuracy'],
      ['circuit', 'element_f1'],
      ['circuit', 'connection_f1'],
      ['flowchart', 'node_f1'],
      ['flowchart', 'edge_f1'],
    ];
    for (const [kind, metric] of structural) {
      assert.equal(get('perfect', kind, metric)?.v, 1, `perfect ${kind} ${metric}`);
      const p = get('partial', kind, metric)!.v;
      assert.ok(p > 0 && p < 1, `partial ${kind} ${metric} = ${p}`);
      assert.ok(get('garbage', kind, metric)!.v < 0.05, `garbage ${kind} ${metric}`);
    }
    for (const kind of ['chart', 'table', 'circuit', 'flowchart', 'math']) {
      assert.equal(get('perfect', kind, 'formal_valid')?.v, 1, `${kind} valid`);
      assert.equal(get('perfect', kind, 'answer_accuracy')?.v, 1, `perfect ${kind} answers`);
      assert.equal(get('garbage', kind, 'answer_accuracy')?.v, 0, `garbage ${kind} answers`);
      assert.equal(get('perfect', kind, 'answer_accuracy')?.n, 2);
    }
    const partialAnswers = rows.filter((r) => r.run === 'fid-partial' && r.metric === 'answer_accuracy');
    const mean = partialAnswers.reduce((s, r) => s + r.v * r.n, 0) / partialAnswers.reduce((s, r) => s + r.n, 0);
    assert.ok(mean > 0 && mean < 1, `partial answer accuracy ${mean}`);
    assert.ok(rows.every((r) => r.prompts === 1 && r.model.startsWith('formalizer-')));
    // The dataset itself is still the exact one.
    const done = (
      await cluster.cliJson<{ rows: Array<{ n: number }> }>([
        'sql',
        `select count(*) as n from samples where run = 'fid-garbage' and status = 'done'`,
      ])
    ).rows[0]!.n;
    assert.equal(done, 10);
  });
});
