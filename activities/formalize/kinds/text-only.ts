// Text-only images (documents, screenshots of text) as OCR lines with positions plus the reconstructed document
// (validators/structured.ts). The prompt starts from the embedded OCR engine's lines. Viewer: lines over the image.
import { z } from 'zod';
import { TextLineSchema } from '../../../schemas/formal.ts';
import { validateOcrLines } from '../validators/structured.ts';
import { defineKind } from './kind.ts';

/** OCR lines with positions, and the reconstructed document (reading order, paragraphs, markdown tables). */
export const TextOnlyFormalSchema = z.object({ lines: z.array(TextLineSchema), document: z.string() });

export const textOnly = defineKind({
  name: 'text_only',
  formats: ['ocr'],
  schema: TextOnlyFormalSchema,
  prompt: 'text_only',
  routes: [{ kind: 'text_only' }],
  needsOcr: true,
  async validate(out, ctx) {
    const size = ctx.width && ctx.height ? { width: ctx.width, height: ctx.height } : {};
    const r = validateOcrLines(out.lines, { ...size, document: out.document });
    return r.ok ? { ok: true, summary: { output: { ...out, lines: r.summary.lines }, summary: r.summary } } : r;
  },
  render: (o) => ({ text: o.document.trim(), data: { lines: o.lines } }),
});
