// Table tests for the text-format validators: SPICE, Mermaid, PlantUML, HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpice } from '../activities/formalize/validators/spice.ts';
import { validateMermaid } from '../activities/formalize/validators/mermaid.ts';
import { validatePlantUml } from '../activities/formalize/validators/plantuml.ts';
import { validateHtml } from '../activities/formalize/validators/html.ts';

type Case = { name: string; src: string; ok: boolean; error?: RegExp; check?: (summary: any) => void };

function table(
  label: string,
  cases: Case[],
  fn: (src: string) => { ok: true; summary: unknown } | { ok: false; error: string },
) {
  for (const c of cases) {
    test(`${label}: ${c.name}`, () => {
      const r = fn(c.src);
      if (c.ok) {
        assert.equal(r.ok, true, r.ok ? '' : `expected ok, got error:\n${r.error}`);
        if (r.ok && c.check) c.check(r.summary);
      } else {
        assert.equal(r.ok, false, 'expected an error');
        if (!r.ok && c.error) assert.match(r.error, c.error);
      }
    });
  }
}

table(
  'spice',
  [
    {
      name: 'voltage divider with title, comments, inline comment, suffixes',
      src: `Voltage divider\n* a comment\nV1 in 0 DC 5\nR1 in out 10k ; top resistor\nR2 out 0 4.7k\nC1 out 0 100nF\n.op\n.end\n`,
      ok: true,
      check: (s) => {
        assert.equal(s.title, 'Voltage divider');
        assert.equal(s.elements.length, 4);
        assert.deepEqual(s.connections.out.sort(), ['C1', 'R1', 'R2']);
        assert.deepEqual(s.elements[1].nodes, ['in', 'out']);
        assert.equal(s.elements[1].value, '10k');
        assert.deepEqual(s.warnings, []);
      },
    },
    {
      name: 'continuation lines, sources with functions, diode/BJT/MOSFET models',
      src: `V1 vcc 0 DC 12\nVin in 0 SIN(0 1 1k) AC 1\nR1 vcc c 2.2k\nRb in b\n+ 100k\nQ1 c b e 2N3904\nRe e 0 1k\nD1 c 0 D1N4148\nM1 c b 0 0 NMOS1 W=10u L=1u\n.model 2N3904 NPN(Bf=300)\n.model D1N4148 D(Is=2.52n)\n.model NMOS1 NMOS(Vto=0.7)\n.tran 1u 5m\n.end`,
      ok: true,
      check: (s) => {
        const rb = s.elements.find((e: any) => e.name === 'Rb');
        assert.equal(rb.value, '100k');
        const q = s.elements.find((e: any) => e.name === 'Q1');
        assert.deepEqual(q.nodes, ['c', 'b', 'e']);
        assert.equal(q.model, '2N3904');
        assert.equal(s.elements.find((e: any) => e.name === 'M1').nodes.length, 4);
      },
    },
    {
      name: 'subcircuit with X instance and meg suffix',
      src: `* amp\n.subckt buf in out vdd\nR1 in mid 1meg\nR2 mid out 1k\nC1 vdd out 1p\n.ends\nV1 vdd 0 5\nV2 a 0 1\nX1 a b vdd buf\nRL b 0 10k\n.end`,
      ok: true,
      check: (s) => {
        assert.deepEqual(s.subcircuits.buf.pins, ['in', 'out', 'vdd']);
        assert.equal(s.elements.find((e: any) => e.name === 'X1').model, 'buf');
      },
    },
    { name: 'gnd is ground', src: `V1 a gnd 1\nR1 a gnd 1k\n.end`, ok: true },
    {
      name: 'floating node is a warning by default',
      src: `V1 a 0 5\nR1 a 0 1k\nR2 a dangling 1k\n.end`,
      ok: true,
      check: (s) => assert.match(s.warnings.join('\n'), /dangling.*single connection \(R2\)/),
    },
    { name: 'missing .end', src: `V1 a 0 5\nR1 a 0 1k\n`, ok: false, error: /missing \.end/ },
    { name: 'no ground node', src: `V1 a b 5\nR1 a b 1k\n.end`, ok: false, error: /no ground/ },
    {
      name: 'resistor with one node',
      src: `V1 a 0 5\nR1 a 1k\nR2 a 0 1k\n.end`,
      ok: false,
      error: /line 2: R1 needs 2 nodes and a value; .*'1k' was read as a node/,
    },
    {
      name: 'bad value with comma decimal',
      src: `V1 a 0 5\nR1 a 0 4,7k\n.end`,
      ok: false,
      error: /line 2: '4,7k' uses a decimal comma; write '4.7k'/,
    },
    {
      name: '1k5 notation',
      src: `V1 a 0 5\nR1 a 0 1k5\n.end`,
      ok: false,
      error: /line 2: R1 value '1k5' is not a SPICE number/,
    },
    { name: '1M resistor means milli', src: `V1 a 0 5\nR1 a 0 1M\n.end`, ok: false, error: /milli-ohms.*1meg/ },
    {
      name: 'diode without model',
      src: `V1 a 0 5\nR1 a b 1k\nD1 b 0\n.end`,
      ok: false,
      error: /line 3: D1 needs 2 nodes|D1 needs a model/,
    },
    { name: 'MOSFET with 3 nodes', src: `V1 d 0 5\nM1 d g 0\n.end`, ok: false, error: /line 2: M1 needs 4 nodes/ },
    {
      name: 'duplicate element names',
      src: `V1 a 0 5\nR1 a 0 1k\nR1 a 0 2k\n.end`,
      ok: false,
      error: /line 3: element name R1 is already used on line 2/,
    },
    { name: 'unknown element letter', src: `V1 a 0 5\nY1 a 0 1k\n.end`, ok: false, error: /unknown element type 'Y'/ },
    {
      name: 'subckt pin count mismatch',
      src: `.subckt inv a y\nR1 a y 1k\n.ends\nV1 a 0 1\nX1 a inv\nX2 a b c inv\nR1 b 0 1k\n.end`,
      ok: false,
      error: /X2 connects 3 nodes but \.subckt inv has 2 pins/,
    },
    {
      name: 'unclosed subckt',
      src: `.subckt s a b\nR1 a b 1k\nV1 a 0 1\nR2 a 0 1k\n.end`,
      ok: false,
      error: /line 1: \.subckt s is never closed/,
    },
    { name: 'bad source value', src: `V1 a 0 five\nR1 a 0 1k\n.end`, ok: false, error: /'five' is not a source value/ },
    { name: 'empty', src: `  \n* only a comment\n`, ok: false, error: /no cards|empty/ },
  ],
  (src) => validateSpice(src),
);

