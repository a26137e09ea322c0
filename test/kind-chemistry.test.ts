/**
 * The chemistry formal kind (activities/formalize/kinds/chemistry.ts) end to end without a server: routing to it,
 * its prompt, validation through the registry, the stored text, the executable check, fidelity and the viewer's
 * drawing. Structures, formulae and weights are PubChem's published records (aspirin CID 2244, caffeine CID 2519,
 * ethanol CID 702, salicylic acid CID 338), written both as PubChem's Kekulé SMILES and in aromatic form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPrompt } from '../core/prompts.ts';
import {
  FORMAL_SCHEMAS,
  formalKindDef,
  formalKindOf,
  formalSpecFor,
  validateFormal,
} from '../activities/formalize/kinds.ts';
import { chemistryFidelity } from '../activities/formalize/kinds/chemistry.ts';
import { runFormalChecks } from '../activities/formalize/validators/formal-checks.ts';
import { structuralFidelity } from '../activities/fidelity/index.ts';
import { formalHtml } from '../viewer/render.ts';
import { checksHtml } from '../viewer/method.ts';

const ASPIRIN = 'CC(=O)OC1=CC=CC=C1C(=O)O'; // PubChem canonical SMILES, C9H8O4, 180.16 g/mol
const ASPIRIN_AROMATIC = 'OC(=O)c1ccccc1OC(C)=O';
const CAFFEINE = 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C'; // C8H10N4O2, 194.19 g/mol
const SALICYLIC = 'C1=CC=C(C(=C1)C(=O)O)O'; // C7H6O3
const base = { question: 'What is the molecular formula of the product?', finalAnswer: null as string | null };

test('routing: a diagram of sub-kind chemistry gets the chemistry kind, asked in SMILES', () => {
  assert.equal(formalKindOf('diagram', 'chemistry'), 'chemistry');
  const spec = formalSpecFor('diagram', 'chemistry');
  assert.equal(spec.formalKind, 'chemistry');
  assert.equal(spec.format, 'smiles');
  assert.equal(spec.schema, FORMAL_SCHEMAS.chemistry);
  const prompt = loadPrompt('formalize', spec.prompt).render({
    question: 'Which is the product?',
    width: 320,
    height: 200,
    ocr: '',
  });
  assert.match(prompt, /Which is the product\?/);
  assert.match(prompt, /"format": "smiles"/);
});

test('validation: every SMILES must parse; the error names the molecule and the problem', async () => {
  const good = await validateFormal({
    kind: 'chemistry',
    format: 'smiles',
    molecules: [{ smiles: ASPIRIN, name: 'aspirin' }, { smiles: 'CCO' }],
  });
  assert.equal(good.ok, true);
  const cases: Array<[string, RegExp]> = [
    ['C1CC', /molecules\[0\]\.smiles "C1CC" does not parse \(.*ring closure/i],
    ['C(C', /unclosed branch/],
    ['CC)C', /'\)' without '\('/],
    ['Xy', /does not parse/],
    ['C C', /whitespace/],
  ];
  for (const [smiles, error] of cases) {
    const r = await validateFormal({ kind: 'chemistry', format: 'smiles', molecules: [{ smiles }] });
    assert.equal(r.ok, false, smiles);
    if (!r.ok) assert.match(r.error, error, smiles);
  }
  const schema = await validateFormal({ kind: 'chemistry', format: 'smiles', molecules: [] });
  assert.equal(schema.ok, false);
});

test('the stored text is a SMILES file, with formulae and weights in the data', async () => {
  const r = await formalSpecFor('diagram', 'chemistry').validate(
    { format: 'smiles', molecules: [{ smiles: ` ${ASPIRIN} `, name: 'aspirin' }, { smiles: CAFFEINE }] },
    { width: 320, height: 200 },
  );
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.doc.format, 'smiles');
  assert.equal(r.doc.text, `${ASPIRIN} aspirin\n${CAFFEINE}`);
  const molecules = (r.doc.data as { molecules: Array<{ formula: string; weight: number }> }).molecules;
  assert.deepEqual(
    molecules.map((m) => m.formula),
    ['C9H8O4', 'C8H10N4O2'],
  );
  assert.ok(
    Math.abs(molecules[0]!.weight - 180.16) < 0.01 && Math.abs(molecules[1]!.weight - 194.19) < 0.01,
    JSON.stringify(molecules),
  );
});

test("executable check: the formulae computed from the structures against the trace's answer", async () => {
  const text = `${ASPIRIN} aspirin`;
  const right = await runFormalChecks({ ...base, format: 'smiles', text, finalAnswer: 'C9H8O4' });
  assert.deepEqual([right.sim, right.table, right.flow], [null, null, null]);
  assert.equal(right.kindCheck?.status, 'parsed');
  assert.equal(right.kindCheck?.ok, true);
  assert.equal(right.kindCheck?.values.formulas, 'C9H8O4');
  assert.equal(right.kindCheck?.values.answer_agrees, true);
  const wrong = await runFormalChecks({ ...base, format: 'smiles', text, finalAnswer: 'C9H10O4' });
  assert.equal(wrong.kindCheck?.ok, false);
  assert.match(wrong.kindCheck?.message ?? '', /the trace answers C9H10O4, the structures give C9H8O4/);
  const weight = await runFormalChecks({
    ...base,
    question: 'What is the molecular weight of aspirin in g/mol?',
    format: 'smiles',
    text,
    finalAnswer: '180.16',
  });
  assert.equal(weight.kindCheck?.values.answer_agrees, true);
  const unrelated = await runFormalChecks({
    ...base,
    question: 'How many rings are drawn?',
    format: 'smiles',
    text,
    finalAnswer: '1',
  });
  assert.equal(unrelated.kindCheck?.values.answer_agrees, null);
  assert.equal(unrelated.kindCheck?.ok, true);
  const broken = await runFormalChecks({ ...base, format: 'smiles', text: 'C1CC' });
  assert.equal(broken.kindCheck?.status, 'failed');
  assert.match(broken.kindCheck?.message ?? '', /line 1 SMILES C1CC does not parse/);
});

test('fidelity: the same molecule written two ways scores 1; a different one gets partial Tanimoto credit', async () => {
  await formalKindDef('chemistry').load?.();
  assert.deepEqual(chemistryFidelity(ASPIRIN, ASPIRIN_AROMATIC), { molecule_f1: 1, tanimoto: 1 });
  const near = chemistryFidelity(ASPIRIN, SALICYLIC);
  assert.equal(near.molecule_f1, 0);
  assert.ok(near.tanimoto > 0.2 && near.tanimoto < 1, String(near.tanimoto));
  const half = chemistryFidelity(`${ASPIRIN}\n${CAFFEINE}`, ASPIRIN_AROMATIC);
  assert.ok(Math.abs(half.molecule_f1 - 2 / 3) < 1e-9, String(half.molecule_f1));
  assert.deepEqual(chemistryFidelity(ASPIRIN, 'C1CC'), { molecule_f1: 0, tanimoto: 0 });
  assert.deepEqual(structuralFidelity('chemistry', ASPIRIN, null), [
    { metric: 'molecule_f1', value: 0 },
    { metric: 'tanimoto', value: 0 },
  ]);
  assert.deepEqual(
    structuralFidelity('chemistry', ASPIRIN, ASPIRIN_AROMATIC).map((m) => m.value),
    [1, 1],
  );
});

test('viewer: the structures drawn as SVG above the source; a text that does not parse stays text', async () => {
  await formalKindDef('chemistry').load?.();
  const page = String(formalHtml('smiles', `${ASPIRIN} aspirin\n${CAFFEINE}`, '/formal-html'));
  assert.match(
    page,
    /data-testid="formal-drawing"><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chemistry" width="480"/,
  );
  assert.doesNotMatch(page, /<script/i);
  assert.match(page, /<summary>source \(smiles\)<\/summary>/);
  const bad = String(formalHtml('smiles', 'C1CC', '/formal-html'));
  assert.doesNotMatch(bad, /formal-drawing/);
  assert.match(bad, /<pre class="formal-text">C1CC<\/pre>/);
  const checks = await runFormalChecks({ ...base, format: 'smiles', text: ASPIRIN, finalAnswer: 'C9H10O4' });
  const section = String(checksHtml({ formal_checks: JSON.stringify(checks) }));
  assert.match(
    section,
    /<th>chemistry<\/th><td><span class="badge rejected">parsed<\/span> molecules 1 · formulas C9H8O4/,
  );
});
