import { z } from 'zod';

/** Kinds of generated visual problems (the `synthetic:N` source). */
export const SyntheticKindSchema = z.enum(['bar', 'line', 'pie', 'table', 'flowchart', 'circuit', 'geometry']);
export type SyntheticKind = z.infer<typeof SyntheticKindSchema>;
export const SYNTHETIC_KINDS: readonly SyntheticKind[] = SyntheticKindSchema.options;

/** `synthetic:N[:kinds][:seed]` after parsing. */
export const SyntheticSourceSpecSchema = z
  .object({
    n: z.number().int().positive(),
    kinds: z.array(SyntheticKindSchema).min(1),
    seed: z.number().int().nonnegative(),
  })
  .strict();
export type SyntheticSourceSpec = z.infer<typeof SyntheticSourceSpecSchema>;

/** One generated problem: question, exact answer, formal description, derivation trace, drawing. */
const SyntheticItemObject = z
  .object({
    id: z.string().regex(/^syn-[a-z]+-\d{6,}(-s\d+)?$/),
    kind: SyntheticKindSchema,
    routeKind: z.enum(['chart', 'diagram', 'math']),
    subkind: z.enum(['table', 'flowchart', 'circuit']).optional(),
    /** Self-contained: multiple-choice questions end with "Choices:\nA. …" lines. */
    question: z.string().min(1),
    /** A number, a simplified fraction, or an option letter when `choices` is set. */
    answer: z.string().min(1),
    /** Option texts, index 0 = A; exactly 4 when present. */
    choices: z.array(z.string().min(1)).length(4).optional(),
    template: z.string().min(1),
    formalFormat: z.enum(['csv', 'json', 'mermaid', 'spice', 'text']),
    formalText: z.string().min(1),
    trace: z.string().min(1),
    /** The generating spec (JSON-serialisable); the question's parameters are under `spec.q`. */
    spec: z.unknown(),
    svg: z.string().startsWith('<svg'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  })
  .strict();

const mcAnswerIsLetter = (it: { choices?: string[]; answer: string }) =>
  it.choices === undefined || /^[A-D]$/.test(it.answer);
const mcMessage = { message: 'a multiple-choice answer is an option letter', path: ['answer'] };

export const SyntheticItemSchema = SyntheticItemObject.refine(mcAnswerIsLetter, mcMessage);
export type SyntheticItem = z.infer<typeof SyntheticItemSchema>;

/** The item without its drawing, for storing beside the PNG (the SVG can be regenerated from id + seed). */
export const SyntheticRecordSchema = SyntheticItemObject.omit({ svg: true }).refine(mcAnswerIsLetter, mcMessage);
export type SyntheticRecord = z.infer<typeof SyntheticRecordSchema>;
