// One entry point for the formalizer: validates a kind's formal output and returns it normalised
// (boxes clipped to the image) with a per-format summary, or an error to send back for repair.
import type { FormalOutput } from '../../../schemas/formal.ts';
import { FormalOutputSchema } from '../../../schemas/formal.ts';
import type { ImageSize } from './boxes.ts';
import { validateCsv, validateJsonTable } from './csv.ts';
import { validateHtml } from './html.ts';
import { validateMermaid } from './mermaid.ts';
import { validatePlantUml } from './plantuml.ts';
import { fail, ok, type ValidationResult } from './result.ts';
import { validateSpice, type SpiceContext } from './spice.ts';
import { simulateOp } from './spice-sim.ts';
import { validateChart, validateMath, validateObjects, validateOcrLines } from './structured.ts';

export { validateSpice } from './spice.ts';
export { simulateOp, refuseUnsafeNetlist } from './spice-sim.ts';
export { runFormalChecks, checkFormal } from './formal-checks.ts';
export { validateMermaid } from './mermaid.ts';
export { validatePlantUml } from './plantuml.ts';
export { validateHtml } from './html.ts';
export { validateCsv, validateJsonTable } from './csv.ts';
export { validateBoxes, checkBox } from './boxes.ts';
export { validateOcrLines, validateObjects, validateMath, validateChart } from './structured.ts';
export type { ValidationResult } from './result.ts';

export type FormalContext = Partial<ImageSize> & SpiceContext & {
  /** Run SPICE netlists through ngspice (default true; a machine without ngspice skips it). */
  simulate?: boolean;
};

export interface FormalValidation {
  /** The output with boxes clipped to the image. */
  output: FormalOutput;
  summary: unknown;
}

export async function validateFormal(value: unknown, ctx: FormalContext = {}): Promise<ValidationResult<FormalValidation>> {
  const parsed = FormalOutputSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 6).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return fail(issues);
  }
  const out = parsed.data;
  const size = ctx.width && ctx.height ? { width: ctx.width, height: ctx.height } : undefined;
  switch (out.kind) {
    case 'circuit': {
      const parsed = validateSpice(out.netlist, ctx);
      if (!parsed.ok || ctx.simulate === false) return wrap(parsed, () => out);
      // A netlist that parses must also simulate; the simulator's message goes back to the formalizer.
      const sim = await simulateOp(out.netlist);
      if (!sim.ok && !sim.unavailable) return fail([sim.error]);
      return ok({ output: out, summary: { ...parsed.summary, simulated: sim.ok, ...(sim.ok ? { op: sim.op } : { simulator: sim.error }) } });
    }
    case 'flowchart':
      return out.format === 'mermaid' ? wrap(validateMermaid(out.source), () => out) : wrap(validatePlantUml(out.source), () => out);
    case 'ui':
      return wrap(validateHtml(out.html), () => out);
    case 'table': {
      const csv = await validateCsv(out.csv);
      if (!csv.ok || !out.json) return wrap(csv, () => out);
      const json = validateJsonTable(out.json);
      if (!json.ok) return fail([`json: ${json.error}`]);
      if (json.summary.rows !== csv.summary.rows || json.summary.columns.length !== csv.summary.columns.length)
        return fail([`json has ${json.summary.rows} rows × ${json.summary.columns.length} columns but csv has ${csv.summary.rows} × ${csv.summary.columns.length}; they must be the same table`]);
      return ok({ output: out, summary: { csv: csv.summary, json: json.summary } });
    }
    case 'chart':
      return wrap(await validateChart(out), () => out);
    case 'math':
      return wrap(validateMath(out), () => out);
    case 'natural': {
      const objects = validateObjects(out.objects, size);
      return wrap(objects, (s) => ({ ...out, objects: s.objects }));
    }
    case 'text_only': {
      const lines = validateOcrLines(out.lines, { ...size, document: out.document });
      return wrap(lines, (s) => ({ ...out, lines: s.lines }));
    }
    case 'mixed': {
      const objects = validateObjects(out.objects, size);
      const lines = validateOcrLines(out.lines, { ...size, allowEmpty: true });
      const problems = [objects, lines].flatMap((r) => (r.ok ? [] : [r.error]));
      if (problems.length || !objects.ok || !lines.ok) return fail(problems);
      return ok({ output: { ...out, objects: objects.summary.objects, lines: lines.summary.lines }, summary: { objects: objects.summary, lines: lines.summary } });
    }
  }
}

function wrap<S>(r: ValidationResult<S>, normalise: (s: S) => FormalOutput): ValidationResult<FormalValidation> {
  return r.ok ? ok({ output: normalise(r.summary), summary: r.summary }) : r;
}
