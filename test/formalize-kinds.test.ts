/**
 * The per-kind formalization table (activities/formalize/kinds.ts), without a server: every formal kind has its
 * prompt file (rendering with the formalizer's variables), its schema in the registry, and turns a validated
 * output into the reasoner's text plus structured data; routed kinds map to formal kinds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPrompt } from '../core/prompts.ts';
import {
  FORMAL_SCHEMAS,
  FormalKindSchema,
  formalKindDef,
  formalKindOf,
  formalSpecFor,
  csvRows,
} from '../activities/formalize/kinds.ts';

const vars = { question: 'Q?', width: 640, height: 480, ocr: '[1, 2, 3, 4] (0.99) hello' };

describe('formal kinds', () => {
  test('every formal kind has a prompt file that renders, and its schema in the registry', () => {
    for (const fk of FormalKindSchema.options) {
      const p = loadPrompt('formalize', fk);
      const text = p.render(vars);
      assert.ok(text.includes('Q?') && text.includes('640'), fk);
      if (fk === 'text_only' || fk === 'mixed') assert.ok(text.includes('(0.99) hello'), `${fk} shows the OCR lines`);
      const route = formalKindDef(fk).routes[0]!; // how a routed sample reaches the kind (diagram sub-kinds: diagram/<kind>)
      const spec = formalSpecFor(route.kind, route.subkind ?? null);
      assert.equal(spec.formalKind, fk);
      assert.equal(spec.schema, FORMAL_SCHEMAS[fk]);
      assert.equal(spec.prompt, fk);
    }
    assert.match(loadPrompt('formalize', 'repair').render({ error: 'line 2: R1 has no value' }), /R1 has no value/);
  });

  test('routing kinds map to formal kinds (scientific and unknown diagrams → mixed)', () => {
    assert.equal(formalKindOf('diagram', 'circuit'), 'circuit');
    assert.equal(formalKindOf('diagram', 'scientific'), 'mixed');
    assert.equal(formalKindOf('diagram', null), 'mixed');
    assert.equal(formalKindOf('chart', null), 'chart');
    assert.equal(formalKindOf('whatever', null), 'mixed');
  });

  test('validated outputs become text + data; invalid ones return the validator error', async () => {
    const ctx = { width: 640, height: 480 };
    const table = await formalSpecFor('diagram', 'table').validate(
      { format: 'csv', csv: 'Item,Price\nPen,1\nBook,12' },
      ctx,
    );
    assert.ok(table.ok);
    assert.deepEqual(table.doc, {
      kind: 'diagram',
      subkind: 'table',
      format: 'csv',
      text: 'Item,Price\nPen,1\nBook,12',
      data: {
        json: [
          { Item: 'Pen', Price: '1' },
          { Item: 'Book', Price: '12' },
        ],
      },
    });
    const plant = await formalSpecFor('diagram', 'flowchart').validate(
      { format: 'plantuml', source: '@startuml\nstart\n:Open;\nstop\n@enduml' },
      ctx,
    );
    assert.ok(plant.ok && plant.doc.format === 'plantuml');
    const text = await formalSpecFor('text_only', null).validate(
      { lines: [{ text: 'Hello', box: [0, 0, 700, 20] }], document: '# Hello' },
      ctx,
    );
    assert.ok(text.ok);
    assert.equal(text.doc.text, '# Hello');
    assert.deepEqual((text.doc.data as { lines: unknown }).lines, [{ text: 'Hello', box: [0, 0, 640, 20] }]);
    const mixed = await formalSpecFor('mixed', null).validate(
      { caption: 'A label on a box.', objects: [{ label: 'box', box: [1, 1, 5, 5] }], lines: [] },
      ctx,
    );
    assert.ok(mixed.ok);
    assert.match(mixed.doc.text, /Objects \(pixel boxes .*\n- box \[1, 1, 5, 5\]\n\nText in the image: none\./s);
    const math = await formalSpecFor('math', null).validate(
      { figure: 'Circle O with radius OA.', givens: ['OA = 3'], strategies: ['Use the area formula.'] },
      ctx,
    );
    assert.ok(math.ok);
    assert.match(
      math.doc.text,
      /^Figure: Circle O with radius OA\.\n\nGiven:\n- OA = 3\n\nWays to solve it:\n1\. Use the area formula\.$/,
    );
    const bad = await formalSpecFor('diagram', 'circuit').validate({ format: 'spice', netlist: 'R1 a 0\n.end' }, ctx);
    assert.ok(!bad.ok && /R1 has no value/.test(bad.error));
    assert.deepEqual(csvRows('a,b\n"x, y",2'), [{ a: 'x, y', b: '2' }]);
  });
});
