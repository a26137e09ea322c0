// Charts as their data table (CSV, first column = categories / x) plus the spec that draws it (validators/
// structured.ts); after reasoning the table is loaded by DuckDB with typed columns. Viewer: an HTML table with the
// `# key: value` lines as its caption (viewer/render.ts).
import { z } from 'zod';
import { AxisSchema, ChartTypeSchema } from '../../../schemas/formal.ts';
import { cellAccuracy } from '../../fidelity/score.ts';
import { validateChart } from '../validators/structured.ts';
import { defineKind, unchanged } from './kind.ts';
import { tableCheck } from './table.ts';

/** A chart as its data table (csv, first column = categories / x) plus the spec that draws it. */
export const ChartFormalSchema = z.object({
  chartType: ChartTypeSchema,
  title: z.string().optional(),
  xAxis: AxisSchema.optional(),
  yAxis: AxisSchema.optional(),
  csv: z.string().min(1),
});

const axisText = (a?: { label?: string; unit?: string }) => (a?.label ?? '') + (a?.unit ? ` (${a.unit})` : '');

export const chart = defineKind({
  name: 'chart',
  formats: ['chart'],
  schema: ChartFormalSchema,
  prompt: 'chart',
  routes: [{ kind: 'chart' }],
  validate: async (out) => unchanged(out, await validateChart(out)),
  // The same shape as the synthetic source's exact chart descriptions, so fidelity compares like with like.
  render: (o) => {
    const head = [`# chart: ${o.chartType}`];
    if (o.title) head.push(`# title: ${o.title}`);
    if (o.xAxis && axisText(o.xAxis)) head.push(`# x: ${axisText(o.xAxis)}`);
    if (o.yAxis && axisText(o.yAxis)) head.push(`# y: ${axisText(o.yAxis)}`);
    return {
      text: `${head.join('\n')}\n${o.csv.trim()}`,
      data: { chartType: o.chartType, title: o.title ?? null, xAxis: o.xAxis ?? null, yAxis: o.yAxis ?? null },
    };
  },
  check: { formats: ['chart'], run: async (input) => ({ table: await tableCheck(input) }) },
  // Charts are read by eye: values within 5 % count (ChartQA's relaxed accuracy).
  fidelity: {
    metrics: ['cell_accuracy'],
    score: (exact, model) => ({ cell_accuracy: cellAccuracy(exact, model, 0.05) }),
  },
});
