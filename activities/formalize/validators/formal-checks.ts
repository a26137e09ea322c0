// Executable checks of a stored formal text, run after reasoning so the simulator's answer can be compared with
// the trace's: SPICE through ngspice (spice-sim.ts, spice-answer.ts), tables through DuckDB with typed columns
// (table-typed.ts), flowcharts walked from start to every end (flow-reach.ts). Each result becomes a column of
// `samples` (activities/record/stage-record.ts).
import { getJsonBlob, putJsonBlob } from '../../../core/blobs.ts';
import { FormalChecksSchema, type FlowCheck, type FormalChecks, type FormalChecksResult, type SimCheck, type TableCheck } from '../../../schemas/checks.ts';
import type { SampleRef } from '../../../schemas/sample.ts';
import { loadSample } from '../../sample-io.ts';
import type { FormalDoc } from '../kinds.ts';
import { checkReachability } from './flow-reach.ts';
import { validateMermaid } from './mermaid.ts';
import { validatePlantUml } from './plantuml.ts';
import { validateSpice } from './spice.ts';
import { finalAnswerValue, simulatedAnswer, valuesAgree } from './spice-answer.ts';
import { simulateOp } from './spice-sim.ts';
import { loadCsvTyped, loadJsonTyped } from './table-typed.ts';

export interface CheckInput {
  format: string;
  text: string;
  data?: unknown;
  question: string;
  choices?: string[];
  finalAnswer: string | null;
}

export async function simCheck(input: CheckInput): Promise<SimCheck> {
  const none = { quantity: null, unit: null, simulated: null, answered: null, agrees: null };
  const parsed = validateSpice(input.text);
  if (!parsed.ok) return { status: 'failed', message: parsed.error.split('\n')[0]!, ...none };
  const sim = await simulateOp(input.text);
  if (!sim.ok) return { status: sim.unavailable ? 'unavailable' : /^netlist refused/.test(sim.error) ? 'refused' : 'failed', message: sim.error, ...none };
  const q = simulatedAnswer(input.question, parsed.summary.elements, sim.op);
  if (!q) return { status: 'simulated', message: null, ...none };
  const answered = input.finalAnswer === null ? null : finalAnswerValue(input.finalAnswer, input.choices);
  return {
    status: 'simulated', message: null, quantity: q.quantity, unit: q.unit, simulated: q.value, answered,
    agrees: answered === null ? null : valuesAgree(Math.abs(answered), q.value),
  };
}

export async function tableCheck(input: CheckInput): Promise<TableCheck> {
  const json = (input.data as { json?: unknown } | null | undefined)?.json;
  const r = json !== undefined ? await loadJsonTyped(json) : await loadCsvTyped(input.text);
  return r.ok
    ? { status: 'typed', message: null, columns: r.summary.columns, types: r.summary.types }
    : { status: 'failed', message: r.error.split('\n')[0]!, columns: [], types: [] };
}

export function flowCheck(input: CheckInput): FlowCheck {
  const g = input.format === 'plantuml' ? validatePlantUml(input.text) : validateMermaid(input.text);
  if (!g.ok) return { status: 'failed', message: g.error.split('\n')[0]!, starts: [], ends: [], unreachable: [] };
  const r = checkReachability(g.summary.nodes, g.summary.edges);
  return { status: r.ok ? 'reachable' : 'unreachable', message: r.message, starts: r.starts, ends: r.ends, unreachable: r.unreachable };
}

/** Every check that applies to the format (spice; csv, chart, json tables; mermaid, plantuml). */
export async function runFormalChecks(input: CheckInput): Promise<FormalChecks> {
  const f = input.format.toLowerCase();
  return FormalChecksSchema.parse({
    sim: f === 'spice' ? await simCheck(input) : null,
    table: f === 'csv' || f === 'chart' || f === 'json' ? await tableCheck(input) : null,
    flow: f === 'mermaid' || f === 'plantuml' ? flowCheck(input) : null,
  });
}

/** The activity: checks of the sample's stored formal text against its question and the trace's final answer. */
export async function checkFormal(
  home: string, input: { run: string; ref: SampleRef; formalKey: string | null; finalAnswer: string | null },
): Promise<FormalChecksResult> {
  if (!input.formalKey) return { checksKey: null };
  const sample = await loadSample(home, input.ref.sampleKey);
  const doc = await getJsonBlob(home, input.formalKey) as FormalDoc;
  const checks = await runFormalChecks({ format: doc.format, text: doc.text, data: doc.data, question: sample.question, choices: sample.choices, finalAnswer: input.finalAnswer });
  if (!checks.sim && !checks.table && !checks.flow) return { checksKey: null };
  return { checksKey: await putJsonBlob(home, checks) };
}