test('spice: floating nodes as errors when asked', () => {
  const r = validateSpice(`V1 a 0 5\nR1 a 0 1k\nR2 a nc 1k\n.end`, { floatingNodes: 'error' });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /node 'nc' has a single connection/);
});

table(
  'mermaid',
  [
    {
      name: 'shapes, labelled edges, chains',
      src: `flowchart TD\n  A[Start] --> B{Is it?}\n  B -->|Yes| C((OK))\n  B -- No --> D(Retry)\n  D -.-> A\n  C ==> E[End] --> F[Done]\n`,
      ok: true,
      check: (s) => {
        assert.equal(s.direction, 'TD');
        assert.deepEqual(
          s.nodes.map((n: any) => n.id),
          ['A', 'B', 'C', 'D', 'E', 'F'],
        );
        assert.deepEqual(
          s.nodes.find((n: any) => n.id === 'B'),
          { id: 'B', label: 'Is it?', shape: 'diamond' },
        );
        assert.equal(s.nodes.find((n: any) => n.id === 'C').shape, 'circle');
        assert.deepEqual(
          s.edges.map((e: any) => [e.from, e.to, e.label ?? null]),
          [
            ['A', 'B', null],
            ['B', 'C', 'Yes'],
            ['B', 'D', 'No'],
            ['D', 'A', null],
            ['C', 'E', null],
            ['E', 'F', null],
          ],
        );
        assert.deepEqual(
          s.edges.map((e: any) => e.kind),
          ['-->', '-->', '---->', '-.->', '==>', '-->'],
        );
      },
    },
    {
      name: 'graph LR with subgraph, classDef/style ignored, & groups, semicolons',
      src: `graph LR\n%% comment\nsubgraph one [Input]\n  a1[Read] --- a2[Parse]\nend\nclassDef red fill:#f00\nstyle a1 fill:#bbf\na2 & a1 --> b[Out]:::red; b --> c\n`,
      ok: true,
      check: (s) => {
        assert.deepEqual(s.subgraphs, ['one']);
        assert.equal(s.edges.length, 4);
        assert.deepEqual(
          s.edges
            .filter((e: any) => e.to === 'b')
            .map((e: any) => e.from)
            .sort(),
          ['a1', 'a2'],
        );
      },
    },
    {
      name: 'quoted labels with brackets',
      src: `flowchart TB\n  A["f(x) = [1, 2]"] --> B{"x > 0?"}`,
      ok: true,
      check: (s) => assert.equal(s.nodes[0].label, 'f(x) = [1, 2]'),
    },
    {
      name: 'header only direction omitted',
      src: `graph\nA-->B`,
      ok: true,
      check: (s) => assert.equal(s.direction, 'TB'),
    },
    {
      name: 'not a flowchart',
      src: `sequenceDiagram\nA->>B: hi`,
      ok: false,
      error: /line 1: expected a flowchart header/,
    },
    {
      name: 'unclosed bracket',
      src: `flowchart TD\nA[Start --> B`,
      ok: false,
      error: /line 2: node A: '\[' is never closed/,
    },
    {
      name: 'unquoted brackets in label',
      src: `flowchart TD\nA[f(x)] --> B`,
      ok: false,
      error: /line 2: .*wrap it in double quotes/,
    },
    {
      name: 'arrow without target',
      src: `flowchart TD\nA --> B\nB -->`,
      ok: false,
      error: /line 3: the arrow '-->' has no target/,
    },
    { name: 'end as a node id', src: `flowchart TD\nA --> end`, ok: false, error: /'end' is reserved/ },
    {
      name: 'unclosed subgraph',
      src: `flowchart TD\nsubgraph S\nA --> B\n`,
      ok: false,
      error: /line 2: subgraph 'S' is never closed/,
    },
    {
      name: 'stray end',
      src: `flowchart TD\nA --> B\nend`,
      ok: false,
      error: /line 3: 'end' without an open subgraph/,
    },
    { name: 'garbage between nodes', src: `flowchart TD\nA -> B`, ok: false, error: /line 2: unexpected '-> B'/ },
    { name: 'empty', src: ``, ok: false, error: /empty/ },
  ],
  (src) => validateMermaid(src),
);

