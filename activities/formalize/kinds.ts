import { z } from 'zod';

/** What the formal blob holds: the text a reasoner reads, plus structured extras (boxes, OCR lines, tables). */
export interface FormalDoc {
  kind: string;
  subkind: string | null;
  format: string;
  text: string;
  data: unknown;
}

export interface FormalSpec {
  prompt: string;
  format: string;
  schema: z.ZodType;
  validate(parsed: unknown, ctx: { width: number; height: number }): Promise<{ ok: true; doc: FormalDoc } | { ok: false; error: string }>;
}

const Generic = z.object({ format: z.string(), description: z.string() });

/** Per-kind formalization: prompt file, structured-output schema and validator (TEMPORARY generic version). */
export function formalSpecFor(kind: string, subkind: string | null): FormalSpec {
  return {
    prompt: 'generic',
    format: 'text',
    schema: Generic,
    async validate(parsed) {
      const p = Generic.parse(parsed);
      if (p.description.trim().length < 10) return { ok: false, error: 'description is empty or too short' };
      return { ok: true, doc: { kind, subkind, format: p.format, text: p.description, data: null } };
    },
  };
}
