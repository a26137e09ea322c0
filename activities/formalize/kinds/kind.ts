// What a formal kind is: everything the pipeline knows about one kind, in one object (one file per kind beside this
// one, listed once in ../kinds.ts). The registry derives the enums and schemas other code uses from these objects.
import type { z } from 'zod';
import type { FormalChecks } from '../../../schemas/checks.ts';
import type { DetectedObject } from '../../../schemas/formal.ts';
import type { Kind, Subkind } from '../../../schemas/sample.ts';
import type { ImageSize } from '../validators/boxes.ts';
import type { ValidationResult } from '../validators/result.ts';
import type { SpiceContext } from '../validators/spice.ts';

/** What the validators are told: the image size (boxes are clipped to it), SPICE options, whether to simulate. */
export type FormalContext = Partial<ImageSize> &
  SpiceContext & {
    /** Run SPICE netlists through ngspice (default true; a machine without ngspice skips it). */
    simulate?: boolean;
  };

/** What an executable check reads: the stored formal text and the question it should answer. */
export interface CheckInput {
  format: string;
  text: string;
  data?: unknown;
  question: string;
  choices?: string[];
  finalAnswer: string | null;
}

/** A routed sample (kind, and for diagrams a sub-kind) that gets this formal kind; no subkind: any subkind. */
export interface RouteMatch {
  kind: Kind;
  subkind?: Subkind;
}

export interface FormalKindDef<N extends string = string, S extends z.ZodObject = z.ZodObject> {
  /** The formal kind's name: discriminator of the stored output, key of every derived table. */
  name: N;
  /** Format names the model may answer in; the first is the default asked of it. */
  formats: readonly [string, ...string[]];
  /** The model's structured output (without the `kind` tag the registry adds). */
  schema: S;
  /** The prompt file under prompts/formalize/ (without `.md`). */
  prompt: string;
  /** Which routed samples get this kind; an exact subkind match wins over a kind-only one. */
  routes: readonly RouteMatch[];
  /** The prompt gets the embedded OCR's lines with positions as a starting point. */
  needsOcr?: boolean;
  /** The formal text depends on the question (not shared between samples of one image, formal-share.ts). */
  perQuestion?: boolean;
  /**
   * Loads, on first use, a library the kind's synchronous parts (`render`, `fidelity.score`, `view`) need, so that
   * importing the registry does not pay for it; whoever calls those parts awaits it first (formalSpecFor, fidelity,
   * the viewer's sample page).
   */
  load?(): Promise<void>;
  /**
   * The content check beyond the schema: parse, simulate, clip boxes. Returns the output normalised (boxes clipped)
   * and a summary, or an error written for the model, which is re-asked with it.
   */
  validate(out: z.infer<S>, ctx: FormalContext): Promise<ValidationResult<{ output: z.infer<S>; summary: unknown }>>;
  /** The validated output as the text a reasoner reads plus structured extras (and the format it answered in). */
  render(out: z.infer<S>): { text: string; data: unknown; format?: string };
  /**
   * The executable check of a stored formal text (after reasoning, against the question and the trace's answer):
   * the part of FormalChecks it fills, for the stored formats it reads (synthetic specs may store other formats).
   */
  check?: {
    formats: readonly string[];
    run(input: CheckInput): Promise<Partial<FormalChecks>> | Partial<FormalChecks>;
  };
  /** Fidelity against a synthetic sample's exact text: the structural metrics and how to score them. */
  fidelity?: { metrics: readonly string[]; score(exactText: string, modelText: string): Record<string, number> };
  /**
   * The viewer's drawing of a stored text in one of `formats`, as a self-contained SVG string with every text in it
   * escaped (null: cannot draw it); the page shows it as is. Kinds without one are drawn by the viewer's built-in
   * renderers, chosen by format (viewer/render.ts).
   */
  view?(text: string): string | null;
}

/** A kind's descriptor, checked against FormalKindDef and keeping its literal name and schema type. */
export function defineKind<const N extends string, S extends z.ZodObject>(
  def: FormalKindDef<N, S>,
): FormalKindDef<N, S> {
  return def;
}

/** The validator result for an output that needs no normalising. */
export function unchanged<O, S>(out: O, r: ValidationResult<S>): ValidationResult<{ output: O; summary: S }> {
  return r.ok ? { ok: true, summary: { output: out, summary: r.summary } } : r;
}

/** Boxes of a detected object as the reasoner reads them. */
export const boxText = (b: readonly number[]) => `[${b.map((v) => Math.round(v)).join(', ')}]`;

export const objectsText = (objects: DetectedObject[]) =>
  objects.length
    ? `Objects (pixel boxes [x1, y1, x2, y2]):\n${objects.map((o) => `- ${o.label} ${boxText(o.box)}`).join('\n')}`
    : 'Objects: none located.';
