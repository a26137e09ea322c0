// Per-kind cross-modal formalization: for every formal kind, the model's structured
// output (schemas/formal.ts), its prompt file (prompts/formalize/<kind>.md), its validator (validators/) and how the
// validated output becomes the stored FormalDoc: `text` is what the reasoner reads, `data` the structured extras.
//
// Adding a formal kind: a schema in FORMAL_SCHEMAS, a prompt file, a validator case, a router entry, and one entry
// in KINDS below (how its output reads as text).
import type { z } from 'zod';
import {
  FORMAL_FORMATS, FORMAL_SCHEMAS, formalFormatOf, type DetectedObject, type FormalKind, type FormalOutputOf, type TextLine,
} from '../../schemas/formal.ts';
import { KindSchema, SubkindSchema } from '../../schemas/sample.ts';
import { splitCsv } from './validators/csv.ts';
import { validateFormal } from './validators/index.ts';

/** What the formal blob holds: the text a reasoner reads, plus structured extras (boxes, OCR lines, tables). */
export interface FormalDoc {
  kind: string;
  subkind: string | null;
  format: string;
  text: string;
  /** Structured extras; `objects` (or `boxes`) and `lines` are copied into the records' boxes / ocr_lines columns. */
  data: unknown;
}

export interface FormalSpec {
  /** The formal kind (key of FORMAL_SCHEMAS), also the prompt file name under prompts/formalize/. */
  formalKind: FormalKind;
  prompt: string;
  /** Default format name (flowcharts may answer in another of `formats`). */
  format: string;
  schema: z.ZodType;
  /** The prompt gets the embedded OCR's lines with positions as a starting point. */
  needsOcr: boolean;
  validate(parsed: unknown, ctx: ValidateContext): Promise<{ ok: true; doc: FormalDoc } | { ok: false; error: string }>;
}

export interface ValidateContext {
  width: number;
  height: number;
  /** Grounding: re-locate the validated objects (natural, mixed) with a detector before the text is written. */
  ground?: (objects: DetectedObject[]) => Promise<DetectedObject[]>;
}

interface KindEntry<K extends FormalKind> {
  needsOcr?: boolean;
  /** The validated (boxes clipped) output as the reasoner's text plus structured data. */
  render(out: FormalOutputOf<K>): { text: string; data: unknown; format?: string };
}

const box = (b: readonly number[]) => `[${b.map((v) => Math.round(v)).join(', ')}]`;
const objectsText = (objects: DetectedObject[]) =>
  objects.length ? `Objects (pixel boxes [x1, y1, x2, y2]):\n${objects.map((o) => `- ${o.label} ${box(o.box)}`).join('\n')}` : 'Objects: none located.';
const linesText = (lines: TextLine[]) =>
  lines.length ? `Text in the image (pixel boxes [x1, y1, x2, y2]):\n${lines.map((l) => `- ${box(l.box)} ${l.text}`).join('\n')}` : 'Text in the image: none.';
const axisText = (a?: { label?: string; unit?: string }) => (a?.label ?? '') + (a?.unit ? ` (${a.unit})` : '');

/** A CSV table as row objects (first row = header): the JSON half of the table formalization. */
export function csvRows(csv: string): Array<Record<string, string>> {
  const body = csv.replace(/^\uFEFF/, '').trim();
  const delimiter = [',', '\t', ';', '|'].find((d) => (body.split('\n')[0] ?? '').includes(d)) ?? ',';
  const { records } = splitCsv(body, delimiter);
  const header = records[0]?.fields.map((h) => h.trim()) ?? [];
  return records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, (r.fields[i] ?? '').trim()])));
}

const KINDS: { [K in FormalKind]: KindEntry<K> } = {
  circuit: { render: (o) => ({ text: o.netlist.trim(), data: null }) },
  flowchart: { render: (o) => ({ text: o.source.trim(), data: null, format: o.format }) },
  ui: { render: (o) => ({ text: o.html.trim(), data: null }) },
  table: { render: (o) => ({ text: o.csv.trim(), data: { json: o.json ?? csvRows(o.csv) } }) },
  chart: {
    // The same shape as the synthetic source's exact chart descriptions, so fidelity compares like with like.
    render: (o) => {
      const head = [`# chart: ${o.chartType}`];
      if (o.title) head.push(`# title: ${o.title}`);
      if (o.xAxis && axisText(o.xAxis)) head.push(`# x: ${axisText(o.xAxis)}`);
      if (o.yAxis && axisText(o.yAxis)) head.push(`# y: ${axisText(o.yAxis)}`);
      return { text: `${head.join('\n')}\n${o.csv.trim()}`, data: { chartType: o.chartType, title: o.title ?? null, xAxis: o.xAxis ?? null, yAxis: o.yAxis ?? null } };
    },
  },
  natural: { render: (o) => ({ text: `${o.caption.trim()}\n\n${objectsText(o.objects)}`, data: { objects: o.objects } }) },
  text_only: { needsOcr: true, render: (o) => ({ text: o.document.trim(), data: { lines: o.lines } }) },
  mixed: {
    needsOcr: true,
    render: (o) => ({ text: `${o.caption.trim()}\n\n${objectsText(o.objects)}\n\n${linesText(o.lines)}`, data: { objects: o.objects, lines: o.lines } }),
  },
  math: {
    render: (o) => ({
      text: [
        `Figure: ${o.figure.trim()}`,
        o.givens.length ? `Given:\n${o.givens.map((g) => `- ${g}`).join('\n')}` : 'Given: nothing beyond the figure.',
        `Ways to solve it:\n${o.strategies.map((s, i) => `${i + 1}. ${s}`).join('\n')}`,
      ].join('\n\n'),
      data: { givens: o.givens, strategies: o.strategies },
    }),
  },
};

/** The formal kind a routed sample gets (diagram sub-kinds have their own; unknown kinds fall back to mixed). */
export function formalKindOf(kind: string | null, subkind: string | null): FormalKind {
  const k = KindSchema.safeParse(kind);
  const s = SubkindSchema.safeParse(subkind);
  return formalFormatOf(k.success ? k.data : 'mixed', s.success ? s.data : undefined).formalKind;
}

/** Per-kind formalization: prompt file, structured-output schema and validator for a routed sample. */
export function formalSpecFor(kind: string | null, subkind: string | null): FormalSpec {
  const formalKind = formalKindOf(kind, subkind);
  const entry = KINDS[formalKind] as KindEntry<FormalKind>;
  const format: string = FORMAL_FORMATS[formalKind][0];
  return {
    formalKind,
    prompt: formalKind,
    format,
    schema: FORMAL_SCHEMAS[formalKind],
    needsOcr: entry.needsOcr ?? false,
    async validate(parsed, ctx) {
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, error: 'expected a JSON object' };
      const checked = await validateFormal({ ...(parsed as object), kind: formalKind }, ctx);
      if (!checked.ok) return checked;
      let output = checked.summary.output as FormalOutputOf<FormalKind> & { objects?: DetectedObject[] };
      if (ctx.ground && Array.isArray(output.objects) && output.objects.length) output = { ...output, objects: await ctx.ground(output.objects) };
      const r = entry.render(output);
      return { ok: true, doc: { kind: kind ?? formalKind, subkind, format: r.format ?? format, text: r.text, data: r.data } };
    },
  };
}
