// Flowcharts as Mermaid or PlantUML: parsed into a graph (validators/mermaid.ts, validators/plantuml.ts) and walked
// from start to every end (validators/flow-reach.ts). Viewer: Mermaid drawn as SVG (viewer/mermaid.ts).
import { z } from 'zod';
import type { FlowCheck } from '../../../schemas/checks.ts';
import { flowchartF1 } from '../../fidelity/score.ts';
import { checkReachability } from '../validators/flow-reach.ts';
import { validateMermaid } from '../validators/mermaid.ts';
import { validatePlantUml } from '../validators/plantuml.ts';
import { defineKind, unchanged, type CheckInput } from './kind.ts';

export const FlowchartFormalSchema = z.object({ format: z.enum(['mermaid', 'plantuml']), source: z.string().min(1) });

/** The flowchart's graph walked from its start(s): is every end reachable? */
export function flowCheck(input: CheckInput): FlowCheck {
  const g = input.format === 'plantuml' ? validatePlantUml(input.text) : validateMermaid(input.text);
  if (!g.ok)
    return { status: 'failed', message: g.error.split('\n')[0] ?? g.error, starts: [], ends: [], unreachable: [] };
  const r = checkReachability(g.summary.nodes, g.summary.edges);
  return {
    status: r.ok ? 'reachable' : 'unreachable',
    message: r.message,
    starts: r.starts,
    ends: r.ends,
    unreachable: r.unreachable,
  };
}

export const flowchart = defineKind({
  name: 'flowchart',
  formats: ['mermaid', 'plantuml'],
  schema: FlowchartFormalSchema,
  prompt: 'flowchart',
  routes: [{ kind: 'diagram', subkind: 'flowchart' }],
  validate: async (out) =>
    out.format === 'mermaid'
      ? unchanged(out, validateMermaid(out.source))
      : unchanged(out, validatePlantUml(out.source)),
  render: (o) => ({ text: o.source.trim(), data: null, format: o.format }),
  check: { formats: ['mermaid', 'plantuml'], run: (input) => ({ flow: flowCheck(input) }) },
  fidelity: { metrics: ['node_f1', 'edge_f1'], score: flowchartF1 },
});
