// The formal-kind registry: the one list of formal kinds (one file each under kinds/, shaped as kinds/kind.ts says),
// and everything derived from it that other code uses: the kind enum, the structured-output schemas, the stored
// output union, the formats, which routed sample gets which kind, the validator entry point, and the formalizer's
// per-kind spec (prompt file, schema, validator, and how the validated output becomes the stored FormalDoc:
// `text` is what the reasoner reads, `data` the structured extras).
//
// Adding a formal kind: a file under kinds/ (activities/formalize/README.md says what it holds), its prompt
// prompts/formalize/<prompt>.md, one line in FORMAL_KINDS below, and where the router must send samples to it, a
// route (schemas/sample.ts SubkindSchema, prompts/route/classify.md).
import { z } from 'zod';
import type { DetectedObject } from '../../schemas/formal.ts';
import type { FormalDoc } from '../../schemas/stage-blobs.ts';
import { KindSchema, SubkindSchema, type Kind, type Subkind } from '../../schemas/sample.ts';
import { chart } from './kinds/chart.ts';
import { chemistry } from './kinds/chemistry.ts';
import { circuit } from './kinds/circuit.ts';
import { flowchart } from './kinds/flowchart.ts';
import type { FormalContext, FormalKindDef } from './kinds/kind.ts';
import { math } from './kinds/math.ts';
import { mixed } from './kinds/mixed.ts';
import { natural } from './kinds/natural.ts';
import { textOnly } from './kinds/text-only.ts';
import { table } from './kinds/table.ts';
import { ui } from './kinds/ui.ts';
import { fail, type ValidationResult } from './validators/result.ts';

export { csvRows } from './kinds/table.ts';
export type { CheckInput, FormalContext, FormalKindDef } from './kinds/kind.ts';

/** Every formal kind, once. */
export const FORMAL_KINDS = [circuit, flowchart, ui, table, chart, natural, textOnly, mixed, math, chemistry] as const;

type Def = (typeof FORMAL_KINDS)[number];
export type FormalKind = Def['name'];
type DefOf<K extends FormalKind> = Extract<Def, { name: K }>;

const byName = new Map<string, FormalKindDef>(FORMAL_KINDS.map((d) => [d.name, d as unknown as FormalKindDef]));

/** The kind's descriptor (kinds/<kind>.ts). */
export function formalKindDef(kind: FormalKind): FormalKindDef {
  const def = byName.get(kind);
  if (!def)
    throw new Error(`unknown formal kind ${JSON.stringify(kind)}: expected one of ${[...byName.keys()].join(', ')}`);
  return def;
}

export const FormalKindSchema = z.enum(FORMAL_KINDS.map((d) => d.name) as [FormalKind, ...FormalKind[]]);

/** The model's structured output, per formal kind. */
export const FORMAL_SCHEMAS = Object.fromEntries(FORMAL_KINDS.map((d) => [d.name, d.schema])) as {
  [K in FormalKind]: DefOf<K>['schema'];
};

/** Format names per formal kind; the first is the default asked of the model. */
export const FORMAL_FORMATS = Object.fromEntries(FORMAL_KINDS.map((d) => [d.name, d.formats])) as {
  [K in FormalKind]: DefOf<K>['formats'];
};

/** A kind's output as stored: the model's output tagged with its `kind`. */
export type FormalOutputOf<K extends FormalKind> = z.infer<DefOf<K>['schema']> & { kind: K };
export type FormalOutput = { [K in FormalKind]: FormalOutputOf<K> }[FormalKind];

export const FormalOutputSchema = z.discriminatedUnion(
  'kind',
  FORMAL_KINDS.map((d) => (d.schema as z.ZodObject).extend({ kind: z.literal(d.name) })) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
) as unknown as z.ZodType<FormalOutput>;

export interface FormalFormat {
  /** The formal kind: discriminator of FormalOutputSchema, key of FORMAL_SCHEMAS. */
  formalKind: FormalKind;
  /** Default format name. */
  format: string;
  formats: readonly string[];
}

