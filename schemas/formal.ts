// Formal outputs per kind: the structured output asked of the formalizer model (activities/formalize/kinds.ts).
// Each `…FormalSchema` is what the model returns for that kind; `FormalOutputSchema` is the same
// object tagged with its `kind`, as stored. Validators in activities/formalize/validators check the
// content (netlist/graph/HTML/CSV parse, boxes inside the image).
import { z } from 'zod';
import type { Kind, Subkind } from './sample.ts';

/** [x1, y1, x2, y2] in pixels of the (normalised) image. */
export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export type Box = z.infer<typeof BoxSchema>;

export const DetectedObjectSchema = z.object({ label: z.string().min(1), box: BoxSchema });
export type DetectedObject = z.infer<typeof DetectedObjectSchema>;

export const TextLineSchema = z.object({ text: z.string(), box: BoxSchema, confidence: z.number().min(0).max(1).optional() });
export type TextLine = z.infer<typeof TextLineSchema>;

export const CircuitFormalSchema = z.object({ format: z.literal('spice'), netlist: z.string().min(1) });
export const FlowchartFormalSchema = z.object({ format: z.enum(['mermaid', 'plantuml']), source: z.string().min(1) });
export const UiFormalSchema = z.object({ format: z.literal('html'), html: z.string().min(1) });
/** `json`, when given, is the same table as an array of row objects. */
export const TableFormalSchema = z.object({
  format: z.literal('csv'),
  csv: z.string().min(1),
  json: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).optional(),
});
export const ChartTypeSchema = z.enum(['bar', 'stacked_bar', 'line', 'area', 'pie', 'scatter', 'histogram', 'box', 'heatmap', 'radar', 'other']);
export const AxisSchema = z.object({ label: z.string().optional(), unit: z.string().optional() });
/** A chart as its data table (csv, first column = categories / x) plus the spec that draws it. */
export const ChartFormalSchema = z.object({
  chartType: ChartTypeSchema,
  title: z.string().optional(),
  xAxis: AxisSchema.optional(),
  yAxis: AxisSchema.optional(),
  csv: z.string().min(1),
});
export const NaturalFormalSchema = z.object({ caption: z.string().min(1), objects: z.array(DetectedObjectSchema) });
/** OCR lines with positions, and the reconstructed document (reading order, paragraphs, markdown tables). */
export const TextOnlyFormalSchema = z.object({ lines: z.array(TextLineSchema), document: z.string() });
export const MixedFormalSchema = z.object({ caption: z.string().min(1), objects: z.array(DetectedObjectSchema), lines: z.array(TextLineSchema) });
export const MathFormalSchema = z.object({
  figure: z.string().min(1),
  givens: z.array(z.string()),
  strategies: z.array(z.string().min(1)).min(1).max(3),
});

/** The model's structured output, per formal kind. */
export const FORMAL_SCHEMAS = {
  circuit: CircuitFormalSchema,
  flowchart: FlowchartFormalSchema,
  ui: UiFormalSchema,
  table: TableFormalSchema,
  chart: ChartFormalSchema,
  natural: NaturalFormalSchema,
  text_only: TextOnlyFormalSchema,
  mixed: MixedFormalSchema,
  math: MathFormalSchema,
} as const;

export const FormalKindSchema = z.enum(['circuit', 'flowchart', 'ui', 'table', 'chart', 'natural', 'text_only', 'mixed', 'math']);
export type FormalKind = z.infer<typeof FormalKindSchema>;

export const FormalOutputSchema = z.discriminatedUnion('kind', [
  CircuitFormalSchema.extend({ kind: z.literal('circuit') }),
  FlowchartFormalSchema.extend({ kind: z.literal('flowchart') }),
  UiFormalSchema.extend({ kind: z.literal('ui') }),
  TableFormalSchema.extend({ kind: z.literal('table') }),
  ChartFormalSchema.extend({ kind: z.literal('chart') }),
  NaturalFormalSchema.extend({ kind: z.literal('natural') }),
  TextOnlyFormalSchema.extend({ kind: z.literal('text_only') }),
  MixedFormalSchema.extend({ kind: z.literal('mixed') }),
  MathFormalSchema.extend({ kind: z.literal('math') }),
]);
export type FormalOutput = z.infer<typeof FormalOutputSchema>;
export type FormalOutputOf<K extends FormalKind> = Extract<FormalOutput, { kind: K }>;

/** Format names per formal kind; the first is the default asked of the model. */
export const FORMAL_FORMATS = {
  circuit: ['spice'],
  flowchart: ['mermaid', 'plantuml'],
  ui: ['html'],
  table: ['csv'],
  chart: ['chart'],
  natural: ['caption'],
  text_only: ['ocr'],
  mixed: ['caption+ocr'],
  math: ['math'],
} as const satisfies Record<FormalKind, readonly string[]>;

export interface FormalFormat {
  /** Discriminator of FormalOutputSchema and key of FORMAL_SCHEMAS / the prompt file. */
  formalKind: FormalKind;
  /** Default format name. */
  format: string;
  formats: readonly string[];
}

/**
 * Which formal output a routed sample gets. Diagram sub-kinds map to their own formats; a scientific
 * diagram (or a diagram without sub-kind) gets caption + boxes + OCR, since such figures are mostly
 * labelled parts.
 */
export function formalFormatOf(kind: Kind, subkind?: Subkind): FormalFormat {
  const formalKind: FormalKind =
    kind === 'diagram'
      ? subkind === 'circuit' || subkind === 'flowchart' || subkind === 'ui' || subkind === 'table'
        ? subkind
        : 'mixed'
      : kind;
  const formats = FORMAL_FORMATS[formalKind];
  return { formalKind, format: formats[0], formats };
}
