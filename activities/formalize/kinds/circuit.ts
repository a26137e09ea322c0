// Circuits as SPICE netlists: parsed (validators/spice.ts), simulated with ngspice's `.op` (validators/spice-sim.ts),
// and after reasoning the simulator's answer compared with the trace's. Viewer: SPICE highlighting (viewer/render.ts).
import { z } from 'zod';
import type { SimCheck } from '../../../schemas/checks.ts';
import { netlistF1 } from '../../fidelity/score.ts';
import { fail } from '../validators/result.ts';
import { finalAnswerValue, simulatedAnswer, valuesAgree } from '../validators/spice-answer.ts';
import { simulateOp } from '../validators/spice-sim.ts';
import { validateSpice } from '../validators/spice.ts';
import { defineKind, unchanged, type CheckInput } from './kind.ts';

export const CircuitFormalSchema = z.object({ format: z.literal('spice'), netlist: z.string().min(1) });

/** ngspice's operating point against the question: what it answers, and whether the trace's final answer agrees. */
export async function simCheck(input: CheckInput): Promise<SimCheck> {
  const none = { quantity: null, unit: null, simulated: null, answered: null, agrees: null };
  const parsed = validateSpice(input.text);
  if (!parsed.ok) return { status: 'failed', message: parsed.error.split('\n')[0] ?? parsed.error, ...none };
  const sim = await simulateOp(input.text);
  if (!sim.ok)
    return {
      status: sim.unavailable ? 'unavailable' : /^netlist refused/.test(sim.error) ? 'refused' : 'failed',
      message: sim.error,
      ...none,
    };
  const q = simulatedAnswer(input.question, parsed.summary.elements, sim.op);
  if (!q) return { status: 'simulated', message: null, ...none };
  const answered = input.finalAnswer === null ? null : finalAnswerValue(input.finalAnswer, input.choices);
  return {
    status: 'simulated',
    message: null,
    quantity: q.quantity,
    unit: q.unit,
    simulated: q.value,
    answered,
    agrees: answered === null ? null : valuesAgree(Math.abs(answered), q.value),
  };
}

export const circuit = defineKind({
  name: 'circuit',
  formats: ['spice'],
  schema: CircuitFormalSchema,
  prompt: 'circuit',
  routes: [{ kind: 'diagram', subkind: 'circuit' }],
  async validate(out, ctx) {
    const parsed = validateSpice(out.netlist, ctx);
    if (!parsed.ok || ctx.simulate === false) return unchanged(out, parsed);
    // A netlist that parses must also simulate; the simulator's message goes back to the formalizer.
    const sim = await simulateOp(out.netlist);
    if (!sim.ok && !sim.unavailable) return fail([sim.error]);
    return {
      ok: true,
      summary: {
        output: out,
        summary: { ...parsed.summary, simulated: sim.ok, ...(sim.ok ? { op: sim.op } : { simulator: sim.error }) },
      },
    };
  },
  render: (o) => ({ text: o.netlist.trim(), data: null }),
  check: { formats: ['spice'], run: async (input) => ({ sim: await simCheck(input) }) },
  fidelity: { metrics: ['element_f1', 'connection_f1'], score: netlistF1 },
});
