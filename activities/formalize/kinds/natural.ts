// Natural images as a dense caption plus labelled boxes (validators/structured.ts clips them to the image; a
// detector re-locates them when one is configured, activities/grounding/). Viewer: boxes over the image.
import { z } from 'zod';
import { DetectedObjectSchema } from '../../../schemas/formal.ts';
import { validateObjects } from '../validators/structured.ts';
import { defineKind, objectsText } from './kind.ts';

export const NaturalFormalSchema = z.object({ caption: z.string().min(1), objects: z.array(DetectedObjectSchema) });

export const natural = defineKind({
  name: 'natural',
  formats: ['caption'],
  schema: NaturalFormalSchema,
  prompt: 'natural',
  routes: [{ kind: 'natural' }],
  async validate(out, ctx) {
    const r = validateObjects(
      out.objects,
      ctx.width && ctx.height ? { width: ctx.width, height: ctx.height } : undefined,
    );
    return r.ok ? { ok: true, summary: { output: { ...out, objects: r.summary.objects }, summary: r.summary } } : r;
  },
  render: (o) => ({ text: `${o.caption.trim()}\n\n${objectsText(o.objects)}`, data: { objects: o.objects } }),
});