table(
  'plantuml',
  [
    {
      name: 'activity with if/else and arrows',
      src: `@startuml\nstart\n:Read input;\nif (valid?) then (yes)\n  :Process;\nelse (no)\n  :Report error;\nendif\n-> done;\n:Save;\nstop\n@enduml`,
      ok: true,
      check: (s) => {
        assert.equal(s.diagram, 'activity');
        const labels = s.nodes.map((n: any) => n.label);
        assert.deepEqual(labels, ['start', 'Read input', 'valid?', 'Process', 'Report error', 'Save', 'stop']);
        const byLabel = (l: string) => s.nodes.find((n: any) => n.label === l).id;
        assert.ok(
          s.edges.some((e: any) => e.from === byLabel('valid?') && e.to === byLabel('Process') && e.label === 'yes'),
        );
        assert.ok(
          s.edges.some(
            (e: any) => e.from === byLabel('valid?') && e.to === byLabel('Report error') && e.label === 'no',
          ),
        );
        assert.ok(
          s.edges.some((e: any) => e.from === byLabel('Process') && e.to === byLabel('Save') && e.label === 'done'),
        );
        assert.ok(s.edges.some((e: any) => e.from === byLabel('Report error') && e.to === byLabel('Save')));
      },
    },
    {
      name: 'while loop, multi-line action, notes, swimlanes',
      src: `@startuml\n|User|\nstart\nwhile (more items?) is (yes)\n  :Take item\n  and check it;\n  note right: a note\nendwhile (no)\nnote left\n  block note\nend note\nstop\n@enduml`,
      ok: true,
      check: (s) => {
        const d = s.nodes.find((n: any) => n.shape === 'decision');
        const a = s.nodes.find((n: any) => n.label.startsWith('Take item'));
        assert.ok(s.edges.some((e: any) => e.from === a.id && e.to === d.id));
        assert.ok(s.edges.some((e: any) => e.from === d.id && e.to === 'stop' && e.label === 'no'));
      },
    },
    {
      name: 'repeat and fork',
      src: `@startuml\nstart\nrepeat\n  :poll;\nrepeat while (pending?) is (yes) not (no)\nfork\n  :a;\nfork again\n  :b;\nend fork\nstop\n@enduml`,
      ok: true,
      check: (s) => assert.equal(s.edges.filter((e: any) => e.to === 'stop').length, 2),
    },
    {
      name: 'component diagram arrows',
      src: `@startuml\ncomponent [Web App] as web\n[Web App] --> [API] : REST\nAPI ..> DB\nactor User\nUser -> web\n@enduml`,
      ok: true,
      check: (s) => {
        assert.equal(s.diagram, 'component');
        assert.deepEqual(
          s.edges.map((e: any) => [e.from, e.to]),
          [
            ['Web App', 'API'],
            ['API', 'DB'],
            ['User', 'web'],
          ],
        );
        assert.equal(s.edges[0].label, 'REST');
      },
    },
    { name: 'missing @startuml', src: `start\n:a;\nstop`, ok: false, error: /must start with @startuml/ },
    { name: 'missing @enduml', src: `@startuml\nstart\n:a;\nstop`, ok: false, error: /missing @enduml/ },
    {
      name: 'unclosed if',
      src: `@startuml\nstart\nif (x) then (y)\n:a;\nstop\n@enduml`,
      ok: false,
      error: /line 3: if block is never closed \(expected endif\)/,
    },
    {
      name: 'endif without if',
      src: `@startuml\n:a;\nendif\n@enduml`,
      ok: false,
      error: /line 3: endif without an open if/,
    },
    {
      name: 'action without ;',
      src: `@startuml\nstart\n:unfinished action\nstop\n@enduml`,
      ok: false,
      error: /line 3: action .* never closed with ';'/,
    },
    {
      name: 'else outside if',
      src: `@startuml\nstart\nelse (no)\nstop\n@enduml`,
      ok: false,
      error: /line 3: else without an open if/,
    },
    {
      name: 'unrecognised line',
      src: `@startuml\nstart\nthis is not plantuml\nstop\n@enduml`,
      ok: false,
      error: /line 3: unrecognised statement/,
    },
    {
      name: 'malformed if',
      src: `@startuml\nif x then\n:a;\nendif\n@enduml`,
      ok: false,
      error: /line 2: malformed if/,
    },
  ],
  (src) => validatePlantUml(src),
);

