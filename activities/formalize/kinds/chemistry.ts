// Chemical structures as SMILES. The formalizer returns the molecules drawn in the image; each must parse with
// OpenChemLib (a maintained cheminformatics library: SMILES parser, canonicaliser, formulae, fingerprints, SVG
// depiction). Stored as a SMILES file: one `SMILES name` line per molecule. The executable check computes each
// molecule's formula and weight and compares a formula or weight answered by the trace with them; fidelity is
// molecule F1 over canonical structures and the fingerprint Tanimoto similarity; the viewer draws the structures.
import { z } from 'zod';
import type { KindCheck } from '../../../schemas/checks.ts';
import { multisetF1 } from '../../fidelity/score.ts';
import { fail } from '../validators/result.ts';
import { defineKind, type CheckInput } from './kind.ts';

export const ChemistryFormalSchema = z.object({
  format: z.literal('smiles'),
  molecules: z.array(z.object({ smiles: z.string().min(1), name: z.string().optional() })).min(1),
});
type Molecules = z.infer<typeof ChemistryFormalSchema>['molecules'];

type Ocl = typeof import('openchemlib');
type Molecule = ReturnType<Ocl['Molecule']['fromSmiles']>;
let ocl: Ocl | null = null;

/** OpenChemLib loads on first use (about 0.3 s), so importing the kind registry does not pay for it. */
async function loadOcl(): Promise<void> {
  ocl ??= await import('openchemlib');
}
function loaded(): Ocl {
  if (!ocl) throw new Error("openchemlib is not loaded yet: await the chemistry kind's load() first");
  return ocl;
}

/**
 * A SMILES string as a molecule, or why it is not one. OpenChemLib tolerates an unclosed branch and an empty
 * string, so those are refused here first.
 */
export function parseSmiles(smiles: string): { molecule: Molecule } | { problem: string } {
  const s = smiles.trim();
  if (!s) return { problem: 'is empty' };
  if (/\s/.test(s)) return { problem: 'contains whitespace (one SMILES per molecule, no spaces)' };
  let depth = 0;
  let bracket = false;
  for (const c of s) {
    if (c === '[') {
      if (bracket) return { problem: "has '[' inside a bracket atom" };
      bracket = true;
    } else if (c === ']') {
      if (!bracket) return { problem: "has ']' without '['" };
      bracket = false;
    } else if (!bracket && c === '(') depth++;
    else if (!bracket && c === ')' && --depth < 0) return { problem: "has ')' without '('" };
  }
  if (bracket) return { problem: "has an unclosed '[' bracket atom" };
  if (depth > 0) return { problem: `has ${depth} unclosed branch${depth > 1 ? 'es' : ''} '('` };
  try {
    const molecule = loaded().Molecule.fromSmiles(s);
    return molecule.getAllAtoms() > 0 ? { molecule } : { problem: 'has no atoms' };
  } catch (err) {
    return {
      problem: `does not parse (${
        String((err as Error).message ?? err)
          .replace(/^Class\$\S+:\s*/, '')
          .split('\n')[0]
      })`,
    };
  }
}

/** Canonical SMILES, Hill formula and molecular weight of a parsed molecule. */
function describe(m: Molecule): { canonical: string; formula: string; weight: number } {
  const f = m.getMolecularFormula();
  return { canonical: m.toIsomericSmiles(), formula: f.formula, weight: Number(f.relativeWeight.toFixed(3)) };
}

/** A stored SMILES file (`SMILES name` per line, `#` comments) as its molecules. */
export function smilesLines(text: string): Molecules {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [smiles = '', ...name] = l.split(/\s+/);
      return name.length ? { smiles, name: name.join(' ') } : { smiles };
    });
}

/** A formula as element counts (`C9H8O4`, `H2O`), or null when the text is not one. */
function formulaCounts(text: string): Map<string, number> | null {
  const t = text.replace(/[\s$_{}]/g, '');
  if (!/^(?:[A-Z][a-z]?\d*)+$/.test(t)) return null;
  const counts = new Map<string, number>();
  for (const [, el = '', n] of t.matchAll(/([A-Z][a-z]?)(\d*)/g))
    counts.set(el, (counts.get(el) ?? 0) + (n ? Number(n) : 1));
  return counts;
}
const sameFormula = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([el, n]) => b.get(el) === n);