/** Which formal output a routed sample gets: the kind whose routes name its sub-kind, else the one naming its kind. */
export function formalFormatOf(kind: Kind, subkind?: Subkind): FormalFormat {
  const def =
    (subkind !== undefined
      ? FORMAL_KINDS.find((d) => d.routes.some((r) => r.kind === kind && r.subkind === subkind))
      : undefined) ?? FORMAL_KINDS.find((d) => d.routes.some((r) => r.kind === kind && r.subkind === undefined));
  if (!def)
    throw new Error(
      `no formal kind for routed kind ${kind}${subkind ? `/${subkind}` : ''}: add a route to a kind under activities/formalize/kinds/`,
    );
  return { formalKind: def.name, format: def.formats[0], formats: def.formats };
}

/** The formal kind a routed sample gets (diagram sub-kinds have their own; unknown kinds fall back to mixed). */
export function formalKindOf(kind: string | null, subkind: string | null): FormalKind {
  const k = KindSchema.safeParse(kind);
  const s = SubkindSchema.safeParse(subkind);
  return formalFormatOf(k.success ? k.data : 'mixed', s.success ? s.data : undefined).formalKind;
}

/** The kind whose stored texts come in this format (what the executable checks and the viewer dispatch on). */
export function formalKindOfFormat(format: string): FormalKindDef | null {
  const f = format.toLowerCase();
  return (
    (FORMAL_KINDS.find((d) => d.formats.includes(f) || d.check?.formats.includes(f)) as FormalKindDef | undefined) ??
    null
  );
}

/** What the formal blob holds (schemas/stage-blobs.ts; written and read through activities/stage-io.ts). */
export type { FormalDoc } from '../../schemas/stage-blobs.ts';

export interface FormalValidation {
  /** The output with boxes clipped to the image. */
  output: FormalOutput;
  summary: unknown;
}

/**
 * The one entry point for validating a formal output: the schema of its `kind`, then the kind's own checks. Returns
 * it normalised (boxes clipped to the image) with a per-format summary, or an error to send back for repair.
 */
export async function validateFormal(
  value: unknown,
  ctx: FormalContext = {},
): Promise<ValidationResult<FormalValidation>> {
  const parsed = FormalOutputSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 6).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return fail(issues);
  }
  const { kind, ...out } = parsed.data;
  const r = await formalKindDef(kind).validate(out, ctx);
  return r.ok
    ? {
        ok: true,
        summary: { output: { ...(r.summary.output as object), kind } as FormalOutput, summary: r.summary.summary },
      }
    : r;
}

export interface FormalSpec {
  /** The formal kind (key of FORMAL_SCHEMAS). */
  formalKind: FormalKind;
  /** The prompt file under prompts/formalize/. */
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

/** Per-kind formalization: prompt file, structured-output schema and validator for a routed sample. */
export function formalSpecFor(kind: string | null, subkind: string | null): FormalSpec {
  const formalKind = formalKindOf(kind, subkind);
  const def = formalKindDef(formalKind);
  const format = def.formats[0];
  return {
    formalKind,
    prompt: def.prompt,
    format,
    schema: def.schema,
    needsOcr: def.needsOcr ?? false,
    async validate(parsed, ctx) {
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        return { ok: false, error: 'expected a JSON object' };
      const checked = await validateFormal({ ...(parsed as object), kind: formalKind }, ctx);
      if (!checked.ok) return checked;
      const { kind: _tag, ...validated } = checked.summary.output as FormalOutput & { objects?: DetectedObject[] };
      let output: { objects?: DetectedObject[] } = validated;
      if (ctx.ground && Array.isArray(output.objects) && output.objects.length)
        output = { ...output, objects: await ctx.ground(output.objects) };
      await def.load?.();
      const r = def.render(output);
      return {
        ok: true,
        doc: { kind: kind ?? formalKind, subkind, format: r.format ?? format, text: r.text, data: r.data },
      };
    },
  };
}