table(
  'html',
  [
    {
      name: 'full document with void elements, comments, entities, unquoted attributes',
      src: `<!DOCTYPE html>\n<html lang=en>\n<head><meta charset="utf-8"><title>Login &amp; more</title>\n<style>p > a { color: red }</style></head>\n<body>\n<!-- form -->\n<form action='/login' method=post>\n  <label for="u">User</label><input id=u type=text disabled>\n  <br/><img src="logo.png" alt="">\n  <button type="submit">Sign&nbsp;in &#8594; &#x2192;</button>\n</form>\n<script>if (a < b && c > d) {}</script>\n</body>\n</html>`,
      ok: true,
      check: (s) => {
        assert.equal(s.title, 'Login &amp; more');
        assert.equal(s.tags.input, 1);
        assert.ok(s.maxDepth >= 3);
      },
    },
    {
      name: 'optional end tags for li/td/p',
      src: `<ul><li>one<li>two</ul><table><tr><td>a<td>b<tr><td>c</table><p>para<p>next<div>x</div>`,
      ok: true,
    },
    {
      name: 'svg self-closing elements',
      src: `<div><svg viewBox="0 0 10 10"><circle cx=5 cy=5 r=4 /><path d="M0 0L10 10"/></svg></div>`,
      ok: true,
    },
    {
      name: 'fragment without html wrapper',
      src: `<nav class="top"><a href="#">Home</a> | <a href="/about">About</a></nav>`,
      ok: true,
    },
    {
      name: 'misnested tags',
      src: `<div>\n<b><i>text</b></i>\n</div>`,
      ok: false,
      error: /line 2: <\/b> closes <b> .* while <i> opened on line 2 is still open/,
    },
    {
      name: 'unclosed div',
      src: `<div class="a">\n<span>x</span>\n`,
      ok: false,
      error: /line 1: <div> is never closed/,
    },
    { name: 'stray end tag', src: `<div>x</div></span>`, ok: false, error: /<\/span> has no matching open <span>/ },
    { name: 'end tag for void element', src: `<p>a<br></br></p>`, ok: false, error: /<\/br> is not allowed/ },
    { name: 'self-closing div', src: `<div/>\n<p>x</p>`, ok: false, error: /line 1: <div\/> does not close itself/ },
    {
      name: 'unclosed attribute quote',
      src: `<div>\n<a href="x>link</a>\n</div>`,
      ok: false,
      error: /line 2: attribute 'href' value opened with " is never closed/,
    },
    { name: 'duplicate attribute', src: `<input id=a id=b>`, ok: false, error: /attribute 'id' is repeated/ },
    { name: 'invalid numeric entity', src: `<p>&#xD800; bad</p>`, ok: false, error: /not a valid character/ },
    { name: 'unclosed comment', src: `<div><!-- oops</div>`, ok: false, error: /comment '<!--' is never closed/ },
    { name: 'text only', src: `just some text`, ok: false, error: /no HTML elements/ },
  ],
  (src) => validateHtml(src),
);