/** The molecules' formulae and weights; whether a formula or weight the trace answered matches one of them. */
export async function chemistryCheck(input: CheckInput): Promise<KindCheck> {
  await loadOcl();
  const molecules = smilesLines(input.text);
  const parsed = molecules.map((m) => parseSmiles(m.smiles));
  const bad = parsed.findIndex((p) => 'problem' in p);
  const base = { kind: 'chemistry', values: { molecules: molecules.length } };
  if (molecules.length === 0) return { ...base, status: 'failed', ok: false, message: 'no SMILES lines' };
  if (bad >= 0) {
    const p = parsed[bad] as { problem: string };
    return {
      ...base,
      status: 'failed',
      ok: false,
      message: `line ${bad + 1} SMILES ${molecules[bad]?.smiles ?? ''} ${p.problem}`,
    };
  }
  const described = parsed.map((p) => describe((p as { molecule: Molecule }).molecule));
  const values: KindCheck['values'] = {
    molecules: molecules.length,
    formulas: described.map((d) => d.formula).join('; '),
    weights: described.map((d) => d.weight).join('; '),
    canonical: described.map((d) => d.canonical).join('.'),
  };
  // The trace's answer, where it is a formula or a weight, against what the structures say.
  const answer = input.finalAnswer?.trim() ?? '';
  const asFormula = answer ? formulaCounts(answer) : null;
  const asNumber = /^[+-]?\d+(\.\d+)?\s*(g\/mol|g·mol⁻¹|da|u)?$/i.test(answer) ? Number.parseFloat(answer) : null;
  let agrees: boolean | null = null;
  if (asFormula)
    agrees = described.some((d) => {
      const c = formulaCounts(d.formula);
      return c !== null && sameFormula(c, asFormula);
    });
  else if (asNumber !== null && /\b(molecular|molar)\s+(weight|mass)\b/i.test(input.question))
    agrees = described.some((d) => Math.abs(d.weight - asNumber) <= Math.max(0.05, 0.005 * d.weight));
  values.answer_agrees = agrees;
  return {
    ...base,
    status: 'parsed',
    ok: agrees ?? true,
    message:
      agrees === false
        ? `the trace answers ${answer}, the structures give ${values.formulas} (${values.weights} g/mol)`
        : null,
    values,
  };
}

/** Canonical structures and fingerprints of a SMILES file's molecules (null when one does not parse). */
function structures(text: string): Array<{ canonical: string; index: number[] }> | null {
  const out: Array<{ canonical: string; index: number[] }> = [];
  for (const m of smilesLines(text)) {
    const p = parseSmiles(m.smiles);
    if ('problem' in p) return null;
    out.push({ canonical: p.molecule.getIDCode(), index: p.molecule.getIndex() });
  }
  return out.length ? out : null;
}

/**
 * Molecule F1 over canonical structures (OpenChemLib's ID code: the same molecule written two ways is one), and
 * the mean over the exact molecules of their best fingerprint Tanimoto similarity to a model molecule (partial
 * credit for a structure almost right).
 */
export function chemistryFidelity(exactText: string, modelText: string): { molecule_f1: number; tanimoto: number } {
  const e = structures(exactText);
  const m = structures(modelText);
  if (!e || !m) return { molecule_f1: 0, tanimoto: 0 };
  const tanimoto = loaded().SSSearcherWithIndex.getSimilarityTanimoto;
  const best = e.map((x) => Math.max(...m.map((y) => tanimoto(x.index, y.index))));
  return {
    molecule_f1: multisetF1(
      e.map((x) => x.canonical),
      m.map((y) => y.canonical),
    ),
    tanimoto: best.reduce((a, b) => a + b, 0) / best.length,
  };
}

/** The structures side by side as one SVG (OpenChemLib's depiction; element symbols are its only text). */
export function chemistrySvg(text: string): string | null {
  const parts = smilesLines(text).map((m) => parseSmiles(m.smiles));
  if (parts.length === 0 || parts.some((p) => 'problem' in p)) return null;
  const [w, h] = [240, 180];
  const cells = parts.map((p, i) => {
    const svg = (p as { molecule: Molecule }).molecule.toSVG(w, h, `mol${i + 1}`, {
      autoCrop: false,
      suppressChiralText: true,
    });
    return svg.trim().replace(/^<svg /, `<svg x="${i * w}" y="0" `); // nested, so its id-scoped styles still apply
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chemistry" width="${w * parts.length}" height="${h}" viewBox="0 0 ${w * parts.length} ${h}">${cells.join('')}</svg>`;
}

export const chemistry = defineKind({
  name: 'chemistry',
  formats: ['smiles'],
  schema: ChemistryFormalSchema,
  prompt: 'chemistry',
  routes: [{ kind: 'diagram', subkind: 'chemistry' }],
  load: loadOcl,
  async validate(out) {
    await loadOcl();
    const problems = out.molecules.flatMap((m, i) => {
      const p = parseSmiles(m.smiles);
      return 'problem' in p ? [`molecules[${i}].smiles ${JSON.stringify(m.smiles)} ${p.problem}`] : [];
    });
    if (problems.length) return fail(problems);
    const molecules = out.molecules.map((m) => ({
      ...m,
      smiles: m.smiles.trim(),
      ...(m.name?.trim() ? { name: m.name.trim() } : {}),
    }));
    return { ok: true, summary: { output: { ...out, molecules }, summary: { molecules: molecules.length } } };
  },
  render: (o) => ({
    text: o.molecules.map((m) => (m.name ? `${m.smiles} ${m.name.replace(/\s+/g, ' ')}` : m.smiles)).join('\n'),
    data: {
      molecules: o.molecules.map((m) => ({
        ...m,
        ...describe((parseSmiles(m.smiles) as { molecule: Molecule }).molecule),
      })),
    },
  }),
  check: { formats: ['smiles'], run: async (input) => ({ kindCheck: await chemistryCheck(input) }) },
  fidelity: { metrics: ['molecule_f1', 'tanimoto'], score: chemistryFidelity },
  view: chemistrySvg,
});
