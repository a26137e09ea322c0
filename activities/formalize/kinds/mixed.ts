// Mixed images (and diagrams without a formal language of their own, such as labelled science figures) as caption,
// boxes and OCR lines together (validators/structured.ts). Viewer: boxes and lines over the image.
import { z } from 'zod';
import { DetectedObjectSchema, TextLineSchema, type TextLine } from '../../../schemas/formal.ts';
import { fail } from '../validators/result.ts';
import { validateObjects, validateOcrLines } from '../validators/structured.ts';
import { boxText, defineKind, objectsText } from './kind.ts';

export const MixedFormalSchema = z.object({
  caption: z.string().min(1),
  objects: z.array(DetectedObjectSchema),
  lines: z.array(TextLineSchema),
});

const linesText = (lines: TextLine[]) =>
  lines.length
    ? `Text in the image (pixel boxes [x1, y1, x2, y2]):\n${lines.map((l) => `- ${boxText(l.box)} ${l.text}`).join('\n')}`
    : 'Text in the image: none.';

export const mixed = defineKind({
  name: 'mixed',
  formats: ['caption+ocr'],
  schema: MixedFormalSchema,
  prompt: 'mixed',
  // A diagram whose sub-kind has no formal kind of its own (scientific, or none) is mostly labelled parts.
  routes: [{ kind: 'mixed' }, { kind: 'diagram' }],
  needsOcr: true,
  async validate(out, ctx) {
    const size = ctx.width && ctx.height ? { width: ctx.width, height: ctx.height } : undefined;
    const objects = validateObjects(out.objects, size);
    const lines = validateOcrLines(out.lines, { ...size, allowEmpty: true });
    if (!objects.ok || !lines.ok) return fail([objects, lines].flatMap((r) => (r.ok ? [] : [r.error])));
    return {
      ok: true,
      summary: {
        output: { ...out, objects: objects.summary.objects, lines: lines.summary.lines },
        summary: { objects: objects.summary, lines: lines.summary },
      },
    };
  },
  render: (o) => ({
    text: `${o.caption.trim()}\n\n${objectsText(o.objects)}\n\n${linesText(o.lines)}`,
    data: { objects: o.objects, lines: o.lines },
  }),
});
